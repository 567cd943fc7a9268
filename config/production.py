"""Card production and delivery settings (config/production.yaml), loaded and checked once."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

PRODUCTION_FILE = Path(__file__).parent / "production.yaml"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CardNumberRule(_Frozen):
    format: str = Field(min_length=5)
    zone_codes: dict[str, str] = Field(default_factory=dict)


class WaybillRule(_Frozen):
    service_indicator: str = Field(pattern=r"^[A-Z]{2}$")
    country: str = Field(pattern=r"^[A-Z]{2}$")


class PickupRule(_Frozen):
    code_digits: int = Field(ge=4, le=10)


class Production(_Frozen):
    card_number: CardNumberRule
    card_valid_years: int = Field(ge=1, le=10)
    waybill: WaybillRule
    card_fee_yuan: dict[str, int] = Field(default_factory=dict)
    pickup: PickupRule

    def bureau_code(self, bureau: str) -> str:
        """The 6-digit code a bureau's card numbers start with (district code, or the zone's)."""
        if bureau in self.card_number.zone_codes:
            return self.card_number.zone_codes[bureau]
        from config.city import load_city

        for district in load_city().districts:
            if district.bureau == bureau:
                return district.code
        raise KeyError(f"no card-number code for bureau {bureau!r} (config/production.yaml zone_codes)")

    def card_number_for(self, bureau: str, year: int, seq: int) -> str:
        return self.card_number.format.format(bureau_code=self.bureau_code(bureau), year=year, seq=seq)

    def fee_for(self, business_type: str) -> int:
        """The card fee in yuan for a business type (0: free)."""
        return self.card_fee_yuan.get(business_type, 0)


@cache
def load_production(path: Path = PRODUCTION_FILE) -> Production:
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Production.model_validate(raw)
