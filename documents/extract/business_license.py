"""Fields of a 营业执照 (business licence), company or 个体工商户, either layout.

The credit code is found anywhere (validated by stdnum.cn.uscc, so its label need not be read); the
other fields follow their labels (名称, 类型, 法定代表人/经营者/负责人, 成立日期/注册日期, 住所/经营场所).
A licence prints label and value in columns, so a value may wrap onto lines of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict

from documents.text import (
    ID_CERTAINTY,
    STOP_LABELS,
    DocumentText,
    clean_address,
    clean_org_name,
    clean_person_name,
    find_dates,
    find_uscc,
    find_uscc_in_lines,
    iter_labelled,
    labelled_date,
    labelled_name,
    normalise_ocr_text,
)
from models.checks.facts import BusinessLicenseFacts, Fact

NAME_LABELS = ("企业名称", "单位名称", "名称", "字号名称")
# Licences print their labels letter-spaced (名    称), so OCR often keeps only one character of a
# label or none: these partial labels and the vocabulary below are the fallbacks.
_PARTIAL = {
    "name": re.compile(r"^(?:名|称)(?![称])"),
    "representative": re.compile(r"^(?:代表人|表人|营者|责人)"),
    "established": re.compile(r"^(?:立日期|日期)"),
    "address": re.compile(r"^(?:所|场所|营场所)"),
}
_KNOWN_TYPES = (
    "有限责任公司", "股份有限公司", "个体工商户", "个人独资企业", "普通合伙企业", "有限合伙企业", "合伙企业",
    "农民专业合作社", "分公司", "全民所有制", "集体所有制",
)  # fmt: skip
_ORG_END = re.compile(r"(有限公司|公司|店|厂|部|馆|中心|合作社|事务所|工作室|门市|商行|经营部|分公司)$")
TYPE_LABELS = ("主体类型", "企业类型", "类型", "组成形式")
REPRESENTATIVE_LABELS = ("法定代表人", "法人代表", "经营者", "负责人", "投资人", "执行事务合伙人")
ESTABLISHED_LABELS = ("成立日期", "注册日期", "成立时间")
ADDRESS_LABELS = ("主要经营场所", "经营场所", "营业场所", "住所")
# Labels of a licence's other rows: a value stops where one of them starts.
_LICENSE_STOPS = (
    "统一社会信用代码", "名称", "类型", "法定代表人", "经营者", "负责人", "经营范围", "注册资本", "成立日期",
    "营业期限", "住所", "经营场所", "登记机关", "国家企业信用信息公示系统", "组成形式", "注册日期",
)  # fmt: skip
_TYPE_WORDS = ("公司", "个体", "合伙", "企业", "分支", "独资", "农民专业合作社")
FREE_TEXT_CERTAINTY = 0.9


class BusinessLicenseReading(BaseModel):
    """Everything read from a licence: the facts the checks use plus the other registered fields."""

    model_config = ConfigDict(frozen=True)
    facts: BusinessLicenseFacts
    type: Fact[str] | None = None
    legal_representative: Fact[str] | None = None
    established_on: Fact[date] | None = None
    address: Fact[str] | None = None


def _continued(doc: DocumentText, line: int, value: str) -> str:
    """value plus the following lines that continue it (a wrapped licence cell). Fragments of the
    letter-spaced labels (住 / 所) and lines of the other column in between are skipped."""
    for nxt in doc.lines[line + 1 : line + 5]:
        if re.search(r"(号|室|栋|单元|楼)$", value) or any(stop in nxt for stop in _LICENSE_STOPS):
            break
        if len(nxt) <= 2 or re.search(r"[;；、]", nxt):
            continue  # a label fragment, or the business scope of the other column
        # A continuation of an address carries numbers or dwelling words.
        if find_uscc(nxt) or re.search(r"[0-9]{4}年", nxt) or not re.search(r"^[0-9附号栋幢单元室楼]", nxt):
            break
        value += nxt
    return value


def _text(doc: DocumentText, labels: Sequence[str], accept: tuple[str, ...] = ()) -> Fact[str] | None:
    for found in iter_labelled(doc.lines, labels, stop_labels=_LICENSE_STOPS):
        value = clean_org_name(found.value)
        if value is None or (accept and not any(word in value for word in accept)):
            continue
        conf = doc.confidence(found.line) * found.certainty * FREE_TEXT_CERTAINTY
        return Fact(value=value, confidence=round(conf, 3))
    return None


def _address(doc: DocumentText) -> Fact[str] | None:
    for found in iter_labelled(doc.lines, ADDRESS_LABELS, stop_labels=_LICENSE_STOPS):
        address = clean_address(_continued(doc, found.line, found.value))
        if address is not None:
            conf = doc.confidence(found.line) * found.certainty * FREE_TEXT_CERTAINTY
            return Fact(value=address, confidence=round(conf, 3))
    return None


def _partial(doc: DocumentText, key: str) -> tuple[str, int] | None:
    """(rest of line, index) of the first line starting with a partial label of `key`."""
    for i, line in enumerate(doc.lines):
        m = _PARTIAL[key].match(line)
        if m:
            rest = line[m.end() :].lstrip("：:，, ")
            for stop in _LICENSE_STOPS:
                pos = rest.find(stop)
                if pos > 0:
                    rest = rest[:pos]
            if rest:
                return rest, i
    return None


def _fallback_type(doc: DocumentText) -> Fact[str] | None:
    for i, line in enumerate(doc.lines):
        for known in _KNOWN_TYPES:
            # Only at the start of a line or after what is left of the 类型 label, not inside a name.
            if known in line and line.find(known) <= 3:
                value = line[line.find(known) :]
                value = re.split(r"成立日期|注册资本|立日期|[0-9]{4}年", value)[0].strip("，。 ")
                return Fact(value=normalise_ocr_text(value), confidence=round(doc.confidence(i) * 0.7, 3))
    return None


def _fallback_name(doc: DocumentText, type_: Fact[str] | None) -> Fact[str] | None:
    found = _partial(doc, "name")
    if found is not None:
        name = clean_org_name(found[0])
        if name is not None:
            return Fact(value=name, confidence=round(doc.confidence(found[1]) * 0.75, 3))
    for i, line in enumerate(doc.lines):
        value = line.strip("，。 ")
        if _ORG_END.search(value) and 4 <= len(value) <= 40 and (type_ is None or value != type_.value):
            if "登记机关" in value or "监督管理局" in value or "有限责任公司" in value:
                continue
            return Fact(value=value, confidence=round(doc.confidence(i) * 0.6, 3))
    return None


def _fallback_representative(doc: DocumentText) -> Fact[str] | None:
    found = _partial(doc, "representative")
    if found is not None:
        name = clean_person_name(found[0])
        if name is not None:
            return Fact(value=name, confidence=round(doc.confidence(found[1]) * 0.75, 3))
    for i, line in enumerate(doc.lines):
        name = clean_person_name(line)
        if name in _LICENSE_STOPS or name in STOP_LABELS:
            continue
        if name is not None and name == line.strip() and len(name) <= 4 + 8 * ("·" in name):
            return Fact(value=name, confidence=round(doc.confidence(i) * 0.5, 3))
    return None


def _fallback_established(doc: DocumentText) -> Fact[date] | None:
    found = _partial(doc, "established")
    if found is not None:
        dates = find_dates(found[0])
        if dates:
            return Fact(value=dates[0], confidence=round(doc.confidence(found[1]) * 0.8, 3))
    for i, line in enumerate(doc.lines):
        dates = find_dates(line)
        # 营业期限 reads "X至长期/X至Y": its first date is the establishment date as well.
        if dates:
            return Fact(value=dates[0], confidence=round(doc.confidence(i) * 0.6, 3))
    return None


def _fallback_address(doc: DocumentText) -> Fact[str] | None:
    for i, line in enumerate(doc.lines):
        m = re.search(r"(四川省|成都市|成都)", line)
        if m is None:
            continue
        address = clean_address(_continued(doc, i, line[m.start() :]))
        if address is not None and "号" in address:
            return Fact(value=address, confidence=round(doc.confidence(i) * 0.6, 3))
    return None


def extract_business_license(
    lines: Sequence[str], *, line_confidences: Sequence[float] | None = None
) -> BusinessLicenseReading:
    """The fields of a business licence from its text lines (in reading order)."""
    # Not joined: a licence is a grid of short cells, and its wrapped address is rejoined by _continued.
    doc = DocumentText.build(lines, line_confidences, join=False)
    codes = find_uscc_in_lines(doc.lines)
    representative = labelled_name(doc, REPRESENTATIVE_LABELS)
    type_ = _text(doc, TYPE_LABELS, _TYPE_WORDS)
    if type_ is not None:
        type_ = Fact(value=normalise_ocr_text(type_.value or ""), confidence=type_.confidence)
    type_ = type_ or _fallback_type(doc)
    facts = BusinessLicenseFacts(
        uscc=Fact(value=codes[0], confidence=ID_CERTAINTY) if codes else None,
        name=_text(doc, NAME_LABELS) or _fallback_name(doc, type_),
    )
    return BusinessLicenseReading(
        facts=facts,
        type=type_,
        legal_representative=representative[0] if representative else _fallback_representative(doc),
        established_on=labelled_date(doc, ESTABLISHED_LABELS) or _fallback_established(doc),
        address=_address(doc) or _fallback_address(doc),
    )
