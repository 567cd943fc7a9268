"""OCR benchmark for ID cards (run by hand, not a test).

Generates fresh ID-card fronts with the sample city (random Person objects), degrades them per
condition and reads them with each pipeline; prints a table and writes it as markdown.

    .venv/bin/python bench/ocr.py --n 40 --workers 2

Pipelines:
  tesseract-raw  raw tesseract (psm 3) on the whole picture, no preprocessing, parsed by the same
                 word-based parser — the baseline the ratios are taken against (same run, same cards);
  tesseract      geometry (find, warp, orient by valid number) + label anchors + batched value crops;
  rapidocr       the same geometry, then one RapidOCR pass over the whole card, lines assigned to the
                 fields by where they sit (the configured engine, config/ocr.yaml).

Per pipeline and condition: exact-match % per field, all-six %, ms per document, ID-number accuracy
after validation and false accepts (a valid number that is not the card's; must be 0).

`--hard-addresses` renders people from samplecity.people.HARD_REGIONS instead: rare district
characters (涪, 郫, 邛, 崃, 犍, 珙, 筠), an old 郫县 number under a 郫都区 address, 省直辖 and
municipal units, the address broken after 新 with 民 opening the next line, after 号 or inside a
number. It reports what the card face would print (documents.address_verify.card_details: 民族 on the
official list, 住址 whole and agreeing with the number's region, else empty) next to what was read,
and "printed wrong": a verified value that is not the card's (must be 0). Default pipeline: rapidocr.

    .venv/bin/python bench/ocr.py --hard-addresses --n 10 --workers 1
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from documents.address_verify import card_details
from documents.extract.id_front import IdFrontReading, parse_id_front, read_id_front
from documents.ocr.engines import get_engine
from samplecity.documents import Person
from samplecity.people import make_hard_address_identity, make_identity
from samplecity.render import degrade, render_id_front

CONDITIONS = (
    "clean", "skew", "blur", "jpeg30", "uneven_light", "desk_photo",
    "rotate90", "rotate180", "rotate270",
)  # fmt: skip
FIELDS = ("name", "sex", "ethnicity", "birth_date", "address", "id_number")
TODAY = date(2026, 3, 1)
MIN_CONFIDENCE = 0.80  # the checks' ocr_min_confidence (config/documents.yaml), the card face's bar


def uneven_light(img: Image.Image, rng: random.Random) -> Image.Image:
    """A lamp to one side: brightness falls from ~1.1 to ~0.45 across the card, plus a soft hot spot."""
    arr = np.asarray(img.convert("RGB")).astype(np.float32)
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, math.tau)
    t = ((xx - w / 2) * math.cos(ang) + (yy - h / 2) * math.sin(ang)) / math.hypot(w, h) + 0.5
    light = 1.1 - rng.uniform(0.45, 0.65) * t
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    spot = np.exp(-(((xx - cx) / (0.25 * w)) ** 2 + ((yy - cy) / (0.25 * h)) ** 2))
    out = arr * light[..., None] + 40 * spot[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def make_sample(condition: str, seed: int, *, hard: bool = False) -> tuple[Person, np.ndarray]:
    rng = random.Random(seed)
    if hard:
        identity, lines = make_hard_address_identity(rng, TODAY)
        card = render_id_front(identity.person, rng=rng, address_lines=lines)
        return identity.person, apply_condition(card, condition, rng)
    person = make_identity(rng, TODAY).person
    return person, apply_condition(render_id_front(person, rng=rng), condition, rng)


def apply_condition(card: Image.Image, condition: str, rng: random.Random) -> np.ndarray:
    """The rendered card as a photo or scan under `condition` (BGR)."""
    if condition == "jpeg30":
        import io

        buf = io.BytesIO()
        card.convert("RGB").save(buf, "JPEG", quality=30)
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    elif condition == "uneven_light":
        img = uneven_light(card, rng)
    else:
        img = degrade(card, condition, rng=rng)
    return cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)


def read_raw(bgr: np.ndarray) -> IdFrontReading:
    lines = get_engine("tesseract").read_lines(bgr, lang="chi_sim", psm=3)
    return parse_id_front(lines)


@dataclass
class Outcome:
    pipeline: str
    condition: str
    ok: dict[str, bool]
    ms: float
    id_accepted: bool
    false_accept: bool
    # What the card face would print (hard-address runs): right per field, and fields printed wrong.
    printed_ok: dict[str, bool] | None = None
    printed_wrong: tuple[str, ...] = ()
    address_status: str = ""
    # Read wrong at or above the bar: what the card face printed before verification.
    trusted_wrong: tuple[str, ...] = ()


def run_one(args: tuple[str, str, int, bool]) -> Outcome:
    pipeline, condition, seed, hard = args
    person, bgr = make_sample(condition, seed, hard=hard)
    t0 = time.perf_counter()
    r = read_raw(bgr) if pipeline == "tesseract-raw" else read_id_front(bgr, engine=get_engine(pipeline))
    ms = (time.perf_counter() - t0) * 1000
    f = r.facts

    def val(x: object) -> object:
        return getattr(x, "value", None)

    got = {
        "name": val(f.name), "sex": val(f.sex), "ethnicity": val(r.ethnicity),
        "birth_date": val(f.birth_date), "address": val(f.address), "id_number": val(f.id_number),
    }  # fmt: skip
    want = {
        "name": person.name, "sex": person.sex, "ethnicity": person.ethnicity,
        "birth_date": person.birth_date, "address": person.hukou_address, "id_number": person.id_number,
    }  # fmt: skip
    ok = {k: got[k] == want[k] for k in FIELDS}
    accepted = got["id_number"] is not None
    out = Outcome(pipeline, condition, ok, ms, accepted, accepted and got["id_number"] != person.id_number)
    if hard:
        # Name, sex, birth date and number are printed from the case; the two read from the card only
        # when verified (against the card's own number, as production does with the case's).
        details = card_details(r, person.id_number, MIN_CONFIDENCE)
        printed = {**got, "ethnicity": details.ethnicity, "address": details.hukou_address}
        out.printed_ok = {k: printed[k] == want[k] for k in FIELDS}
        out.printed_wrong = tuple(k for k in ("ethnicity", "address") if printed[k] and printed[k] != want[k])
        out.address_status = details.address_status
        facts = {"ethnicity": r.ethnicity, "address": f.address}
        out.trusted_wrong = tuple(
            k
            for k, fact in facts.items()
            if fact is not None and fact.confidence >= MIN_CONFIDENCE and fact.value != want[k]
        )
    return out


def jobs(
    pipelines: list[str], conditions: list[str], n: int, seed: int, hard: bool = False
) -> Iterator[tuple[str, str, int, bool]]:
    for ci, c in enumerate(conditions):
        for i in range(n):
            for p in pipelines:
                # Every pipeline reads the very same cards.
                yield p, c, seed * 1_000_003 + ci * 10_007 + i, hard


def hard_table(outcomes: list[Outcome], pipelines: list[str], conditions: list[str]) -> str:
    """Read vs printed per condition: all six right, address right, printed wrong, address verdicts."""
    head = (
        "| pipeline | condition | n | read: all six | read: address | printed: all six | printed: address "
        "| printed: 民族 | printed wrong (verified, not the card's) | read wrong at ≥ 0.80 (printed before) "
        "| address verdicts |"
    )
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for p in pipelines:
        for c in [*conditions, "ALL"]:
            o = [x for x in outcomes if x.pipeline == p and (c == "ALL" or x.condition == c)]
            if not o:
                continue
            n = len(o)
            printed = [x.printed_ok or {} for x in o]
            verdicts: dict[str, int] = {}
            for x in o:
                verdicts[x.address_status] = verdicts.get(x.address_status, 0) + 1
            cells = [
                p,
                c,
                str(n),
                f"{100 * sum(all(x.ok.values()) for x in o) / n:.1f}",
                f"{100 * sum(x.ok['address'] for x in o) / n:.1f}",
                f"{100 * sum(all(pr.values()) for pr in printed) / n:.1f}",
                f"{100 * sum(pr.get('address', False) for pr in printed) / n:.1f}",
                f"{100 * sum(pr.get('ethnicity', False) for pr in printed) / n:.1f}",
                str(sum(len(x.printed_wrong) for x in o)),
                str(sum(len(x.trusted_wrong) for x in o)),
                ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())),
            ]
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def table(outcomes: list[Outcome], pipelines: list[str], conditions: list[str]) -> str:
    head = (
        "| pipeline | condition | n | " + " | ".join(FIELDS) + " | all six | ID accepted | false accepts "
        "| ms/doc | all-six vs raw | ms vs raw |"
    )
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    base: dict[str, tuple[float, float]] = {}
    for c in conditions:
        o = [x for x in outcomes if x.pipeline == "tesseract-raw" and x.condition == c]
        if o:
            base[c] = (sum(all(x.ok.values()) for x in o) / len(o), sum(x.ms for x in o) / len(o))
    for p in pipelines:
        for c in [*conditions, "ALL"]:
            o = [x for x in outcomes if x.pipeline == p and (c == "ALL" or x.condition == c)]
            if not o:
                continue
            n = len(o)
            pct = [100 * sum(x.ok[k] for x in o) / n for k in FIELDS]
            all6 = sum(all(x.ok.values()) for x in o) / n
            ms = sum(x.ms for x in o) / n
            acc = sum(x.id_accepted for x in o)
            fa = sum(x.false_accept for x in o)
            if c == "ALL":
                bo = [x for x in outcomes if x.pipeline == "tesseract-raw"]
                b = (
                    (sum(all(x.ok.values()) for x in bo) / len(bo), sum(x.ms for x in bo) / len(bo))
                    if bo
                    else None
                )
            else:
                b = base.get(c)
            ratio_all = (f"{all6 / b[0]:.1f}×" if b[0] else f"+{100 * all6:.0f} pts (raw 0%)") if b else "—"
            ratio_ms = f"{ms / b[1]:.1f}×" if b else "—"
            cells = [
                p,
                c,
                str(n),
                *(f"{v:.1f}" for v in pct),
                f"{100 * all6:.1f}",
                f"{acc}/{n}",
                str(fa),
                f"{ms:.0f}",
                ratio_all,
                ratio_ms,
            ]
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=40, help="cards per condition (default 40)")
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--pipelines", default=None, help="default tesseract-raw,tesseract,rapidocr")
    ap.add_argument(
        "--hard-addresses", action="store_true", help="hard hukou addresses; read vs printed (rapidocr)"
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=None, help="default bench/results/ocr.md (ocr_hard_addresses.md)")
    a = ap.parse_args()
    pipelines = (
        a.pipelines or ("rapidocr" if a.hard_addresses else "tesseract-raw,tesseract,rapidocr")
    ).split(",")
    conditions = a.conditions.split(",")
    results = Path(__file__).resolve().parent / "results"
    a.out = a.out or str(results / ("ocr_hard_addresses.md" if a.hard_addresses else "ocr.md"))
    work = list(jobs(pipelines, conditions, a.n, a.seed, a.hard_addresses))
    t0 = time.time()
    outcomes: list[Outcome] = []
    with ProcessPoolExecutor(max_workers=a.workers) as pool:
        for i, o in enumerate(pool.map(run_one, work, chunksize=2), 1):
            outcomes.append(o)
            if i % 50 == 0:
                print(f"  {i}/{len(work)} documents, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    md = table(outcomes, pipelines, conditions)
    if a.hard_addresses:
        md = hard_table(outcomes, pipelines, conditions) + "\n\nFields as read:\n\n" + md
    print(md)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# OCR benchmark: ID-card fronts\n\n`{' '.join(sys.argv)}` — {a.n} cards per condition, "
        f"seed {a.seed}, {a.workers} worker processes, wall time {time.time() - t0:.0f} s. ms/doc is per "
        "document inside a worker (includes geometry, all OCR calls and parsing). Ratios are against "
        "`tesseract-raw` on the same cards in the same run.\n\n"
    )
    out.write_text(header + md + "\n", encoding="utf-8")
    print(f"\nwritten to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
