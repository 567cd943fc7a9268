"""A second worker host: `rongju worker` in a network namespace of its own (tests/netns.py) pulls case
flow runs from the first host's Prefect server next to the first host's worker, and its document
reader takes readings from Prefect's one task queue next to the first host's reader.

The first host is a stack like tests/e2e/conftest.py's, with both of its databases on PostgreSQL
(Prefect's and the case DB) and its Prefect server bound on the address the second host reaches
(`rongju up --host`, here `start_stack(host=...)`). The second host sees only that address: the
Prefect API there, and the case DB through a TCP forwarder (PostgreSQL on this machine listens on
127.0.0.1 only; the forwarder stands in for a database server on the internal network). Folders are
shared as a network share would be (README, "Adding a host"): the document store (with the readers'
task parameters), the shared-data snapshot and the outside world's folders (the print spool, the
mail room, the SMS outbox: an effect's "sent already" is the file in the shared folder, so every
host must write to the same one); the data folder itself (Prefect's home, the shared-data index,
the process logs under run/) is the host's own, and so is its hostname (a UTS namespace).

What the tests show: cases are processed and read on both hosts, none is lost, no effect happens
twice. A host that dies mid-run (every process of it SIGKILLed) leaves its flow runs "Running": the
open-source server has no timeout for a run whose worker is gone (the foreman marks the worker
OFFLINE after three missed heartbeats, never its runs); the runs' own heartbeats stop, and
`rongju failed` marks a run silent for 105 s Crashed (services.replay.crash_silent_runs). A run of
the first host whose reading a reader of the dead host held fails by itself once the reading is
overdue (RONGJU_READER_TIMEOUT_SECONDS). Then `rongju failed` lists both kinds and `rongju replay
--failed` finishes those cases on the first host, again without an effect twice. And `rongju worker`
stops on SIGTERM leaving nothing running on its host.
"""

from __future__ import annotations

import inspect
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from effects_ledger import effects_not_once, files_in
from netns import Host, TcpForwarder, require_netns, run_in, second_host, stop
from pgdatabase import PG_ADMIN_DSN, fresh_database
from stackfixture import TODAY, Stack, free_port, wait_until

from config.settings import get_settings
from models.package import PackageRefused
from services.dispatch import start_case_flow
from services.intake import submit_folder
from services.processing import read_case_state
from services.queries import case_outcome
from services.stack import (
    WORK_POOL,
    ZOMBIE_AFTER_SECONDS,
    ensure_auth_string,
    prefect_connection,
    start_stack,
    stop_processes,
)
from storage.db import UnitOfWork
from storage.shared_data import import_snapshot

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
RONGJU = str(Path(sys.executable).parent / "rongju")
# Enough cases for two batches of the sample city: reason cases and, after the 26 reason cases of
# its cycle, clean ones that the policy approves (a card numbered and spooled without a person).
CITY_CASES = 30
# Flow runs one worker runs at once, on each host: small, so that neither host takes every run.
WORKER_LIMIT = 2
PROCESSING_TIMEOUT = 900  # seconds: a batch of cases read on 2 shared cores (about 3 min measured)
# How long a flow waits for a reading that is running before it presumes the reader dead (tasks/
# reader.py): a reader of the killed host may have held a reading of a run on the first host.
READER_TIMEOUT = 120
# A flow run that has left automated processing is suspended (waiting for a person or the card
# centre) or finished.
QUIET = frozenset({"PAUSED", "COMPLETED"})


# --- the machine: can it run a second host and a PostgreSQL stack? ------------------------------


def _pg_target() -> tuple[str, int]:
    """Where the local PostgreSQL server listens (host, port), from the tests' admin DSN."""
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(PG_ADMIN_DSN)
    host = str(info.get("host") or "127.0.0.1")
    return ("127.0.0.1" if host == "localhost" else host), int(info.get("port") or 5432)


def require_postgres() -> None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.skip(f"no PostgreSQL server at {PG_ADMIN_DSN} (RONGJU_TEST_PG_ADMIN): {exc}")


