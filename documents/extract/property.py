"""Fields of a 不动产权证书 (property certificate): certificate number, 权利人, 坐落.

The number has a fixed shape — 川(2021)成都市不动产权第0123456号 — so it is found by pattern anywhere
on the page, tolerant of the brackets OCR mangles; it is returned in the canonical ASCII-bracket
form the registry uses. The register is a ruled table: a value may sit beside its label, under it, in
the row under a header row, or (a label centred in a tall row) over it with its wrapped end beside or
under the label — documents.text.read_labelled tries them all and keeps the one whose structure
confirms it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from documents.text import (
    STOP_LABELS,
    UNCONFIRMED_CEILING,
    DocumentText,
    address_confirmed,
    address_continues,
    clean_address,
    clean_person_name,
    evidence_confidence,
    labelled_name,
    read_labelled,
)
from models.address import CHENGDU_UNITS
from models.checks.facts import Fact, PropertyFacts

# Every label a register prints, per fact: the one place to add another issuer's wording. Rows that
# are no fact of ours are listed so that a value stops where their label starts.
LABELS: dict[str, tuple[str, ...]] = {
    "owner": ("房屋所有权人", "所有权人", "权利人", "产权人", "业主"),
    "address": ("不动产坐落", "房屋坐落", "房屋座落", "坐落", "座落", "房屋地址", "地址"),
    "other_rows": (
        "不动产单元号", "共有情况", "共有人", "权利类型", "权利性质", "用途", "面积", "使用期限",
        "权利其他状况", "证件号码", "证件种类", "登簿日期", "证书编号", "附记",
    ),
}  # fmt: skip
_STOPS = tuple(
    sorted({*STOP_LABELS, *(w for words in LABELS.values() for w in words)}, key=len, reverse=True)
)
# 川(2021)成都市不动产权第0123456号; older books: 成房权证监证字第1234567号 are not read (no registry key).
_CERT_NO = re.compile(
    r"([川蜀])\s*（?\s*((?:19|20)[0-9]{2})\s*）?\s*([\u4e00-\u9fff]{2,8}?)\s*不\s*动\s*产\s*权?\s*第?\s*"
    r"([0-9OoIl]{7})\s*号?"
)
_CERT_CITIES = frozenset(("成都市", "成都", *CHENGDU_UNITS))


def _certificate_no(doc: DocumentText) -> Fact[str] | None:
    # One line, else two neighbouring lines (the number in a cell of its own: 川(2021)成都市 | 不动产权第…).
    candidates = [([i], line) for i, line in enumerate(doc.lines)]
    candidates += [([i, i + 1], doc.lines[i] + doc.lines[i + 1]) for i in range(len(doc.lines) - 1)]
    for used, text in candidates:
        m = _CERT_NO.search(text.replace(" ", ""))
        if m:
            raw = m.group(4)
            digits = raw.translate(str.maketrans("OoIl", "0011"))
            value = f"{m.group(1)}({m.group(2)}){m.group(3)}不动产权第{digits}号"
            # Confirmed by its fixed shape: Sichuan's 川, a Chengdu registry, seven digits read as
            # digits. A letter read for a digit or another city's name is a misreading somewhere.
            confirmed = m.group(1) == "川" and m.group(3) in _CERT_CITIES and raw == digits
            conf = evidence_confidence(doc.confidence(*used), confirmed=confirmed)
            return Fact(value=value, confidence=conf)
    return None


_SHARE_WORDS = ("单独所有", "共同共有", "按份共有", "共有情况")
_ADDRESS_START = re.compile(r"(四川省|成都市|成都)")


def _label_only(doc: DocumentText, labels: Sequence[str]) -> int | None:
    """Index of a line that is just one of labels: a table cell whose value OCR put on other lines."""
    for i, line in enumerate(doc.lines):
        if line.strip("：: ") in labels:
            return i
    return None


def _owner(doc: DocumentText) -> Fact[str] | None:
    # Not fuzzy: 房屋所有权 (the rights type) is one character from 房屋所有权人.
    found = labelled_name(doc, LABELS["owner"], fuzzy=False)
    if found is not None and found[0].value not in _SHARE_WORDS:
        return found[0]
    # The register is a table with the label centred in a tall row: OCR often gives the value on the
    # line just above the label.
    i = _label_only(doc, LABELS["owner"])
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
    found = read_labelled(
        doc,
        LABELS["address"],
        clean_address,
        confirm=address_confirmed,
        stop_labels=_STOPS,
        above=True,
        continues=address_continues,
    )
    if found is not None:
        return found
    # No label read: the first line that starts like a Chengdu address, with its wrapped end. Where
    # it stands says nothing about what it is (an owner's address, a previous one), so it stays under
    # the bar however well it reads.
    for k, line in enumerate(doc.lines):
        m = _ADDRESS_START.search(line)
        if m is None or _CERT_NO.search(line.replace(" ", "")):
            continue
        text, used = line[m.start() :], [k]
        if k + 1 < len(doc.lines) and address_continues(doc.lines[k + 1]):
            text, used = text + doc.lines[k + 1], [k, k + 1]
        address = clean_address(text)
        if address is not None:
            conf = min(doc.confidence(*used) * 0.6, UNCONFIRMED_CEILING)
            return Fact(value=address, confidence=round(conf, 3))
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
