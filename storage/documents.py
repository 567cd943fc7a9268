"""The document store: uploaded files, content-addressed by SHA-256.

The interface is three calls so an object store (S3/OSS/MinIO) is one more class; the local folder
is the embedded default. Writes are atomic (temp file + rename) and idempotent: storing the same
bytes twice keeps one copy. ID-card images are sensitive: files are readable by the owner only.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from config.settings import get_settings

_HASH = re.compile(r"^[0-9a-f]{64}$")


class DocumentStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store `data`; return its SHA-256 hex digest (the key)."""
        ...

    def get(self, content_hash: str) -> bytes:
        """The bytes stored under `content_hash`; KeyError if absent."""
        ...

    def exists(self, content_hash: str) -> bool: ...


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalDocumentStore:
    """Files under ROOT/ab/cd/<sha256>, private to the service user."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        if not _HASH.match(digest):
            raise KeyError(digest)
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        digest = content_hash(data)
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp_name, 0o600)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return digest

    def get(self, content_hash: str) -> bytes:
        path = self._path(content_hash)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyError(content_hash) from None

    def exists(self, content_hash: str) -> bool:
        try:
            return self._path(content_hash).exists()
        except KeyError:
            return False


def get_document_store() -> DocumentStore:
    """The configured document store."""
    root = get_settings().document_dir
    assert root is not None  # derived in Settings
    return LocalDocumentStore(root)
