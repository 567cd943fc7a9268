"""Who may decide a case, and the audit of every review submission (DESIGN.md §5).

Prefect's open-source server has no users, so rongju authenticates a review itself: the reviewer id
must be on the roster (config/city/reviewers.yaml), the reviewer must belong to the case's station —
or supervise its 分局 — and the one-time code (TOTP, RFC 6238, 30-s steps, one step of clock drift
either way) must be valid and not used before. "Used" is per reviewer and time step, enforced by the
UNIQUE(reviewer_id, time_step) of reviewer_code_use: a valid code is spent by any submission that
carries it, even one refused (another station, a lock, a bad form), because the form (code
included) is stored in the Prefect database where others can read it.

Secrets: in demo mode (RONGJU_DEMO) the roster's public demo secrets; otherwise the enrolled ones
(RONGJU_REVIEWER_SECRETS, a 0600 file outside the repository, and RONGJU_REVIEWER_SECRET_<ID>), and a
process refuses to check codes when any of them is a demo secret. Guessing: wrong codes are counted
per reviewer and per case; `review_lockout_failures` of them within the window lock the reviewer
(or the case's review) for `review_lockout_minutes`, with an audit row and a notice to the 分局's
supervisors.

Every submission, accepted or refused, leaves a `review` row. Codes and TOTP secrets are never
logged, stored or put in a message.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import re
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import yaml

from config.city import load_city, load_policy
from config.settings import get_settings
from models.city import City, Reviewer
from models.review import ONE_TIME_CODE, ReviewChoice, ValidatedDecision, validate_decision
from models.tables import (
    Case,
    Notification,
    Review,
    ReviewerCodeFailure,
    ReviewerCodeUse,
    ReviewLock,
    as_utc,
)
from services.sla import ESCALATION_CHANNEL
from storage.db import IntegrityError, UnitOfWork
from storage.repositories.effects import done_effect

# Staff notices go to the outbox on the channel of the SLA escalations.
STAFF_CHANNEL = ESCALATION_CHANNEL

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
    # Refused by the station/分局 rule itself, not for the code: a new code will not change it.
    forbidden: bool = False

    @property
    def refusal(self) -> str | None:
        """The refusal as one bilingual line (zh / en), for the audit row and the form."""
        if self.refusal_zh is None:
            return None
        return f"{self.refusal_zh} / {self.refusal_en}"


def _refused(
    zh: str, en: str, reviewer: Reviewer | None = None, step: int | None = None, *, forbidden: bool = False
) -> AuthResult:
    return AuthResult(
        accepted=False, reviewer=reviewer, refusal_zh=zh, refusal_en=en, time_step=step, forbidden=forbidden
    )


# --- where the TOTP secrets come from ------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[1]
SECRET_ENV_PREFIX = "RONGJU_REVIEWER_SECRET_"
ISSUER = "蓉居 rongju"
_MIN_SECRET_CHARS = 32  # 160 bits, what RFC 4226 recommends and pyotp.random_base32() makes


class ReviewerSecretsError(RuntimeError):
    """The reviewers' secrets cannot be used (demo secrets outside demo mode, an unsafe or broken
    secrets file, a demo-only command outside demo mode). The message is Chinese, then English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en


def is_demo() -> bool:
    """RONGJU_DEMO: the roster's public demo secrets are the reviewers' secrets."""
    return get_settings().demo


def secret_env_name(reviewer_id: str) -> str:
    """The environment variable that may hold a reviewer's secret: RONGJU_REVIEWER_SECRET_R_WUHOU_JITOU_1."""
    return SECRET_ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", reviewer_id.upper())


def _normalised(secret: str) -> str:
    return re.sub(r"[\s=]", "", secret).upper()


def _valid_secret(secret: str) -> bool:
    if len(secret) < _MIN_SECRET_CHARS:
        return False
    padded = secret + "=" * (-len(secret) % 8)
    try:
        base64.b32decode(padded, casefold=False)
    except (binascii.Error, ValueError):
        return False
    return True


def _inside_repository(path: Path) -> bool:
    return path.resolve().is_relative_to(REPO_ROOT)


