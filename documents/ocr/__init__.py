"""OCR: engines behind one interface (engines.py) and the per-kind engine choice (config/ocr.yaml)."""

from documents.ocr.engines import (
    EngineUnavailable,
    OcrEngine,
    OcrLine,
    RapidOcrEngine,
    TesseractEngine,
    get_engine,
)

__all__ = ["EngineUnavailable", "OcrEngine", "OcrLine", "RapidOcrEngine", "TesseractEngine", "get_engine"]