def require_interface() -> None:
    """`rongju up --host` and `rongju worker` are what this module tests: fail (not skip) without them."""
    if "host" not in inspect.signature(start_stack).parameters:
        pytest.fail("services.stack.start_stack has no host= parameter (`rongju up --host ADDR`)")
    shown = subprocess.run(
        [RONGJU, "worker", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    if shown.returncode != 0:
        pytest.fail(f"`rongju worker --help` failed ({shown.returncode}): {shown.stderr[-500:]}")


# --- the infrastructure itself ------------------------------------------------------------------

PROBE = r"""
import json, socket, sys
import psycopg

def attempt(dsn):
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            row = conn.execute("SELECT current_database(), inet_client_addr()::text").fetchone()
        return {"ok": True, "row": list(row)}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}

def tcp(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "connected"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"

forwarded, direct, off_machine, pg_port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
print(json.dumps({
    "hostname": socket.gethostname(),
    "forwarded": attempt(forwarded),
    "loopback": attempt(direct),
    "loopback_tcp": tcp("127.0.0.1", pg_port),
    "off_machine_tcp": tcp(off_machine, 443),
}))
"""


def test_a_second_host_reaches_postgresql_only_through_the_forwarder(tmp_path: Path) -> None:
    require_netns()
    require_postgres()
    pg_host, pg_port = _pg_target()
    with second_host("probe") as host, TcpForwarder(host.root_address, pg_port, target_host=pg_host) as fwd:
        assert fwd.listen_host == host.root_address and fwd.port > 0
        forwarded = f"postgresql://postgres@{host.root_address}:{fwd.port}/postgres"
        direct = f"postgresql://postgres@127.0.0.1:{pg_port}/postgres"
        process = run_in(
            host,
            [sys.executable, "-c", PROBE, forwarded, direct, "192.0.2.1", str(pg_port)],
            dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode(errors="replace")
        seen = json.loads(out)
        netns, root_veth = host.netns, host.root_veth
        assert not host.pids()  # the probe has exited, nothing else ran there
    # Inside: its own hostname; PostgreSQL through the forwarder (the server sees a local client).
    assert seen["hostname"] == host.hostname
    assert seen["forwarded"] == {"ok": True, "row": ["postgres", "127.0.0.1/32"]}, seen["forwarded"]
    assert fwd.connections >= 1
    # Not directly: its loopback is its own and empty, and no route leads off the link.
    assert not seen["loopback"]["ok"], seen["loopback"]
    assert "Connection refused" in seen["loopback_tcp"], seen["loopback_tcp"]
    assert "Network is unreachable" in seen["off_machine_tcp"], seen["off_machine_tcp"]
    # Everything is gone after the block.
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert netns not in listed
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    assert f" {root_veth}@" not in links and f" {root_veth}:" not in links


def test_a_forwarder_refuses_nothing_and_leaves_nothing_listening() -> None:
    """The forwarder carries many connections at once and stops listening when its block ends."""
    require_netns()
    require_postgres()
    import socket

    import psycopg

    pg_host, pg_port = _pg_target()
    with second_host("fwd") as host:
        with TcpForwarder(host.root_address, pg_port, target_host=pg_host) as fwd:
            dsn = f"postgresql://postgres@{host.root_address}:{fwd.port}/postgres"
            conns = [psycopg.connect(dsn, connect_timeout=3) for _ in range(5)]
            try:
                rows = [c.execute("SELECT repeat('x', 200000)").fetchone() for c in conns]
            finally:
                for conn in conns:
                    conn.close()
            assert all(row is not None and len(row[0]) == 200000 for row in rows)
            port = fwd.port
        with socket.socket() as sock:
            assert sock.connect_ex((host.root_address, port)) != 0


# --- two hosts ----------------------------------------------------------------------------------


@dataclass
class TwoHosts:
    stack: Stack  # the first host
    host: Host  # the second host's network namespace
    forwarder: TcpForwarder  # its way to the case DB
    case_db_url: str  # the case DB, as the first host reaches it
    remote_case_db_url: str  # ... and as the second host does (through the forwarder)
    second_data_dir: Path  # the second host's own data folder
    logs: Path
    review_api_url: str  # rongju's API (the review pages) on the first host: the review form's link

    @property
    def api_url(self) -> str:
        return self.stack.state.api_url

    def accepted_packages(self) -> list[Path]:
        """The sample city's packages that intake accepts, in the city's order."""
        folders = sorted(
            (p for p in (self.stack.city / "cases").iterdir() if (p / "application.json").exists()),
            key=lambda p: p.name.rsplit("-", 1)[-1],
        )
        accepted = []
        for folder in folders:
            sid = json.loads((folder / "application.json").read_text(encoding="utf-8"))["submission_id"]
            if self.stack.expected[sid]["intake"] == "accepted":
                accepted.append(folder)
        return accepted

    def second_host_env(self) -> dict[str, str]:
        """What an admin puts in the second host's environment (README, `rongju worker`)."""
        first = self.stack.data_dir.resolve()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RONGJU_", "PREFECT_"))}
        env.update(
            {
                "PREFECT_API_URL": self.api_url,
                "PREFECT_API_AUTH_STRING": self.stack.auth_string,
                "PREFECT_HOME": str(self.second_data_dir / "prefect-home"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_WORKER_QUERY_SECONDS": "1",
                "RONGJU_DATABASE_URL": self.remote_case_db_url,
                "RONGJU_DATA_DIR": str(self.second_data_dir),
                "RONGJU_DOCUMENT_DIR": str(first / "documents"),
                "RONGJU_SHARED_DATA_DIR": str(first / "shared-data"),
                # The outside world's folders are one place whichever host writes (see the docstring).
                "RONGJU_PRINT_SPOOL": str(first / "print-spool"),
                "RONGJU_PRINT_INBOX": str(first / "print-inbox"),
                "RONGJU_MAIL_DIR": str(first / "mail"),
                "RONGJU_SMS_OUTBOX": str(first / "sms-outbox"),
                "RONGJU_TODAY": TODAY.isoformat(),
                "RONGJU_DEMO": "1",
                "RONGJU_API_URL": self.review_api_url,
                "RONGJU_READER_TIMEOUT_SECONDS": str(READER_TIMEOUT),
            }
        )
        return env

    def start_second_worker(self, name: str, *, readers: int = 1) -> subprocess.Popen[bytes]:
        """`rongju worker` on the second host, its output in logs/<name>.log (its children log to
        its own data folder's run/, as on the first host)."""
        env = self.second_host_env() | {
            "RONGJU_READERS": str(readers),
            "RONGJU_WORKER_LIMIT": str(WORKER_LIMIT),
        }
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it open)
        with log:
            return run_in(self.host, [RONGJU, "worker"], env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def diagnostics(self, *names: str) -> str:
        """The tails of the named logs and of every process log of both hosts (for a failure)."""
        parts = [f"--- {name} ---\n{self.log_tail(name)}" for name in names]
        for run in (self.stack.data_dir / "run", self.second_data_dir / "run"):
            for path in sorted(run.glob("*.log")) if run.exists() else []:
                parts.append(f"--- {path} ---\n{path.read_text(errors='replace')[-1500:]}")
        return "\n".join(parts)


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoHosts]:
    require_netns()
    require_postgres()
    require_interface()
    base = tmp_path_factory.mktemp("two-hosts")
    data_dir = base / "var"
    second_data_dir = base / "host2" / "var"
    logs = base / "logs"
    logs.mkdir()
    pg_host, pg_port = _pg_target()
    with ExitStack() as cleanup, pytest.MonkeyPatch.context() as mp:
        host = cleanup.enter_context(second_host("worker2"))
        prefect_db = cleanup.enter_context(fresh_database("rongju_prefect"))
        case_db = cleanup.enter_context(fresh_database("rongju_case")).replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
        forwarder = cleanup.enter_context(TcpForwarder(host.root_address, pg_port, target_host=pg_host))
        from sqlalchemy.engine import make_url

        remote_case_db = make_url(case_db).set(host=host.root_address, port=forwarder.port)
        for name, value in {
            "RONGJU_DATA_DIR": str(data_dir),
            "RONGJU_DATABASE_URL": case_db,
            "RONGJU_PREFECT_DATABASE_URL": prefect_db,
            "RONGJU_TODAY": TODAY.isoformat(),
            "RONGJU_API_PORT": str(api_port := free_port()),
            "RONGJU_API_URL": f"http://127.0.0.1:{api_port}",
            "RONGJU_WORKER_LIMIT": str(WORKER_LIMIT),
            "RONGJU_READERS": "1",
            "RONGJU_READER_TIMEOUT_SECONDS": str(READER_TIMEOUT),
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "RONGJU_DEMO": "1",
        }.items():
            mp.setenv(name, value)
        mp.delenv("PREFECT_API_URL", raising=False)
        get_settings.cache_clear()
        from samplecity.city import generate_city

        city = base / "city"
        generate_city(city, residents=300, cases=CITY_CASES, seed=3, today=TODAY, workers=2)
        import_snapshot(city / "shared-data")
        (data_dir / "shared-data").symlink_to(city / "shared-data")
        state = start_stack(port=free_port(), host=host.root_address, progress=lambda _line: None)
        cleanup.callback(stop_processes, state)
        assert state.api_url.startswith(f"http://{host.root_address}:"), state.api_url
        mp.setenv("PREFECT_API_AUTH_STRING", ensure_auth_string())
        try:
            yield TwoHosts(
                stack=Stack(data_dir, state, city, prefect_db),
                host=host,
                forwarder=forwarder,
                case_db_url=case_db,
                remote_case_db_url=remote_case_db.render_as_string(hide_password=False),
                second_data_dir=second_data_dir,
                logs=logs,
                review_api_url=f"http://127.0.0.1:{api_port}",
            )
        finally:
            get_settings.cache_clear()


@pytest.fixture
def hosts(two_hosts: TwoHosts, monkeypatch: pytest.MonkeyPatch) -> TwoHosts:
    """Point this test's settings at the first host (tests/conftest.py resets RONGJU_* per test)."""
    for name, value in {
        "RONGJU_DATA_DIR": str(two_hosts.stack.data_dir),
        "RONGJU_DATABASE_URL": two_hosts.case_db_url,
        "RONGJU_TODAY": TODAY.isoformat(),
        "RONGJU_DEMO": "1",
        "RONGJU_API_URL": two_hosts.review_api_url,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return two_hosts


# --- Prefect, read as an admin would -------------------------------------------------------------


def pool_workers(api_url: str) -> dict[str, str]:
    """The work pool's workers: name → status (ONLINE / OFFLINE)."""
    from prefect import get_client

    with prefect_connection(api_url), get_client(sync_client=True) as client:
        workers = client.read_workers_for_work_pool(WORK_POOL)
    return {w.name: str(w.status.value if hasattr(w.status, "value") else w.status) for w in workers}


@dataclass(frozen=True)
class RunView:
    id: str
    case_id: str
    state: str
    worker: str | None  # the worker that ran it (Prefect labels the run when a worker submits it)
    message: str = ""  # the state's message (why it failed)


def flow_runs(api_url: str, run_ids: list[str] | None = None) -> list[RunView]:
    """Flow runs of the case flow (all, or those named), with the worker that ran each."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    run_filter = FlowRunFilter(id=FlowRunFilterId(any_=[UUID(r) for r in run_ids])) if run_ids else None
    views: list[RunView] = []
    with prefect_connection(api_url), get_client(sync_client=True) as client:
        offset = 0
        while True:
            page = client.read_flow_runs(flow_run_filter=run_filter, limit=200, offset=offset)
            for run in page:
                views.append(
                    RunView(
                        id=str(run.id),
                        case_id=str(run.parameters.get("case_id", "")),
                        state=run.state.type.value if run.state else "?",
                        worker=(run.labels or {}).get("prefect.worker.name"),
                        message=(run.state.message or "") if run.state else "",
                    )
                )
            if len(page) < 200:
                return views
            offset += 200


# --- the cases and what they did to the outside world --------------------------------------------


def submit(packages: list[Path]) -> list[str]:
    case_ids = []
    for folder in packages:
        try:
            result = submit_folder(folder, UnitOfWork())
        except PackageRefused as exc:  # the expected file said accepted: a real failure
            raise AssertionError(f"{folder.name} refused: {[p.code for p in exc.problems]}") from exc
        start_case_flow(result.case_id, result.business_type)
        case_ids.append(result.case_id)
    return case_ids


def current_run(case_id: str) -> str | None:
    return read_case_state(case_id, UnitOfWork()).flow_run_id


def settled(hosts: TwoHosts, case_ids: list[str]) -> tuple[bool, list[str], list[str]]:
    """Whether every case has left automated processing with its current flow run suspended or
    finished; what is still moving; and what is stuck (its current run failed or crashed)."""
    moving, stuck = [], []
    run_ids = {case_id: current_run(case_id) for case_id in case_ids}
    runs = {r.id: r for r in flow_runs(hosts.api_url, [r for r in run_ids.values() if r])}
    for case_id in case_ids:
        outcome = case_outcome(case_id, UnitOfWork())
        run = runs.get(run_ids[case_id] or "")
        state = run.state if run else "no run"
        if outcome is None or state not in QUIET:
            status = read_case_state(case_id, UnitOfWork()).status.value
            line = f"{case_id}: {status}, run {run_ids[case_id]} {state} on {run.worker if run else '-'}"
            if state in ("FAILED", "CRASHED"):
                stuck.append(f"{line}: {run.message if run else ''}")
            else:
                moving.append(line)
    return not (moving or stuck), moving, stuck


def wait_settled(hosts: TwoHosts, case_ids: list[str], *, logs: tuple[str, ...] = ()) -> None:
    """Until `settled`; fails at once when a case's current run failed (nothing would move it on)."""
    deadline = time.monotonic() + PROCESSING_TIMEOUT
    moving: list[str] = []
    while time.monotonic() < deadline:
        done, moving, stuck = settled(hosts, case_ids)
        if done:
            return
        if stuck:
            raise AssertionError(f"flow runs failed: {stuck}\n{hosts.diagnostics(*logs)}")
        time.sleep(2)
    raise AssertionError(
        f"still in automated processing after {PROCESSING_TIMEOUT}s: {moving}\n{hosts.diagnostics(*logs)}"
    )


def effects_twice(hosts: TwoHosts, case_ids: list[str]) -> list[str]:
    """Every effect of these cases happened once on either host (empty list), or what did not."""
    settings = get_settings()
    problems = effects_not_once(
        case_ids,
        outboxes=[settings.sms_outbox, hosts.second_data_dir / "sms-outbox"],
        spools=[settings.print_spool, hosts.second_data_dir / "print-spool"],
    )
    # The second host wrote nothing of the outside world into its own folder.
    for local in ("print-spool", "mail", "sms-outbox"):
        stray = files_in(hosts.second_data_dir / local)
        if stray:
            problems.append(f"the second host wrote {len(stray)} file(s) to its own {local}/")
    return problems


def readers_of(host: Host) -> list[int]:
    """The document readers running on the host (`python -m tasks.serve_reader`: long-lived
    Prefect task workers serving the read-and-check task)."""
    readers = []
    for pid in host.pids():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv]
        if "tasks.serve_reader" in words or ("task" in words and "serve" in words):
            readers.append(pid)
    return readers


def readings_on(data_dir: Path) -> int:
    """Readings a host's document readers finished (Prefect's task-run log in the host's run/)."""
    run = data_dir / "run"
    logs = sorted(run.glob("reader-*.log")) if run.exists() else []
    return sum(
        1
        for path in logs
        for line in path.read_text(errors="replace").splitlines()
        if "read-and-check" in line and "Finished in state Completed" in line
    )


def rongju(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RONGJU, *args], env=dict(os.environ), capture_output=True, text=True, timeout=300)


def wait_for_new_worker(hosts: TwoHosts, before: set[str], log: str) -> set[str]:
    """The worker names that came up since `before` (the second host's), once there is one."""
    found: set[str] = set()

    def appeared() -> bool:
        found.update(name for name, status in pool_workers(hosts.api_url).items() if name not in before)
        return bool(found)

    try:
        wait_until("the second host's worker in the work pool", appeared, timeout=120)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{hosts.diagnostics(log)}") from None
    return found


# --- the tests ----------------------------------------------------------------------------------


def test_cases_are_processed_on_both_hosts_and_every_effect_happens_once(hosts: TwoHosts) -> None:
    wait_until("the first host's worker", lambda: bool(pool_workers(hosts.api_url)), timeout=120)
    first_workers = set(pool_workers(hosts.api_url))
    worker = hosts.start_second_worker("worker-a")
    try:
        second_workers = wait_for_new_worker(hosts, first_workers, "worker-a")
        wait_until("the second host's document reader", lambda: bool(readers_of(hosts.host)), timeout=60)
        packages = hosts.accepted_packages()
        reason_cases = [p for p in packages if p.name.rsplit("-", 1)[-1] <= "2026112700026"]
        clean_cases = [p for p in packages if p.name.rsplit("-", 1)[-1] > "2026112700026"]
        batch = reason_cases[:6] + clean_cases[:2]
        assert len(batch) == 8
        case_ids = submit(batch)
        wait_settled(hosts, case_ids, logs=("worker-a",))
        assert worker.poll() is None, f"the second host's worker exited: {hosts.log_tail('worker-a')}"
    finally:
        stop(worker)

    # Processed on both hosts: each case's run names the worker that ran it.
    runs = flow_runs(hosts.api_url, [r for c in case_ids if (r := current_run(c))])
    by_worker = Counter(r.worker for r in runs)
    on_second = sum(n for name, n in by_worker.items() if name in second_workers)
    on_first = sum(n for name, n in by_worker.items() if name in first_workers)
    assert on_first >= 1 and on_second >= 1, (
        f"runs per worker {dict(by_worker)}; second host {second_workers}"
    )
    assert on_first + on_second == len(case_ids), dict(by_worker)
    # None lost: every case past 待受理 (submitted).
    statuses = {c: read_case_state(c, UnitOfWork()).status.value for c in case_ids}
    assert "submitted" not in statuses.values(), statuses
    # Read on both hosts too: a flow run hands the reading to any host's document reader.
    assert readings_on(hosts.second_data_dir) >= 1, hosts.diagnostics("worker-a")
    assert readings_on(hosts.stack.data_dir) >= 1, hosts.diagnostics("worker-a")
    # No effect twice.
    assert effects_twice(hosts, case_ids) == []
    # A card was made (a clean case approved by the policy) so the spool was part of the check.
    with UnitOfWork() as uow:
        from sqlmodel import select

        from models.tables import CardIssue

        assert any(c.case_id in case_ids for c in uow.session.exec(select(CardIssue)))


def test_the_cases_of_a_host_that_died_are_finished_by_replay(hosts: TwoHosts) -> None:
    before = set(pool_workers(hosts.api_url))
    worker = hosts.start_second_worker("worker-b")
    try:
        second_workers = wait_for_new_worker(hosts, before, "worker-b")
        packages = hosts.accepted_packages()
        done = _submitted()
        batch = [p for p in packages if p.name not in done]
        reason_cases = [p for p in batch if p.name.rsplit("-", 1)[-1] <= "2026112700026"]
        clean_cases = [p for p in batch if p.name.rsplit("-", 1)[-1] > "2026112700026"]
        batch = reason_cases[:4] + clean_cases[:2]
        case_ids = submit(batch)

        # The second host dies while one of its runs is running: every process of it, SIGKILL.
        def second_host_running() -> bool:
            runs = flow_runs(hosts.api_url, [r for c in case_ids if (r := current_run(c))])
            return any(r.worker in second_workers and r.state == "RUNNING" for r in runs)

        wait_until("a run on the second host", second_host_running, timeout=300)
        killed = hosts.host.kill_all()
        assert killed and not hosts.host.pids()
    finally:
        stop(worker, grace=5)

    # Prefect does not notice: the dead host's runs stay Running. Their heartbeats stop, and
    # `rongju failed` marks a run silent for ZOMBIE_AFTER_SECONDS Crashed (services.replay.
    # crash_silent_runs). The first host carries on with the rest; a run of its own whose reading a
    # reader of the dead host held fails once the reading is overdue (RONGJU_READER_TIMEOUT_SECONDS).
    killed_at = time.monotonic()
    at_kill = flow_runs(hosts.api_url, [r for c in case_ids if (r := current_run(c))])
    left_behind = [r for r in at_kill if r.worker in second_workers and r.state in ("RUNNING", "PENDING")]
    assert left_behind, f"no run of the second host was left behind: {at_kill}"
    dead_ids = {r.id for r in left_behind}

    def dust_settled() -> bool:
        runs = flow_runs(hosts.api_url, [r for c in case_ids if (r := current_run(c))])
        return all(r.id in dead_ids or r.state in QUIET | {"FAILED", "CRASHED"} for r in runs)

    try:
        wait_until("the first host to finish what it can", dust_settled, timeout=READER_TIMEOUT + 300)
    except AssertionError as exc:
        runs = flow_runs(hosts.api_url, [r for c in case_ids if (r := current_run(c))])
        raise AssertionError(f"{exc}: {runs}\n{hosts.diagnostics('worker-b')}") from None
    still = {v.id: v for v in flow_runs(hosts.api_url, list(dead_ids))}
    assert all(still[i].state in ("RUNNING", "PENDING") for i in dead_ids), still  # Prefect did not notice
    time.sleep(max(0.0, ZOMBIE_AFTER_SECONDS + 5 - (time.monotonic() - killed_at)))
    listed = rongju("failed", "--json")
    assert listed.returncode == 0, listed.stderr
    failed = {json.loads(line)["case_id"] for line in listed.stdout.splitlines() if line.strip()}
    run_ids = [r for c in case_ids if (r := current_run(c))]
    current = {view.id: view for view in flow_runs(hosts.api_url, run_ids)}
    # Every run of the dead host is now Crashed for its silence (Running: no heartbeat; Pending:
    # never started).
    left_behind = [current[i] for i in dead_ids]
    assert all(v.state == "CRASHED" and "heartbeat" in v.message for v in left_behind), left_behind
    lost_readings = [r for r in current.values() if r.state in ("FAILED", "CRASHED") and r.id not in dead_ids]
    assert {r.case_id for r in left_behind + lost_readings} <= failed, (failed, left_behind, lost_readings)
    replayed = rongju("replay", "--failed", "--reason", "second host lost")
    assert replayed.returncode == 0, replayed.stderr + replayed.stdout
    wait_settled(hosts, case_ids)

    statuses = {c: read_case_state(c, UnitOfWork()).status.value for c in case_ids}
    assert "submitted" not in statuses.values(), statuses
    from sqlmodel import select

    from models.tables import Replay

    with UnitOfWork() as uow:
        replays = [r for r in uow.session.exec(select(Replay)) if r.case_id in case_ids]
    stranded = left_behind + lost_readings
    assert {(r.case_id, r.previous_flow_run_id) for r in replays} >= {(r.case_id, r.id) for r in stranded}
    assert all(r.reason == "second host lost" for r in replays)
    # The replays ran on the first host (the second is gone), and changed nothing twice.
    final = flow_runs(hosts.api_url, [r for c in case_ids if (r := current_run(c))])
    assert not [r for r in final if r.case_id in {x.case_id for x in stranded} and r.worker in second_workers]
    assert effects_twice(hosts, case_ids) == []


def test_a_worker_stops_on_sigterm_and_leaves_nothing_running(hosts: TwoHosts) -> None:
    before = set(pool_workers(hosts.api_url))
    worker = hosts.start_second_worker("worker-c", readers=2)
    try:
        wait_for_new_worker(hosts, before, "worker-c")
        wait_until("two document readers", lambda: len(readers_of(hosts.host)) == 2, timeout=60)
        os.kill(worker.pid, signal.SIGTERM)  # the main process only, as a service manager stops it
        code = worker.wait(timeout=60)
    finally:
        stop(worker, grace=5)
    assert code in (0, -signal.SIGTERM, 128 + signal.SIGTERM), f"exit {code}: {hosts.log_tail('worker-c')}"
    wait_until("every process of the worker to exit", lambda: not hosts.host.pids(), timeout=30)


def _submitted() -> set[str]:
    """The submission ids of every case in the case DB (the package folders are named by them)."""
    from sqlmodel import select

    from models.tables import Case

    with UnitOfWork() as uow:
        return {c.submission_id for c in uow.session.exec(select(Case))}
