"""The link from the Prefect review form to rongju's review pages, and rongju's signing secret.

The review form's markdown is stored in Prefect's database and shown to anyone who can open the
Prefect UI, so it holds no capability at all: one plain link per case,

    {RONGJU_API_URL}/review/{case_id}

where the reviewer signs in (reviewer id + one-time code) and sees the case's documents only if the
case is of their station (api/review_pages.py, services/review_sessions.py). No document URL, token
or image ever goes into Prefect.

Signed values (the review-session cookie) are `value "." base64url(HMAC-SHA256(secret, purpose +
value))`: the purpose separates domains, so a signature made for one use is good for nothing else;
base64 must be canonical (the one encoding of its bytes), so a token has exactly one spelling.

The secret: RONGJU_LINK_SECRET (at least 32 characters; every machine that serves the review pages
needs the same one), else a random secret generated once and kept in
`{data_dir}/secrets/link-secret` (mode 0600) — enough for the one-machine default. Rotating it
signs every reviewer out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from functools import cache
from pathlib import Path
from urllib.parse import quote

from config.settings import MIN_LINK_SECRET_CHARS, get_settings
from storage.permissions import create_secret_once

# Longer than any token we sign; refusing early keeps decoding work bounded.
MAX_TOKEN_CHARS = 300
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class SignatureInvalid(Exception):
    """A signed value that is malformed, tampered with, or signed with another secret or purpose."""


def api_base_url() -> str:
    """Where the API is reached by the reviewer's browser (RONGJU_API_URL), without trailing slash."""
    return get_settings().api_url.rstrip("/")


def review_url(case_id: str) -> str:
    """`{api_url}/review/{case_id}`: the case's review page (sign-in required), for the review form."""
    return f"{api_base_url()}/review/{quote(case_id, safe='')}"


def link_secret() -> bytes:
    """The signing secret: RONGJU_LINK_SECRET, else the generated one under data_dir/secrets."""
    configured = get_settings().link_secret
    if configured is not None:
        return configured.get_secret_value().encode()
    return _secret_file(get_settings().data_dir.resolve() / "secrets" / "link-secret")


@cache
def _secret_file(path: Path) -> bytes:
    """The secret file's secret, the file generated first if missing (whoever writes first wins;
    every process reads the winner's secret)."""
    create_secret_once(path, secrets.token_urlsafe(48) + "\n")
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MIN_LINK_SECRET_CHARS:
        raise ValueError(f"{path}: link secret is shorter than {MIN_LINK_SECRET_CHARS} characters")
    return value.encode()


def b64encode(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """The bytes of canonical unpadded base64url; SignatureInvalid for anything else.

    Canonical: only the alphabet, no padding, and the unused low bits of the last character zero —
    checked by encoding the bytes again. Otherwise one token would have several spellings (a
    signature accepted under four names), which breaks any comparison or lookup by token.
    """
    if not text or len(text) > MAX_TOKEN_CHARS or not all(c in _B64_ALPHABET for c in text):
        raise SignatureInvalid()
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SignatureInvalid() from None
    if b64encode(data) != text:
        raise SignatureInvalid()
    return data


def _signature(purpose: bytes, value: str) -> bytes:
    return hmac.new(link_secret(), purpose + b"." + value.encode("ascii"), hashlib.sha256).digest()


def sign(value: str, *, purpose: bytes) -> str:
    """`value.signature` for an ASCII value without dots (e.g. a random id); `purpose` names the use."""
    if not value or not value.isascii() or "." in value:
        raise ValueError("a signed value is non-empty ASCII without dots")
    return f"{value}.{b64encode(_signature(purpose, value))}"


def unsign(token: str, *, purpose: bytes) -> str:
    """The value of a token `sign(value, purpose=purpose)` made; SignatureInvalid for anything else."""
    if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise SignatureInvalid()
    value, signature_b64 = token.split(".")
    if not value or not value.isascii():
        raise SignatureInvalid()
    signature = b64decode(signature_b64)
    # Compared in constant time, before the value is used for anything.
    if not hmac.compare_digest(signature, _signature(purpose, value)):
        raise SignatureInvalid()
    return value