def secrets_path() -> Path:
    """RONGJU_REVIEWER_SECRETS, refused when missing or inside the repository."""
    path = get_settings().reviewer_secrets
    if path is None:
        raise ReviewerSecretsError(
            "未设置审核人员密钥文件 RONGJU_REVIEWER_SECRETS（须在代码仓库之外）",
            "RONGJU_REVIEWER_SECRETS is not set (a file outside the repository)",
        )
    if _inside_repository(path):
        raise ReviewerSecretsError(
            f"审核人员密钥文件不得位于代码仓库内：{path}",
            f"The reviewer secrets file must be outside the repository: {path}",
        )
    return path


def _read_secrets_file(path: Path) -> dict[str, str]:
    """The file's mapping (empty when it does not exist yet); refused when others may read it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    if not stat.S_ISREG(info.st_mode):
        raise ReviewerSecretsError(f"审核人员密钥文件不是普通文件：{path}", f"Not a regular file: {path}")
    if info.st_mode & 0o077:
        raise ReviewerSecretsError(
            f"审核人员密钥文件的权限过宽（{stat.filemode(info.st_mode)}），请执行 chmod 600 {path}",
            f"The reviewer secrets file is readable by others ({stat.filemode(info.st_mode)}); "
            f"run chmod 600 {path}",
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        data = None
    if not isinstance(data, Mapping):
        raise ReviewerSecretsError(
            f"审核人员密钥文件格式错误（应为 编号: 密钥 的映射）：{path}",
            f"The reviewer secrets file is not a mapping of reviewer id to secret: {path}",
        )
    secrets: dict[str, str] = {}
    for key, value in data.items():
        secret = _normalised(value) if isinstance(value, str) else ""
        if not _valid_secret(secret):
            raise ReviewerSecretsError(
                f"审核人员 {key} 的密钥不是有效的 base32 密钥（至少 {_MIN_SECRET_CHARS} 位）",
                f"The secret of reviewer {key} is not a base32 secret of {_MIN_SECRET_CHARS}+ characters",
            )
        secrets[str(key)] = secret
    return secrets


def _env_secrets(city: City) -> dict[str, str]:
    by_name = {secret_env_name(r.id): r.id for r in city.reviewers}
    secrets: dict[str, str] = {}
    for name, value in os.environ.items():
        if not name.startswith(SECRET_ENV_PREFIX):
            continue
        reviewer_id = by_name.get(name)
        if reviewer_id is None:
            log.warning("%s names no reviewer on the roster; ignored", name)
            continue
        secret = _normalised(value)
        if not _valid_secret(secret):
            raise ReviewerSecretsError(
                f"环境变量 {name} 不是有效的 base32 密钥", f"{name} is not a valid base32 secret"
            )
        secrets[reviewer_id] = secret
    return secrets


def _refuse_demo_secrets(secrets: Mapping[str, str], city: City) -> None:
    demo = {_normalised(r.totp_secret.get_secret_value()) for r in city.reviewers}
    if any(secret in demo for secret in secrets.values()):
        raise ReviewerSecretsError(
            "拒绝启动：审核人员密钥与代码仓库中公开的演示密钥（config/city/reviewers.yaml）相同；"
            "请用 rongju reviewers enrol 重新登记，或设置 RONGJU_DEMO=1 仅作演示",
            "Refusing to start: a reviewer secret equals a public demo secret of "
            "config/city/reviewers.yaml; enrol the reviewer again (rongju reviewers enrol), or set "
            "RONGJU_DEMO=1 for a demo",
        )


def enrolled_secrets() -> dict[str, str]:
    """Outside demo mode: reviewer id -> secret, from RONGJU_REVIEWER_SECRETS and the environment.

    Read on every call, so an enrolment or a revocation counts from the next submission on. Raises
    ReviewerSecretsError when the file is unsafe or broken, or any secret is a demo secret.
    """
    city = load_city()
    path = get_settings().reviewer_secrets
    secrets = _read_secrets_file(secrets_path()) if path is not None else {}
    secrets.update(_env_secrets(city))
    _refuse_demo_secrets(secrets, city)
    return secrets


def check_reviewer_secrets() -> int:
    """For a process that checks codes, at start: raise ReviewerSecretsError unless the secrets are
    usable; the number of reviewers who can decide."""
    if is_demo():
        return len(load_city().reviewers)
    return len(enrolled_secrets())


def reviewer_secret(reviewer: Reviewer) -> str | None:
    """The reviewer's TOTP secret: the roster's in demo mode, else the enrolled one (None: not enrolled)."""
    if is_demo():
        return reviewer.totp_secret.get_secret_value()
    return enrolled_secrets().get(reviewer.id)


def _write_secrets_file(path: Path, secrets: Mapping[str, str]) -> None:
    """Replace the file atomically; the new file is 0600 from its first byte."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = (
        "# rongju reviewer TOTP secrets (reviewer id: base32 secret). Written by `rongju reviewers\n"
        "# enrol|revoke`; keep it 0600 and outside the repository.\n"
        + yaml.safe_dump(dict(sorted(secrets.items())), allow_unicode=True, sort_keys=True)
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp creates 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Enrolment:
    """A newly created secret, shown once: the otpauth:// URI an authenticator app scans."""

    reviewer: Reviewer
    secret: str
    uri: str


