"""Fields of a 不动产权证书 (property certificate): certificate number, 权利人, 坐落.

The number has a fixed shape — 川(2021)成都市不动产权第0123456号 — so it is found by pattern anywhere
on the page, tolerant of the brackets OCR mangles; it is returned in the canonical ASCII-bracket
form the registry uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from documents.text import (
    DocumentText,
    clean_address,
    clean_person_name,
    iter_labelled,
    labelled_name,
)
from models.checks.facts import Fact, PropertyFacts

OWNER_LABELS = ("房屋所有权人", "所有权人", "权利人", "产权人", "业主")
ADDRESS_LABELS = ("房屋坐落", "房屋座落", "坐落", "座落", "房屋地址", "地址")
# 川(2021)成都市不动产权第0123456号; older books: 成房权证监证字第1234567号 are not read (no registry key).
_CERT_NO = re.compile(
    r"([川蜀])\s*（?\s*((?:19|20)[0-9]{2})\s*）?\s*([\u4e00-\u9fff]{2,8}?)\s*不\s*动\s*产\s*权?\s*第?\s*"
    r"([0-9OoIl]{7})\s*号?"
)
CERT_NO_CERTAINTY = 0.95  # fixed shape and digit count; no check character
ADDRESS_CERTAINTY = 0.9


def _certificate_no(doc: DocumentText) -> Fact[str] | None:
    for i, line in enumerate(doc.lines):
        m = _CERT_NO.search(line.replace(" ", ""))
        if m:
            digits = m.group(4).translate(str.maketrans("OoIl", "0011"))
            value = f"{m.group(1)}({m.group(2)}){m.group(3)}不动产权第{digits}号"
            return Fact(value=value, confidence=round(doc.confidence(i) * CERT_NO_CERTAINTY, 3))
    return None


_SHARE_WORDS = ("单独所有", "共同共有", "按份共有", "共有情况")
# The wrapped end of an address: 1号, 单元501, 2203 — short, never the 28-character unit number.
_CONTINUATION = re.compile(r"^(?:[0-9]{0,4}[附号栋幢单元室楼层][0-9附号栋幢单元室楼层]{0,8}|[0-9]{1,4})$")
_ADDRESS_START = re.compile(r"(四川省|成都市|成都)")


def _label_only(doc: DocumentText, labels: Sequence[str]) -> int | None:
    """Index of a line that is just one of labels: a table cell whose value OCR put on other lines."""
    for i, line in enumerate(doc.lines):
        if line.strip("：: ") in labels:
            return i
    return None


def _owner(doc: DocumentText) -> Fact[str] | None:
    # Not fuzzy: 房屋所有权 (the rights type) is one character from 房屋所有权人.
    found = labelled_name(doc, OWNER_LABELS, fuzzy=False)
    if found is not None and found[0].value not in _SHARE_WORDS:
        return found[0]
    # The register is a table with the label centred in a tall row: OCR often gives the value on the
    # line just above the label.
    i = _label_only(doc, OWNER_LABELS)
    for j in (i - 1, i + 1) if i is not None else ():
        if 0 <= j < len(doc.lines):
            name = clean_person_name(doc.lines[j])
            if name is not None and name == doc.lines[j].strip() and name not in _SHARE_WORDS:
                return Fact(value=name, confidence=round(doc.confidence(j) * 0.8, 3))
    # No label read at all: the owner is the first row of the register, right under the number.
    number_line = next(
        (k for k, line in enumerate(doc.lines) if _CERT_NO.search(line.replace(" ", ""))), None
    )
    if number_line is not None and number_line + 1 < len(doc.lines):
        line = doc.lines[number_line + 1]
        name = clean_person_name(line)
        if name is not None and name == line.strip() and name not in _SHARE_WORDS:
            return Fact(value=name, confidence=round(doc.confidence(number_line + 1) * 0.6, 3))
    return None


def _address(doc: DocumentText) -> Fact[str] | None:
    for found in iter_labelled(doc.lines, ADDRESS_LABELS):
        address = clean_address(found.value)
        if address is not None:
            conf = doc.confidence(found.line) * found.certainty * ADDRESS_CERTAINTY
            return Fact(value=address, confidence=round(conf, 3))
    i = _label_only(doc, ADDRESS_LABELS)
    if i is not None and i > 0:
        text, used = doc.lines[i - 1], [i - 1]
        if i + 1 < len(doc.lines) and _CONTINUATION.match(doc.lines[i + 1]):
            text, used = text + doc.lines[i + 1], [i - 1, i + 1]
        address = clean_address(text)
        if address is not None:
            return Fact(value=address, confidence=round(doc.confidence(*used) * 0.8, 3))
    # No label read: the first line that starts like a Chengdu address, with its wrapped end.
    for k, line in enumerate(doc.lines):
        m = _ADDRESS_START.search(line)
        if m is None or _CERT_NO.search(line.replace(" ", "")):
            continue
        text, used = line[m.start() :], [k]
        if k + 1 < len(doc.lines) and _CONTINUATION.match(doc.lines[k + 1]):
            text, used = text + doc.lines[k + 1], [k, k + 1]
        address = clean_address(text)
        if address is not None:
            return Fact(value=address, confidence=round(doc.confidence(*used) * 0.6, 3))
    return None


def extract_property_certificate(
    lines: Sequence[str], *, line_confidences: Sequence[float] | None = None
) -> PropertyFacts:
    """The fields of a property certificate's register page from its text lines."""
    doc = DocumentText.build(lines, line_confidences, join=False)
    return PropertyFacts(
        certificate_no=_certificate_no(doc),
        owner_name=_owner(doc),
        address=_address(doc),
    )
