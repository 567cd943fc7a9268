"""`rongju up` / `rongju worker` / `rongju down`: the Prefect server, the work pool, the deployment,
and each host's document readers and worker.

The embedded default runs everything on this machine: a Prefect server on SQLite under
var/prefect-home (unless PREFECT_API_URL already points at one), the process work pool "rongju",
the "process-case" deployment from prefect.yaml, the document readers (tasks/serve_reader.py) and
one process worker; `rongju worker` starts the readers and a worker on another host. Each process logs to
var/run/<name>.log; var/run/stack.json records what was started so `rongju down` (and `submit`)
find it.

Prefect is closed to outsiders (issue 12): the server demands HTTP basic auth with a generated
credential under the data folder (secrets/prefect-auth, 0600), refuses state-changing requests
without a CSRF token and allows cross-origin calls only from its own UI. Every process `rongju up`
starts, and every rongju command that talks to Prefect, carries the credential. `rongju down`
signals only processes whose pid *and* start time match what stack.json recorded.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from config.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
WORK_POOL = "rongju"
DEPLOYMENT = "process-case/process-case"
BIN = Path(sys.executable).parent
AUTH_USER = "admin"
# The password part of a credential an admin writes by hand must not be guessable either.
MIN_AUTH_PASSWORD_CHARS = 16
# Files the stack's processes create (Prefect's database, documents, spool) are for this user only.
CHILD_UMASK = 0o077

log = logging.getLogger(__name__)


@dataclass
class StackState:
    api_url: str
    ui_url: str
    pids: dict[str, int] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)
    # Start time of each process (clock ticks after boot, /proc/<pid>/stat field 22) and the boot it
    # belongs to: a pid alone may since have been given to someone else's process.
    started: dict[str, int] = field(default_factory=dict)
    boot_id: str | None = None


@dataclass
class StopReport:
    """What `rongju down` did: the processes it stopped and those it left alone (not provably ours)."""

    stopped: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)


def run_dir() -> Path:
    from storage.permissions import ensure_data_dir, ensure_private_dir

    return ensure_private_dir(ensure_data_dir().resolve() / "run")


def state_file() -> Path:
    return run_dir() / "stack.json"


def read_state() -> StackState | None:
    path = state_file()
    if not path.exists():
        return None
    return StackState(**json.loads(path.read_text(encoding="utf-8")))


def _write_state(state: StackState) -> None:
    from storage.files import atomic_write

    atomic_write(state_file(), json.dumps(asdict(state), ensure_ascii=False, indent=2).encode("utf-8"))


def prefect_api_url() -> str | None:
    """The Prefect API to use: PREFECT_API_URL, else the one `rongju up` started, else none."""
    explicit = os.environ.get("PREFECT_API_URL")
    if explicit:
        return explicit
    state = read_state()
    if state is not None and _healthy(state.api_url):
        return state.api_url
    return None


# --- the Prefect credential -------------------------------------------------------------------


class PrefectAuthError(RuntimeError):
    """The credential file is unusable (readable by others, or malformed)."""


def auth_file() -> Path:
    """Where the local server's basic-auth credential lives (the admin reads the UI login here)."""
    return get_settings().data_dir.resolve() / "secrets" / "prefect-auth"


def ensure_auth_string() -> str:
    """The local server's credential `admin:<random>`, generated once and reused after."""
    from storage.permissions import create_secret_once

    path = auth_file()
    # Two `rongju up`s racing both end up with the first one's credential.
    create_secret_once(path, f"{AUTH_USER}:{secrets.token_urlsafe(32)}\n")
    return _read_auth_string(path)


def _read_auth_string(path: Path) -> str:
    from storage.permissions import is_exposed

    if is_exposed(path.stat().st_mode):
        raise PrefectAuthError(
            f"{path} 可被他人读取，请执行 chmod 600 / is readable by others: chmod 600 it (and rotate it)"
        )
    value = path.read_text(encoding="utf-8").strip()
    user, colon, password = value.partition(":")
    if not colon or not user or len(password) < MIN_AUTH_PASSWORD_CHARS:
        raise PrefectAuthError(
            f"{path} 格式应为 user:password（密码至少 {MIN_AUTH_PASSWORD_CHARS} 字符） / must hold "
            f"user:password with a password of at least {MIN_AUTH_PASSWORD_CHARS} characters"
        )
    return value


