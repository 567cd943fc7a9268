"""The emblem side of the resident ID card: 签发机关 (issuing authority) and 有效期限 (validity).

`parse_id_back` is pure (labelled OCR lines → facts); `read_id_back` is the thin wrapper (geometry,
orientation by which way up more Chinese text reads, one OCR pass over the lower half). Validity is
"2016.02.04-2036.02.04" or "2016.02.04-长期"; 长期 gives valid_until Fact(value=None).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from rapidfuzz import fuzz

from documents.geometry import GeometryReport, prepare_id_card
from documents.ocr.config import OcrSettings, load_ocr_settings
from documents.ocr.engines import OcrEngine, OcrLine, is_cjk, merge_rows
from documents.problems import DocumentProblem
from documents.text import find_dates, normalise_ocr_text
from models.checks.facts import Fact, IdBackFacts
from models.reasons import ReasonCode

AUTHORITY_LABELS = ("签发机关",)
VALIDITY_LABELS = ("有效期限", "有效期")
# 长期 misread as one character off is still 长期 (长朝, 长斯); the card prints nothing else after the dash.
_INDEFINITE = re.compile(r"长.|.期")


@dataclass(frozen=True)
class IdBackReading:
    facts: IdBackFacts
    issuing_authority: Fact[str] | None = None
    lines: list[OcrLine] = field(default_factory=list)
    problems: list[DocumentProblem] = field(default_factory=list)
    geometry: GeometryReport | None = None


def _after_label(text: str, labels: Sequence[str]) -> str | None:
    t = re.sub(r"\s+", "", normalise_ocr_text(text))
    for lab in labels:
        i = t.find(lab)
        if i >= 0:
            return t[i + len(lab) :]
        head = t[: len(lab)]
        if len(lab) >= 4 and fuzz.ratio(head, lab) >= 70:
            return t[len(lab) :]
    return None


def clean_authority(raw: str) -> str | None:
    """CJK only; must name a public-security bureau (公安局 / 分局)."""
    t = "".join(ch for ch in normalise_ocr_text(raw) if is_cjk(ch))
    return t if len(t) >= 4 else None


# Confidence of validity dates whose span is exactly 5, 10 or 20 years (GB: the card terms).
TERM_CONFIRMED = 0.9


def parse_validity(raw: str) -> tuple[date | None, date | None, bool] | None:
    """(valid_from, valid_until, indefinite) from "2016.02.04-2036.02.04" / "2016.02.04-长期"."""
    t = normalise_ocr_text(raw)
    dates = find_dates(t)
    if not dates:
        # Dots lost: 20160204-20360204.
        runs = re.findall(r"(?:19|20)[0-9]{6}", re.sub(r"[^0-9长期-]", "", t))
        for r in runs:
            try:
                dates.append(date(int(r[:4]), int(r[4:6]), int(r[6:8])))
            except ValueError:
                continue
    if not dates:
        return None
    tail = t.split("-", 1)[1] if "-" in t else t
    indefinite = len(dates) == 1 and bool(_INDEFINITE.search(tail))
    return dates[0], (None if indefinite else (dates[1] if len(dates) > 1 else None)), indefinite


def parse_id_back(lines: Sequence[OcrLine]) -> IdBackReading:
    authority: Fact[str] | None = None
    valid_from: Fact[date] | None = None
    valid_until: Fact[date] | None = None
    for ln in lines:
        for part in ln.text.split("\n"):
            if authority is None:
                v = _after_label(part, AUTHORITY_LABELS)
                if v is not None and (a := clean_authority(v)):
                    score = 1.0 if a.endswith(("公安局", "分局")) else 0.7
                    authority = Fact(value=a, confidence=round(ln.confidence * score, 4))
                    continue
            if valid_from is None:
                v = _after_label(part, VALIDITY_LABELS)
                if v is None and len(find_dates(part)) >= 1 and "-" in normalise_ocr_text(part):
                    v = part
                if v is not None and (p := parse_validity(v)):
                    start, end, indefinite = p
                    if start is not None:
                        valid_from = Fact(value=start, confidence=round(ln.confidence, 4))
                    if indefinite:
                        valid_until = Fact(value=None, confidence=round(ln.confidence * 0.95, 4))
                    elif end is not None:
                        # A plausible term (5, 10 or 20 years) raises confidence; anything else lowers it.
                        years = end.year - start.year if start else 0
                        plausible = (
                            start is not None
                            and years in (5, 10, 20)
                            and (end.month, end.day)
                            == (
                                start.month,
                                start.day,
                            )
                        )
                        # Two dates agreeing on month and day over a legal term work like a check
                        # digit: both were read right, whatever the engine's per-character doubt.
                        c = max(ln.confidence, TERM_CONFIRMED) if plausible else ln.confidence * 0.7
                        valid_until = Fact(value=end, confidence=round(min(1.0, c), 4))
                        if plausible and valid_from is not None:
                            valid_from = Fact(value=valid_from.value, confidence=round(c, 4))
    return IdBackReading(
        facts=IdBackFacts(valid_from=valid_from, valid_until=valid_until),
        issuing_authority=authority,
        lines=list(lines),
    )


def read_id_back(
    bgr: np.ndarray, *, engine: OcrEngine | None = None, settings: OcrSettings | None = None
) -> IdBackReading:
    """Read an ID-card back photo or scan (BGR)."""
    settings = settings or load_ocr_settings()
    engine = engine or settings.engine("id_back")
    card, report, _ = prepare_id_card(bgr, engine=settings.orientation(), front=False)
    lower = card[int(card.shape[0] * 0.6) :]
    lines = engine.read_lines(lower, lang="chi_sim", psm=6)
    if engine.reads_layout:  # a label and its value may be two boxes of one row
        lines = merge_rows(lines)
    reading = parse_id_back(lines)
    problems: list[DocumentProblem] = []
    if reading.facts.valid_until is None:
        problems.append(
            DocumentProblem(
                ReasonCode.OCR_LOW_CONFIDENCE,
                "身份证国徽面的有效期限无法识别，请重新拍摄。",
                "Validity period could not be read from the ID card back.",
                {"geometry": report.as_dict()},
            )
        )
    return IdBackReading(
        facts=reading.facts,
        issuing_authority=reading.issuing_authority,
        lines=lines,
        problems=problems,
        geometry=report,
    )
