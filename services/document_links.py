"""Short-lived signed links to one document's image, for the review form in the Prefect UI.

The Prefect UI renders the review form's markdown; the reviewer's browser loads the images by URL.
The images must come from rongju (never from Prefect, never as data: URLs, which would copy ID-card
images into Prefect's database), so each image is a link to rongju's API:

    {RONGJU_API_URL}/documents/{token}
    token = base64url(payload) "." base64url(HMAC-SHA256(secret, "rongju.document-link.v1." + payload))
    payload = {"c": case id, "d": document id, "e": expiry (unix seconds)}

**The URL is a bearer capability**: whoever holds it sees the document until it expires. So it is
scoped to one document of one case, short-lived (default one hour), carries no personal data (the
payload is readable, only signed), and the API serves it with no-store/no-referrer headers. In
production the API sits behind the station network's TLS; over plain HTTP anyone on the path could
copy a live link. Revocation is by expiry only; rotating the secret revokes every live link at once.

The secret: RONGJU_LINK_SECRET (at least 32 characters; every machine that makes or checks links
needs the same one), else a random secret generated once and kept in
`{data_dir}/secrets/link-secret` (mode 0600) — enough for the one-machine default.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine
from sqlmodel import col, select

from config.settings import get_settings
from models.tables import Document
from storage.db import unit_of_work

DEFAULT_API_URL = "http://127.0.0.1:8765"
DEFAULT_TTL_SECONDS = 3600
MIN_SECRET_CHARS = 32
# Domain separation: a signature made for a document link is good for nothing else.
_SIGNING_CONTEXT = b"rongju.document-link.v1."
# Longer than any token we issue; refusing early keeps decoding work bounded.
MAX_TOKEN_CHARS = 300


class LinkSettings(BaseSettings):
    """The settings this module needs (to move into config.settings.Settings)."""

    model_config = SettingsConfigDict(env_prefix="RONGJU_", extra="ignore")

    link_secret: SecretStr | None = None
    api_url: str = DEFAULT_API_URL

    @field_validator("link_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_CHARS:
            raise ValueError(f"RONGJU_LINK_SECRET must be at least {MIN_SECRET_CHARS} characters")
        return value


class LinkError(Exception):
    """A document link that must not be served."""

    zh = "链接无效"
    en = "invalid link"


class LinkInvalid(LinkError):
    """Malformed, tampered with, or signed with another secret."""

    zh = "链接无效或已被篡改"
    en = "the link is invalid or has been tampered with"


class LinkExpired(LinkError):
    """A genuine link past its expiry."""

    zh = "链接已过期，请在审核页面重新打开"
    en = "the link has expired; reopen it from the review form"


def api_base_url() -> str:
    """Where the API is reached by the reviewer's browser (RONGJU_API_URL), without trailing slash."""
    return LinkSettings().api_url.rstrip("/")


def link_secret() -> bytes:
    """The signing secret: RONGJU_LINK_SECRET, else the generated one under data_dir/secrets."""
    configured = LinkSettings().link_secret
    if configured is not None:
        return configured.get_secret_value().encode()
    return _secret_file(get_settings().data_dir.resolve() / "secrets" / "link-secret")