def prefect_auth_string() -> str | None:
    """The credential to send: for the local stack the generated one, for a server named by
    PREFECT_API_URL (someone else's: it never gets our secret) PREFECT_API_AUTH_STRING."""
    explicit = os.environ.get("PREFECT_API_AUTH_STRING") or None
    if os.environ.get("PREFECT_API_URL"):
        return explicit
    path = auth_file()
    return _read_auth_string(path) if path.exists() else explicit


def prefect_client_settings(api_url: str) -> dict[Any, object]:
    """Prefect client settings for talking to `api_url`: the URL, the credential, CSRF support.

    The one place every rongju command gets them (services/dispatch.py, replay.py, the tests).
    """
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, PREFECT_CLIENT_CSRF_SUPPORT_ENABLED

    updates: dict[Any, object] = {PREFECT_API_URL: api_url, PREFECT_CLIENT_CSRF_SUPPORT_ENABLED: True}
    auth = prefect_auth_string()
    if auth is not None:
        updates[PREFECT_API_AUTH_STRING] = auth
    return updates


@contextlib.contextmanager
def prefect_connection(api_url: str) -> Iterator[None]:
    """Within this block Prefect's client (get_client, run_deployment, resume_flow_run) talks to
    `api_url` with the stack's credential."""
    from prefect.settings import temporary_settings

    with temporary_settings(updates=prefect_client_settings(api_url)):
        yield


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Environment variables only the Prefect server process may see (its database's URL and password).
_SERVER_ONLY = frozenset(
    {
        "RONGJU_PREFECT_DATABASE_URL",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL",
        "PREFECT_API_DATABASE_CONNECTION_URL",
        "PREFECT_SERVER_DATABASE_PASSWORD",
        "PREFECT_API_DATABASE_PASSWORD",
    }
)


def child_env(api_url: str, *, own_server: bool = True) -> dict[str, str]:
    """The environment every stack process (and so every flow run) gets.

    With `own_server` the Prefect server started here demands the generated credential, refuses
    state-changing requests without a CSRF token, and allows cross-origin calls only from its own
    UI (PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS set beforehand wins: a proxy's public origin).
    """
    settings = get_settings()
    # The Prefect server's database credentials stay with the server (server_database_env): not in
    # the worker's environment, which every flow run inherits.
    env = {name: value for name, value in os.environ.items() if name not in _SERVER_ONLY}
    env.update(
        {
            "PREFECT_API_URL": api_url,
            "PREFECT_HOME": str(settings.data_dir.resolve() / "prefect-home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
            # Absolute, so flow-run processes find the case DB and documents whatever their cwd.
            "RONGJU_DATA_DIR": str(settings.data_dir.resolve()),
            "PYTHONUNBUFFERED": "1",
            "PREFECT_CLIENT_CSRF_SUPPORT_ENABLED": "true",
            # A flow run hands the reading to a reader through Prefect's result storage (the task's
            # parameters: the case id); the reader may be on another host, so it lives beside the
            # documents, on the store every host reaches.
            "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(task_parameters_dir(settings)),
        }
    )
    if own_server:
        auth = ensure_auth_string()
        env.update(
            {
                "PREFECT_SERVER_API_AUTH_STRING": auth,
                # The worker, the flow runs it starts (they inherit its environment) and the CLI.
                "PREFECT_API_AUTH_STRING": auth,
                "PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED": "true",
            }
        )
        env.setdefault("PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS", _origin(api_url))
    env.setdefault("PREFECT_WORKER_QUERY_SECONDS", "5")
    # Every flow run (they inherit the worker's environment) beats; see FLOW_HEARTBEAT_SECONDS.
    env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] = str(FLOW_HEARTBEAT_SECONDS)
    return env


def task_parameters_dir(settings: Settings) -> Path:
    """Where Prefect keeps the parameters of background task runs (case ids, nothing else)."""
    assert settings.document_dir is not None  # derived in Settings
    return settings.document_dir.resolve() / "task-parameters"


# Flow runs tell the server they are alive this often (Prefect's flow-run heartbeats, inherited by
# every flow run from the worker's environment); a running run silent for ZOMBIE_AFTER_SECONDS lost
# its process or its host (services.replay.crash_silent_runs).
FLOW_HEARTBEAT_SECONDS = 30
ZOMBIE_AFTER_SECONDS = 3 * FLOW_HEARTBEAT_SECONDS + 15


# Prefect's default retention of events (server.events.retention_period).
EVENT_RETENTION_DAYS = 7


def server_database_env(settings: Settings) -> dict[str, str]:
    """The Prefect server's database and its upkeep (Prefect's own settings, as it documents them
    for self-hosting): PostgreSQL when configured, else SQLite in PREFECT_HOME; old flow runs, their
    logs and artifacts, and events deleted by the server's vacuum service after the retention."""
    days = settings.prefect_retention_days
    env = {
        "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": '["events", "flow_runs"]',
        # ISO 8601 durations: Prefect reads timedeltas. Events, the largest table by far (dozens per
        # case), keep Prefect's own 7 days unless the retention is shorter; nothing rongju shows
        # needs older ones.
        "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": f"P{days}D",
        "PREFECT_SERVER_EVENTS_RETENTION_PERIOD": f"P{min(days, EVENT_RETENTION_DAYS)}D",
        # A statement waits this long for a lock before failing (SQLite's busy wait is Prefect's own
        # 60 s pragma); a reviewer's Submit must wait out a busy moment, not fail.
        "PREFECT_SERVER_DATABASE_TIMEOUT": "60",
        "PREFECT_SERVER_DATABASE_CONNECTION_TIMEOUT": "30",
    }
    if settings.prefect_database_url is not None:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = settings.prefect_database_url.get_secret_value()
    return env


def _healthy(api_url: str) -> bool:
    # GET /health is the one path Prefect's basic auth lets through (for probes): no credential
    # needed, and none sent to a server that is perhaps not the one we started.
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _port_taken(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


def _wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise TimeoutError(f"等待超时 timed out waiting for {what}")


def _spawn(name: str, argv: list[str], env: dict[str, str], state: StackState) -> subprocess.Popen[bytes]:
    log_path = run_dir() / f"{name}.log"
    # Logs may name cases and settings: this user's only, like everything the children write.
    log = os.fdopen(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
    # Own session: Ctrl-C in the terminal reaches only `rongju up`, which stops the children in order.
    with log:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, umask=CHILD_UMASK,
        )  # fmt: skip
    state.pids[name] = process.pid
    state.logs[name] = str(log_path)
    started = process_start_time(process.pid)
    if started is not None:
        state.started[name] = started
    return process


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False, umask=CHILD_UMASK
    )  # fmt: skip
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-2000:]
        raise RuntimeError(f"{what} failed ({done.returncode}): {tail}")


