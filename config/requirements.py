"""What the checks need: config/documents.yaml (required documents per business type and basis, OCR
thresholds) read into models/checks/requirements.py's Requirements, with the shared-data feeds'
vocabulary. Cached; nothing is read at import time."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import ValidationError

from config.shared_data import load_feed_vocabulary
from config.yaml_files import read_mapping
from models.checks.requirements import Requirements, requirements_from_mapping

DOCUMENTS_YAML = Path(__file__).parent / "documents.yaml"


class RequirementsError(ValueError):
    """config/documents.yaml is broken; the message names the file and the problem."""


@cache
def load_requirements(path: Path | None = None) -> Requirements:
    """config/documents.yaml (or the file at `path`), validated; cached, nothing read at import."""
    source = Path(path) if path is not None else DOCUMENTS_YAML
    data = dict(read_mapping(source, RequirementsError))
    try:
        return requirements_from_mapping(data, load_feed_vocabulary())
    except (KeyError, ValueError, ValidationError) as exc:
        raise RequirementsError(f"{source}: {exc}") from None
