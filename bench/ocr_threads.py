"""RapidOCR threads per process against processes reading at once (run by hand, not a test).

A worker runs several flow runs at once, each reading its case's documents one after the other.
This measures documents per second on this machine for P processes reading at once, each with a
RapidOCR engine of T onnxruntime threads (0 = onnxruntime's default, every core), over the same
rendered ID-card fronts; the ratio is against one process with the default threads.

    .venv/bin/python bench/ocr_threads.py --cards 8
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _read(args: tuple[list[str], int]) -> float:
    """Read every image with one engine of `threads`; CPU seconds spent (the engine warm first)."""
    paths, threads = args
    import cv2
    from rapidocr_onnxruntime import RapidOCR

    options = {"intra_op_num_threads": threads, "inter_op_num_threads": 1} if threads else {}
    engine = RapidOCR(**options)
    images = [cv2.imread(p) for p in paths]
    engine(images[0])  # warm: models loaded, first-call allocations done
    start = time.process_time()
    for image in images:
        engine(image)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=8, help="ID-card fronts each process reads")
    args = parser.parse_args()
    from samplecity.city import generate_city

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "city"
        generate_city(out, residents=100, cases=max(args.cards, 4), seed=5, today=date(2026, 11, 27))
        fronts = sorted(str(p) for p in out.glob("cases/*/id_front.*"))[: args.cards]
        rows = []
        baseline = None
        for processes in (1, 2, 4):
            for threads in (0, 1, 2):
                context = multiprocessing.get_context("spawn")
                start = time.monotonic()
                with context.Pool(processes) as pool:
                    cpu = pool.map(_read, [(fronts, threads)] * processes)
                wall = time.monotonic() - start
                docs = processes * len(fronts)
                rate = docs / wall
                baseline = baseline or rate
                rows.append(
                    (processes, threads or "default", docs, wall, rate, rate / baseline, sum(cpu) / docs)
                )
    print(
        f"machine: {os.cpu_count()} cores; {len(fronts)} ID-card fronts per process"
        " (wall includes model load)"
    )
    print(
        f"{'processes':>9} {'threads':>8} {'docs':>5} {'wall s':>7} {'docs/s':>7} {'ratio':>6}"
        f" {'CPU s/doc':>9}"
    )
    for p, t, d, w, r, ratio, c in rows:
        print(f"{p:>9} {t!s:>8} {d:>5} {w:>7.1f} {r:>7.2f} {ratio:>6.2f} {c:>9.2f}")


if __name__ == "__main__":
    main()