def enrol(reviewer_id: str) -> Enrolment:
    """Create (or rotate) a reviewer's secret and store it in RONGJU_REVIEWER_SECRETS.

    KeyError when the id is not on the roster; ReviewerSecretsError for an unusable secrets file.
    """
    reviewer = load_city().reviewer(reviewer_id.strip())
    path = secrets_path()
    secrets = _read_secrets_file(path)
    secret = pyotp.random_base32()
    secrets[reviewer.id] = secret
    _write_secrets_file(path, secrets)
    uri = pyotp.TOTP(secret).provisioning_uri(name=reviewer.id, issuer_name=ISSUER)
    log.info("reviewer %s enrolled", reviewer.id)
    return Enrolment(reviewer=reviewer, secret=secret, uri=uri)


def revoke(reviewer_id: str) -> bool:
    """Remove a reviewer's secret from RONGJU_REVIEWER_SECRETS; False when it held none.

    A secret in the environment (RONGJU_REVIEWER_SECRET_<ID>) is not touched: unset it there.
    """
    reviewer_id = reviewer_id.strip()
    path = secrets_path()
    secrets = _read_secrets_file(path)
    if reviewer_id not in secrets:
        return False
    del secrets[reviewer_id]
    _write_secrets_file(path, secrets)
    log.info("reviewer %s revoked", reviewer_id)
    return True


def _totp(reviewer: Reviewer) -> pyotp.TOTP | None:
    secret = reviewer_secret(reviewer)
    return pyotp.TOTP(secret) if secret is not None else None


def matching_time_step(reviewer: Reviewer, code: str, at: datetime | None = None) -> int | None:
    """The TOTP step (unix time // 30) whose code is `code`, within VALID_WINDOW steps of `at`."""
    if not ONE_TIME_CODE.fullmatch(code):
        return None
    totp = _totp(reviewer)
    if totp is None:
        return None
    moment = as_utc(at)
    now_step = totp.timecode(moment)
    # The current step first: a code that happens to match two steps is counted as the current one.
    for offset in sorted(range(-VALID_WINDOW, VALID_WINDOW + 1), key=abs):
        if hmac.compare_digest(totp.at(moment, counter_offset=offset), code):
            return now_step + offset
    return None


def current_code(reviewer_id: str, at: datetime | None = None) -> str:
    """The reviewer's one-time code at `at` (default now) — demo mode only (ReviewerSecretsError)."""
    if not is_demo():
        raise ReviewerSecretsError(
            "仅在演示模式（RONGJU_DEMO=1）下可生成验证码；审核人员请使用自己的身份验证器应用",
            "One-time codes are printed in demo mode only (RONGJU_DEMO=1); reviewers read theirs "
            "from their authenticator app",
        )
    return pyotp.TOTP(load_city().reviewer(reviewer_id).totp_secret.get_secret_value()).at(as_utc(at))


def seconds_left(at: datetime | None = None) -> int:
    """Seconds until the current 30-s step (and so the current code) ends."""
    interval = 30
    return interval - int(as_utc(at).timestamp()) % interval


