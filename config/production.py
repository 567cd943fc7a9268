"""Card production and delivery settings (config/production.yaml), loaded and checked once into
models/production.py's types, with each district bureau's card-number code from the city."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from config.city import load_city
from models.production import Production

PRODUCTION_FILE = Path(__file__).parent / "production.yaml"


@cache
def load_production(path: Path = PRODUCTION_FILE) -> Production:
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if isinstance(raw, dict) and isinstance(raw.get("card_number"), dict):
        districts = {d.bureau: d.code for d in load_city().districts}
        raw = {**raw, "card_number": {**raw["card_number"], "district_codes": districts}}
    return Production.model_validate(raw)
