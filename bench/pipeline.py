"""The case pipeline on a real local stack against the same work without Prefect (run by hand, not a test).

    .venv/bin/python bench/pipeline.py [--cases 20] [--workers 1,2] [--prefect-db sqlite,postgres]
        [--quick] [--markdown bench/results/pipeline.md]

What it measures, on one sample city (N rendered case packages, RONGJU_TODAY fixed, RONGJU_DEMO=1):

1. The stack (`services.stack.start_stack`, as `rongju up`: Prefect server, worker, API and whatever
   else the stack records in StackState.pids) on a fresh data folder per configuration. N packages
   go through the real intake (`submit_folder` + `start_case_flow`, as `rongju demo` submits) and
   the bench waits until every case has left the automated part and every flow run is suspended or
   final with its process gone. CPU (user+sys, /proc/<pid>/stat utime, stime, cutime, cstime) of
   every stack process and all its descendants, from just before the first submission to then:
   flow runs are the worker's children, their CPU is in the worker's cutime/cstime once reaped, and
   live descendants are sampled every 0.2 s so nothing is missed; long-lived stack processes such as
   the document readers (reader-1, …) are measured like the server. The stack is first left to go
   quiet (readers load their models) and its idle CPU measured, so neither counts as the cases'.
   Peak RSS (VmHWM) of every flow-run process (a worker descendant running `prefect.engine` /
   `flow-run`), of their own child processes, and of each stack process (readers included).
2. Raw OCR: in this process, warm (one document of each kind read first), the CPU of
   `services.documents.read_document` over the same cases' stored documents (own CPU + reaped
   children's, e.g. a PDF reader subprocess).
3. Plain Python: the automated steps (`read_case_documents`, `assess_case`, `record_assessment`,
   called as services/reading.read_and_check_case calls them: the document reader's work, the flow
   run's own before the readers) in this process on fresh cases, CPU per step.
4. Per case: stack CPU against raw OCR (target <= 1.3) and against plain Python; peak flow-run RSS
   (target <= 250 MB); wall time per Prefect task (task runs read back from the server).
5. Throughput: cases per hour to the end of the automated part, worker limit 1 against 2
   (RONGJU_WORKER_LIMIT; target >= 1.7), each on SQLite and (--prefect-db postgres) PostgreSQL
   for the Prefect server (a fresh database on the local server, trust auth; admin DSN from
   RONGJU_TEST_PG_ADMIN, default postgresql://postgres@127.0.0.1:5432/postgres).

Ratios matter, not absolute times: the machine is printed with the tables. Output names case
counts only, never applicants. Steps 2 and 3 run before any stack is up, so nothing competes.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import platform
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from statistics import mean
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # tests/pgdatabase.py: a fresh database on the local server

from pgdatabase import fresh_database  # noqa: E402

TODAY = date(2026, 11, 27)
SEED = 3
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.2
QUIET_PCT = 30.0
QUIET_MAX_SECONDS = 180.0
FLOW_RUN_MARKERS = ("prefect.engine", "flow-run", "flow_run")
TARGET_CPU_RATIO = 1.3
TARGET_RSS_MB = 250
TARGET_SCALING = 1.7


class StackRunFailed(RuntimeError):
    """A stack run did not finish within --timeout, or its flow runs ended without checking the cases."""


# --- /proc ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    state: str
    start: int  # clock ticks after boot: (pid, start) names one process even if the pid is reused
    own: float  # utime + stime, seconds
    children: float  # cutime + cstime (reaped children), seconds

    @property
    def total(self) -> float:
        return self.own + self.children


def read_stat(pid: int) -> ProcStat | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # Field 2 (comm) may hold spaces and parentheses: count the fields after its last ")".
    rest = text.rsplit(")", 1)[1].split()
    # rest[0] is field 3 (state): field n is rest[n - 3].
    utime, stime, cutime, cstime = (int(v) for v in rest[11:15])
    return ProcStat(
        pid=pid,
        ppid=int(rest[1]),
        state=rest[0],
        start=int(rest[19]),
        own=(utime + stime) / CLOCK_TICKS,
        children=(cutime + cstime) / CLOCK_TICKS,
    )


def all_stats() -> dict[int, ProcStat]:
    stats = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = read_stat(int(entry.name))
            if stat is not None:
                stats[stat.pid] = stat
    return stats


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", errors="replace").strip()


def program(pid: int) -> str:
    """What a process runs, without its arguments (paths may be private): `-m module`, else the
    script's or the executable's file name."""
    argv = cmdline(pid).split()
    if "-m" in argv[:-1]:
        return "-m " + argv[argv.index("-m") + 1]
    scripts = [a for a in argv[1:3] if not a.startswith("-")]
    return Path(scripts[0] if scripts and "python" in argv[0] else (argv[0] if argv else "?")).name


def vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def descendants(roots: dict[str, int], stats: dict[int, ProcStat]) -> dict[int, str]:
    """pid -> name of the stack process it descends from (not the roots themselves)."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in stats.values():
        children[stat.ppid].append(stat.pid)
    found: dict[int, str] = {}
    for name, root in roots.items():
        todo = list(children.get(root, []))
        while todo:
            pid = todo.pop()
            if pid not in found and pid not in roots.values():
                found[pid] = name
                todo.extend(children.get(pid, []))
    return found