def start_reader(name: str, env: dict[str, str], state: StackState) -> subprocess.Popen[bytes]:
    """One document reader process (tasks/serve_reader.py), recorded in `state` as `name`."""
    return _spawn(name, [sys.executable, "-m", "tasks.serve_reader"], env, state)


def start_host_workers(
    env: dict[str, str],
    state: StackState,
    *,
    name: str | None = None,
    progress: Callable[[str], None] = print,
) -> None:
    """What every host runs (`rongju up` on the first, `rongju worker` on the others): the document
    readers, which keep the OCR models loaded, and one process worker, whose flow runs are light
    processes that hand the reading to the readers and wait for people and confirmations."""
    settings = get_settings()
    assert settings.readers is not None and settings.worker_limit is not None  # derived in Settings
    progress(f"启动 {settings.readers} 个文档读取进程 starting {settings.readers} document reader(s)…")
    for number in range(1, settings.readers + 1):
        start_reader(f"reader-{number}", env, state)
    progress("启动工作进程 starting a worker…")
    name = name or f"{socket.gethostname()}-{os.getpid()}"
    worker = [str(BIN / "prefect"), "worker", "start", "--pool", WORK_POOL, "--type", "process",
              "--name", name, "--limit", str(settings.worker_limit)]  # fmt: skip
    _spawn("worker", worker, env, state)


