"""`rongju up` / `rongju down`: the local Prefect server, the work pool, the deployment and a worker.

The embedded default runs everything on this machine: a Prefect server on SQLite under
var/prefect-home (unless PREFECT_API_URL already points at one), the process work pool "rongju",
the "process-case" deployment from prefect.yaml, and one process worker. Each process logs to
var/run/<name>.log; var/run/stack.json records what was started so `rongju down` (and `submit`)
find it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from config.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
WORK_POOL = "rongju"
DEPLOYMENT = "process-case/process-case"
BIN = Path(sys.executable).parent


@dataclass
class StackState:
    api_url: str
    ui_url: str
    pids: dict[str, int] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)


def run_dir() -> Path:
    path = get_settings().data_dir.resolve() / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_file() -> Path:
    return run_dir() / "stack.json"


def read_state() -> StackState | None:
    path = state_file()
    if not path.exists():
        return None
    return StackState(**json.loads(path.read_text(encoding="utf-8")))


def prefect_api_url() -> str | None:
    """The Prefect API to use: PREFECT_API_URL, else the one `rongju up` started, else none."""
    explicit = os.environ.get("PREFECT_API_URL")
    if explicit:
        return explicit
    state = read_state()
    if state is not None and _healthy(state.api_url):
        return state.api_url
    return None


def child_env(api_url: str) -> dict[str, str]:
    """The environment every stack process (and so every flow run) gets."""
    settings = get_settings()
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_API_URL": api_url,
            "PREFECT_HOME": str(settings.data_dir.resolve() / "prefect-home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
            # Absolute, so flow-run processes find the case DB and documents whatever their cwd.
            "RONGJU_DATA_DIR": str(settings.data_dir.resolve()),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.setdefault("PREFECT_WORKER_QUERY_SECONDS", "5")
    return env


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise TimeoutError(f"等待超时 timed out waiting for {what}")


def _spawn(name: str, argv: list[str], env: dict[str, str], state: StackState) -> subprocess.Popen[bytes]:
    log_path = run_dir() / f"{name}.log"
    log = log_path.open("ab")
    # Own session: Ctrl-C in the terminal reaches only `rongju up`, which stops the children in order.
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    state.pids[name] = process.pid
    state.logs[name] = str(log_path)
    return process


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-2000:]
        raise RuntimeError(f"{what} failed ({done.returncode}): {tail}")


def start_stack(
    *, port: int = 4200, with_api: bool = True, progress: Callable[[str], None] = print
) -> StackState:
    """Start (or reuse) the server, create the work pool, deploy, start a worker (and the API)."""
    existing = read_state()
    if existing is not None and _healthy(existing.api_url) and all(_alive(p) for p in existing.pids.values()):
        progress(f"已在运行 already running: {existing.ui_url}")
        return existing
    external = os.environ.get("PREFECT_API_URL")
    api_url = external or f"http://127.0.0.1:{port}/api"
    state = StackState(api_url=api_url, ui_url=api_url.removesuffix("/api"))
    env = child_env(api_url)
    try:
        if not external:
            if _healthy(api_url) or _port_taken(port):
                raise RuntimeError(
                    f"端口 {port} 已被占用 port {port} is already in use (a server this data folder did not "
                    "start?): stop it, or use --port or PREFECT_API_URL"
                )
            progress("启动 Prefect 服务 starting the Prefect server…")
            server = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
            process = _spawn("server", server, env, state)

            def server_ready() -> bool:
                if process.poll() is not None:
                    tail = Path(state.logs["server"]).read_text(errors="replace")[-1500:]
                    raise RuntimeError(f"Prefect 服务启动失败 the Prefect server exited: {tail}")
                return _healthy(api_url)

            _wait_until(server_ready, 120, "the Prefect server")
        progress("创建工作池并部署 creating the work pool and deploying process-case…")
        create = [str(BIN / "prefect"), "work-pool", "create", WORK_POOL, "--type", "process", "--overwrite"]
        _run(create, env, "work-pool create")
        _run([str(BIN / "prefect"), "--no-prompt", "deploy", "--all"], env, "prefect deploy")
        progress("启动工作进程 starting a worker…")
        # Each flow run is a process (OCR included): bound how many run at once on this machine.
        limit = os.environ.get("RONGJU_WORKER_LIMIT", str(max(2, (os.cpu_count() or 1) * 2)))
        worker = [str(BIN / "prefect"), "worker", "start", "--pool", WORK_POOL, "--type", "process",
                  "--limit", limit]  # fmt: skip
        _spawn("worker", worker, env, state)
        if with_api and (ROOT / "api" / "app.py").exists():
            api_port = os.environ.get("RONGJU_API_PORT", "8765")
            uvicorn = [str(BIN / "uvicorn"), "api.app:create_app", "--factory", "--host", "127.0.0.1",
                       "--port", api_port]  # fmt: skip
            _spawn("api", uvicorn, env, state)
    except BaseException:
        stop_processes(state)
        raise
    state_file().write_text(json.dumps(asdict(state), ensure_ascii=False, indent=2), encoding="utf-8")
    return state


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_processes(state: StackState, *, grace: float = 15) -> None:
    """Stop the stack's processes, newest first: SIGTERM to each process group, then SIGKILL."""
    for pid in reversed(list(state.pids.values())):
        try:
            os.killpg(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            continue
    deadline = time.monotonic() + grace
    for pid in state.pids.values():
        while _alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.2)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        _reap(pid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop_stack() -> bool:
    """`rongju down`: stop what `rongju up --detach` started. False when nothing was running."""
    state = read_state()
    if state is None:
        return False
    stop_processes(state)
    state_file().unlink(missing_ok=True)
    return True
