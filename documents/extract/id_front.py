"""The face side of the resident ID card (居民身份证): name, sex, ethnicity, birth date, address, number.

Two layers:

* pure functions — `find_anchors` (label words → boxes), `value_regions` (anchors → where each value
  sits, with the card's standard layout as fallback) and `parse_id_front` (labelled OCR lines → facts).
  Parsing keys on the label *words* (姓名, 性别, 民族, 出生, 住址, 公民身份号码) after NFKC, never on
  punctuation or pixel positions, so cards from other generators and mangled OCR read the same way.
* `read_id_front(bgr)` — the thin I/O wrapper: geometry (find, flatten, orient by the valid number),
  one sparse OCR pass for the label anchors, one batched pass over the value crops, then parsing.
  Given the declared name (`expected_name`), it also *verifies* it: the name region is read in
  several renderings (documents.ocr.variants) and documents.verify.verify_name_readings decides
  whether they confirm the declared name; a confirmed name replaces the free reading in the facts,
  at the verification's confidence. Not confirmed leaves the free reading exactly as it was.

The ID number is validated in full (stdnum.cn.ric: region, birth date, check character). An invalid
reading is corrected only when exactly one single likely OCR confusion validates, at lower confidence.
Birth date and sex are cross-checked against the number: the number wins, a disagreement lowers the
confidence.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import cv2
import numpy as np
from rapidfuzz import fuzz

from documents.address_verify import official_ethnicities
from documents.geometry import CARD_H, CARD_W, GeometryReport, prepare_id_card, rotate_clockwise
from documents.ocr.config import OcrSettings, load_ocr_settings
from documents.ocr.engines import Box, OcrEngine, OcrLine, centre_y, dark_ink, flatten_illumination, is_cjk
from documents.ocr.idnumber import id_chars, is_valid_id_number, single_corrections, valid_windows
from documents.ocr.variants import read_line_variants
from documents.problems import DocumentProblem
from documents.text import normalise_ocr_text, parse_date
from documents.verify import NameVerification, verify_name_readings
from models.checks.facts import Fact, IdFrontFacts
from models.id_number import birth_date_of, sex_of
from models.reasons import ReasonCode

log = logging.getLogger(__name__)


# Label words and the OCR misreadings of them seen often enough to matter (one character lost).
LABELS: dict[str, tuple[str, ...]] = {
    "name": ("姓名",),
    "sex": ("性别",),
    "ethnicity": ("民族",),
    "birth": ("出生",),
    "address": ("住址",),
    "id_number": ("公民身份号码", "公民身份号", "身份号码"),
}
FIELDS: tuple[str, ...] = ("name", "sex", "ethnicity", "birth_date", "address", "id_number")

# The standard layout of the card front (GA 450/GB 16649 ID-1 card, 856×540 at ~10 px/mm), as fractions
# of the card: used where a label could not be found. Values start right of the labels and stop before
# the portrait, which occupies the right third.
_LABEL_X = 0.07
_VALUE_X0 = 0.16
_VALUE_X1 = 0.66
_ROWS_Y = {"name": 0.13, "sex": 0.245, "ethnicity": 0.245, "birth": 0.36, "address": 0.48, "id_number": 0.82}
_ADDRESS_BOTTOM = 0.70
_ROW_HALF = 0.058


@dataclass(frozen=True)
class IdFrontReading:
    """What was read from an ID-card front: the facts the checks use, plus ethnicity (not part of
    IdFrontFacts), the lines the engine returned, the geometry applied and any problems."""

    facts: IdFrontFacts
    ethnicity: Fact[str] | None = None
    lines: list[OcrLine] = field(default_factory=list)
    problems: list[DocumentProblem] = field(default_factory=list)
    geometry: GeometryReport | None = None
    notes: list[str] = field(default_factory=list)
    # Set when a declared name was given: the verdict, and the readings it was drawn from.
    name_verification: NameVerification | None = None
    name_readings: tuple[str, ...] = ()
    # Why the address is not a complete reading (a line in the address region dropped or missed);
    # None when every line there is part of it. The address's confidence is then under the bar.
    address_check: str | None = None


# ----------------------------------------------------------------------------- anchors and regions


def _squash(text: str) -> str:
    """NFKC text without spaces and without the stray marks OCR puts before a label (〈, “, |)."""
    t = re.sub(r"\s+", "", normalise_ocr_text(text))
    return re.sub(r"^[^0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]+", "", t)


def _label_at_start(text: str, words: Sequence[str]) -> tuple[str, int] | None:
    """(label, characters to skip) when `text` starts with the label or a one-character-off reading."""
    t = _squash(text)
    for word in words:
        if t.startswith(word):
            return word, len(word)
    for word in words:
        head = t[: len(word)]
        if len(word) > 2 and fuzz.ratio(head, word) >= 70:
            return word, len(word)
        if len(word) == 2 and len(t) > 1:
            # Second character misread ("姓各") or first character lost ("名曹娟娜").
            # (Not on a digit run: "民身份…5132…" is the number's label, not 民族.)
            if head[0] == word[0] and not _starts_with_any_label(t) and len(re.findall("[0-9]", t)) < 6:
                return word, 2
            if t[0] == word[1]:
                return word, 1
    return None


def _starts_with_any_label(t: str) -> bool:
    return any(t.startswith(w) for words in LABELS.values() for w in words)


def _match_label(text: str) -> tuple[str, int] | None:
    """(field key, characters to skip): exact label words first, then one-character-off readings."""
    t = _squash(text)
    for key, words in LABELS.items():
        if any(t.startswith(w) for w in words):
            return key, max(len(w) for w in words if t.startswith(w))
    for key in ("id_number", *[k for k in LABELS if k != "id_number"]):
        hit = _label_at_start(t, LABELS[key])
        if hit is not None:
            return key, hit[1]
    return None


def find_anchors(lines: Sequence[OcrLine]) -> dict[str, Box]:
    """Boxes of the label words found in a sparse reading of the card (card coordinates).

    A label merged with its value in one OCR line ("姓名张三") gives a box over the label's share."""
    anchors: dict[str, Box] = {}
    for ln in lines:
        t = _squash(ln.text)
        if not t:
            continue
        match = _match_label(t)
        for key in LABELS:
            if key in anchors:
                continue
            hit = match if match is not None and match[0] == key else None
            if hit is None:
                # 民族 often sits mid-line after the sex value: "女民族羌".
                if key == "ethnicity" and "民族" in t:
                    i = t.index("民族")
                    x, y, w, h = ln.box
                    per = w / max(1, len(t))
                    anchors[key] = (int(x + per * i), y, int(per * 2), h)
                continue
            _word, n = hit
            x, y, w, h = ln.box
            per = w / max(1, len(t))
            anchors[key] = (x, y, max(1, int(per * n)), h) if n < len(t) else ln.box
            break
    return anchors


