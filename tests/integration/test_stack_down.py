"""`rongju down` stops only processes it can prove are its own: stack.json records each process's
pid and start time, and a pid that now belongs to another process (pids are recycled) is left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.stack import StackState, _boot_id, process_start_time

RONGJU = str(Path(sys.executable).parent / "rongju")


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live process in its own session, as a stack process (or a stranger's daemon) runs."""
    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def _record(data_dir: Path, pid: int, started: int | None) -> None:
    state = StackState(
        api_url="http://127.0.0.1:9/api",
        ui_url="http://127.0.0.1:9",
        pids={"server": pid},
        started={"server": started} if started is not None else {},
        boot_id=_boot_id(),
    )
    run = data_dir / "run"
    run.mkdir(parents=True, exist_ok=True)
    (run / "stack.json").write_text(json.dumps(state.__dict__), encoding="utf-8")


def _down(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RONGJU_DATA_DIR": str(data_dir)}
    return subprocess.run([RONGJU, "down"], env=env, capture_output=True, text=True, timeout=60, check=False)


def _gone(process: subprocess.Popen[bytes], within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return True
        time.sleep(0.1)
    return False


def test_down_leaves_alone_a_process_that_only_has_a_recorded_pid(
    isolated_settings: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    started = process_start_time(sleeper.pid)
    assert started is not None
    # The recorded process started at another time: this pid has since been given to someone else.
    _record(isolated_settings, sleeper.pid, started - 1)

    done = _down(isolated_settings)

    assert done.returncode == 0, done.stdout + done.stderr
    assert not _gone(sleeper, within=2), "a process rongju did not start was killed"
    assert f"pid {sleeper.pid}" in done.stderr and "left alone" in done.stderr
    assert not (isolated_settings / "run" / "stack.json").exists()  # the record is stale either way


def test_down_stops_a_process_whose_pid_and_start_time_match(
    isolated_settings: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    _record(isolated_settings, sleeper.pid, process_start_time(sleeper.pid))

    done = _down(isolated_settings)

    assert done.returncode == 0, done.stdout + done.stderr
    assert _gone(sleeper)
    assert "已停止 stopped" in done.stdout and "left alone" not in done.stderr


def test_a_record_without_a_start_time_proves_nothing(
    isolated_settings: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    """A stack.json from before start times were recorded: its pids are not signalled."""
    _record(isolated_settings, sleeper.pid, None)

    _down(isolated_settings)

    assert not _gone(sleeper, within=2)


def test_the_start_time_is_read_whatever_the_command_name(tmp_path: Path) -> None:
    """/proc/<pid>/stat's command name may hold spaces and parentheses; the fields after it count."""
    odd = tmp_path / "a b) (c"
    odd.symlink_to("/bin/sleep")
    process = subprocess.Popen([str(odd), "30"])
    try:
        time.sleep(0.2)
        assert ") (" in Path(f"/proc/{process.pid}/stat").read_text()
        started = process_start_time(process.pid)
        # Field 22 of a process started just now: after ours, at most a few seconds of ticks later.
        assert started is not None and 0 <= started - (process_start_time(os.getpid()) or 0) < 100 * 3600
    finally:
        process.kill()
        process.wait()
    assert process_start_time(process.pid) is None  # reaped: no such process
