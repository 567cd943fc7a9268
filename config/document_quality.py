"""The limits and thresholds for file decoding, image quality and the portrait check: loads
config/document_quality.yaml into models/document_quality.py's types. Loading is cached and nothing is
read at import time. Pass a path to load a modified copy (tests, another city).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from models.document_quality import DocumentQualityConfig

DEFAULT_PATH = Path(__file__).parent / "document_quality.yaml"


@cache
def load_document_quality(path: Path = DEFAULT_PATH) -> DocumentQualityConfig:
    """The decoding limits and quality thresholds (cached per path)."""
    with path.open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    return DocumentQualityConfig.model_validate(raw)