def start_stack(
    *,
    port: int = 4200,
    host: str = "127.0.0.1",
    with_api: bool = True,
    progress: Callable[[str], None] = print,
) -> StackState:
    """Start (or reuse) the server, create the work pool, deploy, start a worker (and the API)."""
    existing = read_state()
    if (
        existing is not None
        and _healthy(existing.api_url)
        and all(_is_ours(existing, name) is True for name in existing.pids)
    ):
        progress(f"已在运行 already running: {existing.ui_url}")
        if not os.environ.get("PREFECT_API_URL"):
            progress(f"Prefect 界面登录凭据见 the Prefect UI login (user:password) is in {auth_file()}")
        return existing
    external = os.environ.get("PREFECT_API_URL")
    api_url = external or f"http://{host}:{port}/api"
    state = StackState(api_url=api_url, ui_url=api_url.removesuffix("/api"), boot_id=_boot_id())
    env = child_env(api_url, own_server=not external)
    if not external:
        # Where, not what: the secret itself never goes to a terminal or a log.
        progress(f"Prefect 界面登录凭据见 the Prefect UI login (user:password) is in {auth_file()}")
    try:
        if not external:
            if _healthy(api_url) or _port_taken(host, port):
                raise RuntimeError(
                    f"端口 {port} 已被占用 port {port} is already in use (a server this data folder did not "
                    "start?): stop it, or use --port or PREFECT_API_URL"
                )
            progress("启动 Prefect 服务 starting the Prefect server…")
            server = [str(BIN / "prefect"), "server", "start", "--host", host, "--port", str(port)]
            # Only the server gets its database's URL (and password): workers and flow runs talk
            # to the API.
            process = _spawn("server", server, env | server_database_env(get_settings()), state)

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
        start_host_workers(env, state, progress=progress)
        if with_api and (ROOT / "api" / "app.py").exists():
            api_port = str(get_settings().api_port)
            uvicorn = [str(BIN / "uvicorn"), "api.app:create_app", "--factory", "--host", "127.0.0.1",
                       "--port", api_port]  # fmt: skip
            _spawn("api", uvicorn, env, state)
    except BaseException:
        stop_processes(state)
        raise
    _write_state(state)
    return state


def start_worker_host(*, name: str | None = None, progress: Callable[[str], None] = print) -> StackState:
    """`rongju worker`: this host's document readers and worker, against the Prefect API named by
    PREFECT_API_URL (with PREFECT_API_AUTH_STRING) and the case DB and document store its
    RONGJU_* settings name. The same command on every host; the caller stops them (stop_processes)."""
    api_url = os.environ.get("PREFECT_API_URL")
    if not api_url:
        raise RuntimeError(
            "请设置 PREFECT_API_URL（及 PREFECT_API_AUTH_STRING）为第一台主机的 Prefect API / set "
            "PREFECT_API_URL (and PREFECT_API_AUTH_STRING) to the first host's Prefect API"
        )
    if not _healthy(api_url):
        raise RuntimeError(f"Prefect API 无法访问 the Prefect API does not answer: {api_url}")
    state = StackState(api_url=api_url, ui_url=api_url.removesuffix("/api"), boot_id=_boot_id())
    try:
        start_host_workers(child_env(api_url, own_server=False), state, name=name, progress=progress)
    except BaseException:
        stop_processes(state)
        raise
    return state


def process_start_time(pid: int) -> int | None:
    """When the process started (clock ticks after boot), or None when no such process runs (a
    zombie has exited: only its parent's wait is missing, and the init process will do that)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # Field 2 (the command name) may hold spaces and parentheses: count fields after its last ")".
    # Field 3, the state, is then the 1st and field 22, starttime, the 20th.
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return None


def _is_ours(state: StackState, name: str) -> bool | None:
    """True: the process `name` recorded in `state` is still running. None: it has exited.
    False: its pid now belongs to another process (recycled), or ours cannot be proved."""
    pid = state.pids[name]
    now = process_start_time(pid)
    if now is None:
        return None
    recorded = state.started.get(name)
    if recorded is None or state.boot_id != _boot_id():
        return False
    return now == recorded


def stop_processes(state: StackState, *, grace: float = 15) -> StopReport:
    """Stop the stack's processes, newest first: SIGTERM to each process group, then SIGKILL.

    Only a process whose pid and start time both match the record is signalled; a pid the system
    has since given to another process is left alone and reported. A recorded leader that has
    already exited is still signalled as a group: the kernel keeps a group's id from being reused
    while any member lives, so that group can only hold our leftovers (a flow run the worker began).
    """
    report = StopReport()
    targets: list[tuple[str, int]] = []
    for name, pid in reversed(list(state.pids.items())):
        ours = _is_ours(state, name)
        if ours is False:
            log.warning("pid %s (%s) is not the process rongju started: left alone", pid, name)
            report.left_alone.append(f"{name} (pid {pid})")
            continue
        targets.append((name, pid))
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for name, pid in targets:
        while _is_ours(state, name) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.2)
        if _is_ours(state, name):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        _reap(pid)
        report.stopped.append(f"{name} (pid {pid})")
    return report


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop_stack() -> StopReport | None:
    """`rongju down`: stop what `rongju up --detach` started. None when nothing was recorded."""
    state = read_state()
    if state is None:
        return None
    report = stop_processes(state)
    state_file().unlink(missing_ok=True)
    return report
