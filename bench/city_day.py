"""A batch and a city's day on PostgreSQL, on the real local stack (run by hand, not a test).

    .venv/bin/python bench/city_day.py batch [--cases 1000] [--waves 5] [--residents N] [--markdown F]
    .venv/bin/python bench/city_day.py day [--cases 60] [--minutes 20] [--markdown F]

Both start the stack as `rongju up` does (`services.stack.start_stack`: Prefect server, worker with
limit --workers, document readers, API) with the Prefect server AND the case DB on fresh databases
of the local PostgreSQL server (admin DSN from RONGJU_TEST_PG_ADMIN, as the tests), on a sample city
(RONGJU_TODAY fixed, RONGJU_DEMO=1). Cases go in through the real intake (`submit_folder` +
`start_case_flow`, as `rongju demo` and the portal do).

batch  The city's packages in --waves equal waves: each wave is submitted at once and waited for
       until every case has left the automated part and every flow run is suspended or final with
       its process gone. After each wave: cases per hour, the stack's and the Prefect server's CPU
       per case, the server's memory, and the size of the Prefect DB, the case DB and the document
       store (and the rows of Prefect's big tables), so growth per case shows wave by wave whether
       it stays linear as the databases fill. Growth per 1,000 cases is the slope over all waves.
       Run it with two --residents sizes to see what the shared data's size changes.

day    A working day compressed into --minutes: the packages arrive at random times, more in the
       morning and the afternoon. Scripted people act through the same paths as real ones, each after
       a random delay: a station reviewer decides every case that waits for a person (approve, or for
       one in six ask for a clearer photo) through `submit_review` (the Prefect resume path the UI
       uses, with the reviewer's one-time code); an applicant asked for a correction uploads the
       documents again once (`submit_correction`); the card centre confirms produced cards, EMS
       confirms deliveries and the station counter confirms pickups (the `rongju card-produced /
       delivered / picked-up` services) and wakes the case's run. At the end: every submission
       accounted for (nothing lost), the effects ledger against the SMS outbox and print spool (no
       effect twice or missing), and an SLA table: how long each stage took, the system's stages
       apart from the people's.

Output names counts and stages only, never applicants. Sizes are PostgreSQL's own
(pg_database_size, pg_total_relation_size), measured after an ANALYZE-free count of rows.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from statistics import quantiles
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for path in (REPO, REPO / "tests", REPO / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from effects_ledger import effects_not_once  # noqa: E402
from pgdatabase import fresh_database  # noqa: E402
from pipeline import (  # noqa: E402
    QUIET_MAX_SECONDS,
    SEED,
    TODAY,
    Mark,
    ProcessWatch,
    Section,
    base_env,
    bench_workspace,
    cpu_between,
    environment,
    flow_run_states,
    free_port,
    machine,
    markdown,
    package_folders,
    prepare_data_dir,
    print_sections,
    wait_until_quiet,
)

PREFECT_TABLES = (
    "flow_run",
    "flow_run_state",
    "task_run",
    "task_run_state",
    "log",
    "events",
    "event_resources",
)
MB = 1024 * 1024
POLL_SECONDS = 2.0


class BenchFailed(RuntimeError):
    """The stack did not get the cases through within the timeout."""


# --- the stack on PostgreSQL --------------------------------------------------------------------------


@dataclass
class PgStack:
    state: Any  # services.stack.StackState
    watch: ProcessWatch
    prefect_dsn: str  # postgresql://… for psycopg
    case_dsn: str
    data_dir: Path
    city: Path


@contextlib.contextmanager
def pg_stack(city: Path, work: Path, *, workers: int, console: Any) -> Iterator[PgStack]:
    from config.settings import get_settings
    from services.stack import start_stack, stop_processes

    with contextlib.ExitStack() as cleanup:
        prefect_dsn = cleanup.enter_context(fresh_database("rongju_bench_prefect"))
        case_dsn = cleanup.enter_context(fresh_database("rongju_bench_cases"))
        data_dir = work / "var"
        api_port = free_port()
        env = base_env(data_dir) | {
            "RONGJU_API_PORT": str(api_port),
            "RONGJU_API_URL": f"http://127.0.0.1:{api_port}",
            "RONGJU_WORKER_LIMIT": str(workers),
            "RONGJU_PREFECT_DATABASE_URL": prefect_dsn,
            "RONGJU_DATABASE_URL": case_dsn.replace("postgresql://", "postgresql+psycopg://", 1),
        }
        cleanup.enter_context(environment(env))
        prepare_data_dir(data_dir, city)
        assert get_settings().worker_limit == workers
        console.print(f"PostgreSQL for Prefect and cases, worker limit {workers}: starting the stack…")
        state = start_stack(port=free_port(), progress=lambda _line: None)
        cleanup.callback(stop_processes, state)
        watch = cleanup.enter_context(ProcessWatch(state.pids))
        quiet_s = wait_until_quiet(watch, deadline=time.monotonic() + QUIET_MAX_SECONDS)
        console.print(f"  up ({', '.join(state.pids)}), quiet after {quiet_s:.0f} s")
        yield PgStack(state, watch, prefect_dsn, case_dsn, data_dir, city)
        console.print("  stopping the stack…")


@dataclass(frozen=True)
class Sizes:
    prefect_bytes: int
    case_bytes: int
    documents_bytes: int  # the document store: uploaded files by content hash
    task_parameters_bytes: int  # Prefect's background-task parameter files (case ids)
    prefect_rows: dict[str, int]
    prefect_tables: dict[str, int]  # table -> bytes
    case_tables: dict[str, int]  # table -> bytes


def _database(dsn: str, tables: tuple[str, ...] | None) -> tuple[int, dict[str, int], dict[str, int]]:
    import psycopg

    def one(db: psycopg.Connection[Any], sql: str) -> int:
        row = db.execute(sql).fetchone()
        assert row is not None
        return int(row[0])

    with psycopg.connect(dsn, autocommit=True) as db:
        total = one(db, "SELECT pg_database_size(current_database())")
        sizes: dict[str, int] = {
            str(name): int(size)
            for name, size in db.execute(
                "SELECT relname, pg_total_relation_size(relid) FROM pg_catalog.pg_statio_user_tables"
            ).fetchall()
        }
        rows = {table: one(db, f'SELECT count(*) FROM "{table}"') for table in tables or () if table in sizes}
    return total, sizes, rows


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def sizes(stack: PgStack) -> Sizes:
    from config.settings import get_settings
    from services.stack import task_parameters_dir

    prefect_total, prefect_tables, prefect_rows = _database(stack.prefect_dsn, PREFECT_TABLES)
    case_total, case_tables, _ = _database(stack.case_dsn, None)
    document_dir = get_settings().document_dir
    assert document_dir is not None
    parameters = task_parameters_dir(get_settings())
    return Sizes(
        prefect_bytes=prefect_total,
        case_bytes=case_total,
        documents_bytes=_folder_bytes(document_dir) - _folder_bytes(parameters),
        task_parameters_bytes=_folder_bytes(parameters),
        prefect_rows=prefect_rows,
        prefect_tables=prefect_tables,
        case_tables=case_tables,
    )


def vm_rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def submit(folder: Path) -> tuple[str, str] | None:
    """(case id, flow run id) of a package through the intake, or None when it is refused."""
    from models.package import PackageRefused
    from services.dispatch import start_case_flow
    from services.intake import submit_folder
    from storage.db import UnitOfWork

    try:
        result = submit_folder(folder, UnitOfWork())
    except PackageRefused:
        return None
    return result.case_id, start_case_flow(result.case_id, result.business_type)


def runs_settled(stack: PgStack, run_ids: list[str]) -> bool:
    """Every one of these flow runs suspended or final, and no flow-run process alive."""
    if stack.watch.live_flow_runs():
        return False
    runs = flow_run_states(stack.state.api_url, run_ids)
    return all(
        i in runs and runs[i].state and (runs[i].state.is_final() or runs[i].state.is_paused())
        for i in run_ids
    )


def wait(what: str, done: Callable[[], bool], deadline: float) -> None:
    while not done():
        if time.monotonic() > deadline:
            raise BenchFailed(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)


# --- batch ---------------------------------------------------------------------------------------------


@dataclass
class Wave:
    cases: int  # accepted in this wave
    refused: int
    cumulative: int
    wall_s: float  # submission of the first case -> the wave settled
    stack_cpu: float
    server_cpu: float
    server_rss_mb: float
    after: Sizes


def wait_for_wave(stack: PgStack, runs: dict[str, str], what: str, deadline: float) -> None:
    """Until every case of `runs` (case id -> flow run id) left the automated part and its run settled."""
    from services.processing import read_case_state
    from storage.db import UnitOfWork

    pending = set(runs)

    def automated() -> bool:
        pending.difference_update(
            [c for c in pending if not read_case_state(c, UnitOfWork()).needs_assessment]
        )
        return not pending

    wait(f"{what}'s automated part", automated, deadline)
    wait(f"{what}'s flow runs to settle", lambda: runs_settled(stack, list(runs.values())), deadline)


def run_batch(
    stack: PgStack, folders: list[Path], *, waves: int, timeout: float, console: Any
) -> tuple[Sizes, list[Wave]]:

    before = sizes(stack)
    server_pid = stack.state.pids["server"]
    chunk = -(-len(folders) // waves)
    done: list[Wave] = []
    cumulative = 0
    for number, start in enumerate(range(0, len(folders), chunk), 1):
        mark0 = stack.watch.mark()
        runs: dict[str, str] = {}
        refused = 0
        for folder in folders[start : start + chunk]:
            submitted = submit(folder)
            if submitted is None:
                refused += 1
            else:
                runs[submitted[0]] = submitted[1]
        wait_for_wave(stack, runs, f"wave {number}", time.monotonic() + timeout)
        mark1 = stack.watch.mark()
        spent = cpu_between(mark0, mark1)
        cumulative += len(runs)
        server_own, server_children = spent.by_root.get("server", (0.0, 0.0))
        wave = Wave(
            cases=len(runs),
            refused=refused,
            cumulative=cumulative,
            wall_s=mark1.at - mark0.at,
            stack_cpu=spent.total,
            server_cpu=server_own + server_children,
            server_rss_mb=vm_rss_mb(server_pid),
            after=sizes(stack),
        )
        done.append(wave)
        console.print(
            f"  wave {number}: {wave.cases} cases in {wave.wall_s:.0f} s "
            f"({wave.cases / wave.wall_s * 3600:.0f}/h), Prefect DB {wave.after.prefect_bytes / MB:.1f} MB, "
            f"case DB {wave.after.case_bytes / MB:.1f} MB"
        )
    return before, done


def batch_sections(
    before: Sizes, waves: list[Wave], *, residents: int, shared_data_bytes: int, server_hwm_mb: float
) -> list[Section]:
    rows = []
    previous = before
    for number, wave in enumerate(waves, 1):
        per = max(wave.cases, 1)
        rows.append(
            [
                str(number),
                str(wave.cases),
                str(wave.cumulative),
                f"{wave.wall_s:.0f}",
                f"{wave.cases / wave.wall_s * 3600:.0f}" if wave.wall_s else "-",
                f"{wave.stack_cpu / per:.2f}",
                f"{wave.server_cpu / per:.2f}",
                f"{wave.server_rss_mb:.0f}",
                f"{wave.after.prefect_bytes / MB:.1f}",
                f"{(wave.after.prefect_bytes - previous.prefect_bytes) / per / 1024:.0f}",
                f"{wave.after.case_bytes / MB:.1f}",
                f"{(wave.after.case_bytes - previous.case_bytes) / per / 1024:.0f}",
                f"{(wave.after.documents_bytes - previous.documents_bytes) / per / 1024:.0f}",
            ]
        )
        previous = wave.after
    per_wave = Section(
        f"batch in waves on PostgreSQL ({residents} residents, shared data {shared_data_bytes / MB:.1f} MB)",
        [
            "wave",
            "cases",
            "cases so far",
            "wall s",
            "cases/h",
            "stack CPU s/case",
            "server CPU s/case",
            "server RSS MB after",
            "Prefect DB MB",
            "Prefect DB KB/case (wave)",
            "case DB MB",
            "case DB KB/case (wave)",
            "documents KB/case (wave)",
        ],
        rows,
        "Each wave is submitted at once and waited for until its runs are suspended or final. KB/case of"
        " a wave is that wave's growth over its cases: a constant column means linear growth. PostgreSQL"
        " sizes include free space the server keeps in its files; nothing was vacuumed by hand."
        f" Prefect server peak RSS over the batch: {server_hwm_mb:.0f} MB.",
    )
    last = waves[-1].after if waves else before
    total = sum(w.cases for w in waves) or 1
    wall = sum(w.wall_s for w in waves) or 1.0
    growth = [
        ["cases", str(total), ""],
        ["cases per hour (all waves)", f"{total / wall * 3600:.0f}", ""],
        ["Prefect server CPU per case", f"{sum(w.server_cpu for w in waves) / total:.2f} s", ""],
        [
            "Prefect DB",
            f"{(last.prefect_bytes - before.prefect_bytes) / total * 1000 / MB:.1f} MB",
            "per 1,000 cases",
        ],
        ["case DB", f"{(last.case_bytes - before.case_bytes) / total * 1000 / MB:.1f} MB", "per 1,000 cases"],
        [
            "document store",
            f"{(last.documents_bytes - before.documents_bytes) / total * 1000 / MB:.1f} MB",
            "per 1,000 cases",
        ],
        [
            "task parameter files",
            f"{(last.task_parameters_bytes - before.task_parameters_bytes) / total * 1000 / MB:.2f} MB",
            "per 1,000 cases (never deleted)",
        ],
    ]
    growth += [
        [
            f"Prefect {table} rows",
            f"{(last.prefect_rows.get(table, 0) - before.prefect_rows.get(table, 0)) / total:.1f}",
            "per case",
        ]
        for table in PREFECT_TABLES
    ]
    for what, tables, earlier in (
        ("Prefect", last.prefect_tables, before.prefect_tables),
        ("case DB", last.case_tables, before.case_tables),
    ):
        grown = sorted(((size - earlier.get(name, 0), name) for name, size in tables.items()), reverse=True)
        growth += [
            [f"{what} table {name}", f"{size / total * 1000 / MB:.2f} MB", "per 1,000 cases"]
            for size, name in grown[:6]
        ]
    return [per_wave, Section("growth over the whole batch", ["measure", "value", ""], growth)]


# --- day ------------------------------------------------------------------------------------------------


@dataclass
class CaseDay:
    """What happened to one case, in seconds since the day began (None: not yet or never)."""

    arrived: float
    folder: Path
    case_id: str | None = None
    run_id: str | None = None
    refused: bool = False
    seen: dict[str, float] = field(default_factory=dict)  # status -> first seen
    checked: list[float] = field(default_factory=list)  # automated outcome seen, per round
    awaiting_review_since: float | None = None
    review_asked: float | None = None  # our latest submit_review call
    first_answer: float | None = None  # our first submit_review call (the SLA's)
    answered_attempts: int = -1  # the case's review attempts when we answered
    decided: float | None = None  # status left 审核中 after our call
    corrected: float | None = None  # our submit_correction call
    production_confirmed: float | None = None
    handover_confirmed: float | None = None
    step_since: dict[str, float] = field(default_factory=dict)  # production step -> first seen
    delays: dict[str, float] = field(default_factory=dict)  # the people's think time per act
    state: Any = None  # services.processing.CaseState, as last observed
    step: Any = None  # services.production.NextStep, as last observed

    @property
    def status(self) -> str | None:
        return self.state.status.value if self.state is not None else None


FINAL = {"done", "rejected"}


def arrivals(count: int, day_s: float, rng: random.Random) -> list[float]:
    """Arrival moments over a day: 60 % in the morning (5–45 % of the day), 40 % in the afternoon."""
    times = []
    for _ in range(count):
        low, high = (0.05, 0.45) if rng.random() < 0.6 else (0.55, 0.95)
        times.append(rng.uniform(low, high) * day_s)
    return sorted(times)


def refusal_of(case_id: str) -> str:
    """Why the flow refused the case's latest review answer (its recorded refusal text)."""
    from sqlmodel import col, select

    from models.tables import Review
    from storage.db import UnitOfWork

    with UnitOfWork() as uow:
        latest = uow.session.exec(
            select(Review).where(Review.case_id == case_id).order_by(col(Review.id).desc()).limit(1)
        ).first()
    return (latest.refusal or "accepted") if latest else "none recorded"


