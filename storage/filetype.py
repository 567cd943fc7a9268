"""What a file really is, read from its bytes (libmagic), never from its name."""

from __future__ import annotations

import magic

ALLOWED_TYPES: frozenset[str] = frozenset({"image/jpeg", "image/png", "application/pdf"})

# libmagic needs only the head of a file to name its type.
_HEAD_BYTES = 64 * 1024


def sniff_type(data: bytes) -> str:
    """The MIME type of `data` as libmagic reads it (e.g. image/jpeg, application/zip)."""
    if not data:
        return "application/x-empty"
    return str(magic.from_buffer(data[:_HEAD_BYTES], mime=True))


def is_allowed(mime_type: str) -> bool:
    return mime_type in ALLOWED_TYPES
