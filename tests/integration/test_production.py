"""Card production and delivery on the real case DB (SQLite and PostgreSQL): numbers allocated once,
one spool entry per card, one waybill, one notice per status — through retries, races and a process
killed (SIGKILL) at every step boundary."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from factories import make_package
from sqlmodel import select

from config.city import load_city, load_policy
from config.settings import get_settings
from models.card import is_valid_s10
from models.checks.result import passed
from models.decision import decide
from models.routing import route_address
from models.status import CaseStatus
from models.tables import CardIssue, Counter, Delivery, Notification, SideEffect
from services import card_issue, card_spool, delivery, production, reconcile
from services.assessment import Assessment
from services.intake import submit_folder
from services.processing import read_case_state, record_assessment
from storage.db import UnitOfWork
from storage.spool import get_mail_room, get_print_spool

DAY = date(2026, 11, 27)
ADDRESS = "四川省成都市武侯区玉林街道玉林北路12号3栋2单元501"
MAIL_DELIVERY = {
    "method": "mail",
    "address": "四川省成都市锦江区春熙路1号",
    "recipient": "王小明",
    "phone": "13812345678",
}


def approved_case(tmp_path: Path, name: str = "pkg", **overrides: object) -> str:
    """A case approved by policy: 制证中, routed to 玉林派出所 of the Wuhou bureau."""
    case_id = submit_folder(make_package(tmp_path / name, **overrides), UnitOfWork()).case_id
    outcomes = [passed("id_number_valid", "通过。", "Passed.")]
    assessment = Assessment(
        case_id=case_id,
        routing=route_address(ADDRESS, load_city()),
        outcomes=outcomes,
        decision=decide(outcomes, load_policy()),
    )
    assert record_assessment(case_id, assessment, UnitOfWork(), on=DAY).status is CaseStatus.IN_PRODUCTION
    return case_id


def rows(table: type, case_id: str) -> list:  # type: ignore[type-arg]
    with UnitOfWork() as uow:
        return list(uow.session.exec(select(table).where(table.case_id == case_id)))  # type: ignore[attr-defined]


def notice_statuses(case_id: str) -> list[str]:
    return sorted(n.key.split(":")[2] for n in rows(Notification, case_id))


def run_to_the_end(case_id: str) -> None:
    """Drive the case as the flow does, answering the outside confirmations when asked."""
    for _ in range(12):
        step = production.next_step(case_id, UnitOfWork())
        if step is production.NextStep.ALLOCATE_CARD:
            card_issue.allocate_card(case_id, UnitOfWork(), on=DAY)
        elif step is production.NextStep.SPOOL_CARD:
            card_spool.spool_card(case_id, UnitOfWork())
        elif step is production.NextStep.AWAIT_PRODUCTION:
            card = card_issue.card_of(case_id, UnitOfWork())
            assert card is not None
            card_spool.confirm_cards_produced([card.card_no], UnitOfWork())
        elif step is production.NextStep.DISPATCH:
            delivery.dispatch_card(case_id, UnitOfWork(), on=DAY)
        elif step is production.NextStep.PRINT_LABEL:
            delivery.print_mail_label(case_id, UnitOfWork())
        elif step is production.NextStep.AWAIT_HANDOVER:
            sent = rows(Delivery, case_id)[0]
            if sent.method == "mail":
                delivery.confirm_delivered([sent.waybill_no], UnitOfWork())
            else:
                delivery.confirm_picked_up(case_id, sent.pickup_code, UnitOfWork())
        elif step is production.NextStep.COMPLETE:
            delivery.complete_case(case_id, UnitOfWork())
        else:
            return
    raise AssertionError("the case did not finish")


def test_card_number_and_face_are_fixed_once(engine: object, tmp_path: Path) -> None:
    case_id = approved_case(tmp_path)
    first = card_issue.allocate_card(case_id, UnitOfWork(), on=DAY)
    again = card_issue.allocate_card(case_id, UnitOfWork(), on=DAY)
    assert first == again
    assert first.card_no == "51010720260000001"  # Wuhou's code, the year, the first of its sequence
    issue = rows(CardIssue, case_id)[0]
    face = issue.face
    # Sex and birth date come from the ID number (511302199003154418: 1990-03-15, odd sequence).
    assert (face["sex"], face["birth_date"], face["name"]) == ("男", "1990-03-15", "王小明")
    assert face["issuing_authority"] == "成都市公安局武侯区分局" and face["valid_until"] == "2027-11-27"
    # The test ID card is a blank picture: what cannot be read is left empty, never invented.
    assert first.missing_fields == ("ethnicity", "hukou_address")
    # A free first application records no fee.
    assert [e.kind for e in rows(SideEffect, case_id)] == [card_issue.PRINT_CARD]


def test_a_reissue_records_its_fee_before_production(engine: object, tmp_path: Path) -> None:
    case_id = approved_case(tmp_path, business_type="reissue")
    card_issue.allocate_card(case_id, UnitOfWork(), on=DAY)
    fees = [e for e in rows(SideEffect, case_id) if e.kind == card_issue.CARD_FEE]
    assert len(fees) == 1 and fees[0].payload == {"amount_yuan": 20, "paid": True} and fees[0].state == "done"


def test_numbers_run_per_bureau_without_gaps_or_repeats_under_concurrency(
    engine: object, tmp_path: Path
) -> None:
    cases = [approved_case(tmp_path, f"pkg{i}") for i in range(6)]
    errors: list[BaseException] = []

    def allocate(case_id: str) -> None:
        try:
            card_issue.allocate_card(case_id, UnitOfWork(), on=DAY)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    # Two threads per case: six cards, each numbered once.
    threads = [threading.Thread(target=allocate, args=(c,)) for c in cases for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    numbers = sorted(rows(CardIssue, c)[0].card_no for c in cases)
    assert numbers == [f"5101072026{n:07d}" for n in range(1, 7)]
    with UnitOfWork() as uow:
        counter = uow.session.get(Counter, "card:成都市公安局武侯区分局:2026")
        assert counter is not None and counter.value == 6


def test_one_spool_entry_per_card_and_a_manifest(engine: object, tmp_path: Path) -> None:
    cases = [approved_case(tmp_path, f"pkg{i}") for i in range(2)]
    for case_id in cases:
        card_issue.allocate_card(case_id, UnitOfWork(), on=DAY)
    threads = [
        threading.Thread(target=card_spool.spool_card, args=(c, UnitOfWork()))
        for c in cases
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert card_spool.spool_card(cases[0], UnitOfWork()) is None  # done before: never handed over twice
    spool = get_print_spool()
    numbers = sorted(card_issue.card_of(c, UnitOfWork()).card_no for c in cases)  # type: ignore[union-attr]
    assert [p.stem for p in spool.cards()] == numbers
    manifest = spool.manifest_path(DAY).read_text(encoding="utf-8-sig").splitlines()
    assert (
        manifest[0].startswith("card_no,case_id") and [line.split(",")[0] for line in manifest[1:]] == numbers
    )
    assert all(spool.card_path(n).read_bytes().startswith(b"%PDF") for n in numbers)


def test_mail_path_one_waybill_one_label_one_notice_per_status(engine: object, tmp_path: Path) -> None:
    case_id = approved_case(
        tmp_path,
        delivery=MAIL_DELIVERY,
    )
    run_to_the_end(case_id)
    run_to_the_end(case_id)  # a replay of a finished case changes nothing

    assert read_case_state(case_id, UnitOfWork()).status is CaseStatus.DONE
    deliveries = rows(Delivery, case_id)
    assert len(deliveries) == 1 and is_valid_s10(deliveries[0].waybill_no)
    assert deliveries[0].waybill_no.startswith("EA") and deliveries[0].waybill_no.endswith("CN")
    mail_room = get_mail_room()
    assert [p.stem for p in mail_room.labels()] == [deliveries[0].waybill_no]
    manifest = mail_room.manifest_path(DAY).read_text(encoding="utf-8-sig").splitlines()
    assert len(manifest) == 2 and manifest[1].startswith(deliveries[0].waybill_no)
    assert notice_statuses(case_id) == ["done", "in_production", "mailed"]
    mailed = next(n for n in rows(Notification, case_id) if ":mailed:" in n.key)
    assert deliveries[0].waybill_no in mailed.body and "王**" in mailed.body and "王小明" not in mailed.body


def test_pickup_path_checks_the_code(engine: object, tmp_path: Path) -> None:
    case_id = approved_case(tmp_path)
    card = card_issue.allocate_card(case_id, UnitOfWork(), on=DAY)
    card_spool.spool_card(case_id, UnitOfWork())
    assert production.next_step(case_id, UnitOfWork()) is production.NextStep.AWAIT_PRODUCTION
    with pytest.raises(card_issue.ProductionError):
        delivery.dispatch_card(case_id, UnitOfWork(), on=DAY)  # not before the card centre confirms
    confirmation = card_spool.confirm_cards_produced([card.card_no, "NO-SUCH-CARD"], UnitOfWork())
    assert confirmation.confirmed == [case_id] and confirmation.unknown == ["NO-SUCH-CARD"]
    assert card_spool.confirm_cards_produced([card.card_no], UnitOfWork()).already == [case_id]
    assert delivery.dispatch_card(case_id, UnitOfWork(), on=DAY) is CaseStatus.AWAITING_PICKUP
    assert delivery.dispatch_card(case_id, UnitOfWork(), on=DAY) is CaseStatus.AWAITING_PICKUP  # once
    sent = rows(Delivery, case_id)[0]
    assert sent.pickup_code is not None and len(sent.pickup_code) == 6 and sent.pickup_code.isdigit()
    notice = next(n for n in rows(Notification, case_id) if ":awaiting_pickup:" in n.key)
    station = load_city().station("wuhou-yulin")
    assert sent.pickup_code in notice.body and station.address in notice.body and station.name in notice.body
    wrong = "000000" if sent.pickup_code != "000000" else "111111"
    with pytest.raises(delivery.PickupRefused):
        delivery.confirm_picked_up(case_id, wrong, UnitOfWork())
    assert production.next_step(case_id, UnitOfWork()) is production.NextStep.AWAIT_HANDOVER
    assert delivery.confirm_picked_up(case_id, sent.pickup_code, UnitOfWork()) is True
    assert delivery.confirm_picked_up(case_id, sent.pickup_code, UnitOfWork()) is False
    assert delivery.complete_case(case_id, UnitOfWork()) is CaseStatus.DONE
    assert notice_statuses(case_id) == ["awaiting_pickup", "done", "in_production"]


# A process killed (SIGKILL, no cleanup) at each step boundary, then the case carried on by another.
BOUNDARIES = [
    "spool_card:before_write",
    "spool_card:after_write",
    "spool_card:before_record",
    "dispatch_card:before_record",
    "print_label:before_write",
    "print_label:after_write",
]

_CHILD = """
import sys
sys.path[:0] = [{tests!r}, {tests_root!r}]
from test_production import run_to_the_end
run_to_the_end({case_id!r})
"""


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_process_killed_at_each_boundary_leaves_exactly_one_of_everything(
    engine: object, tmp_path: Path, boundary: str
) -> None:
    case_id = approved_case(
        tmp_path,
        delivery=MAIL_DELIVERY,
    )
    env = {**os.environ, "RONGJU_FAULT_KILL_AT": boundary, "RONGJU_TODAY": DAY.isoformat()}
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD.format(
                tests=str(Path(__file__).parent), tests_root=str(Path(__file__).parents[1]), case_id=case_id
            ),
        ],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert child.returncode == -9, child.stderr.decode()[-2000:]  # it really died at the boundary
    get_settings.cache_clear()
    run_to_the_end(case_id)  # the replay

    assert read_case_state(case_id, UnitOfWork()).status is CaseStatus.DONE
    card = card_issue.card_of(case_id, UnitOfWork())
    assert card is not None and len(rows(CardIssue, case_id)) == 1
    assert [p.stem for p in get_print_spool().cards()] == [card.card_no]
    deliveries = rows(Delivery, case_id)
    assert len(deliveries) == 1 and [p.stem for p in get_mail_room().labels()] == [deliveries[0].waybill_no]
    assert all(e.state == "done" for e in rows(SideEffect, case_id))
    assert notice_statuses(case_id) == ["done", "in_production", "mailed"]
    mailing = get_mail_room().manifest_path(DAY).read_text(encoding="utf-8-sig").splitlines()
    assert len(mailing) == 2


def test_reconcile_finishes_an_effect_a_dead_process_left_pending(engine: object, tmp_path: Path) -> None:
    from datetime import timedelta

    from typer.testing import CliRunner

    from cli.main import app

    case_id = approved_case(tmp_path)
    card_issue.allocate_card(case_id, UnitOfWork(), on=DAY)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from services.card_spool import spool_card; from storage.db import UnitOfWork; "
            f"spool_card({case_id!r}, UnitOfWork())",
        ],
        env={**os.environ, "RONGJU_FAULT_KILL_AT": "spool_card:after_write"},
        capture_output=True,
        timeout=300,
    )
    assert child.returncode == -9, child.stderr.decode()[-2000:]
    get_settings.cache_clear()
    # The file is there, the record not: the effect is still claimed by the dead process, whose lease
    # runs for minutes — but its owner is gone from this machine, so its claim has lapsed.
    [claimed] = rows(SideEffect, case_id)
    assert claimed.state == "writing" and claimed.owner is not None and claimed.lease_until is not None
    fresh = approved_case(tmp_path, "fresh")
    # Pending and unclaimed since just now: a live run's.
    card_issue.allocate_card(fresh, UnitOfWork(), on=DAY)
    finished = reconcile.reconcile_pending(UnitOfWork(), older_than=timedelta(hours=1))
    assert [(r.case_id, r.result.startswith("已补做 finished")) for r in finished] == [(case_id, True)]
    assert [e.state for e in rows(SideEffect, fresh)] == ["pending"]  # too fresh: left alone
    card = card_issue.card_of(case_id, UnitOfWork())
    assert card is not None and card.spooled
    assert [p.stem for p in get_print_spool().cards()] == [card.card_no]
    assert [e.state for e in rows(SideEffect, case_id)] == ["done"]
    assert production.next_step(case_id, UnitOfWork()) is production.NextStep.AWAIT_PRODUCTION
    again = CliRunner().invoke(app, ["reconcile", "--older-than", "0"])
    assert again.exit_code == 0 and case_id not in again.output
    assert fresh in again.output and "已补做 finished" in again.output  # pending for over 0 minutes


def test_the_card_centre_inbox_and_the_confirmation_commands(engine: object, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    runner = CliRunner()
    case_id = approved_case(
        tmp_path,
        delivery=MAIL_DELIVERY,
    )
    card = card_issue.allocate_card(case_id, UnitOfWork(), on=DAY)
    card_spool.spool_card(case_id, UnitOfWork())
    inbox = get_settings().print_inbox
    assert inbox is not None
    inbox.mkdir(parents=True)
    (inbox / "returned-1.csv").write_text(f"card_no,status\n{card.card_no},ok\n", encoding="utf-8")
    (inbox / "garbled.csv").write_text("no header we know\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["card-produced", "--inbox"])
    assert result.exit_code == 0, result.output
    assert f"{case_id}: 制证完成" in result.output and "garbled.csv" in result.output
    assert (inbox / "processed" / "returned-1.csv").exists() and (inbox / "garbled.csv").exists()
    assert production.next_step(case_id, UnitOfWork()) is production.NextStep.DISPATCH
    again = runner.invoke(app, ["card-produced", card.card_no, "NO-SUCH-CARD"])
    assert again.exit_code == 1 and "此前已确认" in again.output and "NO-SUCH-CARD" in again.output

    delivery.dispatch_card(case_id, UnitOfWork(), on=DAY)
    delivery.print_mail_label(case_id, UnitOfWork())
    waybill = rows(Delivery, case_id)[0].waybill_no
    delivered = runner.invoke(app, ["delivered", waybill.lower()])  # as typed at a counter
    assert delivered.exit_code == 0 and f"{case_id}: 已送达" in delivered.output
    assert production.next_step(case_id, UnitOfWork()) is production.NextStep.COMPLETE
    status = runner.invoke(app, ["status", case_id, "--json"])
    assert status.exit_code == 0
    import json

    shown = json.loads(status.output.splitlines()[-1])
    assert shown["card"]["card_no"] == card.card_no and shown["card"]["waybill_no"] == waybill
    assert "pickup_code" not in shown["card"]


def test_a_run_and_reconcile_racing_on_one_card_write_it_once(
    engine: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    import printing.card
    import storage.spool

    case_id = approved_case(tmp_path)
    card = card_issue.allocate_card(case_id, UnitOfWork(), on=DAY)
    # Both have read the effect as pending and rendered the PDF before either claims it.
    barrier = threading.Barrier(2, timeout=60)
    render = printing.card.render_card_pdf

    def render_then_meet(*args: object, **kwargs: object) -> bytes:
        pdf = render(*args, **kwargs)  # type: ignore[arg-type]
        barrier.wait()
        return pdf

    writes: list[str] = []
    atomic_write = storage.spool.atomic_write

    def counted(path: Path, data: bytes) -> None:
        if path.suffix == ".pdf":
            writes.append(path.name)
        atomic_write(path, data)

    monkeypatch.setattr(printing.card, "render_card_pdf", render_then_meet)
    monkeypatch.setattr(storage.spool, "atomic_write", counted)
    errors: list[BaseException] = []

    def run(step: object) -> None:
        try:
            step()  # type: ignore[operator]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(lambda: card_spool.spool_card(case_id, UnitOfWork()),)),
        threading.Thread(
            target=run, args=(lambda: reconcile.reconcile_pending(UnitOfWork(), older_than=timedelta(0)),)
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert writes == [f"{card.card_no}.pdf"]  # one write, not merely one file
    assert [e.state for e in rows(SideEffect, case_id)] == ["done"]
    assert [p.stem for p in get_print_spool().cards()] == [card.card_no]
    manifest = get_print_spool().manifest_path(DAY).read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in manifest[1:]] == [card.card_no]


def test_a_stored_reading_that_cannot_be_used_leaves_the_fields_to_the_card_centre(
    engine: object, tmp_path: Path
) -> None:
    from models.package import DocumentKind

    case_id = approved_case(tmp_path)
    with UnitOfWork() as uow:
        front = uow.documents.current(case_id, DocumentKind.ID_FRONT)[-1]
        # A reading in a shape this version does not know (an older reader's, a damaged row).
        uow.documents.record_readout(
            front, section="id_front", facts={"name": "王小明"}, card_fields={"ethnicity": "汉"}, problems=[]
        )
        uow.commit()
    card = card_issue.allocate_card(case_id, UnitOfWork(), on=DAY)
    assert card.missing_fields == ("ethnicity", "hukou_address")  # never guessed, never a crash