class Day:
    """The scripted city: submits on schedule, watches every case, and plays the people."""

    def __init__(self, stack: PgStack, folders: list[Path], *, day_s: float, rng: random.Random) -> None:
        self.stack = stack
        self.rng = rng
        self.cases = [
            CaseDay(at, folder)
            for at, folder in zip(arrivals(len(folders), day_s, rng), folders, strict=True)
        ]
        self.began = time.monotonic()
        self.acts: Counter[str] = Counter()
        self.refused_reviews = 0
        self.refusals: Counter[str] = Counter()  # the flow's refusal of a scripted answer -> count
        self.last_step: dict[str, int] = {}  # reviewer -> TOTP step last used

    def now(self) -> float:
        return time.monotonic() - self.began

    def tick(self) -> None:
        for case in self.cases:
            if case.case_id is None and not case.refused and self.now() >= case.arrived:
                submitted = submit(case.folder)
                if submitted is None:
                    case.refused = True
                else:
                    case.case_id, case.run_id = submitted
                    case.seen["submitted"] = self.now()
            if case.case_id is not None and case.status not in FINAL:  # a final case stays final
                self.observe(case)
                self.act(case)

    def observe(self, case: CaseDay) -> None:
        from services import production
        from services.processing import read_case_state
        from storage.db import UnitOfWork

        assert case.case_id is not None
        state = read_case_state(case.case_id, UnitOfWork())
        now = self.now()
        case.run_id = state.flow_run_id or case.run_id
        case.seen.setdefault(state.status.value, now)
        if len(case.checked) < state.check_round and not state.needs_assessment:
            case.checked.append(now)
        if state.awaits_review:
            if case.awaiting_review_since is None:
                case.awaiting_review_since = now
            if case.review_asked is not None and state.review_attempts > case.answered_attempts:
                # Our answer was taken and the case waits again: the flow refused it (say why), or
                # it was accepted and this is the next round (after the correction we asked for).
                why = refusal_of(case.case_id)
                if why != "accepted":
                    self.refusals[why] += 1
                case.review_asked = None
        elif case.review_asked is not None and case.decided is None:
            case.decided = now
        step = production.next_step(case.case_id, UnitOfWork())
        case.step_since.setdefault(step.value, now)
        case.state, case.step = state, step

    def due(self, case: CaseDay, act: str, since: float | None, low: float, high: float) -> bool:
        """Has the person for `act` thought long enough (a random low..high s, drawn once per case)?"""
        return since is not None and self.now() - since >= case.delays.setdefault(
            act, self.rng.uniform(low, high)
        )

    def act(self, case: CaseDay) -> None:
        from services.production import NextStep

        state, step = case.state, case.step
        if state.awaits_review and case.review_asked is None:
            if self.due(case, "review", case.awaiting_review_since, 5, 40):
                self.review(case, state)
        elif case.status == "needs_correction" and case.corrected is None:
            if self.due(case, "correction", case.seen.get("needs_correction"), 10, 60):
                self.correct(case)
        elif step is NextStep.AWAIT_PRODUCTION and case.production_confirmed is None:
            if self.due(case, "production", case.step_since.get(step.value), 10, 40):
                self.confirm_production(case)
        elif (
            step is NextStep.AWAIT_HANDOVER
            and case.handover_confirmed is None
            and self.due(case, "handover", case.step_since.get(step.value), 10, 40)
        ):
            self.confirm_handover(case)

    def review(self, case: CaseDay, state: Any) -> None:
        from models.reasons import ReasonCode
        from models.review import ReviewChoice
        from services.review_client import NotWaitingForReview, submit_review
        from storage.db import UnitOfWork

        assert case.case_id is not None
        step = int(time.time()) // 30  # a one-time code works once: a colleague, or the next step
        reviewer = next(
            (
                r
                for r in (f"r-{state.station_id}-1", f"r-{state.station_id}-2")
                if self.last_step.get(r) != step
            ),
            None,
        )
        if reviewer is None:
            return
        ask_correction = state.correction_rounds == 0 and self.rng.random() < 1 / 6
        try:
            submit_review(
                case.case_id,
                UnitOfWork(),
                reviewer_id=reviewer,
                choice=ReviewChoice.REQUEST_CORRECTION if ask_correction else ReviewChoice.APPROVE,
                reason_codes=[ReasonCode.IMAGE_TOO_BLURRY] if ask_correction else [],
                comment="城市一日：脚本审核 city day: scripted",
            )
        except NotWaitingForReview:
            self.refused_reviews += 1
            return
        self.last_step[reviewer] = step
        case.review_asked = self.now()
        case.first_answer = case.first_answer or case.review_asked
        case.answered_attempts = state.review_attempts
        self.acts["review: ask for correction" if ask_correction else "review: approve"] += 1

    def correct(self, case: CaseDay) -> None:
        """The applicant uploads the package's documents again (once): they are checked again."""
        import json

        from models.package import DocumentKind, PackageRefused
        from services.correction import CorrectedFile, submit_correction
        from storage.db import UnitOfWork

        assert case.case_id is not None
        application = json.loads((case.folder / "application.json").read_text(encoding="utf-8"))
        files = [
            CorrectedFile(DocumentKind(d["kind"]), d["file"], (case.folder / d["file"]).read_bytes())
            for d in application["documents"]
            if (case.folder / d["file"]).is_file()
        ]
        try:
            submit_correction(case.case_id, files, UnitOfWork())
        except PackageRefused:
            self.acts["correction refused at the door"] += 1
        else:
            self.acts["correction uploaded"] += 1
        case.corrected = self.now()

    def confirm_production(self, case: CaseDay) -> None:
        from services.card_issue import card_of
        from services.card_spool import confirm_cards_produced
        from services.dispatch import wake_case_flow
        from storage.db import UnitOfWork

        assert case.case_id is not None
        card = card_of(case.case_id, UnitOfWork())
        if card is None:
            return
        if confirm_cards_produced([card.card_no], UnitOfWork()).confirmed:
            self.acts["card centre: produced"] += 1
        wake_case_flow(case.case_id, event="card-produced", patience=0)
        case.production_confirmed = self.now()

    def confirm_handover(self, case: CaseDay) -> None:
        from services.delivery import confirm_delivered, confirm_picked_up
        from services.dispatch import wake_case_flow
        from storage.db import UnitOfWork

        assert case.case_id is not None
        uow = UnitOfWork()
        with uow:
            delivery = uow.deliveries.current(uow.cases.get(case.case_id))
        if delivery is None:
            return
        if delivery.method == "mail" and delivery.waybill_no:
            self.acts["EMS: delivered"] += len(
                confirm_delivered([delivery.waybill_no], UnitOfWork()).confirmed
            )
        elif delivery.pickup_code and confirm_picked_up(case.case_id, delivery.pickup_code, UnitOfWork()):
            self.acts["station: picked up"] += 1
        wake_case_flow(case.case_id, event="handed-over", patience=0)
        case.handover_confirmed = self.now()

    def open_cases(self) -> list[CaseDay]:
        """Cases that still need something from the system or a person (none: the day is over)."""
        return [
            c
            for c in self.cases
            if not c.refused
            and (
                c.case_id is None
                or (
                    c.status not in FINAL and not (c.status == "needs_correction" and c.corrected is not None)
                )
            )
        ]


