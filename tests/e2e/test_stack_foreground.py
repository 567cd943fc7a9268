"""`rongju up` in the foreground, as an admin runs it in a terminal: everything starts, and Ctrl-C
(SIGINT to the process group, as a terminal sends it) stops every process it started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from stackfixture import free_port, wait_until

pytestmark = pytest.mark.e2e


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of ours counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_ctrl_c_stops_everything_up_started(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RONGJU_", "PREFECT_API_URL"))},
        "RONGJU_DATA_DIR": str(data_dir),
        "RONGJU_API_PORT": str(free_port()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    rongju = str(Path(sys.executable).parent / "rongju")
    up = subprocess.Popen(
        [rongju, "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    state_file = data_dir / "run" / "stack.json"
    try:
        wait_until("the stack to be up", lambda: state_file.exists() and up.poll() is None, timeout=240)
        state = json.loads(state_file.read_text(encoding="utf-8"))
        pids = list(state["pids"].values())
        assert pids and all(_alive(pid) for pid in pids)
        api_url = state["api_url"]
        wait_until("the Prefect API", lambda: _healthy(api_url), timeout=60)

        os.killpg(up.pid, signal.SIGINT)  # Ctrl-C
        output, _ = up.communicate(timeout=120)
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
    assert up.returncode == 0, output[-2000:]
    assert "正在停止" in output
    # The admin is told where the UI credential is, never the credential itself.
    secret = data_dir / "secrets" / "prefect-auth"
    assert "secrets/prefect-auth" in output.replace("\n", "")
    assert secret.read_text(encoding="utf-8").strip().partition(":")[2] not in output
    wait_until("every started process to exit", lambda: not any(_alive(pid) for pid in pids), timeout=60)
    assert not _healthy(api_url)
    assert not state_file.exists()  # nothing left for `rongju down` to find
