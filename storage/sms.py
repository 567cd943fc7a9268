"""Sending applicant SMS: a one-call interface and the default sender, a folder of JSON files.

The folder is the embedded default (a gateway or a person picks the files up); a real SMS provider
is one more class. Every send carries the notification's durable key, and sending the same key again
sends nothing new — that is what makes a re-send after a crash harmless.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Protocol

from config.settings import get_settings
from models.tables import utcnow
from storage.files import atomic_write

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class SmsSender(Protocol):
    """Sends one SMS, at most once per key; a provider adapter is one class.

    `key` is the notification's durable key (e.g. "notify:{case_id}:{status}:{round}"). A provider
    adapter passes it as the provider's idempotency key (or client message reference), so that a
    second call with the same key — after a crash between sending and recording — does not send a
    second message but returns the first one's id.
    """

    def send(self, *, key: str, recipient: str, body: str) -> str:
        """Send `body` to `recipient` unless `key` was sent already; return the provider message id."""
        ...


class SmsKeyConflict(Exception):
    """The outbox file for a key holds another key (a filename collision, never expected)."""


def message_id(key: str) -> str:
    """The file sender's message id for `key`: deterministic, so a re-send returns the same id."""
    return "file-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def outbox_filename(key: str) -> str:
    """A filesystem-safe, deterministic name: the key made readable, plus a hash that keeps it unique."""
    readable = _UNSAFE.sub("_", key).strip("_")[:80]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"{readable}-{digest}.json"


class FileSender:
    """One JSON file per notification in `directory`, private to the service user (they hold phones).

    Files appear whole (temp file + fsync + rename), so a reader never sees half a message; temp files
    start with a dot and end in .tmp for a reader to skip.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, key: str) -> Path:
        return self.directory / outbox_filename(key)

    def send(self, *, key: str, recipient: str, body: str) -> str:
        """Write the message file for `key` unless it is there already; return its message id."""
        path = self.path_for(key)
        existing = self._read(path)
        if existing is not None:
            if existing.get("key") != key:
                raise SmsKeyConflict(path.name)
            return str(existing["message_id"])
        record = {
            "message_id": message_id(key),
            "key": key,
            "recipient": recipient,
            "body": body,
            "written_at": utcnow().isoformat(),
        }
        atomic_write(path, json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"))
        return str(record["message_id"])

    @staticmethod
    def _read(path: Path) -> dict[str, object] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return data if isinstance(data, dict) else None


def get_sms_sender() -> SmsSender:
    """The configured sender: the file outbox at settings.sms_outbox."""
    outbox = get_settings().sms_outbox
    assert outbox is not None  # derived from data_dir by the settings validator
    return FileSender(outbox)