@dataclass
class Watched:
    """One process seen under the stack (a root or a descendant)."""

    root: str
    role: str  # "root", "flow-run", "flow-run child", "other"
    label: str  # the program: module of `python -m`, else the executable's or script's name
    first_seen: float
    last_seen: float
    cpu: float = 0.0  # own + reaped children, as last seen
    hwm_kb: int = 0


@dataclass(frozen=True)
class Mark:
    """The stack's CPU at one instant: each root's own and reaped-children CPU, and each live
    descendant's own + reaped-children CPU (keyed by pid and start time)."""

    at: float
    roots: dict[str, tuple[float, float]]
    live: dict[tuple[int, int], tuple[str, float]]


@dataclass(frozen=True)
class CpuSpent:
    by_root: dict[str, tuple[float, float]]  # name -> (own, children incl. live descendants)

    @property
    def total(self) -> float:
        return sum(own + children for own, children in self.by_root.values())


def cpu_between(start: Mark, end: Mark) -> CpuSpent:
    """CPU of the stack between two marks: each root's own and reaped-children delta, plus what its
    live descendants hold at the end, minus what its descendants held at the start (a descendant
    alive at the start and reaped since is in its root's cutime with all of its CPU)."""
    by_root: dict[str, tuple[float, float]] = {}
    for name, (own_end, children_end) in end.roots.items():
        own_start, children_start = start.roots.get(name, (own_end, children_end))
        live_end = sum(cpu for root, cpu in end.live.values() if root == name)
        live_start = sum(cpu for root, cpu in start.live.values() if root == name)
        by_root[name] = (own_end - own_start, children_end - children_start + live_end - live_start)
    return CpuSpent(by_root)


class ProcessWatch:
    """Samples the stack's processes every 0.2 s in a thread: roles, lifetimes, CPU, peak RSS."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = dict(roots)
        self.seen: dict[tuple[int, int], Watched] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="process-watch", daemon=True)

    def __enter__(self) -> ProcessWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(SAMPLE_SECONDS)

    def sample(self) -> Mark:
        now = time.monotonic()
        stats = all_stats()
        under = descendants(self.roots, stats)
        live: dict[tuple[int, int], tuple[str, float]] = {}
        root_cpu: dict[str, tuple[float, float]] = {}
        with self._lock:
            for name, pid in self.roots.items():
                stat = stats.get(pid)
                if stat is None:
                    continue
                root_cpu[name] = (stat.own, stat.children)
                self._note((pid, stat.start), name, "root", stat, now)
            for pid, name in under.items():
                stat = stats[pid]
                key = (pid, stat.start)
                live[key] = (name, stat.total)
                parent = stats.get(stat.ppid)
                known = self.seen.get((stat.ppid, parent.start)) if parent else None
                self._note(key, name, self._role(pid, known.role if known else None), stat, now)
        return Mark(at=now, roots=root_cpu, live=live)

    def _role(self, pid: int, parent_role: str | None) -> str:
        if parent_role in ("flow-run", "flow-run child"):
            return "flow-run child"
        command = cmdline(pid)
        if any(marker in command for marker in FLOW_RUN_MARKERS):
            return "flow-run"
        return "other"

    def _note(self, key: tuple[int, int], root: str, role: str, stat: ProcStat, now: float) -> None:
        watched = self.seen.get(key)
        if watched is None:
            label = program(stat.pid)
            watched = self.seen[key] = Watched(root, role, label, first_seen=now, last_seen=now)
        elif watched.role == "other" and role != "other":
            watched.role = role  # forked before it exec'd the flow run: seen again after the exec
            watched.label = program(stat.pid)
        watched.last_seen = now
        watched.cpu = stat.total
        if stat.state not in ("Z", "X"):
            watched.hwm_kb = max(watched.hwm_kb, vm_hwm_kb(stat.pid))

    def mark(self) -> Mark:
        return self.sample()

    def live_flow_runs(self) -> int:
        stats = all_stats()
        with self._lock:
            return sum(
                1
                for pid in descendants(self.roots, stats)
                if (w := self.seen.get((pid, stats[pid].start))) is not None
                and w.role == "flow-run"
                and stats[pid].state not in ("Z", "X")
            )

    def processes(self, role: str) -> list[Watched]:
        with self._lock:
            return [w for w in self.seen.values() if w.role == role]

    def descendants_seen(self) -> list[Watched]:
        with self._lock:
            return [w for w in self.seen.values() if w.role != "root"]

    def root_hwm_mb(self) -> dict[str, float]:
        with self._lock:
            return {w.root: w.hwm_kb / 1024 for w in self.seen.values() if w.role == "root"}


# --- environment and data ---------------------------------------------------------------------------


@contextlib.contextmanager
def environment(values: dict[str, str | None]) -> Iterator[None]:
    """Set (None: unset) environment variables for the block; rongju's settings re-read."""
    from config.settings import get_settings

    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(data_dir: Path) -> dict[str, str | None]:
    return {
        "RONGJU_DATA_DIR": str(data_dir),
        "RONGJU_TODAY": TODAY.isoformat(),
        "RONGJU_DEMO": "1",
        "RONGJU_DATABASE_URL": None,
        "RONGJU_SHARED_DATA_DIR": None,
        "RONGJU_DOCUMENT_DIR": None,
        "PREFECT_API_URL": None,
        "PREFECT_API_AUTH_STRING": None,
    }