def may_decide(reviewer: Reviewer, case: Case, city: City) -> AuthResult | None:
    """None when the reviewer may decide (and see) the case; else the refusal (`forbidden`)."""
    bureau = case.bureau
    if bureau is None and case.station_id is not None:
        try:
            bureau = city.station(case.station_id).bureau
        except KeyError:
            bureau = None
    if case.station_id is None and bureau is None:
        return _refused(
            "案件尚未分配派出所，暂不能审核", "The case has no station yet", reviewer, forbidden=True
        )
    if reviewer.role == "supervisor":
        if reviewer.bureau == bureau:
            return None
        return _refused(
            "您不是本案件所属分局的督导，无权审核",
            "You do not supervise this case's bureau",
            reviewer,
            forbidden=True,
        )
    if case.station_id is not None and reviewer.station == case.station_id:
        return None
    return _refused(
        "您不是本案件所属派出所的审核人员，无权审核",
        "You are not a reviewer of this case's station",
        reviewer,
        forbidden=True,
    )


_REUSED = (
    "该动态验证码已使用过，请等待下一个验证码",
    "This one-time code was already used; wait for the next one",
)


_LOCKED = (
    "因多次输入错误的动态验证码，审核已被暂时锁定至 {until}（北京时间），请稍后再试或联系分局督导",
    "Review is locked until {until} UTC+8 after too many wrong one-time codes; try later or ask the "
    "bureau's supervisor",
)
_BEIJING = timedelta(hours=8)


def _locked(until: datetime, reviewer: Reviewer | None, step: int | None) -> AuthResult:
    shown = (until + _BEIJING).strftime("%H:%M")
    zh, en = (text.format(until=shown) for text in _LOCKED)
    return _refused(zh, en, reviewer, step)


def lock_key(subject: str, moment: datetime) -> str:
    """The durable key of one lock (and of its supervisor notices): per subject and lock period."""
    period = get_settings().review_lockout_minutes * 60
    return f"review-lock:{subject}:{int(moment.timestamp()) // period}"


def _record_failure(
    uow: UnitOfWork, case: Case, reviewer_id: str, reviewer: Reviewer | None, moment: datetime, city: City
) -> None:
    """Count a wrong code; lock the reviewer (and the case's review) when the count reaches the limit.

    The failure row is added first and flushed, so the counts include it.
    """
    settings = get_settings()
    uow.add(ReviewerCodeFailure(reviewer_id=reviewer_id[:64], case_id=case.id, at=moment))
    uow.flush()
    since = moment - timedelta(minutes=settings.review_lockout_window_minutes)
    until = moment + timedelta(minutes=settings.review_lockout_minutes)
    limit = settings.review_lockout_failures
    if reviewer is not None and uow.reviews.failures_since(since, moment, reviewer_id=reviewer.id) >= limit:
        _lock(uow, case, reviewer, moment, until, city)
    elif uow.reviews.failures_since(since, moment, case_id=case.id) >= limit:
        # Many ids guessing at one case (or one reviewer's guesses spread over ids): lock the case's review.
        _lock(uow, case, None, moment, until, city)


def _lock(
    uow: UnitOfWork, case: Case, reviewer: Reviewer | None, moment: datetime, until: datetime, city: City
) -> None:
    """One lock row, one audit row and one notice per supervisor of the 分局, under one key."""
    subject = f"reviewer:{reviewer.id}" if reviewer is not None else f"case:{case.id}"
    key = lock_key(subject, moment)
    if uow.reviews.lock_taken(key):
        return
    uow.add(
        ReviewLock(
            key=key,
            reviewer_id=reviewer.id if reviewer is not None else None,
            case_id=case.id,
            locked_at=moment,
            until=until,
        )
    )
    limit = get_settings().review_lockout_failures
    window = get_settings().review_lockout_window_minutes
    shown = (until + _BEIJING).strftime("%Y-%m-%d %H:%M")
    if reviewer is not None:
        what_zh, what_en = f"审核人 {reviewer.id}（{reviewer.name}）", f"Reviewer {reviewer.id}"
    else:
        what_zh, what_en = f"案件 {case.id} 的审核", f"Review of case {case.id}"
    audit = f"{what_zh}因 {window} 分钟内 {limit} 次验证码错误被锁定至 {shown} / {what_en} locked"
    uow.add(
        Review(
            case_id=case.id,
            reviewer_id=reviewer.id if reviewer is not None else "",
            decision="locked",
            accepted=False,
            refusal=audit[:_REFUSAL_MAX_CHARS],
        )
    )
    bureau = reviewer.bureau if reviewer is not None else _bureau_of(case, city)
    supervisors = [s.id for s in _supervisors_of(city, bureau) if reviewer is None or s.id != reviewer.id]
    if not supervisors:
        log.warning("review lock %s: bureau %r has no other supervisor to notify", key, bureau)
    body = (
        f"【审核锁定】{what_zh}（案件 {case.id}）在 {window} 分钟内输入错误的动态验证码 {limit} 次，"
        f"已锁定至 {shown}（北京时间）。如非本人操作，请核查并考虑吊销其验证码。\n"
        f"Review lockout: {what_en} (case {case.id}) entered {limit} wrong one-time codes within "
        f"{window} minutes and is locked until {shown} UTC+8. If this was not the reviewer, check and "
        f"consider revoking their secret (rongju reviewers revoke)."
    )
    for supervisor in supervisors:
        uow.add(
            Notification(
                key=f"{key}:{supervisor}"[:200],
                case_id=case.id,
                channel=STAFF_CHANNEL,
                recipient=supervisor[:20],
                body=body,
            )
        )
    log.warning("review lock %s until %s", key, until.isoformat())


