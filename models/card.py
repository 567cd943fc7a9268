"""What is printed: the residence-permit card face and the EMS mailing label (pure data, no I/O).

The card carries the fields DESIGN.md §1 lists. A `CardFace` is assembled once, when the card number
is allocated, and stored with the card issue, so that a re-render (a replay, a crash between
rendering and recording) prints exactly the same card.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class CardFace(BaseModel):
    """Everything printed on one residence-permit card (front and back), photo aside."""

    model_config = ConfigDict(frozen=True)

    card_no: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=40)  # 姓名
    sex: str = Field(pattern=r"^[男女]$")  # 性别
    ethnicity: str = Field(default="", max_length=20)  # 民族, as read from the ID card ("" = unread)
    birth_date: date  # 出生日期
    id_number: str = Field(min_length=18, max_length=18)  # 公民身份号码
    hukou_address: str = Field(default="", max_length=200)  # 户口地址 (ID card address; "" = unread)
    residence_address: str = Field(min_length=1, max_length=200)  # 居住地址
    issuing_authority: str = Field(min_length=4, max_length=40)  # 签发机关: 成都市公安局XX分局
    issued_on: date  # 签发日期
    valid_until: date | None = None  # 有效期限 (None: no fixed end printed)

    def missing_fields(self) -> list[str]:
        """Fields that could not be filled (shown to the card centre, never guessed)."""
        return [name for name in ("ethnicity", "hukou_address") if not getattr(self, name)]


class MailLabel(BaseModel):
    """One EMS label: the waybill number (printed and as a Code 128 barcode), sender and recipient."""

    model_config = ConfigDict(frozen=True)

    waybill_no: str = Field(min_length=6, max_length=32)
    recipient_name: str = Field(min_length=1, max_length=40)
    recipient_phone: str = Field(min_length=5, max_length=20)
    recipient_address: str = Field(min_length=1, max_length=200)
    sender_name: str = Field(min_length=1, max_length=60)  # the issuing bureau or station
    sender_address: str = Field(min_length=1, max_length=200)
    sender_phone: str = Field(min_length=5, max_length=20)
    case_id: str = Field(min_length=1, max_length=40)  # the reference printed on the label
    contents: str = "居住证 residence permit"


_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: int) -> int:
    """The UPU S10 check digit of an 8-digit item serial (weights 8 6 4 2 3 5 9 7, mod 11)."""
    digits = f"{serial:08d}"
    if len(digits) != 8:
        raise ValueError(f"S10 serial must have 8 digits, got {serial}")
    check = 11 - sum(int(d) * w for d, w in zip(digits, _S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def s10_waybill(service_indicator: str, serial: int, country: str) -> str:
    """An S10 item identifier such as EA123456785CN."""
    return f"{service_indicator}{serial:08d}{s10_check_digit(serial)}{country}"


def is_valid_s10(waybill: str) -> bool:
    """True for a well-formed S10 identifier with the right check digit."""
    shaped = waybill[:2].isalpha() and waybill[11:].isalpha() and waybill[2:11].isdigit()
    if len(waybill) != 13 or not shaped:
        return False
    return s10_check_digit(int(waybill[2:10])) == int(waybill[10])
