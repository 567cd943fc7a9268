"""Where a case's reading should run: cold in its flow-run process, or warm in a document reader
(run by hand, not a test).

The same sample-city cases, read and checked (documents → checks → outcome recorded) three ways:

- cold: a new Python process per case that imports the readers and loads the OCR models, as every
  flow run did before the document readers (wall and CPU of the whole process);
- warm, in-process: the lower bound — the same steps in one process whose models are loaded;
- warm, through Prefect: `read_and_check_documents.delay(case_id)` to the document readers of a
  real local stack (`rongju up`'s server and readers), waited for from here; the wall per case and
  the readers' CPU, so the cost of the Prefect hop (task run, parameters, events) shows against
  the in-process bound.

    .venv/bin/python bench/readers.py --cases 6
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 11, 27)

COLD = """
import sys
from services.reading import read_and_check_case
from storage.db import UnitOfWork
read_and_check_case(sys.argv[1], UnitOfWork())
"""


# What a flow-run process imports before it runs a step (every resume pays it again): Prefect's
# engine and the flow module; "before" adds what the flow module imported while it read documents
# itself (the readers, the checks, OpenCV and numpy with them).
IMPORTS = {
    "flow run now (engine + flow module)": "import prefect.engine, process_case",
    "flow run before the readers (+ reading and checks)": (
        "import prefect.engine, process_case, services.documents, services.assessment"
    ),
}
IMPORT_PROBE = """
import sys, time
sys.path.insert(0, "flows")
start = time.process_time()
exec(sys.argv[1])
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(time.process_time() - start, int(hwm) / 1024)
"""


def import_costs(repeat: int = 3) -> list[tuple[str, float, float, float]]:
    """(what, wall s, CPU s, peak RSS MB) of a fresh interpreter importing each set, best of `repeat`."""
    rows = []
    for name, statement in IMPORTS.items():
        best: tuple[float, float, float] | None = None
        for _ in range(repeat):
            start = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-c", IMPORT_PROBE, statement],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            wall = time.monotonic() - start
            cpu, rss = (float(x) for x in done.stdout.split())
            if best is None or cpu < best[1]:
                best = (wall, cpu, rss)
        assert best is not None
        rows.append((name, *best))
    return rows


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    """User + system seconds of a live process (and its reaped children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=6, help="cases read each way")
    args = parser.parse_args()
    n = args.cases
    imports = import_costs()  # first, while this process is small and the machine quiet

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "var"
        os.environ.update(
            {
                "RONGJU_DATA_DIR": str(data),
                "RONGJU_TODAY": TODAY.isoformat(),
                "RONGJU_DEMO": "1",
                "RONGJU_READERS": "1",
            }
        )
        os.environ.pop("PREFECT_API_URL", None)
        from config.settings import get_settings

        get_settings.cache_clear()
        from models.package import PackageRefused
        from samplecity.city import generate_city
        from services.intake import submit_folder
        from storage.db import UnitOfWork
        from storage.shared_data import import_snapshot

        city = Path(tmp) / "city"
        generate_city(city, residents=300, cases=2 * n + 4, seed=11, today=TODAY, workers=2)
        import_snapshot(city / "shared-data")
        data.mkdir(parents=True, exist_ok=True)
        (data / "shared-data").symlink_to(city / "shared-data")
        folders = sorted((city / "cases").iterdir())
        case_ids = []
        for folder in folders:
            try:
                case_ids.append(submit_folder(folder, UnitOfWork()).case_id)
            except PackageRefused:  # the scenarios refused at intake (a HEIC file, ...): not read
                continue
        if len(case_ids) < n + 1:
            raise SystemExit(f"only {len(case_ids)} packages accepted; ask for fewer --cases")
        # The same cases each way (a case's documents decide its cost): recorded by the first,
        # read and checked again by the others (recording is claimed once; reading is the cost).
        warmup, cases = case_ids[0], case_ids[1 : n + 1]
        cold = inproc = hop = cases
        rows: list[tuple[str, float, float]] = []

        # Cold: one process per case.
        env = dict(os.environ)
        cpu0, start = _children_cpu(), time.monotonic()
        for case_id in cold:
            subprocess.run(
                [sys.executable, "-c", COLD, case_id], cwd=ROOT, env=env, check=True, capture_output=True
            )
        rows.append(("cold process per case", (time.monotonic() - start) / n, (_children_cpu() - cpu0) / n))

        # Warm, in this process.
        from services.reading import read_and_check_case
        from tasks.reader import read_and_check_documents
        from tasks.serve_reader import warm_up

        warm_up()
        read_and_check_case(warmup, UnitOfWork())
        # Tesseract (orientation) runs as a child process: its CPU counts too.
        cpu0, start = time.process_time() + _children_cpu(), time.monotonic()
        for case_id in inproc:
            read_and_check_case(case_id, UnitOfWork())
        cpu = time.process_time() + _children_cpu() - cpu0
        rows.append(("warm, in-process (bound)", (time.monotonic() - start) / n, cpu / n))

        # Warm, through Prefect's background task workers.
        from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

        from services.stack import (
            ensure_auth_string,
            prefect_connection,
            start_stack,
            stop_processes,
            task_parameters_dir,
        )

        state = start_stack(port=_free_port(), with_api=False, progress=lambda _line: None)
        os.environ["PREFECT_API_AUTH_STRING"] = ensure_auth_string()
        try:
            reader = state.pids["reader-1"]
            _wait_ready(Path(state.logs["reader-1"]))
            # Where the stack's processes keep task parameters (child_env): the reader reads them there.
            storage = {PREFECT_RESULTS_LOCAL_STORAGE_PATH: task_parameters_dir(get_settings())}
            with prefect_connection(state.api_url), temporary_settings(updates=storage):
                # The reader's first case, like the in-process warm-up case, is not counted.
                read_and_check_documents.delay(warmup).wait(timeout=300)
                cpu0, start = _process_cpu(reader), time.monotonic()
                for case_id in hop:
                    future = read_and_check_documents.delay(case_id)
                    future.wait(timeout=300)
                    assert future.state.is_completed(), future.state
                wall = (time.monotonic() - start) / n
                rows.append(("warm reader via task.delay()", wall, (_process_cpu(reader) - cpu0) / n))
        finally:
            stop_processes(state)

    base_wall, base_cpu = rows[1][1], rows[1][2]
    print(f"\nmachine: {os.cpu_count()} cores, {_cpu_model()}, Python {platform.python_version()}")
    print(f"{n} cases each (sample city, seed 11); per case, ratios against warm in-process\n")
    print("| how | wall s/case | CPU s/case | wall × | CPU × |")
    print("|---|---:|---:|---:|---:|")
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / base_wall:.2f} | {cpu / base_cpu:.2f} |")
    hop_ms = (rows[2][1] - base_wall) * 1000
    print(f"\nPrefect hop (task run, parameters, completion event): {hop_ms:+.0f} ms per case of wall")
    print("\nA flow-run process's imports (paid by every run and every resume), best of 3:\n")
    print("| imports | wall s | CPU s | peak RSS MB |")
    print("|---|---:|---:|---:|")
    for name, wall, cpu, rss in imports:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and "Subscribing to runs" in log.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise TimeoutError("the document reader did not start")


if __name__ == "__main__":
    main()