def prepare_data_dir(data_dir: Path, city: Path) -> None:
    """A fresh data folder whose shared data is the city's snapshot, indexed (as tests/e2e does)."""
    from storage.shared_data import import_snapshot

    data_dir.mkdir(parents=True)
    import_snapshot(city / "shared-data")
    (data_dir / "shared-data").symlink_to(city / "shared-data")


def package_folders(city: Path) -> list[Path]:
    return sorted(p for p in (city / "cases").iterdir() if (p / "application.json").exists())


def cpu_now() -> tuple[float, float]:
    """(this process's CPU, its reaped children's CPU) in seconds."""
    times = os.times()
    return times.user + times.system, times.children_user + times.children_system


# --- 2 and 3: in this process -----------------------------------------------------------------------


@dataclass
class InProcess:
    cases: int
    refused: int
    documents: int
    kinds: int
    ocr_cpu: float  # all documents, own + children
    ocr_children: float
    ocr_wall: float
    plain_cpu: float  # all cases, own + children
    plain_wall: float
    plain_steps: dict[str, float] = field(default_factory=dict)  # step -> CPU over all cases


def submit_all(folders: list[Path]) -> tuple[list[str], int]:
    """Submit every package through the intake; (accepted case ids, refused count)."""
    from models.package import PackageRefused
    from services.intake import submit_folder
    from storage.db import UnitOfWork

    accepted: list[str] = []
    refused = 0
    for folder in folders:
        try:
            accepted.append(submit_folder(folder, UnitOfWork()).case_id)
        except PackageRefused:
            refused += 1
    return accepted, refused


def measure_in_process(city: Path, work: Path, console: Any) -> InProcess:
    from services.assessment import assess_case
    from services.documents import Declared, read_case_documents, read_document
    from services.processing import record_assessment
    from storage.db import UnitOfWork
    from storage.documents import get_document_store

    data_dir = work / "in-process" / "var"
    with environment(base_env(data_dir)):
        prepare_data_dir(data_dir, city)
        case_ids, refused = submit_all(package_folders(city))
        store = get_document_store()
        documents: list[tuple[str, bytes, str, Declared]] = []
        for case_id in case_ids:
            uow = UnitOfWork()
            with uow:
                declared = Declared(name=uow.cases.get(case_id).applicant_name)
                rows = [(r.kind, r.content_hash, r.sniffed_type) for r in uow.documents.current(case_id)]
            documents += [(kind, store.get(digest), mime, declared) for kind, digest, mime in rows]
        console.print(f"in-process: {len(case_ids)} cases, {len(documents)} documents; warming the readers…")
        warm = {kind: (kind, data, mime, declared) for kind, data, mime, declared in reversed(documents)}
        for kind, data, mime, declared in warm.values():
            read_document(kind, data, mime, declared=declared)

        console.print("raw OCR: reading every document…")
        own0, children0 = cpu_now()
        wall0 = time.monotonic()
        for kind, data, mime, declared in documents:
            read_document(kind, data, mime, declared=declared)
        own1, children1 = cpu_now()
        ocr_wall = time.monotonic() - wall0

        console.print("plain Python: read, check, record each case…")
        steps: dict[str, float] = defaultdict(float)
        plain0 = sum(cpu_now())
        wall0 = time.monotonic()
        for case_id in case_ids:
            t0 = sum(cpu_now())
            read = read_case_documents(case_id, UnitOfWork())
            t1 = sum(cpu_now())
            assessment = assess_case(case_id, UnitOfWork(), facts=read.facts, document_outcomes=read.outcomes)
            t2 = sum(cpu_now())
            record_assessment(case_id, assessment, UnitOfWork())
            t3 = sum(cpu_now())
            steps["read_documents"] += t1 - t0
            steps["check_case"] += t2 - t1
            steps["record_outcome"] += t3 - t2
        plain_cpu = sum(cpu_now()) - plain0
        plain_wall = time.monotonic() - wall0
    return InProcess(
        cases=len(case_ids),
        refused=refused,
        documents=len(documents),
        kinds=len(warm),
        ocr_cpu=(own1 - own0) + (children1 - children0),
        ocr_children=children1 - children0,
        ocr_wall=ocr_wall,
        plain_cpu=plain_cpu,
        plain_wall=plain_wall,
        plain_steps=dict(steps),
    )


