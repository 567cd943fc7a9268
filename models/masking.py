"""Masking of personal data for everything that leaves the case DB (logs, Prefect, CLI, notices).

One helper per kind of value, so every place masks the same way.
"""

from __future__ import annotations

import re


def mask_name(name: str | None) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧阳**: keep the surname (one char, two for 4-char names)."""
    if not name:
        return ""
    name = name.strip()
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * (len(name) - keep)


def mask_id_number(id_number: str | None) -> str:
    """510107199001011234 -> 5101**********1234: region prefix and last four only."""
    if not id_number:
        return ""
    value = id_number.strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(phone: str | None) -> str:
    """13812345678 -> 138****5678."""
    if not phone:
        return ""
    digits = re.sub(r"\s+", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


_ADDRESS_CUT = re.compile(r"(街道|镇|乡|路|街|大道|巷|道)")


def mask_address(address: str | None) -> str:
    """Keep the address down to the street (enough to route and review), hide the house number."""
    if not address:
        return ""
    value = address.strip()
    matches = list(_ADDRESS_CUT.finditer(value))
    if not matches:
        return value[: max(len(value) // 3, 1)] + "****"
    end = matches[-1].end()
    return value[:end] + "****" if end < len(value) else value
