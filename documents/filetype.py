"""What a file really is, read from its bytes, never from its name: the one sniffer.

libmagic names the type; where it can only say "some bytes" or "some text" (a short or cut-off
file), the leading signatures below still name the common kinds, so a message can say "this is a
HEIC photo" instead of "unknown file". Intake stores the MIME type; the image and PDF readers use
the short names.
"""

from __future__ import annotations

from typing import Literal

import magic

ALLOWED_TYPES: frozenset[str] = frozenset({"image/jpeg", "image/png", "application/pdf"})

SniffedType = Literal["jpeg", "png", "pdf", "gif", "webp", "heic", "bmp", "tiff", "zip", "html"]

# libmagic needs only the head of a file to name its type.
_HEAD_BYTES = 64 * 1024
# What libmagic answers when it does not know: then the signatures get a say.
_GENERIC = frozenset({"application/octet-stream", "text/plain", "application/x-empty"})
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis", b"avif")
_MARKUP = (b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")
_NAMES: dict[str, SniffedType] = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "application/pdf": "pdf",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heic",
    "image/avif": "heic",
    "image/bmp": "bmp",
    "image/x-ms-bmp": "bmp",
    "image/tiff": "tiff",
    "application/zip": "zip",
    "text/html": "html",
    "text/xml": "html",
    "image/svg+xml": "html",
}


def sniff_type(data: bytes) -> str:
    """The MIME type of `data` (e.g. image/jpeg, application/zip; application/x-empty for nothing)."""
    if not data:
        return "application/x-empty"
    named = str(magic.from_buffer(data[:_HEAD_BYTES], mime=True))
    if named in _GENERIC:
        return _by_signature(data[:64]) or named
    return named


def _by_signature(head: bytes) -> str | None:
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/heic"
    if head.lstrip().lower().startswith(_MARKUP):
        return "text/html"
    return None


def type_name(mime_type: str) -> SniffedType | None:
    """The short name of a sniffed type for messages and readers ("heic"), None for any other."""
    return _NAMES.get(mime_type)