# --- 1 and 5: on the stack ---------------------------------------------------------------------------


@dataclass
class StackRun:
    prefect_db: str
    workers: int
    cases: int
    refused: int
    startup_s: float
    idle_cpu_pct: float  # the stack's CPU at rest, % of one core
    submit_s: float  # wall of the submission loop
    submit_cpu: float  # this process's CPU submitting (intake + creating flow runs), not in the stack
    automated_s: float  # first submission -> every case out of the automated part
    settled_s: float  # ... -> every flow run suspended or final and its process gone
    cpu: CpuSpent
    flow_runs: int
    flow_run_hwm_mb: list[float]
    flow_run_child_hwm_mb: list[float]
    flow_run_lifetime_s: list[float]
    root_hwm_mb: dict[str, float]
    # (root, role, program) -> [(CPU s as last sampled, peak RSS MB)] of every descendant seen
    programs: dict[tuple[str, str, str], list[tuple[float, float]]]
    statuses: dict[str, int]
    tasks: dict[str, list[float]]  # task name -> wall seconds of each run
    pickup_lag_s: list[float]  # flow run expected start -> start
    flow_run_time_s: list[float]  # Prefect's total run time of each flow run

    @property
    def cases_per_hour(self) -> float:
        return self.cases / self.automated_s * 3600 if self.automated_s else 0.0

    @property
    def reader_hwm_mb(self) -> list[float]:
        """Peak RSS of each long-lived reader process the stack started (none before readers)."""
        return [mb for name, mb in self.root_hwm_mb.items() if name.startswith("reader")]

    @property
    def cpu_per_case(self) -> float:
        return self.cpu.total / self.cases if self.cases else 0.0

    @property
    def net_cpu_per_case(self) -> float:
        """CPU per case less what the stack burns at rest over the same time (polling, services)."""
        idle = self.idle_cpu_pct / 100 * self.settled_s
        return (self.cpu.total - idle) / self.cases if self.cases else 0.0


def wait_until_quiet(watch: ProcessWatch, *, deadline: float) -> float:
    """Wait until the stack uses less than QUIET_PCT of a core over 2 s (workers polled, readers'
    models loaded); seconds waited. Past the deadline it goes on anyway (a busy machine)."""
    began = time.monotonic()
    time.sleep(2)  # the worker's first poll and the server's first loops
    marks = [watch.mark()]
    while time.monotonic() < deadline:
        time.sleep(1)
        marks.append(watch.mark())
        if len(marks) >= 3:
            spent = cpu_between(marks[-3], marks[-1]).total / (marks[-1].at - marks[-3].at) * 100
            if spent < QUIET_PCT:
                break
    return time.monotonic() - began


def wait_for(what: str, done: Any, deadline: float, pending: Any) -> None:
    while not done():
        if time.monotonic() > deadline:
            raise StackRunFailed(f"timed out waiting for {what}: {pending()}")
        time.sleep(1)


def flow_run_states(api_url: str, run_ids: list[str]) -> dict[str, Any]:
    from uuid import UUID

    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from services.stack import prefect_connection

    with prefect_connection(api_url), get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(i) for i in run_ids])),
            limit=len(run_ids) + 1,
        )
    return {str(run.id): run for run in runs}


def task_runs(api_url: str) -> list[Any]:
    """Every task run the server knows: the server is fresh for each configuration, and background
    task runs (`task.delay()`, served by readers) belong to no flow run, so no filter."""
    from prefect import get_client

    from services.stack import prefect_connection

    found: list[Any] = []
    with prefect_connection(api_url), get_client(sync_client=True) as client:
        while True:
            page = client.read_task_runs(limit=200, offset=len(found))
            found += page
            if len(page) < 200:
                return found


def _seconds(value: Any) -> float | None:
    return value.total_seconds() if value is not None else None


