"""Fields of an employer's or school's 住宿证明 (lodging certificate) letter.

Prose like 兹证明X（身份证号码：…）自2024年3月1日起居住在我单位提供的宿舍，住址为… or
X，公民身份号码…，系我单位人员，自…起至今在…住宿. The issuer is the letterhead or signature line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date

from documents.text import (
    DATE_CERTAINTY,
    ID_CERTAINTY,
    NAME_CERTAINTY,
    DocumentText,
    clean_address,
    clean_person_name,
    find_dates,
    find_id_numbers,
    iter_labelled,
)
from models.checks.facts import Fact, LodgingFacts

_INTRO = re.compile(
    r"(?:兹证明|兹有|^)([\u4e00-\u9fff·]{2,8}?)(?:同志|先生|女士)?(?:（|，|系|身份证|公民身份)"
)
_ADDRESS = re.compile(
    r"(?:住址为|住址：|地址为|地址：|居住地址：?|宿舍位于|居住于|居住在|至今在|现居住在)(.+)"
)
_ISSUER_LINE = re.compile(r"^[\u4e00-\u9fff（）]{4,40}(?:公司|大学|学院|学校|医院|中心|集团|厂|店|局|所|部)$")
ADDRESS_LABELS = ("住宿地址", "宿舍地址", "居住地址", "住址")


def _issuer(doc: DocumentText) -> Fact[str] | None:
    found = Counter(line for line in doc.lines if _ISSUER_LINE.match(line))
    if not found:
        return None
    name, count = found.most_common(1)[0]
    i = doc.lines.index(name)
    return Fact(value=name, confidence=round(doc.confidence(i) * (0.95 if count > 1 else 0.85), 3))


def _resident(doc: DocumentText, id_number: str | None) -> Fact[str] | None:
    for i, line in enumerate(doc.lines):
        if id_number is not None and id_number not in line.replace(" ", ""):
            continue
        m = _INTRO.search(line)
        if m:
            name = clean_person_name(m.group(1))
            if name is not None:
                return Fact(value=name, confidence=round(doc.confidence(i) * NAME_CERTAINTY, 3))
    return None


def _address(doc: DocumentText) -> Fact[str] | None:
    for i, line in enumerate(doc.lines):
        for m in _ADDRESS.finditer(line):
            value = re.split(r"住宿|居住|。", m.group(1))[0]
            address = clean_address(value)
            if address is not None and "我单位" not in address:
                return Fact(value=address, confidence=round(doc.confidence(i) * 0.9, 3))
    for found in iter_labelled(doc.lines, ADDRESS_LABELS):
        address = clean_address(found.value)
        if address is not None:
            return Fact(
                value=address, confidence=round(doc.confidence(found.line) * found.certainty * 0.9, 3)
            )
    return None


def _since(doc: DocumentText) -> Fact[date] | None:
    for i, line in enumerate(doc.lines):
        m = re.search(r"自(.{6,14}?)(?:起|开始)", line)
        if m:
            dates = find_dates(m.group(1))
            if dates:
                return Fact(value=dates[0], confidence=round(doc.confidence(i) * DATE_CERTAINTY, 3))
    return None


def extract_lodging_certificate(
    lines: Sequence[str], *, line_confidences: Sequence[float] | None = None
) -> LodgingFacts:
    """The fields of a lodging certificate from its text lines (in reading order)."""
    doc = DocumentText.build(lines, line_confidences)
    numbers = find_id_numbers(doc.text)
    return LodgingFacts(
        issuer=_issuer(doc),
        resident_name=_resident(doc, numbers[0] if numbers else None),
        id_number=Fact(value=numbers[0], confidence=ID_CERTAINTY) if numbers else None,
        address=_address(doc),
        since=_since(doc),
    )
