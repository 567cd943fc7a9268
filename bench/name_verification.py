"""Benchmark: verifying the declared name against the ID-card front (run by hand, not a test).

    .venv/bin/python bench/name_verification.py --n 40 --workers 2

For each condition (clean, skew, blur, JPEG-30, uneven light, desk photo) and n cards it renders the
sample city's ID front exactly as bench/ocr.py does (same seeds, so the same cards), reads it with
`read_id_front(..., expected_name=...)` and reports how often the declared name is confirmed:

* true accepts — the card shows the declared name (the person's own name, and a second card whose
  name carries one character of a look-alike pair, so look-alike characters are tried as true names);
* false accepts — the card shows a different name than declared:
  (a) a wholly different name of the same length (no character in common),
  (b) the same name with ONE character replaced by a random common name character,
  (c) the same name with one character replaced by its look-alike (王/玉, 己/已, 宇/字, …; LOOKALIKES),
  (d) the sample city's own planted NAME_MISMATCH slip (samplecity.people.slip_name).

The decision is pure over the card's readings (documents.verify.verify_name_readings), so (a), (b)
and (d) are decided on the very readings of the true-name card; (c) on the look-alike card. For
comparison it also reports what the free reading alone gives: the name read right, and — the
pre-existing false accept — the free reading saying the look-alike twin at a trusted confidence.
A last table re-decides the same readings under other thresholds (the rule's trade-off).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import ocr as ocr_bench  # noqa: E402  (bench/ocr.py: the same cards and conditions)

import documents.extract.id_front as id_front  # noqa: E402
from documents.verify import VerifyThresholds, name_key, verify_name_readings  # noqa: E402
from samplecity.people import GIVEN_FEMALE, GIVEN_MALE, GIVEN_NEUTRAL, SURNAMES, random_name, slip_name  # noqa: E402
from samplecity.render import render_id_front  # noqa: E402

CONDITIONS = ("clean", "skew", "blur", "jpeg30", "uneven_light", "desk_photo")
TRUSTED = 0.80  # config/documents.yaml ocr_min_confidence: what the checks trust
# Common name characters: the sample city's surname and given-name pools.
COMMON = sorted(set(SURNAMES) | set(GIVEN_MALE) | set(GIVEN_FEMALE) | set(GIVEN_NEUTRAL))
# Visually similar pairs (either may be on the card, the other declared).
_PAIRS = """
王玉 未末 己已 日曰 土士 大太 天夫 千干 木本 田由 甲申 白自 贝见 刀力 鸟乌 李季 杨扬 晴睛 玲铃
明朋 宇字 昊吴 佳住 娟涓 辉晖 雪雷 洁浩 红江 侯候 兔免 人入 午牛 戊戌 拔拨 凤风 丙两 广厂 旦且
"""
LOOKALIKES: tuple[tuple[str, str], ...] = tuple((p[0], p[1]) for p in _PAIRS.split())


@dataclass
class Result:
    condition: str
    ms_total: float
    ms_verify: float
    free_right: bool  # the free reading says the card's name
    true_ok: bool  # declared = card: confirmed
    true_conf: float
    true_trusted: bool  # ... and the facts carry it at >= TRUSTED (what the checks see)
    free_trusted_true: bool  # before: the free reading alone said it at >= TRUSTED
    look_true_ok: bool  # look-alike card, declared = card: confirmed
    fa: dict[str, bool]  # (a) (b) (c) (d): confirmed although the card differs
    free_fa_c: bool  # the free reading of the look-alike card says the twin at >= TRUSTED
    look_pair: str  # "card character→declared character" of the look-alike card
    look_agreeing: int  # readings of the look-alike card that say the declared twin
    readings: dict[str, tuple[tuple[str, ...], str]]  # for the trade-off table: card -> (readings, declared)


def _timed_variants() -> list[float]:
    """Wrap read_line_variants (as id_front uses it) to time the verification pass in this process."""
    spent: list[float] = []
    original = id_front.read_line_variants

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append((time.perf_counter() - t0) * 1000)

    id_front.read_line_variants = timed  # type: ignore[assignment]
    return spent


_SPENT: list[float] | None = None


def other_name(name: str, rng: random.Random) -> str:
    """A name of the same length with no character in common with `name`."""
    for _ in range(200):
        cand = random_name(rng, rng.choice("男女"), "汉")
        if len(cand) == len(name) and not set(cand) & set(name):
            return cand
    return "".join(rng.choice([c for c in COMMON if c not in name]) for _ in name)


def one_changed(name: str, rng: random.Random) -> str:
    i = rng.randrange(len(name))
    return name[:i] + rng.choice([c for c in COMMON if c != name[i]]) + name[i + 1 :]


def run_one(args: tuple[str, int]) -> Result:
    global _SPENT
    if _SPENT is None:
        _SPENT = _timed_variants()
    condition, seed = args
    person, bgr = ocr_bench.make_sample(condition, seed)
    rng = random.Random(seed * 7 + 1)
    # The look-alike card: one position of the name set to one side of a pair, the other declared.
    a, b = rng.choice(LOOKALIKES)
    if rng.random() < 0.5:
        a, b = b, a
    i = rng.randrange(len(person.name))
    shown = person.name[:i] + a + person.name[i + 1 :]
    twin = shown[:i] + b + shown[i + 1 :]
    look_rng = random.Random(seed * 7 + 2)
    look_bgr = ocr_bench.apply_condition(
        render_id_front(dataclasses.replace(person, name=shown), rng=look_rng), condition, look_rng
    )

    _SPENT.clear()
    t0 = time.perf_counter()
    r = id_front.read_id_front(bgr, expected_name=person.name)
    ms_total = (time.perf_counter() - t0) * 1000
    ms_verify = sum(_SPENT)
    free = id_front.read_id_front(bgr)  # the free reading, as before this change
    look = id_front.read_id_front(look_bgr, expected_name=shown)
    look_free = id_front.read_id_front(look_bgr)

    assert r.name_verification is not None and look.name_verification is not None
    mismatches = {
        "a": other_name(person.name, rng),
        "b": one_changed(person.name, rng),
        "d": slip_name(person.name, rng),
    }
    fa = {k: verify_name_readings(r.name_readings, v).confirmed for k, v in mismatches.items()}
    twin_verdict = verify_name_readings(look.name_readings, twin)
    fa["c"] = twin_verdict.confirmed
    name = r.facts.name
    free_name = free.facts.name
    look_free_name = look_free.facts.name
    return Result(
        condition=condition,
        ms_total=ms_total,
        ms_verify=ms_verify,
        free_right=free_name is not None and free_name.value == person.name,
        true_ok=r.name_verification.confirmed,
        true_conf=r.name_verification.confidence,
        true_trusted=name is not None and name.value == person.name and name.confidence >= TRUSTED,
        free_trusted_true=free_name is not None
        and free_name.value == person.name
        and free_name.confidence >= TRUSTED,
        look_true_ok=look.name_verification.confirmed,
        fa=fa,
        free_fa_c=look_free_name is not None
        and name_key(look_free_name.value or "") == name_key(twin)
        and look_free_name.confidence >= TRUSTED,
        look_pair=f"{a}→{b}",
        look_agreeing=twin_verdict.agreeing,
        readings={
            "true": (r.name_readings, person.name),
            "look_true": (look.name_readings, shown),
            **{k: (r.name_readings, v) for k, v in mismatches.items()},
            "c": (look.name_readings, twin),
        },
    )


def jobs(conditions: list[str], n: int, seed: int) -> Iterator[tuple[str, int]]:
    for c in conditions:
        ci = ocr_bench.CONDITIONS.index(c)
        for i in range(n):
            yield c, seed * 1_000_003 + ci * 10_007 + i  # bench/ocr.py's seeds: the same cards


def pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f} % ({k}/{n})" if n else "—"


def table(results: list[Result], conditions: list[str]) -> str:
    head = (
        "| condition | n | free reading right | free reading trusted (≥ 0.80) | **confirmed (true accept)** "
        "| trusted after (≥ 0.80) | look-alike names confirmed | FA (a) different | FA (b) one char "
        "| FA (c) look-alike | FA (d) city slip | free reading says the look-alike (≥ 0.80) "
        "| ms/card total | ms verification |"
    )
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for c in [*conditions, "ALL"]:
        o = [x for x in results if c == "ALL" or x.condition == c]
        if not o:
            continue
        n = len(o)
        cells = [
            c,
            str(n),
            pct(sum(x.free_right for x in o), n),
            pct(sum(x.free_trusted_true for x in o), n),
            f"**{pct(sum(x.true_ok for x in o), n)}**",
            pct(sum(x.true_trusted for x in o), n),
            pct(sum(x.look_true_ok for x in o), n),
            *(pct(sum(x.fa[k] for x in o), n) for k in ("a", "b", "c", "d")),
            pct(sum(x.free_fa_c for x in o), n),
            f"{sum(x.ms_total for x in o) / n:.0f}",
            f"{sum(x.ms_verify for x in o) / n:.0f}",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


RULES: dict[str, VerifyThresholds] = {
    "no rival veto, ≥ 1 reading": VerifyThresholds(name_max_rival_ratio=float("inf")),
    "no rival veto, ≥ 2 readings": VerifyThresholds(name_max_rival_ratio=float("inf"), name_min_agreeing=2),
    "rival ≤ 2× declared, ≥ 1": VerifyThresholds(name_max_rival_ratio=2.0),
    "**rival ≤ declared, ≥ 1 (chosen)**": VerifyThresholds(),
    "rival ≤ declared, ≥ 2": VerifyThresholds(name_min_agreeing=2),
    "rival < declared, ≥ 1": VerifyThresholds(name_max_rival_ratio=0.999),
}


def tradeoff(results: list[Result]) -> str:
    rows = [
        "| rule | true accepts | look-alike names | FA (a) | FA (b) | FA (c) | FA (d) |",
        "|---|---|---|---|---|---|---|",
    ]
    n = len(results)
    for label, thresholds in RULES.items():
        cells = []
        for kind in ("true", "look_true", "a", "b", "c", "d"):
            confirmed = sum(
                verify_name_readings(*x.readings[kind], thresholds=thresholds).confirmed for x in results
            )
            cells.append(pct(confirmed, n))
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def lookalike_misses(results: list[Result]) -> str:
    """Which look-alike pairs were confirmed although the card showed the other character."""
    hits = [x for x in results if x.fa["c"]]
    if not hits:
        return "No look-alike false accepts."
    per = ", ".join(
        f"{x.look_pair} ({x.condition}, {x.look_agreeing}/{len(x.readings['c'][0])} readings)" for x in hits
    )
    return f"Look-alike false accepts (card → declared, condition, readings saying the declared one): {per}."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=40, help="cards per condition (default 40)")
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=str(BENCH / "results" / "name_verification.md"))
    a = ap.parse_args()
    conditions = a.conditions.split(",")
    work = list(jobs(conditions, a.n, a.seed))
    t0 = time.time()
    results: list[Result] = []
    with ProcessPoolExecutor(max_workers=a.workers) as pool:
        for i, res in enumerate(pool.map(run_one, work, chunksize=2), 1):
            results.append(res)
            if i % 20 == 0:
                print(f"  {i}/{len(work)} cards, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    md = table(results, conditions)
    trade = tradeoff(results)
    misses = lookalike_misses(results)
    print(md + "\n\n" + misses + "\n\n" + trade)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Name verification: the declared name against the ID-card front\n\n"
        f"`{' '.join(sys.argv)}` — {a.n} cards per condition (each with a second, look-alike card), "
        f"seed {a.seed} (bench/ocr.py's cards), {a.workers} worker processes, wall time "
        f"{time.time() - t0:.0f} s. FA = false accept: confirmed although the card shows another name. "
        "ms are per card inside a worker on a shared 2-core machine.\n\n"
    )
    out.write_text(
        header + md + "\n\n" + misses + "\n\n## The same readings under other rules\n\n" + trade + "\n",
        encoding="utf-8",
    )
    print(f"\nwritten to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
