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


# The end of the part of an address that is kept: the road (…路/街/大道/巷), or the 街道/镇/乡 when no
# road is written. Longer words first, so 街道 and 大道 are not read as 街 and 道.
_ADDRESS_CUT = re.compile(r"街道|大道|大街|胡同|路|街|巷|道|镇|乡")
# Where the house number may begin (nothing from here on is ever shown): any digit — \d is Unicode,
# so full-width １２ too — or a dwelling marker the normaliser knows (号, 栋/幢/座, 单元, 室/户, 附, #),
# which also catches a number written in Chinese numerals (十二号) at its marker.
# A run of Chinese numerals with nothing after it, or a bracket, blank or mark: a number with its
# marker left out (玉林北路十二, …一(临街)); one followed by more of a name is the name (一环路, 三圣乡).
_HOUSE_START = re.compile(r"\d|号|栋|幢|座|单元|室|户|附|#|＃|[零〇○一二两三四五六七八九十百千]+(?=$|[^\w])")
# What can stand in front of a number without being a place name: Chinese numerals (十二号 seen from
# its marker), 甲/乙/丙/丁 and letters (甲12号, B12号), 之 and dashes (12之3, 12-3), and blanks.
_NUMBER_LEAD = re.compile(r"[零〇○一二两三四五六七八九十百千甲乙丙丁之第\-－—_A-Za-zＡ-Ｚａ-ｚ\s]+$")


def mask_address(address: str | None) -> str:
    """Keep the address down to the street (enough to route and review), hide the house number.

    What is kept ends before the first digit or dwelling marker, at the last road (or 街道/镇/乡) word
    before it; with no such word, at the place name before the number. Everything after is one "****",
    so not even the length of the house number shows.
    """
    if not address:
        return ""
    value = address.strip()
    start = _HOUSE_START.search(value)
    head = value[: start.start()] if start else value
    roads = list(_ADDRESS_CUT.finditer(head))
    keep = value[: roads[-1].end()] if roads else _NUMBER_LEAD.sub("", head)
    return keep + "****" if len(keep) < len(value) else value
