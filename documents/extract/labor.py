"""Fields of a 劳动合同, read by the words of its labels (用人单位/甲方, 劳动者/乙方, 合同期限 …).

Pure: text lines in, facts out. A contract 无固定期限 (open-ended) has end_on read as a Fact whose
value is None — "no end date" is an answer, not a failure to read.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict

from documents.ocr.idnumber import is_valid_id_number
from documents.text import (
    DATE_CERTAINTY,
    ID_CERTAINTY,
    UNCONFIRMED_CEILING,
    DocumentText,
    completes_legal_name,
    find_dates,
    find_id_numbers,
    find_uscc,
    find_uscc_in_lines,
    id_after,
    iter_labelled,
    labelled_name,
    legal_name,
    starts_new_line,
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


class LaborContractReading(BaseModel):
    """What a labour contract says: the facts the checks use plus the employee's name."""

    model_config = ConfigDict(frozen=True)
    facts: LaborContractFacts
    employee_name: Fact[str] | None = None


def _employer(raw: DocumentText) -> Fact[str] | None:
    """The employer: a labelled value that is a whole organisation's name, ending in its legal form.

    Read in the lines as they came (a table cell's wrapped end is no paragraph). A name cut by a wrap
    inside its cell (成都浣花文化传媒有限公 … 司) is completed by the next line that is no label and
    holds only the rest of the legal form; the neighbour cell (乙方（劳动者）：万永峰) may come between.
    A name with text after its legal form (…有限公司统一社会信用代) is cut there and stays under the bar.
    """
    fallback: Fact[str] | None = None
    for found in iter_labelled(raw.lines, EMPLOYER_LABELS):
        org, used = legal_name(found.value), [found.line]
        if org is None:
            for k in range(found.line + 1, min(found.line + 3, len(raw.lines))):
                if starts_new_line(raw.lines[k], _ALL_LABELS):
                    continue  # the cell beside it, read before the wrapped end
                org, used = completes_legal_name(found.value, raw.lines[k]), [found.line, k]
                break
        if org is None:
            continue
        # A whole legal name is the employer wherever the label put it (beside or under it): a
        # labour contract names one organisation. Only the label's own doubt counts.
        conf = raw.confidence(*used) * found.label_certainty * ORG_CERTAINTY
        if org.whole:
            return Fact(value=org.name, confidence=round(conf, 3))
        if fallback is None:
            fallback = Fact(value=org.name, confidence=round(min(conf * 0.9, UNCONFIRMED_CEILING), 3))
    return fallback


def _uscc(raw: DocumentText) -> Fact[str] | None:
    """The employer's credit code, read in the lines as they came: joined, an ID number on the line
    before runs into the code and a window across both may pass the check character (1 in 31)."""
    for i, line in enumerate(raw.lines):
        if any(label in line for label in USCC_LABELS):
            # Beside the label, under it, or under a header row of labels: within the next lines.
            near = raw.lines[i : i + 4]
            codes = _codes(near)
            if codes:
                return Fact(value=codes[0], confidence=ID_CERTAINTY if _whole(codes[0], near) else 0.75)
    codes = _codes(raw.lines)
    # Without its label a code is still the employer's (a contract names one organisation) but an
    # ID number can pass the USCC check too, so it counts for less.
    return Fact(value=codes[0], confidence=0.8 if _whole(codes[0], raw.lines) else 0.75) if codes else None


def _codes(lines: Sequence[str]) -> list[str]:
    """Credit codes in lines that are no citizen ID number (a valid ID passes the USCC check 1 in 31),
    codes standing whole first."""
    codes = [c for c in find_uscc_in_lines(lines) if not is_valid_id_number(c)]
    return sorted(codes, key=lambda c: not _whole(c, lines))


def _whole(code: str, lines: Sequence[str]) -> bool:
    """True when code is a run of its own (or of a line's last run and the next line's first: a cell
    cut in two), not 18 characters out of a longer run: a window of two numbers run together passes
    the check character 1 time in 31."""
    runs = [re.findall(r"[0-9A-Z|]+", unicodedata.normalize("NFKC", line).upper()) for line in lines]
    pieces = [r for line_runs in runs for r in line_runs]
    pieces += [a[-1] + b[0] for a, b in itertools.pairwise(runs) if a and b]
    # A space OCR put inside the code splits it into runs next to each other on one line.
    pieces += ["".join(r[i:j]) for r in runs for i in range(len(r)) for j in range(i + 2, len(r) + 1)]
    return any(len(p) == 18 and find_uscc(p) == [code] for p in pieces)


def _term(doc: DocumentText) -> tuple[Fact[date] | None, Fact[date] | None]:
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
    raw = DocumentText.build(lines, line_confidences, join=False)
    facts = LaborContractFacts(
        employer_uscc=_uscc(raw),
        employer_name=_employer(raw),
        employee_id_number=id_number,
        start_on=start,
        end_on=end,
    )
    return LaborContractReading(facts=facts, employee_name=employee[0] if employee else None)
