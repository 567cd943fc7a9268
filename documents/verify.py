"""Verify, don't only read: compare a field read from a document with what it should say.

The case declares a name, an ID number and an address, and the shared data knows more; a reading is
checked against that expectation and reported as match / mismatch / unreadable, never trusted as a
free reading. What "the same" means depends on the field:

- names: one character is the whole difference between two people (王晓明 / 王小明), so a name
  matches only when equal after normalisation — similarity is reported, never used to forgive;
- ID numbers and codes (USCC, certificate and registration numbers): equal after normalisation
  (NFKC, upper case, no spaces or separators, one bracket form);
- addresses: compared by models.address.normalise_address (the key the shared data is indexed by),
  then by rapidfuzz ratio with a high threshold, so an OCR slip in one character of a long address
  still matches while another house or room number does not;
- dates: equal (a date read from the document is already a validated calendar date).

A reading below `min_confidence` (or absent) is "unreadable", not a mismatch: a misread must never
become a rejection. Values in the result are masked (models.masking) because the
result goes into logs and reviewer summaries.

`verify_name_readings` goes one step further for the ID card's name, where tesseract's free reading
is weakest: given several readings of the name region (documents.ocr.variants) and the declared name,
it decides whether the card *confirms* the declared name. A card confirms it when at least one
reading says exactly the declared name and, at every position, no other character was read more
often than the declared one. Not confirmed is not a mismatch: the free reading and the checks decide
as before.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from rapidfuzz import fuzz

from models.address import normalise_address
from models.checks.facts import Fact
from models.masking import mask_address, mask_id_number, mask_name

FieldKind = Literal["name", "id_number", "address", "date", "code"]
Status = Literal["match", "mismatch", "unreadable"]


@dataclass(frozen=True)
class VerifyThresholds:
    """Per-field thresholds, with why.

    min_confidence: below this a reading is unreadable. 0.5 because tesseract's line confidence for
        correctly read CJK lines sits at 0.7-0.95 and garbage lines below 0.4 (measured on the sample
        city); the checks apply their own stricter threshold (config/documents.yaml) on top.
    address_min_ratio: rapidfuzz ratio (0-100) on normalised addresses (the key drops 四川省成都市,
        so a key is ~15-25 characters). 90 forgives one misread character in a 19-character key
        (ratio 94.7) and fails at two or more in a short one; a different road fails it.
    address_numbers_must_match: numbers (house, building, unit, room) must be equal even when the
        ratio passes — a one-digit slip in 501/502 is a different flat.
    name_min_agreeing: readings (of eight, documents.ocr.variants) that must say exactly the
        declared name. 1: in 2,160 comparisons of a card with another name of the kinds a person
        would write (wholly different, one random character changed, the sample city's slips) no
        reading said the declared name (bench/name_verification.py and the 480 cards the rule was
        chosen on); requiring 2 lost half a point of true confirmations and no false ones.
    name_max_rival_ratio: at each position another character may be read at most this many times
        as often as the declared one. 1.0 (a tie confirms): false confirmations come only from
        look-alikes (宇/字, 己/已, 兔/免), where the renderings split between the twins; the veto
        halves them (12.9 % → 6.2 % of look-alike pairs) for 6 points of true confirmations.
        Stricter (rival < declared) lost 2 more points to save 1 in 100 look-alike pairs.
    name_confirmed_floor: confidence of the weakest confirmation; it rises to 0.99 with the share
        of readings agreeing at the weakest position. 0.80 (the checks' ocr_min_confidence), so a
        confirmed name is used: what remains wrong is a look-alike that tesseract reads as its twin
        in most renderings (6 % of look-alike pairs; the free reading alone says the twin at
        ≥ 0.80 on 1 %, and is trusted on half as many true names).
    """

    min_confidence: float = 0.5
    address_min_ratio: float = 90.0
    address_numbers_must_match: bool = True
    name_min_agreeing: int = 1
    name_max_rival_ratio: float = 1.0
    name_confirmed_floor: float = 0.80


DEFAULT_THRESHOLDS = VerifyThresholds()


@dataclass(frozen=True)
class FieldVerification:
    status: Status
    similarity: float  # 0..1; 1.0 for an exact match after normalisation
    read_masked: str | None
    expected_masked: str | None


_BRACKETS = str.maketrans("〈（〉）", "(())")


def _normalise_code(value: str) -> str:
    value = unicodedata.normalize("NFKC", value).upper()
    value = value.translate(_BRACKETS)
    return re.sub(r"[\s\-—_.,，。:：]", "", value)


def _normalise_name(value: str) -> str:
    value = unicodedata.normalize("NFKC", value)
    return re.sub(r"[\s]", "", value).replace("•", "·").replace("．", "·")


def _mask(value: str | date | None, kind: FieldKind) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if kind == "name":
        return mask_name(value)
    if kind == "id_number":
        return mask_id_number(value)
    if kind == "address":
        return mask_address(value)
    # Codes (USCC, certificate numbers) identify a business or a flat, not a person: keep both ends.
    return value[:4] + "*" * max(0, len(value) - 6) + value[-2:] if len(value) > 6 else value


def _numbers(text: str) -> list[str]:
    return re.findall(r"[0-9]+", text)


def verify_field(
    read: Fact[object] | None,
    expected: str | date | None,
    *,
    kind: FieldKind,
    thresholds: VerifyThresholds = DEFAULT_THRESHOLDS,
) -> FieldVerification:
    """Compare one document field with the value it should have; see the module docstring."""
    read_value = read.value if read is not None else None
    read_text = read_value if isinstance(read_value, str | date) else None
    masked = (_mask(read_text, kind), _mask(expected, kind))
    if read is None or read_value is None or read.confidence < thresholds.min_confidence or expected is None:
        return FieldVerification("unreadable", 0.0, *masked)

    if kind == "date":
        same = isinstance(read_value, date) and read_value == expected
        return FieldVerification("match" if same else "mismatch", 1.0 if same else 0.0, *masked)

    a, b = str(read_value), str(expected)
    if kind == "address":
        na, nb = normalise_address(a), normalise_address(b)
        ratio = fuzz.ratio(na, nb)
        ok = ratio >= thresholds.address_min_ratio
        if ok and thresholds.address_numbers_must_match:
            ok = _numbers(na) == _numbers(nb)
        return FieldVerification("match" if ok else "mismatch", round(ratio / 100, 3), *masked)
    if kind == "name":
        na, nb = _normalise_name(a), _normalise_name(b)
    else:  # id_number, code
        na, nb = _normalise_code(a), _normalise_code(b)
    ratio = fuzz.ratio(na, nb) / 100
    return FieldVerification("match" if na == nb else "mismatch", round(ratio, 3), *masked)


# ----------------------------------------------------------------------------- names, by several readings

# Separators people and OCR put in transliterated names (阿依古丽·买买提), and spaces.
_NAME_SEPARATORS = re.compile(r"[\s·•・‧∙⋅.．]")


def _is_ideograph(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def name_key(value: str) -> str:
    """The characters a name is verified on: its CJK ideographs (NFKC), nothing else — OCR's stray
    marks, spaces and the interpunct of transliterated names are not part of the comparison."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", value) if _is_ideograph(ch))