def _bureau_of(case: Case, city: City) -> str | None:
    if case.bureau is not None:
        return case.bureau
    if case.station_id is not None:
        try:
            return city.station(case.station_id).bureau
        except KeyError:
            return None
    return None


def _supervisors_of(city: City, bureau: str | None) -> tuple[Reviewer, ...]:
    if not bureau:
        return ()
    try:
        return city.supervisors_of_bureau(bureau)
    except KeyError:
        return ()


def _authenticate(
    uow: UnitOfWork, case: Case, reviewer_id: str, one_time_code: str, at: datetime | None
) -> AuthResult:
    """Check roster, lock, station and code, adding to the unit of work (not committed) what must be kept
    whatever the verdict: the code's use, a failure, a lock with its audit row and notices.

    A code that matches is spent by this attempt whatever else is wrong with it (another station, a
    lock), because the form is stored in Prefect where others can read it.
    """
    city = load_city()
    moment = as_utc(at)
    reviewer_id = reviewer_id.strip()
    try:
        reviewer = city.reviewer(reviewer_id)
    except KeyError:
        # Counted against the case: spraying ids at one case locks the case's review.
        _record_failure(uow, case, reviewer_id, None, moment, city)
        return _refused("审核人编号不在审核人员名册中", "The reviewer id is not on the roster")
    if _totp(reviewer) is None:
        return _refused(
            "该审核人尚未登记动态验证码或已被吊销，请联系管理员",
            "This reviewer is not enrolled (or was revoked); ask the administrator",
            reviewer,
        )
    step = matching_time_step(reviewer, one_time_code.strip(), moment)
    reused = step is not None and uow.reviews.code_used(reviewer.id, step)
    lock = uow.reviews.active_lock(reviewer.id, case.id, moment)
    if step is not None and not reused:
        # Added after the last query: a concurrent spend of this step fails at commit, not mid-check.
        uow.add(ReviewerCodeUse(reviewer_id=reviewer.id, time_step=step, case_id=case.id))
    if lock is not None:
        return _locked(lock.until, reviewer, step)
    if step is None:
        _record_failure(uow, case, reviewer.id, reviewer, moment, city)
        return _refused("动态验证码错误或已过期", "The one-time code is wrong or expired", reviewer)
    refusal = may_decide(reviewer, case, city)
    if refusal is not None:
        return replace(refusal, time_step=step)
    if reused:
        return _refused(*_REUSED, reviewer=reviewer, step=step)
    return AuthResult(accepted=True, reviewer=reviewer, time_step=step)


def _load_case(uow: UnitOfWork, case_id: str) -> Case:
    case = uow.cases.find(case_id)
    if case is None:
        raise KeyError(f"no case {case_id!r}")
    return case


