"""The case status machine (DESIGN.md §2), in one place.

Statuses are stored by their ASCII name; people see the Chinese label. Every legal move is listed in
TRANSITIONS; anything else raises IllegalTransition and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"  # 待受理
    UNDER_REVIEW = "under_review"  # 审核中
    NEEDS_CORRECTION = "needs_correction"  # 待补正
    REJECTED = "rejected"  # 不予办理
    IN_PRODUCTION = "in_production"  # 制证中
    MAILED = "mailed"  # 已寄出
    AWAITING_PICKUP = "awaiting_pickup"  # 待领取
    DONE = "done"  # 办结

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @property
    def label_en(self) -> str:
        return _LABELS_EN[self]

    @property
    def is_terminal(self) -> bool:
        return not TRANSITIONS[self]

    @classmethod
    def parse(cls, text: str) -> CaseStatus:
        """Accept the ASCII name (`under_review`) or the Chinese label (`审核中`)."""
        cleaned = text.strip()
        for status in cls:
            if cleaned in (status.value, status.label_zh, status.name):
                return status
        known = ", ".join(f"{s.value} ({s.label_zh})" for s in cls)
        raise ValueError(f"未知的办理状态 unknown status {text!r}; known: {known}")


_LABELS_ZH = {
    CaseStatus.SUBMITTED: "待受理",
    CaseStatus.UNDER_REVIEW: "审核中",
    CaseStatus.NEEDS_CORRECTION: "待补正",
    CaseStatus.REJECTED: "不予办理",
    CaseStatus.IN_PRODUCTION: "制证中",
    CaseStatus.MAILED: "已寄出",
    CaseStatus.AWAITING_PICKUP: "待领取",
    CaseStatus.DONE: "办结",
}
_LABELS_EN = {
    CaseStatus.SUBMITTED: "submitted",
    CaseStatus.UNDER_REVIEW: "under review",
    CaseStatus.NEEDS_CORRECTION: "correction requested",
    CaseStatus.REJECTED: "rejected",
    CaseStatus.IN_PRODUCTION: "card in production",
    CaseStatus.MAILED: "mailed",
    CaseStatus.AWAITING_PICKUP: "ready for pickup",
    CaseStatus.DONE: "done",
}

S = CaseStatus
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    # Acceptance (受理) happens when the automated checks have run: the case is then reviewed,
    # sent back for correction (一次性告知) or refused outright.
    S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.NEEDS_CORRECTION, S.REJECTED}),
    # A reviewer (or the policy, for clean cases) decides. 签注 (endorsement) issues no new card,
    # so an approved endorsement goes straight to 办结.
    S.UNDER_REVIEW: frozenset({S.IN_PRODUCTION, S.NEEDS_CORRECTION, S.REJECTED, S.DONE}),
    # The applicant uploads corrected documents and the case is checked again; an applicant who
    # never answers is refused when the correction period runs out.
    S.NEEDS_CORRECTION: frozenset({S.UNDER_REVIEW, S.REJECTED}),
    S.IN_PRODUCTION: frozenset({S.MAILED, S.AWAITING_PICKUP}),
    S.MAILED: frozenset({S.DONE}),
    S.AWAITING_PICKUP: frozenset({S.DONE}),
    S.REJECTED: frozenset(),
    S.DONE: frozenset(),
}


class IllegalTransition(Exception):
    """A status change the machine does not allow; nothing was changed."""

    def __init__(self, current: CaseStatus, target: CaseStatus) -> None:
        allowed = ", ".join(f"{s.label_zh}({s.value})" for s in sorted(TRANSITIONS[current])) or "无 none"
        super().__init__(
            f"不能从「{current.label_zh}」变为「{target.label_zh}」；可变为：{allowed}。 "
            f"Illegal status change {current.value} -> {target.value}."
        )
        self.current = current
        self.target = target


def check_transition(current: CaseStatus, target: CaseStatus) -> None:
    """Raise IllegalTransition unless `current -> target` is a legal move."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