def run_day(
    stack: PgStack, folders: list[Path], *, minutes: float, timeout: float, console: Any
) -> tuple[Day, float, Mark, Mark]:
    day = Day(stack, folders, day_s=minutes * 60, rng=random.Random(SEED))
    mark0 = stack.watch.mark()
    deadline = time.monotonic() + minutes * 60 + timeout
    reported = -1
    while True:
        day.tick()
        left = day.open_cases()
        if not left:
            break
        if time.monotonic() > deadline:
            where = Counter(
                f"{c.status}/{c.state.outcome}/reviews {c.state.review_attempts}"
                f"/answered {c.review_asked is not None}"
                if c.state
                else "not yet submitted"
                for c in left
            )
            raise BenchFailed(
                f"the day did not end: {len(left)} cases still open {dict(where)};"
                f" refusals {dict(day.refusals)}; worker log {Path(stack.state.logs['worker'])}"
            )
        minute = int(day.now() // 60)
        if minute != reported:
            reported = minute
            statuses = Counter(c.status or "not yet submitted" for c in day.cases if not c.refused)
            console.print(f"  minute {minute}: {dict(statuses)}")
        time.sleep(POLL_SECONDS)
    ended = day.now()
    runs = [c.run_id for c in day.cases if c.run_id]
    wait("the day's flow runs to settle", lambda: runs_settled(stack, runs), time.monotonic() + 600)
    return day, ended, mark0, stack.watch.mark()


def _p(values: list[float], q: int) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.0f}"
    return f"{quantiles(values, n=100, method='inclusive')[q - 1]:.0f}"