def run_on_stack(
    city: Path, work: Path, *, workers: int, prefect_db: str, idle_s: float, timeout: float, console: Any
) -> StackRun:
    from config.settings import get_settings
    from models.package import PackageRefused
    from services.dispatch import start_case_flow
    from services.intake import submit_folder
    from services.processing import read_case_state
    from services.stack import start_stack, stop_processes
    from storage.db import UnitOfWork

    folders = package_folders(city)
    data_dir = work / f"stack-{prefect_db}-w{workers}" / "var"
    with contextlib.ExitStack() as cleanup:
        database_url = (
            cleanup.enter_context(fresh_database("rongju_bench_prefect"))
            if prefect_db == "postgres"
            else None
        )
        api_port = free_port()
        env = base_env(data_dir) | {
            "RONGJU_API_PORT": str(api_port),
            "RONGJU_API_URL": f"http://127.0.0.1:{api_port}",
            "RONGJU_WORKER_LIMIT": str(workers),
            "RONGJU_PREFECT_DATABASE_URL": database_url,
        }
        cleanup.enter_context(environment(env))
        prepare_data_dir(data_dir, city)
        assert get_settings().worker_limit == workers
        console.print(f"{prefect_db}, worker limit {workers}: starting the stack…", markup=False)
        began = time.monotonic()
        state = start_stack(port=free_port(), progress=lambda _line: None)
        try:
            startup_s = time.monotonic() - began
            with ProcessWatch(state.pids) as watch:
                console.print(f"  up in {startup_s:.0f} s ({', '.join(state.pids)}); waiting until quiet…")
                # Readers load their models after start_stack returns: not the cases' CPU.
                quiet_s = wait_until_quiet(watch, deadline=time.monotonic() + QUIET_MAX_SECONDS)
                console.print(f"  quiet after {quiet_s:.0f} s more; measuring idle CPU for {idle_s:.0f} s…")
                idle_start = watch.mark()
                time.sleep(idle_s)
                idle_end = watch.mark()
                idle_cpu_pct = cpu_between(idle_start, idle_end).total / (idle_end.at - idle_start.at) * 100

                start = watch.mark()
                deadline = start.at + timeout
                cpu0 = sum(cpu_now())
                run_of: dict[str, str] = {}
                refused = 0
                for folder in folders:
                    try:
                        result = submit_folder(folder, UnitOfWork())
                    except PackageRefused:
                        refused += 1
                        continue
                    run_of[result.case_id] = start_case_flow(result.case_id, result.business_type)
                submit_s = time.monotonic() - start.at
                submit_cpu = sum(cpu_now()) - cpu0
                console.print(f"  {len(run_of)} cases submitted ({refused} refused); processing…")

                pending = set(run_of)
                polls = [0]

                def automated() -> bool:
                    pending.difference_update(
                        [c for c in pending if not read_case_state(c, UnitOfWork()).needs_assessment]
                    )
                    polls[0] += 1
                    if pending and polls[0] % 5 == 0:
                        # A run that ended while its case is still waiting for checks failed: say so
                        # now rather than at the timeout.
                        runs = flow_run_states(state.api_url, [run_of[c] for c in pending])
                        ended = sorted(r.state.name for r in runs.values() if r.state and r.state.is_final())
                        if ended:
                            raise StackRunFailed(
                                f"{len(ended)} flow runs ended ({', '.join(ended)}) with their case still "
                                f"waiting for checks; see {Path(state.logs['worker']).parent}/*.log"
                            )
                    return not pending

                def describe_pending() -> str:
                    counts: dict[str, int] = defaultdict(int)
                    for case_id in pending:
                        counts[read_case_state(case_id, UnitOfWork()).status.value] += 1
                    return (
                        f"{len(pending)} of {len(run_of)} cases still in automated processing {dict(counts)}"
                    )

                wait_for("the automated part", automated, deadline, describe_pending)
                automated_s = time.monotonic() - start.at
                api_url = state.api_url
                unsettled: list[str] = []

                def settled() -> bool:
                    runs = flow_run_states(api_url, list(run_of.values()))
                    unsettled[:] = [
                        i
                        for i in run_of.values()
                        if not (
                            i in runs
                            and runs[i].state
                            and (runs[i].state.is_final() or runs[i].state.is_paused())
                        )
                    ]
                    return not unsettled and watch.live_flow_runs() == 0

                wait_for(
                    "the flow runs to suspend or finish",
                    settled,
                    deadline,
                    lambda: (
                        f"{len(unsettled)} flow runs not suspended/final, {watch.live_flow_runs()} processes"
                    ),
                )
                end = watch.mark()
                settled_s = end.at - start.at
                console.print(f"  automated part done in {automated_s:.0f} s, settled in {settled_s:.0f} s")
                spent = cpu_between(start, end)
                flow_procs = watch.processes("flow-run")
                child_procs = watch.processes("flow-run child")
                root_hwm = watch.root_hwm_mb()
                programs: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
                for seen in watch.descendants_seen():
                    programs[(seen.root, seen.role, seen.label)].append((seen.cpu, seen.hwm_kb / 1024))
            statuses: dict[str, int] = defaultdict(int)
            for case_id in run_of:
                statuses[read_case_state(case_id, UnitOfWork()).status.value] += 1
            tasks: dict[str, list[float]] = defaultdict(list)
            for task in task_runs(api_url):
                took = _seconds(task.total_run_time)
                if not took and task.start_time and task.end_time:
                    took = (task.end_time - task.start_time).total_seconds()
                # task_key is "<function name>-<hash>"; a task run's name may hold the case id.
                tasks[task.task_key.rsplit("-", 1)[0]].append(took or 0.0)
            runs = flow_run_states(api_url, list(run_of.values()))
            lags = [
                (r.start_time - r.expected_start_time).total_seconds()
                for r in runs.values()
                if r.start_time and r.expected_start_time
            ]
            run_times = [s for r in runs.values() if (s := _seconds(r.total_run_time)) is not None]
        finally:
            console.print("  stopping the stack…")
            stop_processes(state)
    return StackRun(
        prefect_db=prefect_db,
        workers=workers,
        cases=len(run_of),
        refused=refused,
        startup_s=startup_s,
        idle_cpu_pct=idle_cpu_pct,
        submit_s=submit_s,
        submit_cpu=submit_cpu,
        automated_s=automated_s,
        settled_s=settled_s,
        cpu=spent,
        flow_runs=len(flow_procs),
        flow_run_hwm_mb=[w.hwm_kb / 1024 for w in flow_procs],
        flow_run_child_hwm_mb=[w.hwm_kb / 1024 for w in child_procs],
        flow_run_lifetime_s=[w.last_seen - w.first_seen for w in flow_procs],
        root_hwm_mb=root_hwm,
        programs=dict(programs),
        statuses=dict(statuses),
        tasks=dict(tasks),
        pickup_lag_s=lags,
        flow_run_time_s=run_times,
    )


