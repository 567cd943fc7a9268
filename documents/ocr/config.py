"""Which OCR engine reads which document kind and field, and the OCR thresholds (config/ocr.yaml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from documents.ocr.engines import OcrEngine, check_engine, get_engine

OCR_CONFIG = Path(__file__).resolve().parents[2] / "config" / "ocr.yaml"


class OcrSettings(BaseModel):
    """config/ocr.yaml as a typed object."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    default_engine: str = "tesseract"
    engines: dict[str, str] = Field(default_factory=dict)
    field_engines: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Reads the ID number band to decide which way up a card is (digits only, whatever reads the rest).
    orientation_engine: str = "tesseract"
    crop_scale: float = Field(default=1.0, gt=0.2, le=4.0)
    deskew_min_degrees: float = 1.5
    osd_min_confidence: float = 1.0
    tesseract_timeout_s: float = 30.0
    # onnxruntime threads of one RapidOCR engine (one per process); 0 = onnxruntime's default.
    rapidocr_threads: int = Field(default=1, ge=0, le=64)

    def engine_for(self, kind: str, field: str | None = None) -> str:
        """The engine name configured for a document kind (and optionally one of its fields)."""
        if field is not None and field in self.field_engines.get(kind, {}):
            return self.field_engines[kind][field]
        return self.engines.get(kind, self.default_engine)

    def engine(self, kind: str, field: str | None = None) -> OcrEngine:
        """The configured engine; EngineUnavailable when it cannot run here, never another engine.

        A silent switch to tesseract would read ID cards right a third as often (README, OCR engines)
        and the cases would look like bad photos, not like a broken install."""
        return get_engine(self.engine_for(kind, field))

    def engine_names(self) -> set[str]:
        """Every engine this configuration may call."""
        names = {self.default_engine, self.orientation_engine, *self.engines.values()}
        names.update(name for fields in self.field_engines.values() for name in fields.values())
        return names

    def check_engines(self) -> None:
        """Refuse to start (EngineUnavailable, Chinese and English) when a configured engine is missing."""
        for name in sorted(self.engine_names()):
            check_engine(name)

    def orientation(self) -> OcrEngine:
        """The engine that reads the number band for card orientation."""
        return get_engine(self.orientation_engine)


@cache
def load_ocr_settings(path: Path = OCR_CONFIG) -> OcrSettings:
    """The OCR settings (read once per process)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return OcrSettings.model_validate(data)
