"""The repositories on the unit of work (storage/repositories.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from factories import make_package
from sqlalchemy import Engine

from models.package import DocumentKind
from models.tables import Document, ReviewerCodeFailure, ReviewLock
from services.intake import submit_folder
from storage.db import UnitOfWork


def test_current_documents_leave_out_superseded_ones_and_keep_upload_order(
    engine: Engine, tmp_path: Path
) -> None:
    case_id = submit_folder(make_package(tmp_path / "a"), UnitOfWork()).case_id
    other_case = submit_folder(
        make_package(tmp_path / "b", id_number="110101199003076519"), UnitOfWork()
    ).case_id
    with UnitOfWork(engine) as uow:
        uploaded = uow.documents.current(case_id)
        first_front = next(d for d in uploaded if d.kind == DocumentKind.ID_FRONT.value)
        # A correction: the first front is superseded by a new one.
        first_front.superseded = True
        new_front = Document(
            case_id=case_id,
            kind=DocumentKind.ID_FRONT.value,
            original_name="id_front.jpg",
            content_hash="0" * 64,
            sniffed_type="image/jpeg",
            size_bytes=1,
        )
        uow.add(first_front, new_front)
        uow.commit()
    with UnitOfWork(engine) as uow:
        current = uow.documents.current(case_id)
        fronts = uow.documents.current(case_id, DocumentKind.ID_FRONT)
        assert [d.id for d in current] == sorted(d.id for d in current if d.id is not None)
        assert first_front.id not in {d.id for d in current} and new_front.id in {d.id for d in current}
        assert [d.id for d in fronts] == [new_front.id]
        assert len(current) == len(uploaded)
        assert uow.documents.get(case_id, new_front.id or 0) is not None
        assert uow.documents.get(case_id, first_front.id or 0) is None  # superseded
        assert uow.documents.get(other_case, new_front.id or 0) is None  # another case's


def test_review_failures_are_counted_in_their_window_and_locks_hold_for_their_subject(
    engine: Engine, tmp_path: Path
) -> None:
    case_id = submit_folder(make_package(tmp_path / "a"), UnitOfWork(engine)).case_id
    other_case = submit_folder(
        make_package(tmp_path / "b", id_number="110101199003076519"), UnitOfWork(engine)
    ).case_id
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    since = now - timedelta(minutes=15)
    with UnitOfWork(engine) as uow:
        uow.add(
            ReviewerCodeFailure(reviewer_id="r-1", case_id=case_id, at=since),  # the window's start: out
            ReviewerCodeFailure(reviewer_id="r-1", case_id=case_id, at=since + timedelta(seconds=1)),
            ReviewerCodeFailure(reviewer_id="r-1", case_id=other_case, at=now),  # the moment: in
            ReviewerCodeFailure(reviewer_id="r-2", case_id=case_id, at=now),
            ReviewerCodeFailure(reviewer_id="r-1", case_id=case_id, at=now + timedelta(seconds=1)),  # later
            ReviewLock(key="k-case", case_id=other_case, locked_at=now, until=now + timedelta(minutes=5)),
            ReviewLock(
                key="k-r1",
                reviewer_id="r-1",
                case_id=case_id,
                locked_at=now,
                until=now + timedelta(minutes=9),
            ),
        )
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.reviews.failures_since(since, now, reviewer_id="r-1") == 2
        assert uow.reviews.failures_since(since, now, case_id=case_id) == 2
        assert uow.reviews.failures_since(since, now) == 3
        assert uow.reviews.lock_taken("k-r1") and not uow.reviews.lock_taken("k-none")
        # r-1 is locked on every case; the case-wide lock holds for anyone on its case only.
        lock = uow.reviews.active_lock("r-1", other_case, now)
        assert lock is not None and lock.key == "k-r1"  # the longer of the two that hold
        case_lock = uow.reviews.active_lock("r-2", other_case, now)
        assert case_lock is not None and case_lock.key == "k-case"
        assert uow.reviews.active_lock("r-2", case_id, now) is None
        assert uow.reviews.active_lock("r-1", case_id, now - timedelta(seconds=1)) is None  # not yet
        assert uow.reviews.active_lock("r-1", case_id, now + timedelta(minutes=9)) is None  # over


def test_counters_count_from_one_per_name_and_a_bump_rolls_back_with_its_transaction(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        assert [uow.counters.bump("waybill"), uow.counters.bump("waybill")] == [1, 2]
        assert uow.counters.bump("card:B:2026") == 1  # created on first use, its own sequence
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.counters.bump("waybill") == 3
        # not committed: the transaction that numbered something and failed gives its number back
    with UnitOfWork(engine) as uow:
        assert uow.counters.bump("waybill") == 3


def test_an_effect_is_owed_once_claimed_by_one_writer_and_finished_only_by_its_owner(
    engine: Engine, tmp_path: Path
) -> None:
    from storage.repositories.effects import effect_key

    case_id = submit_folder(make_package(tmp_path / "a"), UnitOfWork()).case_id
    key = effect_key("print_card", case_id, 1)
    later = datetime.now(UTC) + timedelta(minutes=2)
    with UnitOfWork(engine) as uow:
        uow.effects.ensure(case_id, 1, "print_card", payload={"card_no": "1"})
        uow.effects.ensure(case_id, 1, "card_fee", state="done", payload={"amount_yuan": 20})
        uow.commit()
    with UnitOfWork(engine) as uow:
        uow.effects.ensure(case_id, 1, "print_card", payload={"card_no": "2"})  # owed already: unchanged
        uow.commit()
        read = uow.effects.find(key)
        assert read is not None and read.state == "pending" and read.payload == {"card_no": "1"}
        assert uow.effects.states(case_id, 1, ["print_card", "card_fee", "mail_label"]) == {
            "print_card": "pending",
            "card_fee": "done",
        }
        assert [e.key for e in uow.effects.unfinished(["print_card", "mail_label"])] == [key]
    with UnitOfWork(engine) as uow:
        assert uow.effects.claim(read, "host:1:a", later)
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert not uow.effects.claim(read, "host:2:b", later)  # read as pending: someone claimed it since
        assert not uow.effects.finish(key, "host:2:b")  # not its owner
        assert not uow.effects.done(key)
        assert uow.effects.finish(key, "host:1:a")
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.effects.done(key)
        assert uow.effects.unfinished(["print_card", "mail_label"]) == []
