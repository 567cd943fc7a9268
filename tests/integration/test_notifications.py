"""Applicant SMS from the outbox, on SQLite and PostgreSQL: each one sent exactly once.

Senders here count every `send` call per key: the file outbox is idempotent by key, so counting
files alone could not catch a row sent twice.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from factories import make_package
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from cli.notifications import app as notifications_app
from config.settings import get_settings
from models.tables import Notification
from services.intake import submit_folder
from services.notifications import SendReport, list_notifications, send_pending
from storage.db import UnitOfWork
from storage.sms import FileSender, outbox_filename

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13812345678"
MASKED = "138****5678"


class CountingSender:
    """The real file sender, counting calls per key (thread-safe)."""

    def __init__(self) -> None:
        self.inner = FileSender(_outbox())
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def send(self, *, key: str, recipient: str, body: str) -> str:
        with self._lock:
            self.calls[key] += 1
        return self.inner.send(key=key, recipient=recipient, body=body)


class BrokenGateway(Exception):
    pass


class FailingSender:
    """A provider that is down; its error message echoes the phone, as real ones do."""

    def send(self, *, key: str, recipient: str, body: str) -> str:
        raise BrokenGateway(f"gateway refused {recipient}")


def _outbox() -> Path:
    outbox = get_settings().sms_outbox
    assert outbox is not None
    return outbox


def _files() -> list[Path]:
    return sorted(_outbox().glob("*.json")) if _outbox().exists() else []


def _case(tmp_path: Path, name: str) -> str:
    return submit_folder(
        make_package(tmp_path / name, submission_id=f"TFSMY-SMS-{name}"), UnitOfWork()
    ).case_id


def _notify(case_id: str, occasion: str, *, channel: str = "sms", recipient: str = PHONE) -> str:
    key = f"notify:{case_id}:under_review:{occasion}"
    with UnitOfWork() as uow:
        uow.add(
            Notification(
                key=key,
                case_id=case_id,
                channel=channel,
                recipient=recipient,
                body=f"王*，您的居住证申请 {case_id} 已受理，正在审核。",
            )
        )
        uow.commit()
    return key


def _rows(engine: Engine) -> dict[str, Notification]:
    with Session(engine) as session:
        return {n.key: n for n in session.exec(select(Notification).order_by(col(Notification.id)))}


def test_pending_sms_are_sent_once_and_marked_sent(engine: Engine, tmp_path: Path) -> None:
    first, second = _case(tmp_path, "a"), _case(tmp_path, "b")
    keys = [_notify(first, "1"), _notify(first, "2"), _notify(second, "1")]
    staff = _notify(second, "staff", channel="staff", recipient="s-wuhou")
    sender = CountingSender()

    assert send_pending(UnitOfWork(), sender=sender) == SendReport(sent=3, failed=0, skipped=0)

    assert sender.calls == Counter(keys)
    files = _files()
    assert [f.name for f in files] == sorted(outbox_filename(k) for k in keys)
    written = json.loads(files[0].read_text(encoding="utf-8"))
    assert set(written) >= {"key", "recipient", "body", "written_at"}
    assert written["recipient"] == PHONE
    rows = _rows(engine)
    for key in keys:
        assert (rows[key].state, rows[key].attempts) == ("sent", 1)
        assert rows[key].sent_at is not None
    # Staff notifications are not SMS: left for their own channel.
    assert (rows[staff].state, rows[staff].attempts) == ("pending", 0)

    # The next run (cron, a second worker) finds nothing to send.
    assert send_pending(UnitOfWork(), sender=sender) == SendReport()
    assert sender.calls == Counter(keys)
    assert len(_files()) == 3


def test_send_for_one_case_leaves_the_others_pending(engine: Engine, tmp_path: Path) -> None:
    first, second = _case(tmp_path, "a"), _case(tmp_path, "b")
    mine, other = _notify(first, "1"), _notify(second, "1")

    assert send_pending(UnitOfWork(), case_id=first, sender=CountingSender()).sent == 1

    rows = _rows(engine)
    assert (rows[mine].state, rows[other].state) == ("sent", "pending")


def test_four_concurrent_senders_send_each_sms_once(engine: Engine, tmp_path: Path) -> None:
    cases = [_case(tmp_path, "a"), _case(tmp_path, "b")]
    keys = [_notify(cases[i % 2], str(i)) for i in range(20)]
    sender = CountingSender()
    start = threading.Barrier(4)
    reports: list[SendReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            reports.append(send_pending(UnitOfWork(), sender=sender))
        except BaseException as error:  # surfaced below: a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sender.calls == Counter(keys)  # every key sent exactly once, by whichever thread claimed it
    assert len(_files()) == 20
    assert sum(r.sent for r in reports) == 20 and sum(r.failed for r in reports) == 0
    assert {(n.state, n.attempts) for n in _rows(engine).values()} == {("sent", 1)}


def test_a_sender_killed_after_sending_is_finished_once_by_the_next_run(
    engine: Engine, tmp_path: Path
) -> None:
    key = _notify(_case(tmp_path, "a"), "1")
    # A real process that claims, sends, and is SIGKILLed before it records the send.
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, signal\n"
            "from services.notifications import send_pending\n"
            "from storage.db import UnitOfWork\n"
            "send_pending(UnitOfWork(), _after_send=lambda: os.kill(os.getpid(), signal.SIGKILL))\n",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    [written] = _files()
    before = written.read_text(encoding="utf-8")
    row = _rows(engine)[key]
    assert (row.state, row.attempts) == ("sending", 1)

    # A live claim (younger than stale_after) is not taken from its sender.
    sender = CountingSender()
    assert send_pending(UnitOfWork(), sender=sender) == SendReport()
    assert sender.calls == Counter()

    report = send_pending(UnitOfWork(), sender=sender, stale_after=timedelta(0))

    assert report == SendReport(sent=1)
    assert sender.calls == Counter([key])  # sent again under the same key...
    assert _files() == [written]  # ...and the outbox still holds the one message, untouched
    assert written.read_text(encoding="utf-8") == before
    row = _rows(engine)[key]
    assert (row.state, row.attempts) == ("sent", 2)


def test_a_failing_sender_retries_then_gives_up_without_logging_the_phone(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = _notify(_case(tmp_path, "a"), "1")
    caplog.set_level(logging.INFO, logger="services.notifications")

    assert send_pending(UnitOfWork(), sender=FailingSender(), max_attempts=3) == SendReport(failed=1)
    row = _rows(engine)[key]
    assert (row.state, row.attempts, row.sent_at, row.claimed_at) == ("pending", 1, None, None)

    for _ in range(2):
        assert send_pending(UnitOfWork(), sender=FailingSender(), max_attempts=3).failed == 1
    row = _rows(engine)[key]
    assert (row.state, row.attempts) == ("failed", 3)
    # Failed for good: no further tries, even once the gateway is back.
    sender = CountingSender()
    assert send_pending(UnitOfWork(), sender=sender, max_attempts=3) == SendReport()
    assert sender.calls == Counter() and _files() == []

    assert PHONE not in caplog.text
    assert MASKED in caplog.text and key in caplog.text and "BrokenGateway" in caplog.text


def test_the_file_sender_writes_one_file_per_key(tmp_path: Path) -> None:
    sender = FileSender(tmp_path / "outbox")
    key = "notify:CD-2026-000001:under_review:1"

    first = sender.send(key=key, recipient=PHONE, body="一")
    again = sender.send(key=key, recipient=PHONE, body="一")
    other = sender.send(key=key.replace(":1", ":2"), recipient=PHONE, body="二")

    assert first == again != other
    files = sorted((tmp_path / "outbox").iterdir())
    assert len(files) == 2 and all(f.suffix == ".json" and ":" not in f.name for f in files)
    assert {json.loads(f.read_text(encoding="utf-8"))["key"] for f in files} == {key, key.replace(":1", ":2")}


def test_the_outbox_listing_masks_phones(engine: Engine, tmp_path: Path) -> None:
    first, second = _case(tmp_path, "a"), _case(tmp_path, "b")
    sent, waiting = _notify(first, "1"), _notify(second, "1")
    send_pending(UnitOfWork(), case_id=first, sender=CountingSender())

    views = list_notifications(UnitOfWork())
    assert [(v.key, v.recipient, v.state) for v in views] == [
        (sent, MASKED, "sent"),
        (waiting, MASKED, "pending"),
    ]
    assert views[0].sent_at is not None and views[1].sent_at is None
    assert [v.key for v in list_notifications(UnitOfWork(), state="pending")] == [waiting]
    assert [v.key for v in list_notifications(UnitOfWork(), case_id=first)] == [sent]
    assert PHONE not in json.dumps([v.as_dict() for v in views], ensure_ascii=False)


def test_the_cli_sends_and_lists(engine: Engine, tmp_path: Path) -> None:
    case_id = _case(tmp_path, "a")
    keys = [_notify(case_id, "1"), _notify(case_id, "2")]
    runner = CliRunner()

    sent = runner.invoke(notifications_app, ["send", "--case", case_id])
    assert sent.exit_code == 0, sent.output
    assert "已发送 2 条" in sent.output and "sent 2" in sent.output
    assert len(_files()) == 2  # the default sender: the configured file outbox

    listed = runner.invoke(notifications_app, ["list", "--case", case_id, "--json"])
    assert listed.exit_code == 0, listed.output
    records = [json.loads(line) for line in listed.output.splitlines()]
    assert [(r["key"], r["recipient"], r["state"]) for r in records] == [(k, MASKED, "sent") for k in keys]

    table = runner.invoke(notifications_app, ["list", "--state", "sent"])
    assert table.exit_code == 0, table.output
    assert MASKED in table.output and PHONE not in table.output and "已发送" in table.output

    again = runner.invoke(notifications_app, ["send"])
    assert again.exit_code == 0 and "已发送 0 条" in again.output

    refused = runner.invoke(notifications_app, ["list", "--state", "lost"])
    assert refused.exit_code == 2


def test_the_cli_send_exits_1_when_an_sms_failed(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _notify(_case(tmp_path, "a"), "1")
    monkeypatch.setattr("services.notifications.get_sms_sender", FailingSender)

    result = CliRunner().invoke(notifications_app, ["send"])

    assert result.exit_code == 1
    assert "失败 1 条" in result.output and "failed 1" in result.output and PHONE not in result.output
    assert _rows(engine)[key].state == "pending"
