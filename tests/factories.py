"""Factories for tests: valid packages built from real JPEG/PNG/PDF bytes; override what a test needs."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

from PIL import Image
from reportlab.pdfgen import canvas


def jpeg_bytes(color: tuple[int, int, int] = (200, 180, 160), size: tuple[int, int] = (640, 400)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def png_bytes(size: tuple[int, int] = (358, 441)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (250, 250, 250)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes(text: str = "lease") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


def make_application(**overrides: Any) -> dict[str, Any]:
    """A valid application.json for a residence-basis first application; override any key."""
    application: dict[str, Any] = {
        "submission_id": f"TFSMY-{uuid.uuid4().hex[:12]}",
        "business_type": "apply",
        "applicant": {"name": "王小明", "id_number": "511302199003154418", "phone": "13812345678"},
        "residence_address": "四川省成都市武侯区玉林街道玉林北路12号3栋2单元501",
        "basis": "residence",
        "delivery": {"method": "pickup"},
        "documents": [
            {"kind": "id_front", "file": "id_front.jpg"},
            {"kind": "id_back", "file": "id_back.jpg"},
            {"kind": "photo", "file": "photo.png"},
            {"kind": "lease_contract", "file": "lease.pdf"},
        ],
    }
    application.update(overrides)
    return application


def make_package(folder: Path, *, files: dict[str, bytes] | None = None, **overrides: Any) -> Path:
    """Write a package folder: application.json plus real JPEG/PNG/PDF files."""
    folder.mkdir(parents=True, exist_ok=True)
    application = make_application(**overrides)
    (folder / "application.json").write_text(json.dumps(application, ensure_ascii=False), encoding="utf-8")
    contents = {
        "id_front.jpg": jpeg_bytes((210, 190, 170)),
        "id_back.jpg": jpeg_bytes((170, 190, 210)),
        "photo.png": png_bytes(),
        "lease.pdf": pdf_bytes(),
    }
    contents.update(files or {})
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    return folder
