"""The statutory clock on stored cases, on SQLite and PostgreSQL: what is due, and escalation."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from factories import make_package
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.overdue import app as overdue_app
from config.city import CITY_DIR, load_city
from models.city import City
from models.tables import Case, Notification
from services.intake import submit_folder
from services.sla import cases_due, escalate_overdue
from storage.db import UnitOfWork

TODAY = date(2026, 3, 20)
WUHOU = "成都市公安局武侯区分局"
JINJIANG = "成都市公安局锦江区分局"


def _case(tmp_path: Path, name: str, **fields: Any) -> str:
    """A real submitted case, then moved to the clock state a test needs (status set directly)."""
    case_id = submit_folder(
        make_package(tmp_path / name, submission_id=f"TFSMY-SLA-{name}"), UnitOfWork()
    ).case_id
    fields = {"status": "under_review", "station_id": "wuhou-yulin", "bureau": WUHOU} | fields
    with UnitOfWork() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        for key, value in fields.items():
            setattr(case, key, value)
        uow.add(case)
        uow.commit()
    return case_id


@pytest.fixture
def cases(engine: Engine, tmp_path: Path) -> dict[str, str]:
    d = date.fromisoformat
    return {
        "late4": _case(tmp_path, "late4", accepted_on=d("2026-03-01")),  # due 03-16
        "late1": _case(
            tmp_path,
            "late1",
            accepted_on=d("2026-03-04"),
            station_id="jinjiang-chunxilu",
            bureau=JINJIANG,
        ),  # due 03-19
        "left2": _case(tmp_path, "left2", accepted_on=d("2026-03-07")),  # due 03-22
        "left10": _case(tmp_path, "left10", accepted_on=d("2026-03-15")),  # due 03-30
        # Would be late without its 5 paused days: due 03-21.
        "left1_after_pause": _case(tmp_path, "left1", accepted_on=d("2026-03-01"), paused_days=5),
        # Paused since 03-10 with 6 days left then: frozen at 6, not listed.
        "paused": _case(
            tmp_path,
            "paused",
            status="needs_correction",
            accepted_on=d("2026-03-01"),
            clock_paused_on=d("2026-03-10"),
        ),
        # Paused after its due date: still late, listed and escalated.
        "paused_late": _case(
            tmp_path,
            "pausedlate",
            status="needs_correction",
            accepted_on=d("2026-03-01"),
            clock_paused_on=d("2026-03-18"),
        ),
        "produced": _case(tmp_path, "produced", status="in_production", accepted_on=d("2026-02-01")),
        "rejected": _case(tmp_path, "rejected", status="rejected", accepted_on=d("2026-02-01")),
        "not_accepted": _case(tmp_path, "notaccepted", status="submitted"),
    }


def _notifications(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.key)))


def test_cases_due_lists_running_clocks_in_the_window_and_late_ones(
    engine: Engine, cases: dict[str, str]
) -> None:
    due = cases_due(3, UnitOfWork(), TODAY)
    assert [(d.case_id, d.days_left) for d in due] == [
        (cases["late4"], -4),
        (cases["paused_late"], -2),
        (cases["late1"], -1),
        (cases["left1_after_pause"], 1),
        (cases["left2"], 2),
    ]
    first = due[0]
    assert (first.due_on, first.station_id, first.bureau, first.status.value) == (
        date(2026, 3, 16),
        "wuhou-yulin",
        WUHOU,
        "under_review",
    )
    assert due[1].paused and not due[0].paused
    # Nothing personal in the view.
    text = json.dumps([d.as_dict() for d in due], ensure_ascii=False)
    assert "王小明" not in text and "511302199003154418" not in text and "13812345678" not in text
    assert [d.case_id for d in cases_due(0, UnitOfWork(), TODAY)] == [
        cases["late4"],
        cases["paused_late"],
        cases["late1"],
    ]
    assert {d.case_id for d in cases_due(10, UnitOfWork(), TODAY)} >= {cases["left10"]}
    assert cases["paused"] not in {d.case_id for d in cases_due(30, UnitOfWork(), TODAY)}


def test_escalation_notifies_each_supervisor_once_and_is_idempotent(
    engine: Engine, cases: dict[str, str]
) -> None:
    escalated = escalate_overdue(UnitOfWork(), TODAY)
    assert sorted(escalated) == sorted([cases["late4"], cases["late1"], cases["paused_late"]])
    rows = _notifications(engine)
    assert sorted((n.case_id, n.recipient, n.channel) for n in rows) == sorted(
        [
            (cases["late4"], "s-wuhou", "staff"),
            (cases["paused_late"], "s-wuhou", "staff"),
            (cases["late1"], "s-jinjiang", "staff"),
        ]
    )
    late4 = next(n for n in rows if n.case_id == cases["late4"])
    assert late4.key == f"escalate:{cases['late4']}:2026-03-16:s-wuhou"
    zh, en = late4.body.split("\n")
    assert cases["late4"] in zh and "超过法定办结期限 4 天" in zh and "玉林" in zh
    assert cases["late4"] in en and "4 day(s) past" in en and "wuhou-yulin" in en
    assert "王" not in late4.body and "4418" not in late4.body
    with Session(engine) as session:
        flags = {c.id: c.escalated for c in session.exec(select(Case))}
    assert {case_id for case_id, flag in flags.items() if flag} == set(escalated)

    # Run again (the next hour, the next day): nothing new.
    assert escalate_overdue(UnitOfWork(), TODAY) == []
    assert escalate_overdue(UnitOfWork(), date(2026, 3, 21)) == []  # due that day: not late yet
    assert escalate_overdue(UnitOfWork(), date(2026, 3, 22)) == [cases["left1_after_pause"]]
    assert len(_notifications(engine)) == 4


def test_every_supervisor_of_the_bureau_is_notified(engine: Engine, tmp_path: Path) -> None:
    city_dir = tmp_path / "city"
    shutil.copytree(CITY_DIR, city_dir)
    with (city_dir / "reviewers.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            f"  - {{id: s-wuhou-deputy, name: 副督办, role: supervisor, station: null, bureau: {WUHOU},\n"
            "     totp_secret: ABCDEFGHIJKLMNOPQRSTUVWXYZ234567}\n"
        )
    city: City = load_city(city_dir)
    case_id = _case(tmp_path, "two", accepted_on=date(2026, 3, 1))
    assert escalate_overdue(UnitOfWork(), TODAY, city=city) == [case_id]
    assert escalate_overdue(UnitOfWork(), TODAY, city=city) == []
    assert sorted(n.recipient for n in _notifications(engine)) == ["s-wuhou", "s-wuhou-deputy"]


def test_a_late_case_without_a_bureau_is_not_marked_escalated(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    case_id = _case(tmp_path, "unrouted", accepted_on=date(2026, 3, 1), station_id=None, bureau=None)
    assert escalate_overdue(UnitOfWork(), TODAY) == []
    assert _notifications(engine) == []
    assert "no supervisor" in caplog.text
    assert [d.case_id for d in cases_due(0, UnitOfWork(), TODAY)] == [case_id]


def test_concurrent_escalations_write_once(engine: Engine, cases: dict[str, str]) -> None:
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(escalate_overdue(UnitOfWork(), TODAY))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(case_id for result in results for case_id in result) == sorted(
        [cases["late4"], cases["late1"], cases["paused_late"]]
    )
    assert len(_notifications(engine)) == 3


def test_overdue_command(engine: Engine, cases: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from config.settings import get_settings

    monkeypatch.setenv("RONGJU_TODAY", TODAY.isoformat())
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps a wide table in a narrow terminal
    get_settings.cache_clear()
    runner = CliRunner()
    listed = runner.invoke(overdue_app, ["--within", "1", "--json"])
    assert listed.exit_code == 1, listed.output  # something is late
    records = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["case_id"], r["days_left"], r["escalated"]) for r in records][:2] == [
        (cases["late4"], -4, False),
        (cases["paused_late"], -2, False),
    ]
    escalated = runner.invoke(overdue_app, ["--within", "0", "--escalate", "--json"])
    records = [json.loads(line) for line in escalated.stdout.splitlines()]
    assert all(r["escalated"] and r["escalated_now"] for r in records) and len(records) == 3
    table = runner.invoke(overdue_app, ["--within", "0"])
    assert cases["late4"] in table.stdout and "超期 4 天" in table.stdout
    assert len(_notifications(engine)) == 3
