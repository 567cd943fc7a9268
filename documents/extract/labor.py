"""Fields of a 劳动合同, read by the words of its labels (用人单位/甲方, 劳动者/乙方, 合同期限 …).

Pure: text lines in, facts out. A contract 无固定期限 (open-ended) has end_on read as a Fact whose
value is None — "no end date" is an answer, not a failure to read.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from documents.text import (
    DATE_CERTAINTY,
    ID_CERTAINTY,
    DocumentText,
    clean_org_name,
    find_dates,
    find_id_numbers,
    find_uscc_in_lines,
    id_after,
    iter_labelled,
    labelled_name,
    term_dates,
)
from models.checks.facts import Fact, LaborContractFacts

EMPLOYER_LABELS = ("用人单位名称", "用人单位", "单位名称", "甲方", "聘用单位", "雇主")
EMPLOYEE_LABELS = ("劳动者姓名", "劳动者", "乙方", "员工姓名", "职工姓名", "受聘人", "姓名")
USCC_LABELS = ("统一社会信用代码", "社会信用代码", "信用代码")
TERM_LABELS = ("劳动合同期限", "合同期限", "本合同为", "固定期限", "期限为", "合同有效期", "聘用期限")
START_LABELS = ("合同开始日期", "起始日期", "开始日期", "入职日期")
END_LABELS = ("合同终止日期", "终止日期", "结束日期", "到期日期")
OPEN_ENDED = ("无固定期限", "无确定终止时间", "无固定期")
# The labels above by fact: the one place to add another issuer's wording.
LABELS: dict[str, tuple[str, ...]] = {
    "employer": EMPLOYER_LABELS,
    "employee": EMPLOYEE_LABELS,
    "employer_uscc": USCC_LABELS,
    "term": TERM_LABELS,
    "start": START_LABELS,
    "end": END_LABELS,
}
_ALL_LABELS = tuple(w for words in LABELS.values() for w in words)
ORG_CERTAINTY = 0.9
_ORG_WORDS = ("公司", "厂", "店", "中心", "院", "所", "部", "社", "行", "馆", "局", "会", "校", "集团")


class LaborContractReading(BaseModel):
    """What a labour contract says: the facts the checks use plus the employee's name."""

    model_config = ConfigDict(frozen=True)
    facts: LaborContractFacts
    employee_name: Fact[str] | None = None


def _employer(doc: DocumentText) -> Fact[str] | None:
    for found in iter_labelled(doc.lines, EMPLOYER_LABELS):
        name = clean_org_name(found.value)
        if name is not None and any(word in name for word in _ORG_WORDS):
            conf = doc.confidence(found.line) * found.certainty * ORG_CERTAINTY
            return Fact(value=name, confidence=round(conf, 3))
    return None


def _uscc(doc: DocumentText) -> Fact[str] | None:
    for i, line in enumerate(doc.lines):
        if any(label in line for label in USCC_LABELS):
            # Beside the label, under it, or under a header row of labels: within the next lines.
            codes = find_uscc_in_lines(doc.lines[i : i + 4])
            if codes:
                return Fact(value=codes[0], confidence=ID_CERTAINTY)
    codes = find_uscc_in_lines(doc.lines)
    # Without its label a code is still the employer's (a contract names one organisation) but an
    # ID number can pass the USCC check too, so it counts for less.
    codes = [c for c in codes if c not in find_id_numbers(doc.text)]
    return Fact(value=codes[0], confidence=0.8) if codes else None


def _term(doc: DocumentText) -> tuple[Fact | None, Fact | None]:
    start, end, line = term_dates(doc, TERM_LABELS, START_LABELS, END_LABELS)
    open_line = next((i for i, text in enumerate(doc.lines) if any(w in text for w in OPEN_ENDED)), None)
    if open_line is not None and (line is None or line == open_line):
        dates = find_dates(doc.lines[open_line])
        text = doc.lines[open_line]
        pos = min(text.find(w) for w in OPEN_ENDED if w in text)
        # A form listing both choices (固定期限：自…至… / 无固定期限：自…) names the chosen one with
        # dates; an open-ended term has exactly one date after its words.
        after = find_dates(text[pos:])
        if len(after) == 1 and (start is None or len(dates) == 1):
            conf = round(doc.confidence(open_line) * DATE_CERTAINTY, 3)
            return Fact(value=after[0], confidence=conf), Fact(value=None, confidence=conf)
    return start, end


def extract_labor_contract(
    lines: Sequence[str], *, line_confidences: Sequence[float] | None = None
) -> LaborContractReading:
    """The fields of a labour contract from its text lines (in reading order)."""
    doc = DocumentText.build(lines, line_confidences, label_words=_ALL_LABELS)
    employee = labelled_name(doc, EMPLOYEE_LABELS)
    id_number = id_after(doc, employee[1]) if employee else None
    if id_number is None:
        numbers = find_id_numbers(doc.text)
        id_number = Fact(value=numbers[0], confidence=0.8) if len(numbers) == 1 else None
    start, end = _term(doc)
    facts = LaborContractFacts(
        employer_uscc=_uscc(doc),
        employer_name=_employer(doc),
        employee_id_number=id_number,
        start_on=start,
        end_on=end,
    )
    return LaborContractReading(facts=facts, employee_name=employee[0] if employee else None)
