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
"""

from __future__ import annotations

import re
import unicodedata
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
    """

    min_confidence: float = 0.5
    address_min_ratio: float = 90.0
    address_numbers_must_match: bool = True


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