def sla_section(day: Day, minutes: float) -> Section:
    stages: dict[tuple[str, str], list[float]] = defaultdict(list)

    def add(name: str, who: str, start: float | None, end: float | None) -> None:
        if start is not None and end is not None and end >= start:
            stages[(name, who)].append(end - start)

    for c in day.cases:
        if c.case_id is None:
            continue
        add(
            "受理 → 自动核验完成 submitted → checked",
            "system",
            c.seen.get("submitted"),
            c.checked[0] if c.checked else None,
        )
        add(
            "待审核 → 审核员提交 waiting → reviewer answers",
            "person",
            c.awaiting_review_since,
            c.first_answer,
        )
        add("审核员提交 → 决定生效 answer → decision recorded", "system", c.first_answer, c.decided)
        add(
            "补正上传 → 再次核验完成 correction → checked again",
            "system",
            c.corrected,
            c.checked[1] if len(c.checked) > 1 else None,
        )
        add(
            "批准 → 制证文件交付 approved → card in the card centre's spool",
            "system",
            c.seen.get("in_production"),
            c.step_since.get("await_production"),
        )
        add(
            "制证确认 → 寄出/待领取 produced → mailed / at the counter",
            "system",
            c.production_confirmed,
            min((t for s, t in c.seen.items() if s in ("mailed", "awaiting_pickup")), default=None),
        )
        add("送达/领取 → 办结 handed over → done", "system", c.handover_confirmed, c.seen.get("done"))
        add("受理 → 办结 submitted → done (all of it)", "both", c.seen.get("submitted"), c.seen.get("done"))
        add("受理 → 不予办理 submitted → rejected", "both", c.seen.get("submitted"), c.seen.get("rejected"))
    rows = [
        [name, who, str(len(v)), _p(v, 50), _p(v, 95), f"{max(v):.0f}"] for (name, who), v in stages.items()
    ]
    return Section(
        f"SLA over the day (seconds; the day compressed into {minutes:.0f} min)",
        ["stage", "whose time", "cases", "p50 s", "p95 s", "max s"],
        rows,
        "Measured by the bench watching each case every 2 s, so a stage reads up to ~2 s long."
        " 'person' rows are the scripted people's think time (random 5–40 s) plus the wait for a free"
        " one-time code; 'system' rows are rongju's own. The statutory clocks run in working days and"
        " RONGJU_TODAY is fixed, so no case uses a day of its limit here.",
    )