def value_regions(anchors: dict[str, Box], size: tuple[int, int] = (CARD_W, CARD_H)) -> dict[str, Box]:
    """Where each value sits: right of its label (found by OCR), else the standard layout."""
    W, H = size
    half = int(_ROW_HALF * H)
    x_end = int(_VALUE_X1 * W)
    regions: dict[str, Box] = {}

    def row(key: str, x_stop: int) -> Box:
        if key in anchors:
            x, y, w, h = anchors[key]
            cy = y + h // 2
            x0 = x + w + 4
        else:
            cy = int(_ROWS_Y[key] * H)
            x0 = int(_VALUE_X0 * W)
        x0 = min(x0, x_stop - 20)
        return (x0, max(0, cy - half), x_stop - x0, 2 * half)

    regions["name"] = row("name", x_end)
    eth_x = anchors["ethnicity"][0] if "ethnicity" in anchors else int(0.28 * W)
    regions["sex"] = row("sex", max(eth_x - 4, int(0.2 * W)))
    regions["ethnicity"] = (
        row("ethnicity", x_end)
        if "ethnicity" in anchors
        else (int(0.36 * W), int(_ROWS_Y["ethnicity"] * H) - half, x_end - int(0.36 * W), 2 * half)
    )
    regions["birth"] = row("birth", x_end)
    # The address runs from its label down to the number's label (up to three lines).
    ax, ay, aw, ah = regions["address"] = row("address", x_end)
    bottom = anchors["id_number"][1] - 6 if "id_number" in anchors else int(_ADDRESS_BOTTOM * H)
    bottom = max(ay + ah, min(bottom, int(0.78 * H)))
    regions["address"] = (ax, ay, aw, bottom - ay)
    regions["id_number"] = row("id_number", W - 6)
    return {k: _clip(b, W, H) for k, b in regions.items()}


