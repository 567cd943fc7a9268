"""Verify an ID card's 住址 and 民族 before anything read from the card is printed (issue 11 item 5).

A reading is *verified* when it is more than a confident guess:

- 住址: its leading province / prefecture / county names form a real GB/T 2260 division, and that
  division is the ID number's region (its first six digits), or the region's successor under a new
  name (510124 郫县 → 郫都区: a person keeps their number when the district is renamed). Municipalities
  (北京市, 天津市, 上海市, 重庆市) and 省直辖 county-level units (湖北省仙桃市) have no prefecture
  between. A real division elsewhere is kept as read but flagged "moved" (the hukou moved after the
  number was given): a person decides, it is not printed unverified. The divisions come from
  python-stdnum's `cn/loc` database (the one stdnum.cn.ric validates region codes with), including
  retired codes and every name a code has carried.
- a confident misreading of the county name (城区 or 培城区 for 涪城区) is repaired when exactly one
  county of the prefecture that was read is within one character edit, and the repaired address is
  verified only when it agrees with the ID number's region — never a guess of someone else's county.
- 民族: the reading (without 族, as printed) is one of the 56 names of GB 3304 (config/ethnicities.yaml).

Everything here is pure: the ID reading and the number are handed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from rapidfuzz.distance import Levenshtein

if TYPE_CHECKING:
    from documents.extract.id_front import IdFrontReading

MUNICIPALITIES = ("11", "12", "31", "50")
# Prefecture-level entries that are groupings, not names printed in an address.
_NOT_A_PREFECTURE = re.compile(r"^(市辖区|县|市|郊区|市区|.*直辖.*)$")
_ETHNICITIES_FILE = Path(__file__).resolve().parents[1] / "config" / "ethnicities.yaml"


@dataclass(frozen=True)
class Division:
    """A county-level unit: its code and every name it and its prefecture have carried."""

    code: str  # six digits
    province: str
    prefectures: tuple[str, ...]  # () for municipalities and 省直辖 units
    counties: tuple[str, ...]  # () when the prefecture has no counties (东莞市, 嘉峪关市)


def _names(value: str) -> tuple[str, ...]:
    """The names of an entry: "[1983-1994]市中区,[1995-]江阳区" → ("市中区", "江阳区")."""
    return tuple(dict.fromkeys(re.sub(r"^\[[^\]]*\]", "", part) for part in value.split(",") if part))


@cache
def divisions() -> tuple[Division, ...]:
    """Every county-level code in stdnum's GB/T 2260 data (current and retired)."""
    from stdnum import numdb

    out: list[Division] = []
    for _len, prov_code, _high, prov_props, children in numdb.get("cn/loc").prefixes:
        province = prov_props.get("province", "")
        entries = {low: _names(props.get("county", "")) for _l, low, _h, props, _c in children}
        for code4, names in entries.items():
            pref_code = code4[:2] + "00"
            if code4 == "0000":
                continue
            municipal = prov_code in MUNICIPALITIES
            pref_names = () if municipal else entries.get(pref_code, ())
            pref_names = tuple(n for n in pref_names if not _NOT_A_PREFECTURE.match(n))
            if code4.endswith("00"):
                # A prefecture with no counties of its own is itself the leaf (东莞市 441900).
                has_counties = any(c[:2] == code4[:2] and not c.endswith(("00", "01", "20")) for c in entries)
                if municipal or has_counties or not pref_names:
                    continue
                out.append(Division(prov_code + code4, province, pref_names, ()))
                continue
            counties = tuple(n for n in names if n not in ("市辖区", "市区", "郊区"))
            if counties:
                out.append(Division(prov_code + code4, province, pref_names, counties))
    return tuple(out)


@cache
def _by_province() -> dict[str, tuple[Division, ...]]:
    grouped: dict[str, list[Division]] = {}
    for d in divisions():
        grouped.setdefault(d.province, []).append(d)
    return {k: tuple(v) for k, v in grouped.items()}


def division_of(code: str) -> Division | None:
    """The division of a six-digit region code (an ID number's first six digits)."""
    return next((d for d in divisions() if d.code == code[:6]), None)


def _stem(county: str) -> str:
    return re.sub(r"(自治县|自治旗|县|区|市|旗)$", "", county)


def same_region(read: Division, id_code: str) -> bool:
    """The division read is the number's region, or that region under a later (or earlier) name in the
    same prefecture: 郫县 510124 → 郫都区 510117, 安县 → 安州区, 双流县 → 双流区, 邛崃县 → 邛崃市."""
    if read.code == id_code[:6]:
        return True
    issued = division_of(id_code)
    if issued is None:
        return False
    group = 2 if read.code[:2] in MUNICIPALITIES else 4
    if read.code[:group] != issued.code[:group]:
        return False
    for a in map(_stem, read.counties or read.prefectures):
        for b in map(_stem, issued.counties or issued.prefectures):
            if a and b and (a.startswith(b) or b.startswith(a)):
                return True
    return False


@dataclass(frozen=True)
class _Head:
    division: Division
    head: str  # the province + prefecture + county as printed
    rest: str