def day_sections(
    day: Day, ended: float, spent: Any, before: Sizes, after: Sizes, problems: list[str], minutes: float
) -> list[Section]:
    accepted = [c for c in day.cases if c.case_id]
    statuses = Counter(c.status or "?" for c in accepted)
    lost = [c for c in day.cases if not c.refused and c.case_id is None]
    server_own, server_children = spent.by_root.get("server", (0.0, 0.0))
    n = max(len(accepted), 1)
    summary = [
        ["submissions", str(len(day.cases))],
        ["refused at intake", str(sum(c.refused for c in day.cases))],
        ["accepted", str(len(accepted))],
        ["never stored (lost)", str(len(lost))],
        ["end statuses", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))],
        ["people's acts", ", ".join(f"{k} {v}" for k, v in sorted(day.acts.items()))],
        ["review answers refused (case no longer waiting)", str(day.refused_reviews)],
        ["review answers the flow refused", ", ".join(f"{k}: {v}" for k, v in day.refusals.items()) or "0"],
        [
            "effects not exactly once",
            str(len(problems)) + ("" if not problems else ": " + "; ".join(problems[:5])),
        ],
        ["day length (last case settled)", f"{ended / 60:.1f} min of a {minutes:.0f}-min day"],
        ["stack CPU per case", f"{spent.total / n:.2f} s"],
        ["Prefect server CPU per case", f"{(server_own + server_children) / n:.2f} s"],
        ["Prefect DB growth per case", f"{(after.prefect_bytes - before.prefect_bytes) / n / 1024:.0f} KB"],
        ["case DB growth per case", f"{(after.case_bytes - before.case_bytes) / n / 1024:.0f} KB"],
    ]
    return [Section("the day", ["", ""], summary), sla_section(day, minutes)]