@cache
def _secret_file(path: Path) -> bytes:
    """Read the secret file, creating it once (atomically: two processes never disagree)."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".link-secret-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o600)
        # link() fails if the name exists: whoever links first wins, everyone reads the winner's secret.
        with contextlib.suppress(FileExistsError):
            os.link(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MIN_SECRET_CHARS:
        raise ValueError(f"{path}: link secret is shorter than {MIN_SECRET_CHARS} characters")
    return value.encode()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _is_b64(text: str) -> bool:
    return bool(text) and all(c in _B64_ALPHABET for c in text)


def _b64decode(text: str) -> bytes:
    if not _is_b64(text):
        raise LinkInvalid()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise LinkInvalid() from None


_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _sign(payload_b64: str, secret: bytes) -> bytes:
    return hmac.new(secret, _SIGNING_CONTEXT + payload_b64.encode("ascii"), hashlib.sha256).digest()


def _epoch(now: datetime | None) -> int:
    # Wall-clock time, not config.settings.today(): a TTL is measured in seconds, and RONGJU_TODAY
    # (a fixed date for rules) must not make links immortal or stillborn.
    return int(now.timestamp()) if now is not None else int(time.time())


def make_token(
    case_id: str, document_id: int, *, ttl_seconds: int = DEFAULT_TTL_SECONDS, now: datetime | None = None
) -> str:
    """A signed token for one document of one case, valid for `ttl_seconds` from `now`."""
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    payload = json.dumps(
        {"c": case_id, "d": int(document_id), "e": _epoch(now) + ttl_seconds},
        separators=(",", ":"),
        ensure_ascii=True,
    )
    payload_b64 = _b64encode(payload.encode("ascii"))
    return f"{payload_b64}.{_b64encode(_sign(payload_b64, link_secret()))}"


def make_document_url(
    case_id: str, document_id: int, *, ttl_seconds: int = DEFAULT_TTL_SECONDS, now: datetime | None = None
) -> str:
    """`{api_url}/documents/{token}` for one document of one case."""
    token = make_token(case_id, document_id, ttl_seconds=ttl_seconds, now=now)
    return f"{api_base_url()}/documents/{token}"


def verify_token(token: str, now: datetime | None = None) -> tuple[str, int]:
    """(case id, document id) of a genuine, unexpired token; else LinkInvalid or LinkExpired."""
    if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise LinkInvalid()
    payload_b64, signature_b64 = token.split(".")
    if not _is_b64(payload_b64):
        raise LinkInvalid()
    signature = _b64decode(signature_b64)
    # The signature is checked (in constant time) before the payload is even parsed.
    if not hmac.compare_digest(signature, _sign(payload_b64, link_secret())):
        raise LinkInvalid()
    try:
        payload = json.loads(_b64decode(payload_b64))
        case_id, document_id, expires = payload["c"], payload["d"], payload["e"]
    except (ValueError, KeyError, TypeError):
        raise LinkInvalid() from None
    if not (isinstance(case_id, str) and type(document_id) is int and type(expires) is int):
        raise LinkInvalid()
    if _epoch(now) >= expires:
        raise LinkExpired()
    return case_id, document_id


@dataclass(frozen=True)
class DocumentLink:
    """One current document of a case with its short-lived URL, for the review form."""

    document_id: int
    kind: str
    mime_type: str
    url: str

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")

    def as_markdown(self, label: str | None = None) -> str:
        """An inline image for pictures, a link for PDFs (browsers do not render PDFs in <img>)."""
        text = label or self.kind
        if self.is_image:
            return f"![{text}]({self.url})"
        return f"[{text} (PDF)]({self.url})"


def document_links(
    case_id: str,
    *,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> list[DocumentLink]:
    """Links to every current (not superseded) document of a case, in upload order."""
    with unit_of_work(engine) as uow:
        rows = uow.session.exec(
            select(Document)
            .where(Document.case_id == case_id, Document.superseded == False)  # noqa: E712
            .order_by(col(Document.id))
        ).all()
    return [
        DocumentLink(
            document_id=row.id,
            kind=row.kind,
            mime_type=row.sniffed_type,
            url=make_document_url(case_id, row.id, ttl_seconds=ttl_seconds, now=now),
        )
        for row in rows
        if row.id is not None
    ]


def load_linked_document(case_id: str, document_id: int, *, engine: Engine | None = None) -> Document | None:
    """The document a verified link names, if it belongs to that case and is still current."""
    with unit_of_work(engine) as uow:
        document = uow.session.get(Document, document_id)
    if document is None or document.case_id != case_id or document.superseded:
        return None
    return document
