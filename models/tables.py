"""The case database (SQLModel tables). Same models on SQLite and PostgreSQL.

Timestamps are timezone-aware UTC (SQLModel stores them as UTC on both databases); they are shown
in Asia/Shanghai time.
Personal data is stored here in the clear — this is the system of record — and is masked by
`CasePublic` and `models.masking` for anything that leaves it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.masking import mask_address, mask_id_number, mask_name, mask_phone
from models.status import CaseStatus, check_transition


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime | None = None) -> datetime:
    """`moment` as an aware UTC datetime (now when None): SQLite hands stored datetimes back naive,
    and they were stored as UTC."""
    if moment is None:
        return utcnow()
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class CaseBase(SQLModel):
    submission_id: str = Field(max_length=64, unique=True, index=True)
    business_type: str = Field(max_length=16)
    basis: str | None = Field(default=None, max_length=16)
    status: str = Field(default=CaseStatus.SUBMITTED.value, max_length=32, index=True)
    outcome: str | None = Field(default=None, max_length=32)
    station_id: str | None = Field(default=None, max_length=64, index=True)
    bureau: str | None = Field(default=None, max_length=64)
    flow_run_id: str | None = Field(default=None, max_length=64)
    submitted_at: datetime = Field(default_factory=utcnow)
    accepted_on: date | None = None  # 受理日: starts the statutory 15-day clock
    # The clock pauses while the applicant is asked for corrections (补正): since when, and the days
    # already paused in earlier rounds.
    clock_paused_on: date | None = None
    paused_days: int = 0
    escalated: bool = False  # overdue case escalated to the 分局 supervisor
    updated_at: datetime = Field(default_factory=utcnow)


class Case(CaseBase, table=True):
    """One application as submitted by the portal, and where it stands."""

    __tablename__ = "case"

    id: str = Field(primary_key=True, max_length=40)
    applicant_name: str = Field(max_length=40)
    applicant_id_number: str = Field(max_length=18, index=True)
    applicant_phone: str = Field(max_length=20)
    residence_address: str = Field(max_length=200)
    delivery_method: str = Field(max_length=8)
    delivery_address: str | None = Field(default=None, max_length=200)
    delivery_recipient: str | None = Field(default=None, max_length=40)
    delivery_phone: str | None = Field(default=None, max_length=20)
    # The validated application.json as received: replay starts again from these stored inputs.
    application: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Bumped when a new card must be issued for the same case (reissue after a production fault).
    card_version: int = 1

    def advance(self, target: CaseStatus, *, actor: str, reason: str) -> StatusTransition:
        """Move to `target` if the status machine allows it; return the audit row to store with it."""
        current = CaseStatus(self.status)
        check_transition(current, target)
        self.status = target.value
        self.updated_at = utcnow()
        return StatusTransition(
            case_id=self.id, from_status=current.value, to_status=target.value, actor=actor, reason=reason
        )


class CasePublic(CaseBase):
    """A case as it may be shown outside the case DB: personal data masked."""

    id: str
    applicant_name: str
    applicant_id_number: str
    applicant_phone: str
    residence_address: str

    @classmethod
    def of(cls, case: Case) -> CasePublic:
        data = case.model_dump(include=set(CaseBase.model_fields) | {"id"})
        return cls(
            **data,
            applicant_name=mask_name(case.applicant_name),
            applicant_id_number=mask_id_number(case.applicant_id_number),
            applicant_phone=mask_phone(case.applicant_phone),
            residence_address=mask_address(case.residence_address),
        )


class Document(SQLModel, table=True):
    """One uploaded file of a case; the bytes live in the document store under `content_hash`."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("case_id", "kind", "content_hash", name="uq_document_case_kind_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    kind: str = Field(max_length=32)
    original_name: str = Field(max_length=120)
    content_hash: str = Field(max_length=64, index=True)  # sha256 hex
    sniffed_type: str = Field(max_length=100)  # MIME type read from the bytes, not the name
    size_bytes: int
    # A corrected upload (补正) replaces the earlier file of the same kind; the old row is kept.
    superseded: bool = False
    uploaded_at: datetime = Field(default_factory=utcnow)


class DocumentReadout(SQLModel, table=True):
    """What reading one document gave, stored once by the read step: its facts with their
    confidences, the fields outside the facts the card face needs (the ID card's 民族, why its
    address is incomplete), and the reasons it could not be used. Card numbering builds the card
    face from it: a document is OCR'd once per read step, never again for the card."""

    __tablename__ = "document_readout"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", unique=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    kind: str = Field(max_length=32)
    section: str | None = Field(default=None, max_length=32)  # the DocumentFacts section of `facts`
    facts: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    card_fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    problems: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # reason codes
    read_at: datetime = Field(default_factory=utcnow)


class CheckResult(SQLModel, table=True):
    """The outcome of one automated check, with the evidence a reviewer sees."""

    __tablename__ = "check_result"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    check: str = Field(max_length=64)
    passed: bool
    reason_code: str | None = Field(default=None, max_length=40)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Which round of checking produced it (1, then +1 after each correction).
    round: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class Review(SQLModel, table=True):
    """A reviewer's decision as submitted, accepted or refused (every attempt is kept)."""

    __tablename__ = "review"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    reviewer_id: str = Field(max_length=64)
    decision: str = Field(max_length=32)
    reason_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    accepted: bool
    refusal: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class StatusTransition(SQLModel, table=True):
    """The audit trail: every status change with time, actor and reason."""

    __tablename__ = "status_transition"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=64)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str = Field(max_length=32)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))