def _clip(box: Box, W: int, H: int) -> Box:
    x, y, w, h = box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(W, x + w), min(H, y + h)
    return (x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def crop(img: np.ndarray, box: Box) -> np.ndarray:
    x, y, w, h = box
    return img[y : y + h, x : x + w]


# ----------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Labelled:
    key: str
    value: str
    confidence: float


def _split_labelled(lines: Sequence[OcrLine]) -> list[_Labelled]:
    """Each line as (label key, rest of the line); lines with no label continue the previous one
    (an address wraps). Text before 公民身份号码 that is not labelled continues the address."""
    out: list[_Labelled] = []
    for ln in lines:
        line_key: str | None = None
        for part in ln.text.split("\n"):
            t = _squash(part)
            if not t:
                continue
            hit_key: str | None = None
            rest = t
            match = _match_label(t)
            if match is not None and match[0] != "id_number":
                same_line = line_key == "address"
                next_line = line_key is None and bool(out) and out[-1].key == "address"
                if same_line or (next_line and not _starts_with_any_label(t)):
                    # A later row of the address ("住址…新\n民社区…", or the next line of a page
                    # reading): its first word is the address's, not a one-character-off label (民社区
                    # read as 民族 lost the row). A label proper (民族汉 from a crop) still counts.
                    match = None
            if match is not None:
                hit_key, rest = match[0], t[match[1] :]
            if hit_key is None and len(id_chars(t)) >= 15 and sum(ch.isdigit() for ch in t) >= 12:
                hit_key = "id_number"
            if hit_key is None:
                if out:
                    prev = out[-1]
                    out[-1] = _Labelled(
                        prev.key, prev.value + "\n" + rest, min(prev.confidence, ln.confidence)
                    )
                continue
            line_key = line_key or hit_key
            # The sex line also holds 民族 and its value.
            if hit_key == "sex" and "民族" in rest:
                sex_part, eth_part = rest.split("民族", 1)
                out.append(_Labelled("sex", sex_part, ln.confidence))
                out.append(_Labelled("ethnicity", eth_part, ln.confidence))
                continue
            out.append(_Labelled(hit_key, rest, ln.confidence))
    return out


def _cjk_only(s: str, keep: str = "") -> str:
    return "".join(ch for ch in s if is_cjk(ch) or ch in keep)


def clean_name(raw: str) -> str | None:
    """Only CJK characters (and the middle dot of transliterated names); 1–15 characters."""
    name = _cjk_only(normalise_ocr_text(raw).replace("•", "·").replace(".", "·"), keep="·").strip("·")
    return name if 1 <= len(name) <= 15 else None


def clean_sex(raw: str) -> str | None:
    for ch in normalise_ocr_text(raw):
        if ch in "男女":
            return ch
    return None


def clean_ethnicity(raw: str) -> tuple[str | None, float]:
    """The ethnic group from the official list; a near miss (汊 for 汉) at a lower score."""
    t = _cjk_only(normalise_ocr_text(raw)).removesuffix("族")
    if not t:
        return None, 0.0
    names = official_ethnicities()  # config/ethnicities.yaml: GB 3304's 56 names, without 族
    if t in names:
        return t, 1.0
    for e in sorted(names, key=len, reverse=True):
        if t.startswith(e) or t.endswith(e):
            return e, 0.9
    best = max(names, key=lambda e: fuzz.ratio(t, e))
    score = fuzz.ratio(t, best) / 100
    return (best, 0.6 * score) if score >= 0.5 else (None, 0.0)


def clean_birth(raw: str) -> date | None:
    """1990年3月5日 with 年/月/日 possibly missed (they are printed in the label colour): three
    numbers in a row."""
    t = normalise_ocr_text(raw)
    d = parse_date(t)
    if d is not None:
        return d
    nums = re.findall(r"[0-9]+", t)
    if len(nums) >= 3 and len(nums[0]) == 4:
        try:
            return date(int(nums[0]), int(nums[1]), int(nums[2]))
        except ValueError:
            return None
    m = re.search(r"((?:19|20)[0-9]{2})([0-9]{1,2})([0-9]{1,2})", re.sub(r"[^0-9]", "", t))
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    return None


def clean_address(raw: str) -> str | None:
    """CJK characters and digits (house numbers, 3组); line breaks and stray marks dropped."""
    t = normalise_ocr_text(raw.replace("\n", ""))
    t = "".join(ch for ch in t if is_cjk(ch) or ch in "0123456789-—")
    return t if len(t) >= 4 else None


@dataclass(frozen=True)
class IdNumberReading:
    value: str | None
    confidence: float
    note: str


def resolve_id_number(candidates: Sequence[tuple[str, float]]) -> IdNumberReading:
    """The card's number from one or more readings (text, engine confidence), best first.

    A reading holding exactly one fully valid 18-character window is accepted. Otherwise one likely
    OCR confusion is tried on the 18-character readings, and a correction is accepted only when
    exactly one candidate validates (at lower confidence). Never a number that does not validate."""
    valid: list[tuple[str, float]] = []
    for text, conf in candidates:
        for num in valid_windows(id_chars(normalise_ocr_text(text).upper())):
            valid.append((num, conf))
    distinct = {n for n, _ in valid}
    if len(distinct) == 1:
        num = valid[0][0]
        conf = max(c for n, c in valid if n == num)
        agree = sum(1 for n, _ in valid if n == num)
        # Full validation passes ~1 in 11 × (valid region and date) of garbage: a high floor is earned.
        return IdNumberReading(num, min(0.99, max(0.9, conf) + 0.02 * (agree - 1)), "valid")
    if len(distinct) > 1:
        return IdNumberReading(None, 0.0, f"{len(distinct)} different valid numbers read")
    corrections: set[str] = set()
    for text, _conf in candidates:
        chars = id_chars(normalise_ocr_text(text).upper())
        for i in range(0, max(1, len(chars) - 17)):
            corrections.update(single_corrections(chars[i : i + 18]))
    if len(corrections) == 1:
        return IdNumberReading(corrections.pop(), 0.75, "corrected one OCR confusion")
    if corrections:
        return IdNumberReading(None, 0.0, f"{len(corrections)} corrections validate; ambiguous")
    return IdNumberReading(None, 0.0, "no valid number read")


def number_birth_sex(number: str) -> tuple[date | None, str]:
    """Birth date and sex encoded in a valid number."""
    return birth_date_of(number), sex_of(number)


def parse_id_front(lines: Sequence[OcrLine], *, id_number_hint: str | None = None) -> IdFrontReading:
    """Facts from labelled OCR lines of a card front (whole-card lines, or value crops prefixed with
    their label). `id_number_hint` is a number already validated elsewhere (the orientation step)."""
    found = _split_labelled(lines)
    by_key: dict[str, _Labelled] = {}
    for item in found:
        if item.key not in by_key or (not by_key[item.key].value and item.value):
            by_key[item.key] = item
    notes: list[str] = []

    def conf(key: str) -> float:
        return by_key[key].confidence if key in by_key else 0.0

    name_fact: Fact[str] | None = None
    if "name" in by_key and (name := clean_name(by_key["name"].value)):
        name_fact = Fact(value=name, confidence=_c(conf("name")))

    address_fact: Fact[str] | None = None
    if "address" in by_key and (addr := clean_address(by_key["address"].value)):
        address_fact = Fact(value=addr, confidence=_c(conf("address")))

    eth_fact: Fact[str] | None = None
    if "ethnicity" in by_key:
        eth, score = clean_ethnicity(by_key["ethnicity"].value)
        if eth:
            eth_fact = Fact(
                value=eth, confidence=_c(conf("ethnicity") * score if score < 1 else conf("ethnicity"))
            )

    # The number: the validated hint, then every line that looks like one.
    readings: list[tuple[str, float]] = []
    if id_number_hint and is_valid_id_number(id_number_hint):
        readings.append((id_number_hint, 0.95))
    readings.extend((item.value, item.confidence) for item in found if item.key == "id_number")
    num = resolve_id_number(readings)
    ocr_birth = clean_birth(by_key["birth"].value) if "birth" in by_key else None
    if num.value and num.note.startswith("corrected") and number_birth_sex(num.value)[0] != ocr_birth:
        # A correction must be confirmed by the printed birth date: the true misread may be a confusion
        # outside the table, and "fixing" another digit then yields someone else's valid number (seen
        # in the benchmark: 2107221990… "corrected" to 2107221890…).
        num = IdNumberReading(None, 0.0, "correction not confirmed by the printed birth date")
    notes.append(f"id_number: {num.note}")
    id_fact: Fact[str] | None = Fact(value=num.value, confidence=_c(num.confidence)) if num.value else None

    ocr_sex = clean_sex(by_key["sex"].value) if "sex" in by_key else None
    birth_fact: Fact[date] | None = None
    sex_fact: Fact[str] | None = None
    if num.value:
        nb, ns = number_birth_sex(num.value)
        # The number wins; agreement between two independent readings raises confidence.
        if nb is not None:
            agree = ocr_birth == nb
            birth_fact = Fact(value=nb, confidence=_c(num.confidence if agree else num.confidence * 0.85))
            if ocr_birth is not None and not agree:
                notes.append("birth date printed differs from the number's")
        agree_sex = ocr_sex == ns
        sex_fact = Fact(value=ns, confidence=_c(num.confidence if agree_sex else num.confidence * 0.85))
        if ocr_sex is not None and not agree_sex:
            notes.append("sex printed differs from the number's")
    else:
        if ocr_birth is not None:
            birth_fact = Fact(value=ocr_birth, confidence=_c(conf("birth") * 0.8))
        if ocr_sex is not None:
            sex_fact = Fact(value=ocr_sex, confidence=_c(conf("sex") * 0.8))

    facts = IdFrontFacts(
        name=name_fact, id_number=id_fact, address=address_fact, birth_date=birth_fact, sex=sex_fact
    )
    return IdFrontReading(facts=facts, ethnicity=eth_fact, lines=list(lines), notes=notes)


def _c(x: float) -> float:
    return round(max(0.0, min(1.0, x)), 4)


# ----------------------------------------------------------------------------- the I/O wrapper

_CROP_LABEL = {"name": "姓名", "sex": "性别", "ethnicity": "民族", "birth": "出生", "address": "住址"}


def read_id_front(
    bgr: np.ndarray,
    *,
    engine: OcrEngine | None = None,
    settings: OcrSettings | None = None,
    expected_name: str | None = None,
) -> IdFrontReading:
    """Read an ID-card front photo or scan (BGR). Problems (unreadable number) are in the reading.

    `expected_name` (the case's declared name) is verified against the card; None reads freely only."""
    settings = settings or load_ocr_settings()
    engine = engine or settings.engine("id_front")
    # Orientation reads only the number band, with the digit-whitelisted tesseract pass (fast, and the
    # benchmark's most reliable way to find which way up the card is).
    card, report, hint = prepare_id_card(bgr, engine=settings.orientation(), front=True)
    address_check: str | None = None
    if engine.reads_layout:
        card, report, sparse, labelled, regions, address_check = _read_by_layout(card, report, hint, engine)
    else:
        sparse, labelled, regions = _read_by_crops(card, engine, settings)
    anchors = find_anchors(sparse)
    # The whole-card lines are a second opinion for the number (and for fields the crops missed).
    reading = parse_id_front([*labelled, *_number_lines(sparse)], id_number_hint=hint)
    missing = [f for f in ("name", "address") if reading.facts.fact(f) is None]
    if missing:
        fallback = parse_id_front(sparse, id_number_hint=hint)
        updates = {f: fallback.facts.fact(f) for f in missing if fallback.facts.fact(f) is not None}
        if updates:
            reading = IdFrontReading(
                facts=reading.facts.model_copy(update=updates),
                ethnicity=reading.ethnicity or fallback.ethnicity,
                lines=reading.lines,
                notes=[*reading.notes, f"from the sparse pass: {sorted(updates)}"],
            )
    problems: list[DocumentProblem] = []
    if reading.facts.id_number is None:
        problems.append(
            DocumentProblem(
                ReasonCode.OCR_LOW_CONFIDENCE,
                "身份证号码无法识别，请重新拍摄身份证人像面（避免反光、对焦清晰）。",
                "ID number could not be read and validated from the card front.",
                {"geometry": report.as_dict()},
            )
        )
    facts, notes = reading.facts, [*reading.notes, f"anchors: {sorted(anchors)}"]
    if address_check is not None:
        notes.append(f"address incomplete: {address_check}")
        if facts.address is not None and facts.address.confidence > INCOMPLETE_ADDRESS_CONFIDENCE:
            # Also when the address came from the sparse fallback: the region is what is incomplete.
            capped: Fact[str] = Fact(value=facts.address.value, confidence=INCOMPLETE_ADDRESS_CONFIDENCE)
            facts = facts.model_copy(update={"address": capped})
    verification: NameVerification | None = None
    name_readings: tuple[str, ...] = ()
    if expected_name is not None and expected_name.strip():
        try:
            name_readings = tuple(ln.text for ln in read_line_variants(dark_ink(crop(card, regions["name"]))))
        except (RuntimeError, OSError) as exc:  # tesseract failed or timed out: keep the free reading
            log.warning("name verification skipped: %s", type(exc).__name__)
        else:
            verification = verify_name_readings(name_readings, expected_name)
            notes.append(f"name verification: {verification.why}")
        if verification is not None and verification.confirmed:
            declared, free = expected_name.strip(), facts.name
            # A free reading that already said the declared name keeps its confidence if higher.
            said_so = free.confidence if free is not None and free.value == declared else 0.0
            name: Fact[str] = Fact(value=declared, confidence=max(verification.confidence, said_so))
            facts = facts.model_copy(update={"name": name})
    return IdFrontReading(
        facts=facts,
        ethnicity=reading.ethnicity,
        lines=[*labelled, *sparse],
        problems=problems,
        geometry=report,
        notes=notes,
        name_verification=verification,
        name_readings=name_readings,
        address_check=address_check,
    )


def _read_by_crops(
    card: np.ndarray, engine: OcrEngine, settings: OcrSettings
) -> tuple[list[OcrLine], list[OcrLine], dict[str, Box]]:
    """Tesseract's way: a sparse pass finds the labels, then the value crops are read in one batch."""
    sparse = engine.read_lines(card, lang="chi_sim", psm=11)
    regions = value_regions(find_anchors(sparse))
    keys = list(_CROP_LABEL)
    crops = []
    for k in keys:
        c = flatten_illumination(dark_ink(crop(card, regions[k])))
        if settings.crop_scale != 1.0:
            c = cv2.resize(
                c, None, fx=settings.crop_scale, fy=settings.crop_scale, interpolation=cv2.INTER_CUBIC
            )
        crops.append(c)
    read = engine.read_crops(crops, lang="chi_sim", psm=6)
    labelled = [
        OcrLine(
            _CROP_LABEL[k] + ln.text.replace("\n", "\n" if k == "address" else ""), ln.confidence, regions[k]
        )
        for k, ln in zip(keys, read, strict=True)
    ]
    return sparse, labelled, regions


def _read_by_layout(
    card: np.ndarray, report: GeometryReport, hint: str | None, engine: OcrEngine
) -> tuple[np.ndarray, GeometryReport, list[OcrLine], list[OcrLine], dict[str, Box], str | None]:
    """A layout engine's way: one pass over the whole card, each line assigned to its field by where
    it sits; a value the detector missed (a lone one-stroke character such as 回) is read from its
    crop. When the number band did not settle the orientation, the whole reading does: the number
    belongs at the bottom of the card."""
    lines = engine.read_lines(card)
    if hint is None and number_at_top(lines, card.shape[0]):
        card = rotate_clockwise(card, 180)
        lines = engine.read_lines(card)
        report = replace(
            report,
            rotation=(report.rotation + 180) % 360,
            orientation_by="layout",
            notes=[*report.notes, "turned by the position of the number"],
        )
    layout = layout_fields(lines)
    regions, by_field = layout.regions, layout.by_field
    have = set(by_field)
    # 民族 often shares the sex line ("性别女民族汉"): its value was read there.
    if "sex" in by_field and "民族" in _squash(by_field["sex"].text)[2:]:
        have.add("ethnicity")
    labelled = list(by_field.values())
    missing = [k for k in _CROP_LABEL if k not in have]
    if missing:
        read = engine.read_crops([dark_ink(crop(card, regions[k])) for k in missing])
        labelled += [
            OcrLine(_CROP_LABEL[k] + ln.text, ln.confidence, regions[k])
            for k, ln in zip(missing, read, strict=True)
            if ln.text.strip()
        ]
    return card, report, lines, labelled, regions, layout.address_check


def number_at_top(lines: Sequence[OcrLine], height: int) -> bool:
    """True when a valid ID number was read in the upper half of the card (it is upside down)."""
    for ln in lines:
        if valid_windows(id_chars(normalise_ocr_text(ln.text).upper())):
            return centre_y(ln.box) < height / 2
    return False


def labelled_from_layout(lines: Sequence[OcrLine], regions: dict[str, Box]) -> dict[str, OcrLine]:
    """Whole-card lines regrouped as one labelled line per field ("姓名张三", "住址…\n…"), by field
    key (LABELS' keys, in card order; a field with nothing read is absent).

    A line that starts inside the address region (right of the labels, between the 住址 row and the
    number's label) is part of the address whatever its first word: an address line may begin with
    民 (新 / 民社区…) or with a real 民族路, and taking it for the 民族 label lost it. Otherwise a line
    that starts with a label word belongs to that field (the rest of it is the value); any other line
    belongs to the field whose value region holds its centre; lines elsewhere (the portrait, the
    card's printed title) are dropped. A field's lines are joined top to bottom, at the confidence of
    the least sure of them."""
    per_key: dict[str, list[_Placed]] = {}
    for ln in lines:
        t = _squash(ln.text)
        if not t:
            continue
        if in_address_region(ln.box, regions["address"]):
            per_key.setdefault("address", []).append(_Placed(t, ln.confidence, ln.box, False))
            continue
        match = _match_label(t)
        if match is not None:
            per_key.setdefault(match[0], []).append(_Placed(t[match[1] :], ln.confidence, ln.box, True))
            continue
        cx, cy = ln.box[0] + ln.box[2] / 2, centre_y(ln.box)
        for key in LABELS:
            rx, ry, rw, rh = regions[key]
            if rx - 8 <= cx <= rx + rw and ry <= cy <= ry + rh:
                per_key.setdefault(key, []).append(_Placed(t, ln.confidence, ln.box, False))
                break
    out: dict[str, OcrLine] = {}
    for key in LABELS:
        placed = per_key.get(key, [])
        items = sorted(
            (p for p in placed if p.text and not _echo(p, placed)), key=lambda p: (p.box[1], p.box[0])
        )
        if items:
            text = "\n".join(p.text for p in items)
            out[key] = OcrLine(LABELS[key][0] + text, min(p.confidence for p in items), regions[key])
    return out


def in_address_region(box: Box, region: Box) -> bool:
    """The line starts right of the 住址 label (not a merged "住址…" line) and its centre lies in the
    address region."""
    rx, ry, rw, rh = region
    x, _y, w, _h = box
    cx, cy = x + w / 2, centre_y(box)
    return x >= rx - 12 and cx <= rx + rw and ry <= cy <= ry + rh


# A gap between two address rows wider than this many line heights is a row the reader lost: the
# card sets address rows ~1.3-1.5 line heights apart.
_ROW_GAP_LINES = 2.0
# The confidence an address gets when a line of its region is missing: under every bar, so it is
# left to a person rather than printed or compared.
INCOMPLETE_ADDRESS_CONFIDENCE = 0.5


def check_address_lines(
    lines: Sequence[OcrLine], regions: dict[str, Box], anchors: dict[str, Box], address: OcrLine | None
) -> str | None:
    """Why the lines of the address region do not make one complete address, or None when they do.

    Every line inside the region must be part of the address, read (non-empty, confident), and the
    rows must follow each other from the 住址 label's row down without a row missing: a line that was
    dropped or not detected is a reading problem, never a shorter address."""
    in_region = [ln for ln in lines if in_address_region(ln.box, regions["address"])]
    joined = _squash(address.text) if address is not None else ""
    for ln in in_region:
        t = _squash(ln.text)
        if not t or ln.confidence < INCOMPLETE_ADDRESS_CONFIDENCE:
            return f"a line in the address region could not be read ({ln.confidence:.2f})"
        if t not in joined:
            return f"a line in the address region is not part of the address ({len(t)} characters)"
    # The rows: the lines in the region, and a "住址…" line that holds the first row's value.
    boxes = [ln.box for ln in in_region]
    boxes += [
        ln.box
        for ln in lines
        if not in_address_region(ln.box, regions["address"])
        and (m := _match_label(_squash(ln.text))) is not None
        and m[0] == "address"
        and len(_squash(ln.text)) > m[1] + 2
    ]
    if not boxes:
        return None if address is None else "no line of the address region was found"
    height = sorted(b[3] for b in boxes)[len(boxes) // 2]
    rows = sorted(centre_y(b) for b in boxes)
    if "address" in anchors and rows[0] - centre_y(anchors["address"]) > 0.8 * height:
        return "the address line on the 住址 row was not read"
    for above, below in itertools.pairwise(rows):
        if below - above > _ROW_GAP_LINES * height:
            return "an address line between two others was not read"
    return None


@dataclass(frozen=True)
class LayoutFields:
    """A layout engine's lines grouped by field, the regions used, and the address's completeness."""

    regions: dict[str, Box]
    by_field: dict[str, OcrLine]
    address_check: str | None


def layout_fields(lines: Sequence[OcrLine]) -> LayoutFields:
    """Regions from the labels found, the lines by field, and whether the address region is whole.
    An incomplete address keeps its text but drops under the confidence bar, with the reason."""
    anchors = find_anchors(lines)
    regions = value_regions(anchors)
    by_field = labelled_from_layout(lines, regions)
    check = check_address_lines(lines, regions, anchors, by_field.get("address"))
    if check is not None and "address" in by_field:
        ln = by_field["address"]
        by_field["address"] = OcrLine(ln.text, min(ln.confidence, INCOMPLETE_ADDRESS_CONFIDENCE), ln.box)
    return LayoutFields(regions, by_field, check)


@dataclass(frozen=True)
class _Placed:
    text: str
    confidence: float
    box: Box
    labelled: bool


def _echo(item: _Placed, same_field: Sequence[_Placed]) -> bool:
    """A label line's short tail that lies over the start of another line of the same row: the
    detector's box ran past the label into the value (or the guilloche behind it), and the value is
    read in full by the other line ("住址人" beside "广西壮族…")."""
    if not item.labelled or len(item.text) > 2:
        return False
    x, _y, w, h = item.box
    return any(
        other is not item and other.box[0] < x + w and abs(centre_y(other.box) - centre_y(item.box)) < h / 2
        for other in same_field
    )


def _number_lines(lines: Sequence[OcrLine]) -> list[OcrLine]:
    """Lines of the sparse pass that hold a long digit run (the number, possibly without its label)."""
    return [ln for ln in lines if len(re.sub(r"[^0-9]", "", normalise_ocr_text(ln.text))) >= 12]
