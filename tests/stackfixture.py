"""A real local Prefect stack for end-to-end tests (see tests/e2e/conftest.py for the fixtures)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from services.stack import StackState

TODAY = date(2026, 11, 27)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    def __init__(
        self, data_dir: Path, state: StackState, city: Path, prefect_database_url: str | None = None
    ) -> None:
        self.data_dir = data_dir
        self.state = state
        self.city = city
        self.prefect_database_url = prefect_database_url  # the server's PostgreSQL database, if not SQLite
        self.expected = json.loads((city / "expected.json").read_text(encoding="utf-8"))["cases"]

    @property
    def auth_string(self) -> str:
        """The Prefect credential `rongju up` generated (user:password), as an admin reads it."""
        return (self.data_dir / "secrets" / "prefect-auth").read_text(encoding="utf-8").strip()

    def package(self, scenario: str) -> Path:
        for folder in sorted((self.city / "cases").iterdir()):
            sid = json.loads((folder / "application.json").read_text(encoding="utf-8"))["submission_id"]
            if self.expected[sid]["scenario"] == scenario:
                return folder
        raise LookupError(scenario)


def wait_until(what: str, done: Callable[[], bool], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")