def authenticate_decision(
    uow: UnitOfWork,
    *,
    case_id: str,
    reviewer_id: str,
    one_time_code: str,
    at: datetime | None = None,
) -> AuthResult:
    """May `reviewer_id` decide case `case_id` with this code now? Spends the code when it may.

    Accepted only when the reviewer is on the roster and enrolled, neither the reviewer nor the case
    is locked, the reviewer belongs to the case's station or supervises its 分局, and the code is
    valid within one 30-s step of `at` (default now) and was not used before. Committed here whatever
    the verdict: a matching code is spent (reviewer_code_use), a wrong one counted
    (reviewer_code_failure) and possibly a lock (review_lock, its audit row, the supervisors'
    notices). Writes no review row for the submission itself: `record_review` does, or use
    `process_review_input`, which does both in one transaction.
    KeyError for an unknown case.
    """
    for _ in range(2):
        with uow:
            case = _load_case(uow, case_id)
            result = _authenticate(uow, case, reviewer_id, one_time_code, at)
            try:
                # Refused or not: the spent code, a failure and a lock are kept.
                uow.commit()
            except IntegrityError:
                # Another submission spent the same step (or took the same lock) meanwhile: look again.
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
    uow: UnitOfWork,
) -> Review:
    """Write the audit row of one review submission (accepted or refused) and return it.

    `decision` is the validated decision or, for a refused submission, the raw form data; the
    one-time code in raw data is never stored.
    """
    row = _review_row(case_id, decision, accepted, refusal)
    with uow:
        uow.add(row)
        uow.commit()
    return row


# --- the whole submission, once ------------------------------------------------------------------


class DecisionDeclined(Exception):
    """Raised by an `on_accept` that cannot apply an authenticated decision (the case was decided by
    another submission meanwhile): the submission is recorded as refused with `refusal` (zh, en)."""

    def __init__(self, refusal_zh: str, refusal_en: str) -> None:
        super().__init__(refusal_en)
        self.refusal = (refusal_zh, refusal_en)


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
    uow: UnitOfWork,
    *,
    case_id: str,
    raw: Mapping[str, Any],
    key: str,
    at: datetime | None = None,
    on_accept: Callable[[UnitOfWork, Case, ValidatedDecision], None] | None = None,
) -> ReviewAttempt:
    """Authenticate, validate and record one submitted review form, exactly once per `key`.

    `raw` is the form's data (`form.model_dump(mode="json")`); `key` names this submission durably,
    e.g. f"{flow_run_id}:{pause_key}". A flow that re-runs from the top after a resume is handed the
    same form again: with the same key, the stored verdict is returned (replayed=True) without a
    second audit row and without the code counting as reused. In one transaction: the code is spent,
    the review row (accepted or refused, with its bilingual refusal) and the key are written.
    Order of checks: roster → enrolled → (a matching code is spent) → not locked → code valid (else
    counted toward the lockout) → station/分局 → code unused → the form's rules
    (models.review.validate_decision). KeyError for an unknown case; ReviewerSecretsError when the
    secrets cannot be used (demo secrets outside demo mode).

    `on_accept(uow, case, decision)` runs inside that same transaction when the decision is accepted
    — advance the case there (status, transition rows, notifications; add, never commit) so that an
    accepted review and its effect on the case are saved together or not at all.
    """
    durable_key = attempt_key(case_id, key)
    declined: DecisionDeclined | None = None
    for _ in range(3):
        with uow:
            stored = uow.effects.find(durable_key)
            if stored is not None:
                return ReviewAttempt.from_payload(stored.payload)
            case = _load_case(uow, case_id)
            attempt = _judge(uow, case, raw, at)
            row_decision: ValidatedDecision | Mapping[str, Any] = attempt.decision or raw
            if attempt.accepted and declined is not None:
                # Judged again after on_accept declined: the same form, refused with its reason (the
                # code stays spent, nothing else of the case changes).
                attempt = ReviewAttempt(False, None, attempt.reviewer_id, *declined.refusal)
            elif attempt.accepted and attempt.decision is not None and on_accept is not None:
                try:
                    on_accept(uow, case, attempt.decision)
                except DecisionDeclined as exc:
                    uow.rollback()
                    declined = exc
                    continue
            uow.add(
                _review_row(case.id, row_decision, attempt.accepted, _short(attempt)),
                done_effect(durable_key, case_id=case.id, kind=_ATTEMPT_KIND, payload=attempt.as_payload()),
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


def _judge(uow: UnitOfWork, case: Case, raw: Mapping[str, Any], at: datetime | None) -> ReviewAttempt:
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
    auth = _authenticate(uow, case, reviewer_id, code, at)
    if not auth.accepted:
        return ReviewAttempt(
            accepted=False,
            decision=None,
            reviewer_id=reviewer_id,
            refusal_zh=auth.refusal_zh,
            refusal_en=auth.refusal_en,
        )
    validated = validate_decision(raw, policy=load_policy())
    if isinstance(validated, list):
        # The code stays spent (its row is in this transaction): the form is refused as a whole.
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
