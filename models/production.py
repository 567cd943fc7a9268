"""Card production and delivery as domain types: how card numbers and waybills are formed, the
fees, the pickup code. config/production.py loads config/production.yaml (and the districts' codes
from the city) into them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CardNumberRule(_Frozen):
    format: str = Field(min_length=5)
    # The functional zones' bureaus: no GB/T 2260 code of their own, so production.yaml gives one.
    zone_codes: dict[str, str] = Field(default_factory=dict)
    # Every district or county bureau's code (its GB/T 2260 code), filled in from the city by the loader.
    district_codes: dict[str, str] = Field(default_factory=dict)


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
        rule = self.card_number
        code = rule.zone_codes.get(bureau) or rule.district_codes.get(bureau)
        if code is None:
            raise KeyError(f"no card-number code for bureau {bureau!r} (config/production.yaml zone_codes)")
        return code

    def card_number_for(self, bureau: str, year: int, seq: int) -> str:
        return self.card_number.format.format(bureau_code=self.bureau_code(bureau), year=year, seq=seq)

    def fee_for(self, business_type: str) -> int:
        """The card fee in yuan for a business type (0: free)."""
        return self.card_fee_yuan.get(business_type, 0)