class SideEffect(SQLModel, table=True):
    """A real-world effect (print, mail, SMS) under a durable key: at most one row per key."""

    __tablename__ = "side_effect"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # e.g. "print-card:{case_id}:{card_version}"
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    kind: str = Field(max_length=32)
    state: str = Field(default="pending", max_length=16)  # pending -> writing -> done
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None
    # While `writing`: who claimed the effect (host:pid:token) and until when the claim holds. A
    # writer that dies keeps it only until the lease ends (services/effects.py).
    owner: str | None = Field(default=None, max_length=120)
    lease_until: datetime | None = None


class Notification(SQLModel, table=True):
    """The notifications outbox: written with the status change, sent once by a sender."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # e.g. "notify:{case_id}:{status}:{round}"
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    channel: str = Field(default="sms", max_length=16)
    recipient: str = Field(max_length=20)
    body: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="pending", max_length=16, index=True)  # pending -> sending -> sent | failed
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None  # when a sender took it (a stale claim is a dead sender's)
    sent_at: datetime | None = None


class ReviewerCodeUse(SQLModel, table=True):
    """A one-time code a reviewer has used: each TOTP time step is accepted once per reviewer."""

    __tablename__ = "reviewer_code_use"
    __table_args__ = (UniqueConstraint("reviewer_id", "time_step", name="uq_reviewer_code_step"),)

    id: int | None = Field(default=None, primary_key=True)
    reviewer_id: str = Field(max_length=64)
    time_step: int  # the TOTP counter (unix time // 30) the code belonged to
    case_id: str = Field(max_length=40)
    used_at: datetime = Field(default_factory=utcnow)


class ReviewerCodeFailure(SQLModel, table=True):
    """A review submission whose one-time code did not match: counted per reviewer and per case for
    the guessing lockout (services/reviewers.py). `reviewer_id` is as typed (it may be off the roster)."""

    __tablename__ = "reviewer_code_failure"

    id: int | None = Field(default=None, primary_key=True)
    reviewer_id: str = Field(max_length=64, index=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    at: datetime = Field(index=True)  # the moment the form was submitted


class ReviewLock(SQLModel, table=True):
    """A guessing lockout: a reviewer (reviewer_id set) or a case's review (reviewer_id NULL) refuses
    codes from locked_at until `until`. One row per lock; its key also keys the supervisor's notice."""

    __tablename__ = "review_lock"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # e.g. "review-lock:reviewer:{id}:{bucket}"
    reviewer_id: str | None = Field(default=None, max_length=64, index=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    locked_at: datetime
    until: datetime = Field(index=True)


class Counter(SQLModel, table=True):
    """A named sequence (card numbers per bureau and year, waybill serials), bumped in a transaction."""

    __tablename__ = "counter"

    name: str = Field(primary_key=True, max_length=100)  # e.g. "card:成都市公安局武侯区分局:2026"
    value: int = 0


class CardIssue(SQLModel, table=True):
    """One card issued for a case: its number (allocated once) and the face printed on it.

    One row per (case, card version); the card number is unique. The face is stored so that a
    re-render prints exactly the same card.
    """

    __tablename__ = "card_issue"
    __table_args__ = (UniqueConstraint("case_id", "card_version", name="uq_card_issue_case_version"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    card_version: int
    card_no: str = Field(max_length=32, unique=True)
    bureau: str = Field(max_length=64)
    issued_on: date
    face: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    photo_hash: str | None = Field(default=None, max_length=64)  # document store key of the photo
    spooled_at: datetime | None = None  # the PDF is in the card centre's spool
    produced_at: datetime | None = None  # the card centre confirmed the card was made
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """How a card reaches the applicant: an EMS waybill, or a pickup code at the station."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("case_id", "card_version", name="uq_delivery_case_version"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    card_version: int
    method: str = Field(max_length=8)  # mail | pickup
    waybill_no: str | None = Field(default=None, max_length=32, unique=True)
    pickup_code: str | None = Field(default=None, max_length=12)
    station_id: str | None = Field(default=None, max_length=64)
    dispatched_on: date | None = None  # the day the label went on the mailing manifest
    handed_over_at: datetime | None = None  # delivered (EMS confirmation) or picked up at the station
    created_at: datetime = Field(default_factory=utcnow)


class Replay(SQLModel, table=True):
    """The audit trail of admin replays: who started the case's flow again, when and why."""

    __tablename__ = "replay"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    actor: str = Field(max_length=64)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    status_at_replay: str = Field(max_length=32)
    previous_flow_run_id: str | None = Field(default=None, max_length=64)
    flow_run_id: str | None = Field(default=None, max_length=64)
    at: datetime = Field(default_factory=utcnow)


class ReviewSession(SQLModel, table=True):
    """A reviewer signed in to the document pages (/review/…): the cookie carries only the signed
    id. Valid until `expires_at` unless revoked (sign-out, or an admin revoking the reviewer)."""

    __tablename__ = "review_session"

    id: str = Field(primary_key=True, max_length=64)  # random, unguessable
    reviewer_id: str = Field(max_length=64, index=True)
    # The case the reviewer signed in from (the code was checked against it); the session then
    # opens every case the reviewer may review.
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    revoked_at: datetime | None = None


class ReviewAccess(SQLModel, table=True):
    """The audit of the document pages: every sign-in, case page, document page shown or refused.

    `reviewer_id` is as typed for a sign-in (it may be off the roster), else the session's reviewer;
    `action` is sign_in | case | document | sign_out; `note` the refusal (bilingual), if any.
    """

    __tablename__ = "review_access"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    reviewer_id: str = Field(max_length=64, index=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=40)
    action: str = Field(max_length=16)
    document_id: int | None = None
    page: int | None = None
    allowed: bool
    note: str | None = Field(default=None, max_length=200)
