"""Fields of a 房屋租赁合同, read by the words of its labels (any issuer's template, any OCR mangling).

Pure: takes the document's text lines (OCR or PDF text layer, in reading order) and returns facts
with a confidence each. Party roles are found by their words (出租方/出租人/甲方/房东…,
承租方/承租人/乙方/租客…) and the tenant's ID number is the first valid number after the tenant's
label, so the landlord's number printed before it is never taken for the tenant's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from documents.text import (
    DocumentText,
    address_confirmed,
    address_continues,
    clean_address,
    find_id_numbers,
    id_after,
    iter_labelled,
    labelled_name,
    parse_amount_yuan,
    read_labelled,
    term_dates,
)
from models.checks.facts import Fact, LeaseFacts

# Every label another issuer's lease may print, per fact: the one place to add a wording.
LANDLORD_LABELS = ("房屋出租人", "出租方", "出租人", "甲方", "房东", "业主", "房屋所有人")
TENANT_LABELS = ("房屋承租人", "承租方", "承租人", "乙方", "租客", "租户", "租房人")
ADDRESS_LABELS = (
    "房屋坐落地址", "房屋坐落于", "房屋座落于", "房屋坐落", "房屋座落", "坐落于", "座落于", "坐落", "座落",
    "房屋地址", "租赁房屋地址", "出租房屋地址", "租赁地址", "房屋位置", "房屋所在地", "位于",
)  # fmt: skip
TERM_LABELS = (
    "租赁起止日期", "租赁起止时间", "租赁期限", "租赁期", "租期", "起止日期", "租赁时间", "租用期限",
)  # fmt: skip
START_LABELS = ("起租日期", "起租日", "租赁开始日期", "开始日期", "起始日期")
END_LABELS = ("到期日期", "租赁结束日期", "终止日期", "结束日期", "截止日期", "到期日")
RENT_LABELS = ("每月租金", "月租金", "租金标准", "月租", "租金为", "租金")
REGISTRATION_LABELS = ("租赁登记备案号", "登记备案号", "租赁备案号", "备案编号", "备案号", "登记编号")
LABELS: dict[str, tuple[str, ...]] = {
    "landlord": LANDLORD_LABELS,
    "tenant": TENANT_LABELS,
    "address": ADDRESS_LABELS,
    "term": TERM_LABELS,
    "start": START_LABELS,
    "end": END_LABELS,
    "rent": RENT_LABELS,
    "registration_no": REGISTRATION_LABELS,
}
_ALL_LABELS = tuple(w for words in LABELS.values() for w in words)
_REGISTRATION_NO = re.compile(r"[A-Z0-9][A-Z0-9\-]{7,29}")

# Parse certainty of the rent (multiplied with the OCR confidence of the line). The address has none:
# its confidence comes from whether it parses as a Chengdu address (documents.text.evidence_confidence).
RENT_CERTAINTY = 0.9


class LeaseReading(BaseModel):
    """Everything read from a lease: the facts the checks use plus the parties and the rent."""

    model_config = ConfigDict(frozen=True)
    facts: LeaseFacts
    landlord_name: Fact[str] | None = None
    tenant_name: Fact[str] | None = None
    monthly_rent: Fact[int] | None = None


# A number given to a party by its column's order alone (landlord's column first), not by its own label.
SIDE_BY_SIDE_CERTAINTY = 0.75


def _tenant_id(
    doc: DocumentText, tenant_line: int | None, landlord_line: int | None = None
) -> Fact[str] | None:
    if tenant_line and any(label in doc.lines[tenant_line - 1] for label in LANDLORD_LABELS):
        # A header row of two label cells (出租人（甲方） | 承租人（乙方）) read cell by cell: the parties
        # stand side by side, wherever else (a signature line) the landlord's label was read.
        landlord_line = tenant_line - 1
    if tenant_line is not None and landlord_line is not None and landlord_line <= tenant_line:
        between = doc.lines[landlord_line:tenant_line]
        if landlord_line == tenant_line or not find_id_numbers("".join(between)):
            # The parties stand side by side (one row 甲方…乙方…, or a header row of two columns):
            # the first number after the tenant's label may be the landlord's, printed in the left
            # column of the next row. The tenant's is the second of the two numbers that follow, by
            # column order only, so it stays under the bar (a person looks).
            numbers: list[str] = []
            for i in range(tenant_line, min(tenant_line + 8, len(doc.lines))):
                numbers += [n for n in find_id_numbers(doc.lines[i]) if n not in numbers]
            # One number: the tenant's if the landlord's was never printed, else the landlord's.
            if len(numbers) in (1, 2):
                conf = round(min(doc.confidence(tenant_line), 1.0) * SIDE_BY_SIDE_CERTAINTY, 3)
                return Fact(value=numbers[-1], confidence=conf)
            return None
    if tenant_line is not None:
        line = doc.lines[tenant_line]
        pos = min((line.find(lab) for lab in TENANT_LABELS if lab in line), default=0)
        found = id_after(doc, tenant_line, offset_in_line=max(pos, 0))
        if found is not None:
            return found
        # The tenant is named but no number follows: the one number there is belongs to someone else.
        return None
    numbers = find_id_numbers(doc.text)
    if len(numbers) == 1:
        # No tenant label read, one number in the whole lease: most likely the tenant's, but it could
        # be the landlord's, so it is not trusted as much.
        return Fact(value=numbers[0], confidence=0.6)
    return None


def _address(doc: DocumentText) -> Fact[str] | None:
    return read_labelled(
        doc,
        ADDRESS_LABELS,
        clean_address,
        confirm=address_confirmed,
        stop_labels=(
            "租赁期限",
            "租期",
            "月租金",
            "租金",
            "租赁用途",
            "房屋用途",
            "建筑面积",
            "面积",
            "备案号",
        ),
        continues=address_continues,
    )


def _rent(doc: DocumentText) -> Fact[int] | None:
    for found in iter_labelled(doc.lines, RENT_LABELS, stop_labels=("押金", "违约金")):
        line = doc.lines[found.label_line]
        if any(word in line for word in ("年租金", "季租金")) and "月租金" not in line:
            continue
        amount = parse_amount_yuan(found.value)
        if amount is not None:
            conf = doc.confidence(found.line) * found.certainty * RENT_CERTAINTY
            return Fact(value=amount, confidence=round(conf, 3))
    return None


def _registration_no(doc: DocumentText) -> Fact[str] | None:
    for found in iter_labelled(doc.lines, REGISTRATION_LABELS, stop_labels=()):
        compact = found.value.replace(" ", "").upper()
        m = _REGISTRATION_NO.match(compact)
        if m:
            conf = doc.confidence(found.line) * found.certainty
            return Fact(value=m.group(0), confidence=round(conf, 3))
    return None


def extract_lease(lines: Sequence[str], *, line_confidences: Sequence[float] | None = None) -> LeaseReading:
    """The fields of a lease contract from its text lines (in reading order)."""
    doc = DocumentText.build(lines, line_confidences, label_words=_ALL_LABELS)
    landlord = labelled_name(doc, LANDLORD_LABELS)
    tenant = labelled_name(doc, TENANT_LABELS)
    start, end, _ = term_dates(doc, TERM_LABELS, START_LABELS, END_LABELS)
    facts = LeaseFacts(
        registration_no=_registration_no(doc),
        tenant_id_number=_tenant_id(doc, tenant[1] if tenant else None, landlord[1] if landlord else None),
        address=_address(doc),
        start_on=start,
        end_on=end,
    )
    return LeaseReading(
        facts=facts,
        landlord_name=landlord[0] if landlord else None,
        tenant_name=tenant[0] if tenant else None,
        monthly_rent=_rent(doc),
    )
