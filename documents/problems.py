"""A problem found in one uploaded file: a reason code plus what to tell the applicant and staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.reasons import ReasonCode


@dataclass(frozen=True)
class DocumentProblem:
    """Why a file cannot be used (or only with doubt): Chinese for the applicant, English for staff.

    `detail` holds measurements for the reviewer (sizes, blur score, page count) — never personal data.
    """

    reason: ReasonCode
    zh: str
    en: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason.value, "zh": self.zh, "en": self.en, "detail": self.detail}