# --- main -----------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    batch = sub.add_parser("batch", help="cases in waves: throughput and growth on PostgreSQL")
    batch.add_argument("--cases", type=int, default=1000)
    batch.add_argument("--waves", type=int, default=5)
    day = sub.add_parser("day", help="a compressed working day with people acting")
    day.add_argument("--cases", type=int, default=60)
    day.add_argument("--minutes", type=float, default=20.0, help="the day's length in real minutes")
    for each in (batch, day):
        each.add_argument("--workers", type=int, default=2, help="worker limit (flow runs at once)")
        each.add_argument("--residents", type=int, default=None, help="sample-city residents (default 300+)")
        each.add_argument("--timeout", type=float, default=None, help="seconds per wave / after the day")
        each.add_argument("--markdown", type=Path, help="also write the tables as markdown to this file")
        each.add_argument(
            "--all-scenarios",
            action="store_true",
            help="include the sample city's fixed walk through every reason code (default: the mix only)",
        )
        each.add_argument("--keep", action="store_true", help="keep the temporary folder (printed)")
    args = parser.parse_args(argv)
    args.residents = args.residents or max(300, 15 * args.cases)
    args.timeout = args.timeout or 600 + 60 * args.cases
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with bench_workspace(f"rongju-bench-{args.mode}-", keep=args.keep) as (work, console):
        from samplecity.city import generate_city
        from samplecity.scenarios import FIXED_AFTER_CYCLE, REASON_CYCLE

        machine_rows = machine()
        city = work / "city"
        console.print(f"sample city: {args.cases} cases, {args.residents} residents (seed {SEED})…")
        # The sample city's first cases walk through every reason code and a fixed set of shapes; a
        # day's traffic is the realistic mix after them (most clean, some with one or two defects).
        fixed = 0 if args.all_scenarios else len(REASON_CYCLE) + len(FIXED_AFTER_CYCLE)
        began = time.monotonic()
        generate_city(
            city,
            residents=args.residents,
            cases=args.cases + fixed,
            seed=SEED,
            today=TODAY,
            workers=os.cpu_count() or 1,
        )
        console.print(f"  generated in {time.monotonic() - began:.0f} s")
        # Folders are named by submission id, which ends in the case's sequence number.
        folders = sorted(package_folders(city), key=lambda f: int(f.name[-5:]))[fixed:]
        shared_bytes = sum(p.stat().st_size for p in (city / "shared-data").rglob("*") if p.is_file())
        try:
            with pg_stack(city, work, workers=args.workers, console=console) as stack:
                if args.mode == "batch":
                    before, waves = run_batch(
                        stack, folders, waves=args.waves, timeout=args.timeout, console=console
                    )
                    hwm = stack.watch.root_hwm_mb().get("server", 0.0)
                    parts = batch_sections(
                        before,
                        waves,
                        residents=args.residents,
                        shared_data_bytes=shared_bytes,
                        server_hwm_mb=hwm,
                    )
                else:
                    from config.settings import get_settings

                    before = sizes(stack)
                    day, ended, mark0, mark1 = run_day(
                        stack, folders, minutes=args.minutes, timeout=args.timeout, console=console
                    )
                    settings = get_settings()
                    assert settings.sms_outbox is not None and settings.print_spool is not None
                    problems = effects_not_once(
                        [c.case_id for c in day.cases if c.case_id],
                        outboxes=[settings.sms_outbox],
                        spools=[settings.print_spool],
                    )
                    parts = day_sections(
                        day, ended, cpu_between(mark0, mark1), before, sizes(stack), problems, args.minutes
                    )
        except BenchFailed as exc:
            console.print(f"[red]{exc}[/red] (the stack was stopped)")
            return 2
        machine_rows.append(
            ["load average at end (1/5/15 min)", " / ".join(f"{v:.2f}" for v in os.getloadavg())]
        )
        parts = [Section("machine", ["", ""], machine_rows), *parts]
        print_sections(console, parts)
        if args.markdown:
            command = "bench/city_day.py " + " ".join(argv if argv is not None else sys.argv[1:])
            title = f"A {'batch' if args.mode == 'batch' else 'city day'} on PostgreSQL (bench/city_day.py)"
            args.markdown.write_text(markdown(parts, command, title), encoding="utf-8")
            console.print(f"written {args.markdown}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
