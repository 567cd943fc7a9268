"""Who may decide a case, and the audit of every review submission (DESIGN.md §5).

Prefect's open-source server has no users, so rongju authenticates a review itself: the reviewer id
must be on the roster (config/city/reviewers.yaml), the reviewer must belong to the case's station —
or supervise its 分局 — and the one-time code (TOTP, RFC 6238, 30-s steps, one step of clock drift
either way) must be valid and not used before. "Used" is per reviewer and time step, enforced by the
UNIQUE(reviewer_id, time_step) of reviewer_code_use: a valid code is spent by the submission that
carries it, even if the form is then refused, because the form (code included) is stored in the
Prefect database where others can read it.

Every submission, accepted or refused, leaves a `review` row. Codes and TOTP secrets are never
logged, stored or put in a message.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyotp
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from config.city import City, Reviewer, load_city
from models.review import ONE_TIME_CODE, ReviewChoice, ValidatedDecision, validate_decision
from models.tables import Case, Review, ReviewerCodeUse, SideEffect, utcnow
from storage.db import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

# One step of clock drift either way (a code from the previous or the next 30-s step is accepted).
VALID_WINDOW = 1
_REFUSAL_MAX_CHARS = 200  # review.refusal column
_ATTEMPT_KIND = "review_input"


@dataclass(frozen=True)
class AuthResult:
    """Whether a reviewer may decide this case now; when not, why (Chinese and English)."""

    accepted: bool
    reviewer: Reviewer | None
    refusal_zh: str | None = None
    refusal_en: str | None = None
    # The TOTP step the code belonged to (set when the code matched).
    time_step: int | None = None

    @property
    def refusal(self) -> str | None:
        """The refusal as one bilingual line (zh / en), for the audit row and the form."""
        if self.refusal_zh is None:
            return None
        return f"{self.refusal_zh} / {self.refusal_en}"


def _refused(zh: str, en: str, reviewer: Reviewer | None = None, step: int | None = None) -> AuthResult:
    return AuthResult(accepted=False, reviewer=reviewer, refusal_zh=zh, refusal_en=en, time_step=step)


def _moment(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _totp(reviewer: Reviewer) -> pyotp.TOTP:
    return pyotp.TOTP(reviewer.totp_secret.get_secret_value())


def matching_time_step(reviewer: Reviewer, code: str, at: datetime | None = None) -> int | None:
    """The TOTP step (unix time // 30) whose code is `code`, within VALID_WINDOW steps of `at`."""
    if not ONE_TIME_CODE.fullmatch(code):
        return None
    totp = _totp(reviewer)
    moment = _moment(at)
    now_step = totp.timecode(moment)
    # The current step first: a code that happens to match two steps is counted as the current one.
    for offset in sorted(range(-VALID_WINDOW, VALID_WINDOW + 1), key=abs):
        if hmac.compare_digest(totp.at(moment, counter_offset=offset), code):
            return now_step + offset
    return None


def current_code(reviewer_id: str, at: datetime | None = None) -> str:
    """The reviewer's one-time code at `at` (default now) — for the admin/demo command only."""
    return _totp(load_city().reviewer(reviewer_id)).at(_moment(at))


def seconds_left(at: datetime | None = None) -> int:
    """Seconds until the current 30-s step (and so the current code) ends."""
    interval = 30
    return interval - int(_moment(at).timestamp()) % interval


def _may_decide(reviewer: Reviewer, case: Case, city: City) -> AuthResult | None:
    """None when the reviewer may decide the case; else the refusal."""
    bureau = case.bureau
    if bureau is None and case.station_id is not None:
        try:
            bureau = city.station(case.station_id).bureau
        except KeyError:
            bureau = None
    if case.station_id is None and bureau is None:
        return _refused("案件尚未分配派出所，暂不能审核", "The case has no station yet", reviewer)
    if reviewer.role == "supervisor":
        if reviewer.bureau == bureau:
            return None
        return _refused(
            "您不是本案件所属分局的督导，无权审核", "You do not supervise this case's bureau", reviewer
        )
    if case.station_id is not None and reviewer.station == case.station_id:
        return None
    return _refused(
        "您不是本案件所属派出所的审核人员，无权审核",
        "You are not a reviewer of this case's station",
        reviewer,
    )


def _code_used(session: Session, reviewer_id: str, step: int) -> bool:
    found = session.exec(
        select(ReviewerCodeUse.id).where(
            ReviewerCodeUse.reviewer_id == reviewer_id, ReviewerCodeUse.time_step == step
        )
    ).first()
    return found is not None


_REUSED = (
    "该动态验证码已使用过，请等待下一个验证码",
    "This one-time code was already used; wait for the next one",
)


def _authenticate(
    session: Session, case: Case, reviewer_id: str, one_time_code: str, at: datetime | None
) -> AuthResult:
    """Check roster, station and code; on success add the code-use row to `session` (not committed)."""
    city = load_city()
    try:
        reviewer = city.reviewer(reviewer_id.strip())
    except KeyError:
        return _refused("审核人编号不在审核人员名册中", "The reviewer id is not on the roster")
    refusal = _may_decide(reviewer, case, city)
    if refusal is not None:
        return refusal
    step = matching_time_step(reviewer, one_time_code.strip(), at)
    if step is None:
        return _refused("动态验证码错误或已过期", "The one-time code is wrong or expired", reviewer)
    if _code_used(session, reviewer.id, step):
        return _refused(*_REUSED, reviewer=reviewer, step=step)
    session.add(ReviewerCodeUse(reviewer_id=reviewer.id, time_step=step, case_id=case.id))
    return AuthResult(accepted=True, reviewer=reviewer, time_step=step)


def _load_case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise KeyError(f"no case {case_id!r}")
    return case


def authenticate_decision(
    *,
    case_id: str,
    reviewer_id: str,
    one_time_code: str,
    at: datetime | None = None,
    engine: Engine | None = None,
) -> AuthResult:
    """May `reviewer_id` decide case `case_id` with this code now? Spends the code when it may.

    Accepted only when the reviewer is on the roster, belongs to the case's station or supervises its
    分局, and the code is valid within one 30-s step of `at` (default now) and was not used before.
    The code is spent (a reviewer_code_use row, committed here) on acceptance. Writes no review row:
    `record_review` does, or use `process_review_input`, which does both in one transaction.
    KeyError for an unknown case.
    """
    for _ in range(2):
        with unit_of_work(engine) as uow:
            case = _load_case(uow.session, case_id)
            result = _authenticate(uow.session, case, reviewer_id, one_time_code, at)
            if not result.accepted:
                return result
            try:
                uow.commit()
            except IntegrityError:
                # Another submission spent the same step between our check and our insert.
                uow.rollback()
                continue
            return result
    return _refused(*_REUSED)


def _decision_text(raw: Mapping[str, Any]) -> str:
    value = raw.get("decision")
    text = value.strip() if isinstance(value, str) else ""
    try:
        return ReviewChoice.parse(text).value
    except ValueError:
        return text[:32]


def _review_row(
    case_id: str, decision: ValidatedDecision | Mapping[str, Any], accepted: bool, refusal: str | None
) -> Review:
    if isinstance(decision, ValidatedDecision):
        reviewer_id = decision.reviewer_id
        choice = decision.choice.value
        reasons = [code.value for code in decision.reason_codes]
        comment = decision.comment
    else:
        raw_reviewer = decision.get("reviewer_id")
        reviewer_id = raw_reviewer.strip() if isinstance(raw_reviewer, str) else ""
        choice = _decision_text(decision)
        raw_reasons = decision.get("reason_codes")
        reasons = [str(r)[:40] for r in raw_reasons] if isinstance(raw_reasons, list | tuple) else []
        raw_comment = decision.get("comment")
        comment = raw_comment if isinstance(raw_comment, str) else ""
    return Review(
        case_id=case_id,
        reviewer_id=reviewer_id[:64],
        decision=choice,
        reason_codes=reasons,
        comment=comment or None,
        accepted=accepted,
        refusal=refusal[:_REFUSAL_MAX_CHARS] if refusal else None,
    )


def record_review(
    case_id: str,
    decision: ValidatedDecision | Mapping[str, Any],
    accepted: bool,
    refusal: str | None,
    *,
    engine: Engine | None = None,
) -> Review:
    """Write the audit row of one review submission (accepted or refused) and return it.

    `decision` is the validated decision or, for a refused submission, the raw form data; the
    one-time code in raw data is never stored.
    """
    row = _review_row(case_id, decision, accepted, refusal)
    with unit_of_work(engine) as uow:
        uow.add(row)
        uow.commit()
    return row


# --- the whole submission, once ------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewAttempt:
    """The verdict on one submitted review form."""

    accepted: bool
    decision: ValidatedDecision | None
    reviewer_id: str | None
    refusal_zh: str | None = None
    refusal_en: str | None = None
    # The broken form rules (bilingual lines) when the form itself was refused.
    errors: tuple[str, ...] = field(default_factory=tuple)
    # True when this attempt had been processed before and the stored verdict was returned.
    replayed: bool = False

    @property
    def refusal(self) -> str | None:
        """Everything wrong, as one bilingual text for `render_review_summary(previous_error=...)`."""
        if self.accepted:
            return None
        if self.errors:
            return "；".join(self.errors)
        return f"{self.refusal_zh} / {self.refusal_en}"

    def as_payload(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "decision": self.decision.as_dict() if self.decision else None,
            "reviewer_id": self.reviewer_id,
            "refusal_zh": self.refusal_zh,
            "refusal_en": self.refusal_en,
            "errors": list(self.errors),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ReviewAttempt:
        stored = payload.get("decision")
        return cls(
            accepted=bool(payload["accepted"]),
            decision=ValidatedDecision.from_dict(stored) if stored else None,
            reviewer_id=payload.get("reviewer_id"),
            refusal_zh=payload.get("refusal_zh"),
            refusal_en=payload.get("refusal_en"),
            errors=tuple(payload.get("errors", ())),
            replayed=True,
        )


def attempt_key(case_id: str, key: str) -> str:
    """The durable key of one review submission (stored as a side_effect row)."""
    return f"review-input:{case_id}:{key}"[:200]


def process_review_input(
    *,
    case_id: str,
    raw: Mapping[str, Any],
    key: str,
    at: datetime | None = None,
    on_accept: Callable[[UnitOfWork, Case, ValidatedDecision], None] | None = None,
    engine: Engine | None = None,
) -> ReviewAttempt:
    """Authenticate, validate and record one submitted review form, exactly once per `key`.

    `raw` is the form's data (`form.model_dump(mode="json")`); `key` names this submission durably,
    e.g. f"{flow_run_id}:{pause_key}". A flow that re-runs from the top after a resume is handed the
    same form again: with the same key, the stored verdict is returned (replayed=True) without a
    second audit row and without the code counting as reused. In one transaction: the code is spent,
    the review row (accepted or refused, with its bilingual refusal) and the key are written.
    Order of checks: roster → station/分局 → code valid → code unused → the form's rules
    (models.review.validate_decision). KeyError for an unknown case.

    `on_accept(uow, case, decision)` runs inside that same transaction when the decision is accepted
    — advance the case there (status, transition rows, notifications; add, never commit) so that an
    accepted review and its effect on the case are saved together or not at all.
    """
    durable_key = attempt_key(case_id, key)
    for _ in range(2):
        with unit_of_work(engine) as uow:
            stored = uow.session.exec(select(SideEffect).where(SideEffect.key == durable_key)).first()
            if stored is not None:
                return ReviewAttempt.from_payload(stored.payload)
            case = _load_case(uow.session, case_id)
            attempt = _judge(uow.session, case, raw, at)
            if attempt.accepted and attempt.decision is not None and on_accept is not None:
                on_accept(uow, case, attempt.decision)
            uow.add(
                _review_row(case.id, attempt.decision or raw, attempt.accepted, _short(attempt)),
                SideEffect(
                    key=durable_key,
                    case_id=case.id,
                    kind=_ATTEMPT_KIND,
                    state="done",
                    payload=attempt.as_payload(),
                    done_at=utcnow(),
                ),
            )
            try:
                uow.commit()
            except IntegrityError:
                # A concurrent run wrote this key, or spent the same code step: look again.
                uow.rollback()
                continue
        _log(case_id, attempt)
        return attempt
    raise RuntimeError(f"review input {durable_key} could not be recorded")


def _judge(session: Session, case: Case, raw: Mapping[str, Any], at: datetime | None) -> ReviewAttempt:
    raw_reviewer = raw.get("reviewer_id")
    reviewer_id = raw_reviewer.strip() if isinstance(raw_reviewer, str) else ""
    raw_code = raw.get("one_time_code")
    code = raw_code.strip() if isinstance(raw_code, str) else ""
    if not reviewer_id:
        return ReviewAttempt(
            accepted=False,
            decision=None,
            reviewer_id=None,
            refusal_zh="请填写审核人编号",
            refusal_en="Enter your reviewer id",
        )
    auth = _authenticate(session, case, reviewer_id, code, at)
    if not auth.accepted:
        return ReviewAttempt(
            accepted=False,
            decision=None,
            reviewer_id=reviewer_id,
            refusal_zh=auth.refusal_zh,
            refusal_en=auth.refusal_en,
        )
    validated = validate_decision(raw)
    if isinstance(validated, list):
        # The code stays spent (its row is in this session): the form is refused as a whole.
        return ReviewAttempt(
            accepted=False,
            decision=None,
            reviewer_id=reviewer_id,
            refusal_zh="表单内容不符合要求",
            refusal_en="The form is not complete or not consistent",
            errors=tuple(validated),
        )
    return ReviewAttempt(accepted=True, decision=validated, reviewer_id=validated.reviewer_id)


def _short(attempt: ReviewAttempt) -> str | None:
    """The refusal for the audit row's 200 characters."""
    text = attempt.refusal
    if text is None or len(text) <= _REFUSAL_MAX_CHARS:
        return text
    return text[: _REFUSAL_MAX_CHARS - 1] + "…"


def _log(case_id: str, attempt: ReviewAttempt) -> None:
    on_roster = attempt.reviewer_id is not None and _on_roster(attempt.reviewer_id)
    who = attempt.reviewer_id if on_roster else "an id not on the roster"
    if attempt.accepted and attempt.decision is not None:
        log.info("review of case %s by %s accepted: %s", case_id, who, attempt.decision.choice.value)
    else:
        log.info("review of case %s by %s refused: %s", case_id, who, attempt.refusal_en)


def _on_roster(reviewer_id: str) -> bool:
    try:
        load_city().reviewer(reviewer_id)
    except KeyError:
        return False
    return True
