"""Fields of the applicant's current 四川省居住证 card (for endorsement, change and reissue).

The card is a form: 证件号码 (the permit number), 姓名, 公民身份号码, 居住地址, 签发机关, 签发日期.
The permit number is a run of digits after its label; the ID number is validated and never taken
for the permit number (both are long digit runs on the same card).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from documents.text import (
    ID_CERTAINTY,
    DocumentText,
    clean_address,
    find_dates,
    find_id_numbers,
    iter_labelled,
    labelled_date,
    labelled_name,
)
from models.checks.facts import Fact, OldPermitFacts

PERMIT_NO_LABELS = ("居住证号码", "证件号码", "卡号", "证号", "编号")
NAME_LABELS = ("姓名",)
ADDRESS_LABELS = ("居住地址", "居住地", "住址")
AUTHORITY_LABELS = ("签发机关", "发证机关", "机关")
ISSUED_LABELS = ("签发日期", "发证日期")
_AUTHORITY = re.compile(r"[\u4e00-\u9fff]{2,20}公安局(?:[\u4e00-\u9fff]{1,12}分局)?")
_PERMIT_NO = re.compile(r"[0-9OolI ]{10,24}")


def _permit_no(doc: DocumentText, id_number: str | None) -> Fact[str] | None:
    for found in iter_labelled(doc.lines, PERMIT_NO_LABELS, stop_labels=()):
        m = _PERMIT_NO.match(found.value)
        if m:
            digits = m.group(0).replace(" ", "").translate(str.maketrans("OolI", "0011"))
            if digits != id_number:
                conf = doc.confidence(found.line) * found.certainty * 0.95
                return Fact(value=digits, confidence=round(conf, 3))
    return None


def _address(doc: DocumentText) -> Fact[str] | None:
    for found in iter_labelled(doc.lines, ADDRESS_LABELS):
        value = found.value
        nxt = found.line + 1
        # The card wraps the address onto a second line with no label of its own.
        if nxt < len(doc.lines) and re.match(r"^[0-9附号栋幢单元室楼]", doc.lines[nxt]):
            value += doc.lines[nxt]
        address = clean_address(value)
        if address is not None:
            return Fact(
                value=address, confidence=round(doc.confidence(found.line) * found.certainty * 0.9, 3)
            )
    return None


def _authority(doc: DocumentText) -> Fact[str] | None:
    for found in iter_labelled(doc.lines, AUTHORITY_LABELS):
        m = _AUTHORITY.search(found.value)
        if m:
            return Fact(
                value=m.group(0), confidence=round(doc.confidence(found.line) * found.certainty * 0.9, 3)
            )
    for i, line in enumerate(doc.lines):
        m = _AUTHORITY.search(line)
        if m:
            return Fact(value=m.group(0), confidence=round(doc.confidence(i) * 0.7, 3))
    return None


def _last_date(doc: DocumentText) -> Fact[date] | None:
    """The issue date when its label was misread: the last date on the card that is not the birth date."""
    for i in range(len(doc.lines) - 1, -1, -1):
        line = doc.lines[i]
        if "出生" in line:
            continue
        dates = find_dates(line)
        if dates:
            return Fact(value=dates[-1], confidence=round(doc.confidence(i) * 0.7, 3))
    return None


def extract_old_permit(
    lines: Sequence[str], *, line_confidences: Sequence[float] | None = None
) -> OldPermitFacts:
    """The fields of a residence permit card from its text lines (in reading order)."""
    doc = DocumentText.build(lines, line_confidences, join=False)
    numbers = find_id_numbers(doc.text)
    id_number = numbers[0] if numbers else None
    name = labelled_name(doc, NAME_LABELS)
    return OldPermitFacts(
        permit_no=_permit_no(doc, id_number),
        name=name[0] if name else None,
        id_number=Fact(value=id_number, confidence=ID_CERTAINTY) if id_number else None,
        residence_address=_address(doc),
        issuing_authority=_authority(doc),
        issued_on=labelled_date(doc, ISSUED_LABELS) or _last_date(doc),
    )