# --- output ------------------------------------------------------------------------------------------


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


def machine() -> list[list[str]]:
    import prefect

    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    return [
        ["cores", str(os.cpu_count())],
        ["CPU", model],
        ["Python", platform.python_version()],
        ["Prefect", prefect.__version__],
        ["load average at start (1/5/15 min)", load],
        ["date", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())],
    ]


def _f(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def in_process_section(base: InProcess) -> Section:
    ocr_case = base.ocr_cpu / base.cases
    plain_case = base.plain_cpu / base.cases
    steps = ", ".join(f"{name} {v / base.cases:.2f}" for name, v in base.plain_steps.items())
    return Section(
        "in this process, warm (no Prefect)",
        ["measure", "cases", "documents", "CPU s/case", "wall s/case", "notes"],
        [
            [
                "raw OCR (read_document)",
                str(base.cases),
                str(base.documents),
                _f(ocr_case),
                _f(base.ocr_wall / base.cases),
                f"children {base.ocr_children / base.cases:.2f} s/case; warmed on {base.kinds} docs",
            ],
            [
                "plain Python (read, check, record)",
                str(base.cases),
                str(base.documents),
                _f(plain_case),
                _f(base.plain_wall / base.cases),
                f"CPU s/case by step: {steps}",
            ],
        ],
        f"{base.refused} packages refused at intake (not counted).",
    )


def sections(machine_rows: list[list[str]], base: InProcess | None, runs: list[StackRun]) -> list[Section]:
    out = [Section("machine", ["", ""], machine_rows)]
    ocr_case = plain_case = 0.0
    if base is not None and base.cases:
        ocr_case = base.ocr_cpu / base.cases
        plain_case = base.plain_cpu / base.cases
        out.append(in_process_section(base))
    rows = []
    for run in runs:
        hwm = max(run.flow_run_hwm_mb, default=0.0)
        ratio = run.cpu_per_case / ocr_case if ocr_case else 0.0
        against_ocr = f"{_f(ratio)} ({_verdict(ratio <= TARGET_CPU_RATIO)})" if ocr_case else "-"
        rows.append(
            [
                run.prefect_db,
                str(run.workers),
                str(run.cases),
                _f(run.automated_s, 0),
                _f(run.cases_per_hour, 0),
                _f(run.cpu_per_case),
                _f(run.net_cpu_per_case),
                against_ocr,
                _f(run.cpu_per_case / plain_case) if plain_case else "-",
                f"{_f(hwm, 0)} ({_verdict(hwm <= TARGET_RSS_MB)})",
                _f(max(readers), 0) if (readers := run.reader_hwm_mb) else "-",
                _f(run.idle_cpu_pct, 1),
                _f(run.submit_cpu / run.cases if run.cases else 0.0),
            ]
        )
    out.append(
        Section(
            "on the stack (per case; CPU of every stack process and descendant, submission → runs settled)",
            [
                "Prefect DB",
                "worker limit",
                "cases",
                "wall s (automated)",
                "cases/h",
                "stack CPU s/case",
                "… less idle",
                f"× raw OCR (≤ {TARGET_CPU_RATIO})",
                "× plain Python",
                f"peak flow-run RSS MB (≤ {TARGET_RSS_MB})",
                "peak reader RSS MB",
                "idle CPU % of a core",
                "submit CPU s/case (bench)",
            ],
            rows,
            "Stack CPU includes the flow's whole automated path (notices, tagging, card numbering and"
            " printing for approved cases, the review summary) and the server, worker and API overhead;"
            " plain Python runs only read → check → record. Submit CPU is this process's intake and"
            " run creation, not in the stack's.",
        )
    )
    rows = []
    for run in runs:
        total = run.cpu.total or 1.0
        for name, (own, children) in run.cpu.by_root.items():
            rows.append(
                [
                    run.prefect_db,
                    str(run.workers),
                    name,
                    _f(own / max(run.cases, 1)),
                    _f(children / max(run.cases, 1)),
                    _f((own + children) / total * 100, 0),
                    _f(run.root_hwm_mb.get(name, 0.0), 0),
                ]
            )
    out.append(
        Section(
            "where the stack's CPU goes (per case)",
            [
                "Prefect DB",
                "worker limit",
                "process",
                "own CPU s",
                "children CPU s",
                "% of stack",
                "peak RSS MB",
            ],
            rows,
            "The worker's children are the flow-run processes (and what they start).",
        )
    )
    rows = []
    for run in runs:
        for (root, role, label), seen in sorted(run.programs.items()):
            rows.append(
                [
                    run.prefect_db,
                    str(run.workers),
                    root,
                    role,
                    label,
                    str(len(seen)),
                    _f(mean(cpu for cpu, _ in seen)),
                    _f(max(mb for _, mb in seen), 0),
                ]
            )
    out.append(
        Section(
            "descendants of the stack's processes (sampled every 0.2 s)",
            [
                "Prefect DB",
                "worker limit",
                "under",
                "role",
                "program",
                "processes",
                "CPU s each",
                "peak RSS MB",
            ],
            rows,
            "CPU as last sampled (a process's last 0.2 s may be missing), own + its reaped children.",
        )
    )
    rows = []
    for run in runs:
        child = max(run.flow_run_child_hwm_mb, default=0.0)
        rows.append(
            [
                run.prefect_db,
                str(run.workers),
                str(run.flow_runs),
                _f(mean(run.flow_run_hwm_mb), 0) if run.flow_run_hwm_mb else "-",
                _f(max(run.flow_run_hwm_mb, default=0.0), 0),
                _f(child, 0) if run.flow_run_child_hwm_mb else "-",
                _f(mean(run.flow_run_lifetime_s), 1) if run.flow_run_lifetime_s else "-",
                _f(mean(run.flow_run_time_s), 1) if run.flow_run_time_s else "-",
                _f(mean(run.pickup_lag_s), 1) if run.pickup_lag_s else "-",
                _f(run.startup_s, 0),
                ", ".join(f"{k} {v}" for k, v in sorted(run.statuses.items())),
            ]
        )
    out.append(
        Section(
            "flow runs",
            [
                "Prefect DB",
                "worker limit",
                "processes",
                "mean peak RSS MB",
                "max peak RSS MB",
                "max child RSS MB",
                "process lifetime s",
                "Prefect run time s",
                "pickup lag s",
                "stack start s",
                "statuses after",
            ],
            rows,
            "Process lifetime (sampled) minus Prefect's run time is interpreter start, imports and"
            " teardown. Pickup lag: the run's expected start to its start (queueing behind the limit"
            " and the worker's poll).",
        )
    )
    names = sorted({name for run in runs for name in run.tasks})
    rows = []
    for name in names:
        row = [name]
        for run in runs:
            times = run.tasks.get(name, [])
            row.append(f"{mean(times):.2f} ×{len(times)}" if times else "-")
        rows.append(row)
    out.append(
        Section(
            "wall seconds per Prefect task run (mean × count)",
            ["task", *[f"{r.prefect_db} w{r.workers}" for r in runs]],
            rows,
        )
    )
    by_db: dict[str, dict[int, StackRun]] = defaultdict(dict)
    for run in runs:
        by_db[run.prefect_db][run.workers] = run
    rows = []
    for db, per in by_db.items():
        limits = sorted(per)
        for low, high in itertools.pairwise(limits):
            ratio = per[high].cases_per_hour / per[low].cases_per_hour if per[low].cases_per_hour else 0.0
            verdict = f" ({_verdict(ratio >= TARGET_SCALING)})" if (low, high) == (1, 2) else ""
            rows.append(
                [
                    db,
                    f"{low} → {high}",
                    _f(per[low].cases_per_hour, 0),
                    _f(per[high].cases_per_hour, 0),
                    f"{_f(ratio)}{verdict}",
                ]
            )
    if rows:
        out.append(
            Section(
                f"throughput (cases/h to the end of the automated part; target 1 → 2 ≥ {TARGET_SCALING})",
                ["Prefect DB", "worker limit", "cases/h before", "cases/h after", "ratio"],
                rows,
            )
        )
    return out


def print_sections(console: Any, parts: list[Section]) -> None:
    from rich.table import Table

    for part in parts:
        table = Table(title=part.title, show_header=part.title != "machine")
        for header in part.headers:
            table.add_column(header)
        for row in part.rows:
            table.add_row(*row)
        console.print(table)
        if part.note:
            console.print(part.note, style="dim")


def markdown(
    parts: list[Section], command: str, title: str = "Case pipeline on the local stack (bench/pipeline.py)"
) -> str:
    lines = [f"# {title}", "", f"`{command}`", ""]
    for part in parts:
        lines += [f"## {part.title}", ""]
        headers = part.headers if part.title != "machine" else ["", ""]
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "|".join("---" for _ in headers) + "|")
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in part.rows]
        if part.note:
            lines += ["", part.note]
        lines.append("")
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------------


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--cases", type=int, default=None, help="case packages in the sample city (default 20)"
    )
    parser.add_argument(
        "--workers", default="1,2", help="worker limits to run, comma-separated (default 1,2)"
    )
    parser.add_argument("--prefect-db", default="sqlite", help="sqlite, postgres or both comma-separated")
    parser.add_argument("--quick", action="store_true", help="4 cases, 3 s idle measurement: a smoke run")
    parser.add_argument("--residents", type=int, default=None, help="sample-city residents (default 300+)")
    parser.add_argument("--idle-seconds", type=float, default=None, help="idle CPU measurement (default 10)")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds per stack run (default 300 + 120 × cases)"
    )
    parser.add_argument("--skip-in-process", action="store_true", help="stack runs only (no raw OCR / plain)")
    parser.add_argument("--markdown", type=Path, help="also write the tables as markdown to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (printed)")
    args = parser.parse_args(argv)
    args.cases = args.cases or (4 if args.quick else 20)
    args.idle_seconds = args.idle_seconds if args.idle_seconds is not None else (3.0 if args.quick else 10.0)
    args.timeout = args.timeout or 300 + 120 * args.cases
    args.residents = args.residents or max(300, 15 * args.cases)
    try:
        args.worker_limits = [int(w) for w in _csv(args.workers)]
    except ValueError:
        parser.error("--workers takes comma-separated integers, e.g. 1,2")
    args.databases = _csv(args.prefect_db)
    if not args.worker_limits or any(w < 1 for w in args.worker_limits):
        parser.error("--workers needs at least one limit ≥ 1")
    if not args.databases or set(args.databases) - {"sqlite", "postgres"}:
        parser.error("--prefect-db takes sqlite and/or postgres")
    return args


