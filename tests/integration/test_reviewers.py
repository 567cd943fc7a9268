"""Reviewer authentication and the review audit trail on the real case DB (SQLite and PostgreSQL):
secrets (demo roster vs enrolled), enrolment and revocation, the guessing lockout."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
import yaml
from factories import make_package
from sqlalchemy import Engine, delete
from sqlmodel import Session, select
from typer.testing import CliRunner

from config.city import load_city
from config.settings import get_settings
from models.review import ReviewChoice, ValidatedDecision
from models.tables import (
    Case,
    Notification,
    Review,
    ReviewerCodeFailure,
    ReviewerCodeUse,
    ReviewLock,
    ReviewSession,
)
from services.intake import submit_folder
from services.review_sessions import session_of, sign_in
from services.reviewers import (
    REPO_ROOT,
    ReviewerSecretsError,
    authenticate_decision,
    check_reviewer_secrets,
    current_code,
    process_review_input,
    record_review,
)
from storage.db import UnitOfWork

STATION = "wuhou-jitou"
BUREAU = "成都市公安局武侯区分局"
REVIEWER = "r-wuhou-jitou-1"
OTHER_STATION_REVIEWER = "r-wuhou-cuqiao-1"
SUPERVISOR = "s-wuhou"
OTHER_SUPERVISOR = "s-jinjiang"
AT = datetime(2026, 11, 27, 2, 0, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most tests here use the roster's demo secrets; `production` turns demo mode off again."""
    monkeypatch.setenv("RONGJU_DEMO", "1")
    get_settings.cache_clear()


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Outside demo mode, with a secrets file path (not yet created) outside the repository."""
    monkeypatch.delenv("RONGJU_DEMO", raising=False)
    path = tmp_path / "secrets" / "reviewers.yaml"
    monkeypatch.setenv("RONGJU_REVIEWER_SECRETS", str(path))
    get_settings.cache_clear()
    return path


@pytest.fixture
def case_id(engine: Engine, tmp_path: Path) -> str:
    """A real case from intake, routed to wuhou-jitou (武侯区分局)."""
    # The conftest's PostgreSQL cleanup predates reviewer_code_use: start each test without spent codes.
    # (reviewer_code_failure and review_lock reference the case, so its TRUNCATE … CASCADE empties them.)
    with engine.begin() as connection:
        connection.execute(delete(ReviewerCodeUse))
    result = submit_folder(make_package(tmp_path / "pkg"), UnitOfWork())
    with UnitOfWork() as uow:
        case = uow.session.get(Case, result.case_id)
        assert case is not None
        case.station_id, case.bureau = STATION, BUREAU
        uow.add(case)
        uow.commit()
    return result.case_id


def code(reviewer_id: str, at: datetime = AT) -> str:
    return current_code(reviewer_id, at)


def reviews(engine: Engine, case_id: str) -> list[Review]:
    with Session(engine) as session:
        return list(session.exec(select(Review).where(Review.case_id == case_id).order_by(Review.id)).all())


def form(reviewer_id: str, one_time_code: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "decision": ReviewChoice.APPROVE.form_option,
        "reason_codes": [],
        "comment": "",
        "reviewer_id": reviewer_id,
        "one_time_code": one_time_code,
    }
    return data | overrides


# --- authenticate_decision ------------------------------------------------------------------------


@pytest.mark.parametrize("reviewer_id", [REVIEWER, SUPERVISOR])
def test_the_station_reviewer_and_the_bureau_supervisor_are_accepted(
    engine: Engine, case_id: str, reviewer_id: str
) -> None:
    result = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=reviewer_id, one_time_code=code(reviewer_id), at=AT
    )
    assert result.accepted and result.reviewer is not None and result.reviewer.id == reviewer_id
    assert result.refusal is None
    with Session(engine) as session:
        spent = session.exec(select(ReviewerCodeUse).where(ReviewerCodeUse.reviewer_id == reviewer_id)).all()
    assert [(s.case_id, s.time_step) for s in spent] == [(case_id, int(AT.timestamp()) // 30)]


@pytest.mark.parametrize(
    ("reviewer_id", "one_time_code", "expected_en"),
    [
        (OTHER_STATION_REVIEWER, None, "not a reviewer of this case's station"),
        (OTHER_SUPERVISOR, None, "do not supervise this case's bureau"),
        ("r-nobody-1", "123456", "not on the roster"),
        (REVIEWER, "wrong", "wrong or expired"),
        (REVIEWER, "x", "wrong or expired"),
    ],
)
def test_outsiders_and_wrong_codes_are_refused(
    engine: Engine, case_id: str, reviewer_id: str, one_time_code: str | None, expected_en: str
) -> None:
    carries_a_valid_code = one_time_code is None
    if one_time_code is None:
        one_time_code = code(reviewer_id)
    elif one_time_code == "wrong":
        right = code(reviewer_id)
        one_time_code = f"{(int(right) + 1) % 1_000_000:06d}"
    result = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=reviewer_id, one_time_code=one_time_code, at=AT
    )
    assert not result.accepted
    assert result.refusal_en is not None and expected_en in result.refusal_en
    assert result.refusal_zh and any("\u4e00" <= c <= "\u9fff" for c in result.refusal_zh)
    with Session(engine) as session:
        spent = session.exec(select(ReviewerCodeUse)).all()
    # A code that matches is spent even when the attempt is refused (another station or bureau).
    assert len(spent) == (1 if carries_a_valid_code else 0)


def test_a_code_is_accepted_once(case_id: str) -> None:
    one_time_code = code(REVIEWER)
    first = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=one_time_code, at=AT
    )
    second = authenticate_decision(
        UnitOfWork(),
        case_id=case_id,
        reviewer_id=REVIEWER,
        one_time_code=one_time_code,
        at=AT + timedelta(seconds=5),
    )
    assert first.accepted and not second.accepted
    assert second.refusal_en is not None and "already used" in second.refusal_en


def test_a_code_from_the_previous_step_is_accepted_once_and_two_steps_back_never(case_id: str) -> None:
    previous = code(REVIEWER, AT - timedelta(seconds=30))
    assert previous != code(REVIEWER)
    first = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=previous, at=AT
    )
    assert first.accepted and first.time_step == int(AT.timestamp()) // 30 - 1
    again = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=previous, at=AT
    )
    assert not again.accepted and again.refusal_en is not None and "already used" in again.refusal_en
    # The current step's code is another code and still good.
    assert authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=code(REVIEWER), at=AT
    ).accepted
    stale = code(REVIEWER, AT - timedelta(seconds=60))
    late = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=stale, at=AT
    )
    assert not late.accepted and late.refusal_en is not None and "expired" in late.refusal_en


def test_a_case_without_a_station_cannot_be_decided(case_id: str) -> None:
    with UnitOfWork() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        case.station_id, case.bureau = None, None
        uow.add(case)
        uow.commit()
    result = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=SUPERVISOR, one_time_code=code(SUPERVISOR), at=AT
    )
    assert not result.accepted and result.refusal_en == "The case has no station yet"


def test_two_submissions_racing_with_one_code_accept_exactly_one(case_id: str) -> None:
    one_time_code = code(REVIEWER)
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def submit() -> None:
        barrier.wait()
        result = authenticate_decision(
            UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=one_time_code, at=AT
        )
        results.append(result.accepted)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [False, False, False, True]


# --- process_review_input: the audit trail ------------------------------------------------------


@pytest.mark.parametrize(
    ("reviewer_id", "code_for", "expected_en"),
    [
        (OTHER_STATION_REVIEWER, OTHER_STATION_REVIEWER, "not a reviewer of this case's station"),
        (OTHER_SUPERVISOR, OTHER_SUPERVISOR, "do not supervise this case's bureau"),
        ("r-nobody-1", REVIEWER, "not on the roster"),
        (REVIEWER, SUPERVISOR, "wrong or expired"),  # somebody else's code
    ],
)
def test_every_refusal_leaves_a_bilingual_audit_row(
    engine: Engine, case_id: str, reviewer_id: str, code_for: str, expected_en: str
) -> None:
    attempt = process_review_input(
        UnitOfWork(), case_id=case_id, raw=form(reviewer_id, code(code_for)), key="run-1:1", at=AT
    )
    assert not attempt.accepted and attempt.decision is None
    [row] = reviews(engine, case_id)
    assert row.accepted is False and row.reviewer_id == reviewer_id and row.decision == "approve"
    assert row.refusal is not None and expected_en in row.refusal
    zh, en = row.refusal.split(" / ", 1)
    assert any("\u4e00" <= c <= "\u9fff" for c in zh) and expected_en in en
    assert attempt.refusal == row.refusal


def test_an_accepted_decision_and_a_reused_code(engine: Engine, case_id: str) -> None:
    one_time_code = code(REVIEWER)
    raw = form(
        REVIEWER, one_time_code, decision="不予办理 reject", reason_codes=["LOCAL_HUKOU"], comment="核实"
    )
    accepted = process_review_input(UnitOfWork(), case_id=case_id, raw=raw, key="run-1:1", at=AT)
    assert accepted.accepted and accepted.decision is not None
    assert accepted.decision.choice is ReviewChoice.REJECT
    reused = process_review_input(
        UnitOfWork(), case_id=case_id, raw=raw, key="run-1:2", at=AT + timedelta(seconds=3)
    )
    assert not reused.accepted and reused.refusal_en is not None and "already used" in reused.refusal_en
    first, second = reviews(engine, case_id)
    assert (first.accepted, first.decision, first.reason_codes, first.comment) == (
        True,
        "reject",
        ["LOCAL_HUKOU"],
        "核实",
    )
    assert (second.accepted, second.refusal) == (False, reused.refusal)
    for row in (first, second):
        assert one_time_code not in json.dumps(row.model_dump(mode="json"), ensure_ascii=False)


def test_the_same_submission_replayed_is_judged_once(engine: Engine, case_id: str) -> None:
    """After a resume the flow re-runs from the top and is handed the same form again."""
    raw = form(REVIEWER, code(REVIEWER))
    first = process_review_input(UnitOfWork(), case_id=case_id, raw=raw, key="run-1:1", at=AT)
    replay = process_review_input(
        UnitOfWork(), case_id=case_id, raw=raw, key="run-1:1", at=AT + timedelta(minutes=10)
    )
    assert first.accepted and replay.accepted and replay.replayed and not first.replayed
    assert replay.decision == first.decision
    assert len(reviews(engine, case_id)) == 1


def test_the_case_changes_in_the_same_transaction_as_the_accepted_review(
    engine: Engine, case_id: str
) -> None:
    def advance(uow: UnitOfWork, case: Case, decision: ValidatedDecision) -> None:
        case.outcome = f"reviewed:{decision.choice.value}"
        uow.add(case)

    def explode(uow: UnitOfWork, case: Case, decision: ValidatedDecision) -> None:
        case.outcome = "half-done"
        uow.add(case)
        raise RuntimeError("crash while applying the decision")

    raw = form(REVIEWER, code(REVIEWER))
    with pytest.raises(RuntimeError):
        process_review_input(UnitOfWork(), case_id=case_id, raw=raw, key="run-1:1", at=AT, on_accept=explode)
    # Nothing was saved: no review row, the code is not spent, the case is unchanged.
    assert reviews(engine, case_id) == []
    attempt = process_review_input(
        UnitOfWork(), case_id=case_id, raw=raw, key="run-1:1", at=AT, on_accept=advance
    )
    assert attempt.accepted
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.outcome == "reviewed:approve"
    assert [r.accepted for r in reviews(engine, case_id)] == [True]


def test_a_refused_form_spends_its_code_and_lists_every_error(engine: Engine, case_id: str) -> None:
    one_time_code = code(REVIEWER)
    raw = form(REVIEWER, one_time_code, decision="要求补正 request_correction", comment="电话 13812345678")
    refused = process_review_input(UnitOfWork(), case_id=case_id, raw=raw, key="run-1:1", at=AT)
    assert not refused.accepted and len(refused.errors) == 2
    assert refused.refusal is not None and "reason code" in refused.refusal and "phone" in refused.refusal
    fixed = form(
        REVIEWER, one_time_code, decision="要求补正 request_correction", reason_codes=["IMAGE_TOO_BLURRY"]
    )
    again = process_review_input(UnitOfWork(), case_id=case_id, raw=fixed, key="run-1:2", at=AT)
    assert not again.accepted and again.refusal_en is not None and "already used" in again.refusal_en
    next_code = code(REVIEWER, AT + timedelta(seconds=30))
    later = AT + timedelta(seconds=31)
    fixed = form(
        REVIEWER, next_code, decision="要求补正 request_correction", reason_codes=["IMAGE_TOO_BLURRY"]
    )
    assert process_review_input(UnitOfWork(), case_id=case_id, raw=fixed, key="run-1:3", at=later).accepted
    assert [r.accepted for r in reviews(engine, case_id)] == [False, False, True]


def test_record_review_keeps_raw_refused_input_without_the_code(engine: Engine, case_id: str) -> None:
    raw = {"decision": "maybe", "reason_codes": ["NOPE"], "reviewer_id": "r-x", "one_time_code": "654321"}
    record_review(
        case_id,
        raw,
        accepted=False,
        refusal="审核决定无效 / The decision is not one of the options",
        uow=UnitOfWork(),
    )
    [row] = reviews(engine, case_id)
    assert (row.decision, row.reason_codes, row.reviewer_id, row.accepted) == (
        "maybe",
        ["NOPE"],
        "r-x",
        False,
    )
    assert "654321" not in json.dumps(row.model_dump(mode="json"))


def test_unknown_case_is_an_error(case_id: str) -> None:
    with pytest.raises(KeyError):
        authenticate_decision(
            UnitOfWork(), case_id="RJ-NOPE", reviewer_id=REVIEWER, one_time_code="123456", at=AT
        )


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_code_prints_the_current_code() -> None:
    from cli.reviewers import app

    before = current_code(REVIEWER)
    result = CliRunner().invoke(app, ["code", REVIEWER, "--json"])
    after = current_code(REVIEWER)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["code"] in (before, after) and 1 <= printed["seconds_left"] <= 30
    assert CliRunner().invoke(app, ["code", "r-nobody-1"]).exit_code == 1


def test_cli_list_filters_by_station() -> None:
    from cli.reviewers import app

    result = CliRunner().invoke(app, ["list", "--station", STATION, "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {r["id"] for r in rows} == {"r-wuhou-jitou-1", "r-wuhou-jitou-2", SUPERVISOR}
    assert all("totp" not in json.dumps(r) for r in rows)


# --- secrets outside demo mode ------------------------------------------------------------------


def _write_secrets(path: Path, secrets: dict[str, str], mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(secrets), encoding="utf-8")
    path.chmod(mode)


def _demo_secret(reviewer_id: str) -> str:
    return load_city().reviewer(reviewer_id).totp_secret.get_secret_value()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_secrets_file_others_can_read_is_refused(production: Path, mode: int) -> None:
    _write_secrets(production, {REVIEWER: pyotp.random_base32()}, mode)
    with pytest.raises(ReviewerSecretsError, match="readable by others"):
        check_reviewer_secrets()
    production.chmod(0o600)
    assert check_reviewer_secrets() == 1


def test_a_secrets_file_inside_the_repository_is_refused(
    production: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RONGJU_REVIEWER_SECRETS", str(REPO_ROOT / "var" / "reviewer-secrets.yaml"))
    get_settings.cache_clear()
    with pytest.raises(ReviewerSecretsError, match="outside the repository"):
        check_reviewer_secrets()


def test_outside_demo_mode_demo_secrets_stop_every_code_check(
    production: Path, case_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_secrets(production, {REVIEWER: _demo_secret(REVIEWER)})
    with pytest.raises(ReviewerSecretsError, match="demo secret") as refused:
        check_reviewer_secrets()
    assert "演示密钥" in str(refused.value)
    demo_code = pyotp.TOTP(_demo_secret(REVIEWER)).at(AT)
    with pytest.raises(ReviewerSecretsError):
        authenticate_decision(
            UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=demo_code, at=AT
        )
    # The same through the environment, with a clean file.
    _write_secrets(production, {REVIEWER: pyotp.random_base32()})
    assert check_reviewer_secrets() == 1
    monkeypatch.setenv("RONGJU_REVIEWER_SECRET_S_WUHOU", _demo_secret(SUPERVISOR).lower())
    with pytest.raises(ReviewerSecretsError, match="demo secret"):
        check_reviewer_secrets()


def test_outside_demo_mode_the_roster_secret_no_longer_decides(production: Path, case_id: str) -> None:
    _write_secrets(production, {})
    demo_code = pyotp.TOTP(_demo_secret(REVIEWER)).at(AT)
    result = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=demo_code, at=AT
    )
    assert not result.accepted and result.refusal_en is not None and "not enrolled" in result.refusal_en


def test_a_secret_from_the_environment_decides(
    production: Path, case_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = pyotp.random_base32()
    monkeypatch.setenv("RONGJU_REVIEWER_SECRET_R_WUHOU_JITOU_1", secret)
    result = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=pyotp.TOTP(secret).at(AT), at=AT
    )
    assert result.accepted


def test_enrol_then_rotate_then_revoke(production: Path, case_id: str, tmp_path: Path) -> None:
    from cli.reviewers import app

    png = tmp_path / "qr" / "enrol.png"
    enrolled = CliRunner().invoke(app, ["enrol", REVIEWER, "--png", str(png)])
    assert enrolled.exit_code == 0, enrolled.output
    assert stat.S_IMODE(production.stat().st_mode) == 0o600
    assert stat.S_IMODE(png.stat().st_mode) == 0o600 and png.read_bytes().startswith(b"\x89PNG")
    [uri] = [line for line in enrolled.output.splitlines() if line.startswith("otpauth://")]
    totp = pyotp.parse_uri(uri)
    assert isinstance(totp, pyotp.TOTP) and totp.issuer == "蓉居 rongju" and totp.name == REVIEWER
    assert totp.verify(totp.now())
    assert yaml.safe_load(production.read_text(encoding="utf-8")) == {REVIEWER: totp.secret}
    assert authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=totp.at(AT), at=AT
    ).accepted

    # Enrolling again rotates: the old secret stops working, the new one works.
    again = CliRunner().invoke(app, ["enrol", REVIEWER, "--png", str(png)])
    assert again.exit_code == 0, again.output
    [new_uri] = [line for line in again.output.splitlines() if line.startswith("otpauth://")]
    rotated = pyotp.parse_uri(new_uri)
    later = AT + timedelta(minutes=1)
    old = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=totp.at(later), at=later
    )
    assert not old.accepted
    later = AT + timedelta(minutes=2)
    assert authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=rotated.at(later), at=later
    ).accepted

    # Signed in to the review pages with the rotated secret: revoking ends that session too.
    later = AT + timedelta(minutes=2, seconds=30)
    signed_in = sign_in(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=rotated.at(later), at=later
    )
    assert signed_in.accepted and session_of(signed_in.cookie, UnitOfWork(), at=later) is not None
    revoked = CliRunner().invoke(app, ["revoke", REVIEWER])
    assert revoked.exit_code == 0, revoked.output
    assert "ended 0 " not in revoked.output and "review-page session(s)" in revoked.output
    with UnitOfWork() as uow:
        sessions = list(uow.session.exec(select(ReviewSession).where(ReviewSession.reviewer_id == REVIEWER)))
    assert sessions and all(session.revoked_at is not None for session in sessions)
    later = AT + timedelta(minutes=3)
    refused = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=rotated.at(later), at=later
    )
    assert not refused.accepted and refused.refusal_en is not None and "not enrolled" in refused.refusal_en
    assert stat.S_IMODE(production.stat().st_mode) == 0o600


def test_enrol_refuses_a_secrets_file_in_the_repository(
    production: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.reviewers import app

    inside = REPO_ROOT / "var" / "enrol-test-secrets.yaml"
    monkeypatch.setenv("RONGJU_REVIEWER_SECRETS", str(inside))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["enrol", REVIEWER])
    assert result.exit_code == 1 and not inside.exists()


def test_cli_code_is_refused_outside_demo_mode(production: Path) -> None:
    from cli.reviewers import app

    result = CliRunner().invoke(app, ["code", REVIEWER, "--json"])
    assert result.exit_code == 1
    assert "demo mode only" in result.output and not any(ch.isdigit() for ch in result.stdout)


# --- guessing -----------------------------------------------------------------------------------


def _wrong(reviewer_id: str, at: datetime) -> str:
    return f"{(int(code(reviewer_id, at)) + 500_000) % 1_000_000:06d}"


def _notices(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).where(Notification.channel == "staff")).all())


def test_five_wrong_codes_lock_the_reviewer_for_fifteen_minutes(engine: Engine, case_id: str) -> None:
    for i in range(5):
        at = AT + timedelta(seconds=40 * i)
        attempt = process_review_input(
            UnitOfWork(), case_id=case_id, raw=form(REVIEWER, _wrong(REVIEWER, at)), key=f"g:{i}", at=at
        )
        assert not attempt.accepted and attempt.refusal_en is not None and "wrong" in attempt.refusal_en
    last = AT + timedelta(seconds=160)

    # The 6th attempt is refused even with the right code (and the code is spent).
    sixth_at = last + timedelta(seconds=40)
    right = code(REVIEWER, sixth_at)
    sixth = process_review_input(
        UnitOfWork(), case_id=case_id, raw=form(REVIEWER, right), key="g:6", at=sixth_at
    )
    assert not sixth.accepted and sixth.refusal_en is not None and "locked until" in sixth.refusal_en
    assert "锁定" in (sixth.refusal_zh or "")
    # More wrong codes while locked: still one lock, one notice.
    process_review_input(
        UnitOfWork(), case_id=case_id, raw=form(REVIEWER, _wrong(REVIEWER, sixth_at)), key="g:7", at=sixth_at
    )

    with Session(engine) as session:
        locks = session.exec(select(ReviewLock)).all()
        failures = session.exec(select(ReviewerCodeFailure)).all()
    assert [(lock.reviewer_id, lock.case_id) for lock in locks] == [(REVIEWER, case_id)]
    assert len(failures) == 5 and {f.reviewer_id for f in failures} == {REVIEWER}
    [notice] = _notices(engine)
    assert notice.recipient == SUPERVISOR and notice.key.startswith(f"review-lock:reviewer:{REVIEWER}:")
    assert REVIEWER in notice.body and "锁定" in notice.body and right not in notice.body
    rows = reviews(engine, case_id)
    # Audit: every refused attempt (5 failures, the locked 6th and 7th) and the lock itself.
    assert [r.decision for r in rows].count("locked") == 1
    assert sum(1 for r in rows if r.refusal and "wrong or expired" in r.refusal) == 5
    assert not any(r.accepted for r in rows)

    # The other reviewer of the station is not locked out of this case.
    colleague = "r-wuhou-jitou-2"
    assert authenticate_decision(
        UnitOfWork(),
        case_id=case_id,
        reviewer_id=colleague,
        one_time_code=code(colleague, sixth_at),
        at=sixth_at,
    ).accepted

    # Still locked just before the 15 minutes end; free after.
    almost = last + timedelta(minutes=15) - timedelta(seconds=5)
    assert not authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=code(REVIEWER, almost), at=almost
    ).accepted
    after = last + timedelta(minutes=15, seconds=30)
    assert authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=code(REVIEWER, after), at=after
    ).accepted
    assert len(_notices(engine)) == 1


def test_failures_outside_the_window_do_not_lock(case_id: str) -> None:
    for i in range(4):
        at = AT + timedelta(seconds=40 * i)
        authenticate_decision(
            UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=_wrong(REVIEWER, at), at=at
        )
    later = AT + timedelta(minutes=20)
    authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=_wrong(REVIEWER, later), at=later
    )
    right_at = later + timedelta(seconds=40)
    assert authenticate_decision(
        UnitOfWork(),
        case_id=case_id,
        reviewer_id=REVIEWER,
        one_time_code=code(REVIEWER, right_at),
        at=right_at,
    ).accepted


def test_guessing_with_many_ids_locks_the_case(engine: Engine, case_id: str) -> None:
    for i in range(5):
        at = AT + timedelta(seconds=i)
        result = authenticate_decision(
            UnitOfWork(), case_id=case_id, reviewer_id=f"r-guess-{i}", one_time_code="123456", at=at
        )
        assert not result.accepted
    at = AT + timedelta(seconds=40)
    locked = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=REVIEWER, one_time_code=code(REVIEWER, at), at=at
    )
    assert not locked.accepted and locked.refusal_en is not None and "locked until" in locked.refusal_en
    [notice] = _notices(engine)
    assert notice.recipient == SUPERVISOR and notice.key.startswith(f"review-lock:case:{case_id}:")


def test_a_code_refused_for_the_station_cannot_be_used_again(case_id: str) -> None:
    other = OTHER_STATION_REVIEWER
    carried = code(other)
    refused = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=other, one_time_code=carried, at=AT
    )
    assert not refused.accepted and refused.refusal_en is not None and "station" in refused.refusal_en
    # The case moves to the other reviewer's station: the code seen in the refused form is spent.
    with UnitOfWork() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        case.station_id = "wuhou-cuqiao"
        uow.add(case)
        uow.commit()
    reused = authenticate_decision(
        UnitOfWork(), case_id=case_id, reviewer_id=other, one_time_code=carried, at=AT + timedelta(seconds=5)
    )
    assert not reused.accepted and reused.refusal_en is not None and "already used" in reused.refusal_en


def test_cli_check_refuses_demo_secrets_outside_demo_mode(production: Path) -> None:
    from cli.reviewers import app

    _write_secrets(production, {REVIEWER: pyotp.random_base32()})
    assert CliRunner().invoke(app, ["check"]).exit_code == 0
    _write_secrets(production, {REVIEWER: _demo_secret(REVIEWER)})
    refused = CliRunner().invoke(app, ["check"])
    assert refused.exit_code == 1 and "demo secret" in refused.output


def test_the_stack_refuses_to_start_on_demo_secrets_outside_demo_mode(
    production: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rongju up` starts the worker that checks codes: it stops before starting anything."""
    import services.stack
    from cli.main import app

    started: list[object] = []
    monkeypatch.setattr(services.stack, "start_stack", lambda **kw: started.append(kw))
    _write_secrets(production, {REVIEWER: _demo_secret(REVIEWER)})
    refused = CliRunner().invoke(app, ["up", "--detach"])
    assert refused.exit_code == 1 and "demo secret" in refused.output and started == []


def test_the_api_does_not_start_on_demo_secrets_outside_demo_mode(production: Path) -> None:
    # The review pages check one-time codes (sign-in), so the API is such a process too.
    from fastapi.testclient import TestClient

    from api.app import create_app

    _write_secrets(production, {REVIEWER: _demo_secret(REVIEWER)})
    with pytest.raises(ReviewerSecretsError, match="demo secret"), TestClient(create_app()):
        pass
    _write_secrets(production, {REVIEWER: pyotp.random_base32()})
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
