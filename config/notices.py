"""Applicant notice (SMS) templates, keyed by the status the case moves to (config/notices.yaml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from models.status import CaseStatus

NOTICES_FILE = Path(__file__).parent / "notices.yaml"


@cache
def load_notice_templates(path: Path = NOTICES_FILE) -> dict[CaseStatus, str]:
    """Templates by status; a key that is not a status is a loading error."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    templates: dict[CaseStatus, str] = {}
    for key, text in raw.items():
        try:
            status = CaseStatus(key)
        except ValueError:
            raise ValueError(f"{path.name}: {key!r} is not a case status") from None
        templates[status] = str(text).strip()
    return templates
