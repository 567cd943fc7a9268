"""Reviewers signed in to the document pages, and the audit of everything those pages show.

A reviewer opens `/review/{case_id}` (the link in the Prefect review form) and signs in with their
reviewer id and a one-time code. The code is checked exactly as a decision's code is
(`services.reviewers.authenticate_decision`): roster, enrolment, the station/分局 rule for that case,
the guessing lockout (a wrong code here counts towards it), and the code is spent. An accepted
sign-in is a `review_session` row; the browser holds only its id, signed (`services.document_links
.sign`), in a cookie. The session lasts `review_session_hours` (8 h) checked here on the server,
ends at sign-out or `revoke_sessions`, and dies when the reviewer leaves the roster or their secret
is revoked (both are checked on every request).

Every sign-in, case page and document page — shown or refused — is one `review_access` row: who,
which case, which document and page, when. Nothing here logs personal data; codes are never stored.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from config.city import load_city
from config.settings import get_settings
from models.tables import Case, Document, ReviewAccess, ReviewSession, as_utc
from services.document_links import SignatureInvalid, b64decode, sign, unsign
from services.reviewers import authenticate_decision, may_decide, reviewer_secret
from storage.db import UnitOfWork

log = logging.getLogger(__name__)

# Domain separation: a signature made for a session cookie is good for nothing else.
SESSION_PURPOSE = b"rongju.review-session.v1"
_SESSION_ID_BYTES = 32
_NOTE_MAX_CHARS = 200  # review_access.note

NOT_SIGNED_IN = ("请先登录", "Please sign in")
SESSION_ENDED = ("登录已过期或已退出，请重新登录", "Your sign-in has expired or ended; sign in again")


@dataclass(frozen=True)
class SignIn:
    """The verdict on one sign-in: the cookie value when accepted, else why not (zh, en).

    `forbidden` is a refusal that a new code cannot change (the case is not of the reviewer's
    station or 分局), as opposed to a wrong, reused or locked code.
    """

    accepted: bool
    cookie: str | None = None
    expires_at: datetime | None = None
    refusal_zh: str | None = None
    refusal_en: str | None = None
    forbidden: bool = False


@dataclass(frozen=True)
class ActiveSession:
    """A valid, unexpired, unrevoked session of a reviewer still on the roster and enrolled."""

    id: str
    reviewer_id: str
    expires_at: datetime


def _note(zh: str | None, en: str | None) -> str | None:
    if zh is None:
        return None
    text = f"{zh} / {en}"
    return text if len(text) <= _NOTE_MAX_CHARS else text[: _NOTE_MAX_CHARS - 1] + "…"


def record_access(
    uow: UnitOfWork,
    *,
    reviewer_id: str,
    case_id: str,
    action: str,
    allowed: bool,
    document_id: int | None = None,
    page: int | None = None,
    refusal: tuple[str, str] | None = None,
) -> None:
    """Write one audit row of the review pages (committed at once: the audit survives any error)."""
    with uow:
        uow.add(
            ReviewAccess(
                reviewer_id=reviewer_id[:64],
                case_id=case_id,
                action=action,
                allowed=allowed,
                document_id=document_id,
                page=page,
                note=_note(*refusal) if refusal else None,
            )
        )
        uow.commit()


def sign_in(
    uow: UnitOfWork,
    *,
    case_id: str,
    reviewer_id: str,
    one_time_code: str,
    at: datetime | None = None,
) -> SignIn:
    """Check the reviewer's code for this case (spending it, counting a wrong one towards the
    lockout) and, when accepted, open a session. KeyError for an unknown case;
    ReviewerSecretsError when the secrets cannot be used."""
    reviewer_id = reviewer_id.strip()[:64]
    auth = authenticate_decision(
        uow, case_id=case_id, reviewer_id=reviewer_id, one_time_code=one_time_code, at=at
    )
    if not auth.accepted or auth.reviewer is None:
        refusal = (auth.refusal_zh or "", auth.refusal_en or "")
        record_access(
            uow, reviewer_id=reviewer_id, case_id=case_id, action="sign_in", allowed=False, refusal=refusal
        )
        log.info("sign-in to the review pages of case %s refused: %s", case_id, auth.refusal_en)
        return SignIn(False, refusal_zh=refusal[0], refusal_en=refusal[1], forbidden=auth.forbidden)
    moment = as_utc(at)
    session_id = secrets.token_urlsafe(_SESSION_ID_BYTES)
    expires_at = moment + timedelta(hours=get_settings().review_session_hours)
    with uow:
        uow.add(
            ReviewSession(
                id=session_id,
                reviewer_id=auth.reviewer.id,
                case_id=case_id,
                created_at=moment,
                expires_at=expires_at,
            ),
            ReviewAccess(
                reviewer_id=auth.reviewer.id, case_id=case_id, action="sign_in", allowed=True, at=moment
            ),
        )
        uow.commit()
    log.info("reviewer %s signed in to the review pages (case %s)", auth.reviewer.id, case_id)
    return SignIn(True, cookie=sign(session_id, purpose=SESSION_PURPOSE), expires_at=expires_at)


def _enrolled(reviewer_id: str) -> bool:
    try:
        reviewer = load_city().reviewer(reviewer_id)
    except KeyError:
        return False
    return reviewer_secret(reviewer) is not None


def session_of(cookie: str | None, uow: UnitOfWork, *, at: datetime | None = None) -> ActiveSession | None:
    """The session a cookie names, if it is genuine and still valid now; else None.

    ReviewerSecretsError when the secrets cannot be used (then nobody may be let in).
    """
    if not cookie:
        return None
    try:
        session_id = unsign(cookie, purpose=SESSION_PURPOSE)
        if len(b64decode(session_id)) != _SESSION_ID_BYTES:
            return None
    except SignatureInvalid:
        return None
    with uow:
        row = uow.review_sessions.get(session_id)
    if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= as_utc(at):
        return None
    # A reviewer taken off the roster or revoked (`rongju reviewers revoke`) is signed out at once.
    if not _enrolled(row.reviewer_id):
        return None
    return ActiveSession(id=row.id, reviewer_id=row.reviewer_id, expires_at=as_utc(row.expires_at))


def sign_out(session: ActiveSession, uow: UnitOfWork) -> None:
    """End one session (the cookie stops working even if it was copied)."""
    with uow:
        row = uow.review_sessions.get(session.id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
            uow.add(
                row,
                ReviewAccess(
                    reviewer_id=row.reviewer_id, case_id=row.case_id, action="sign_out", allowed=True
                ),
            )
        uow.commit()


def revoke_sessions(reviewer_id: str, uow: UnitOfWork) -> int:
    """End every live session of a reviewer (an admin's revocation); the number ended."""
    with uow:
        count = uow.review_sessions.revoke_all(reviewer_id, datetime.now(UTC))
        uow.commit()
    log.info("reviewer %s: %d review-page session(s) revoked", reviewer_id, count)
    return count


def load_case(case_id: str, uow: UnitOfWork) -> Case | None:
    with uow:
        return uow.cases.find(case_id)


def station_refusal(reviewer_id: str, case: Case) -> tuple[str, str] | None:
    """None when the reviewer may see this case (of their station, or of the 分局 they supervise);
    else why not (zh, en). The rule is the one deciding uses (services.reviewers)."""
    city = load_city()
    try:
        reviewer = city.reviewer(reviewer_id)
    except KeyError:
        return ("审核人编号不在审核人员名册中", "The reviewer id is not on the roster")
    refusal = may_decide(reviewer, case, city)
    if refusal is None:
        return None
    return (refusal.refusal_zh or "", refusal.refusal_en or "")


def record_view(
    reviewer_id: str,
    case: Case,
    action: str,
    uow: UnitOfWork,
    *,
    document_id: int | None = None,
    page: int | None = None,
) -> tuple[str, str] | None:
    """Whether a signed-in reviewer may see this page of the case (None) or why not — and the audit
    row of the view, shown or refused."""
    refusal = station_refusal(reviewer_id, case)
    record_access(
        uow,
        reviewer_id=reviewer_id,
        case_id=case.id,
        action=action,
        allowed=refusal is None,
        document_id=document_id,
        page=page,
        refusal=refusal,
    )
    return refusal


def current_documents(case_id: str, uow: UnitOfWork) -> Sequence[Document]:
    """The case's current (not superseded) documents, in upload order."""
    with uow:
        return uow.documents.current(case_id)


def current_document(case_id: str, document_id: int, uow: UnitOfWork) -> Document | None:
    """The document, if it belongs to that case and has not been replaced by a correction."""
    with uow:
        return uow.documents.get(case_id, document_id)