@dataclass(frozen=True)
class NameVerification:
    """Whether a document's readings confirm the declared name. `why` is English and carries no
    personal data (positions and counts only); `expected_masked` is the declared name masked."""

    confirmed: bool
    confidence: float  # 0 when not confirmed
    agreeing: int  # readings that say exactly the declared name
    readings: int
    expected_masked: str
    why: str


def verify_name_readings(
    readings: Sequence[str], expected: str, *, thresholds: VerifyThresholds = DEFAULT_THRESHOLDS
) -> NameVerification:
    """Do these readings of a name region confirm `expected`? See the module docstring and
    VerifyThresholds for the rule and why; never confirms a name that no reading says exactly."""
    masked = mask_name(expected.strip())
    n = len(readings)

    def no(why: str, agreeing: int = 0) -> NameVerification:
        return NameVerification(False, 0.0, agreeing, n, masked, why)

    key = name_key(expected)
    if not key or _NAME_SEPARATORS.sub("", unicodedata.normalize("NFKC", expected)) != key:
        return no("the declared name is not all Chinese characters; left to the free reading")
    keys = [name_key(r) for r in readings]
    agreeing = sum(k == key for k in keys)
    if agreeing < max(1, thresholds.name_min_agreeing):
        return no(f"{agreeing} of {n} readings say the declared name", agreeing)
    same_length = [k for k in keys if len(k) == len(key)]
    weakest = 1.0
    for i, want in enumerate(key):
        votes = Counter(k[i] for k in same_length)
        mine = votes.pop(want, 0)
        rival = max(votes.values(), default=0)
        if rival > thresholds.name_max_rival_ratio * mine:
            return no(f"character {i + 1}: another read {rival}×, the declared one {mine}×", agreeing)
        weakest = min(weakest, mine / n)
    floor = thresholds.name_confirmed_floor
    confidence = round(min(0.99, floor + (0.99 - floor) * weakest), 4)
    why = f"{agreeing} of {n} readings say the declared name"
    return NameVerification(True, confidence, agreeing, n, masked, why)