def _heads(text: str, *, fuzzy_county: bool) -> list[_Head]:
    """Every division whose names the address starts with. With `fuzzy_county`, the county name may
    be one character edit away (the prefecture and province must be read exactly)."""
    found: list[_Head] = []
    for province, divs in _by_province().items():
        if not text.startswith(province):
            continue
        after_p = text[len(province) :]
        for d in divs:
            for pref in d.prefectures or ("",):
                if not after_p.startswith(pref):
                    continue
                after = after_p[len(pref) :]
                if not d.counties:
                    found.append(_Head(d, province + pref, after))
                    continue
                for county in d.counties:
                    if not fuzzy_county:
                        if after.startswith(county):
                            found.append(_Head(d, province + pref + county, after[len(county) :]))
                        continue
                    best = min(
                        (Levenshtein.distance(after[:n], county), abs(n - len(county)), n)
                        for n in range(max(1, len(county) - 1), len(county) + 2)
                    )
                    if best[0] == 1:
                        found.append(_Head(d, province + pref + county, after[best[2] :]))
    return found


Status = Literal["agrees", "repaired", "moved", "not_a_division", "ambiguous", "repair_disagrees", "unread"]


@dataclass(frozen=True)
class AddressVerification:
    """The verdict on an address reading. `value` is what may be printed when `verified`: the reading,
    or the reading with its county name repaired."""

    status: Status
    value: str
    division: Division | None
    why: str

    @property
    def verified(self) -> bool:
        return self.status in ("agrees", "repaired")


def verify_hukou_address(address: str, id_number: str) -> AddressVerification:
    """Check that an address read from an ID card begins with a real division and that the division is
    the ID number's region; repair a one-character slip in the county name only to that region."""
    text = re.sub(r"\s+", "", address)
    if not text:
        return AddressVerification("unread", "", None, "nothing read")
    exact = _heads(text, fuzzy_county=False)
    if exact:
        # The longest head wins (河东区 vs 河东区… cannot both be; 市中区 of two prefectures can).
        longest = max(len(h.head) for h in exact)
        heads = [h for h in exact if len(h.head) == longest]
        agreeing = [h for h in heads if same_region(h.division, id_number)]
        if agreeing:
            d = agreeing[0].division
            return AddressVerification("agrees", text, d, f"{agreeing[0].head} is region {id_number[:6]}")
        return AddressVerification(
            "moved", text, heads[0].division, f"{heads[0].head} is not the number's region {id_number[:6]}"
        )
    fuzzy = _heads(text, fuzzy_county=True)
    names = {h.head for h in fuzzy}
    if not fuzzy:
        return AddressVerification("not_a_division", text, None, "no real province/prefecture/county")
    if len(names) > 1:
        return AddressVerification("ambiguous", text, None, f"county within one edit of {sorted(names)}")
    h = fuzzy[0]
    repaired = h.head + h.rest
    if any(same_region(x.division, id_number) for x in fuzzy):
        return AddressVerification("repaired", repaired, h.division, f"county repaired to {h.head}")
    return AddressVerification(
        "repair_disagrees", text, None, f"{h.head} is one edit away but not the number's region"
    )


# ----------------------------------------------------------------------------- ethnicity


@cache
def official_ethnicities() -> tuple[str, ...]:
    """The 56 names of GB 3304, as printed on the card (without 族)."""
    data = yaml.safe_load(_ETHNICITIES_FILE.read_text(encoding="utf-8"))
    names = tuple(str(n) for n in data["ethnicities"])
    if len(names) != 56 or len(set(names)) != 56:
        raise ValueError(f"{_ETHNICITIES_FILE} must list the 56 ethnic groups once each")
    return names


def verify_ethnicity(reading: str) -> str | None:
    """The name when the reading is exactly one of the official list (族 dropped), else None."""
    name = re.sub(r"\s+", "", reading).removesuffix("族")
    return name if name in official_ethnicities() else None


# ----------------------------------------------------------------------------- the card face


@dataclass(frozen=True)
class CardDetails:
    """民族 and 户口地址 as they may be printed ("" = left to the card centre), and why, without the
    values (the notes go to logs)."""

    ethnicity: str
    hukou_address: str
    notes: tuple[str, ...]
    address_status: Status | Literal["low_confidence"] = "unread"


def card_details(reading: IdFrontReading, id_number: str, min_confidence: float) -> CardDetails:
    """What of the ID-card reading may go on the residence-permit card: a confident 民族 from the list,
    and a confident 住址 whose lines were all read and whose division is the number's region."""
    ethnicity = ""
    eth = reading.ethnicity
    if eth is not None and eth.value and eth.confidence >= min_confidence:
        ethnicity = verify_ethnicity(str(eth.value)) or ""
        eth_note = "ethnicity: " + ("on the official list" if ethnicity else "not on the official list")
    else:
        eth_note = "ethnicity: not read with confidence"
    fact = reading.facts.address
    if fact is None or not fact.value:
        return CardDetails(ethnicity, "", (eth_note, "address: not read"), "unread")
    if fact.confidence < min_confidence:
        why = reading.address_check or "OCR"
        note = f"address: confidence {fact.confidence:.2f} under the bar ({why})"
        return CardDetails(ethnicity, "", (eth_note, note), "low_confidence")
    verdict = verify_hukou_address(str(fact.value), id_number)
    address = verdict.value if verdict.verified else ""
    return CardDetails(ethnicity, address, (eth_note, f"address: {verdict.status}"), verdict.status)