@contextlib.contextmanager
def bench_workspace(prefix: str, *, keep: bool) -> Iterator[tuple[Path, Any]]:
    """A temporary folder and a console for one bench run, removed after (unless `keep`).

    This process's own Prefect client keeps its profile and cache in the folder, not in ~/.prefect,
    sends no analytics and logs warnings only (the stack's processes log to their own files).
    SIGTERM (`timeout`, `kill`) becomes SystemExit, so the bench ends through its cleanup — the
    stack stopped, the databases dropped — instead of leaving a whole stack running.
    """
    from rich.console import Console

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("PREFECT_HOME", str(work / "bench-prefect-home"))
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # Wide tables stay readable when the output goes to a file or a pipe.
    console = Console(width=None if sys.stdout.isatty() else 220)
    try:
        yield work, console
    finally:
        if keep:
            console.print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with bench_workspace("rongju-bench-pipeline-", keep=args.keep) as (work, console):
        from samplecity.city import generate_city

        machine_rows = machine()
        city = work / "city"
        console.print(f"sample city: {args.cases} cases, {args.residents} residents (seed {SEED})…")
        generate_city(
            city,
            residents=args.residents,
            cases=args.cases,
            seed=SEED,
            today=TODAY,
            workers=os.cpu_count() or 1,
        )
        base = None if args.skip_in_process else measure_in_process(city, work, console)
        runs: list[StackRun] = []
        try:
            for database in args.databases:
                for limit in args.worker_limits:
                    runs.append(
                        run_on_stack(
                            city,
                            work,
                            workers=limit,
                            prefect_db=database,
                            idle_s=args.idle_seconds,
                            timeout=args.timeout,
                            console=console,
                        )
                    )
        except StackRunFailed as exc:
            console.print(f"[red]{exc}[/red] (the stack was stopped; --timeout {args.timeout:.0f} s)")
            if not runs:
                return 2
            console.print("[yellow]tables below cover the runs that finished[/yellow]")
        # Others' work on a shared machine inflates wall times (throughput) far more than CPU times.
        machine_rows.append(
            ["load average at end (1/5/15 min)", " / ".join(f"{v:.2f}" for v in os.getloadavg())]
        )
        parts = sections(machine_rows, base, runs)
        print_sections(console, parts)
        if args.markdown:
            command = "bench/pipeline.py " + " ".join(argv if argv is not None else sys.argv[1:])
            args.markdown.write_text(markdown(parts, command), encoding="utf-8")
            console.print(f"written {args.markdown}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
