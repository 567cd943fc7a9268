"""Chengdu residence addresses built from the configured stations, so each has a known station.

An address is drawn from one station's jurisdiction (one of its roads; its subdistrict only when the
station covers that whole subdistrict), so routing it must give that station. An *unmatched* address
uses an invented road that no station lists and no subdistrict, so routing can only fall back to the
intake station of the unit's bureau (station_matched false).

`Address.canonical` is the one form the shared-data tables and printed contracts use, e.g.
四川省成都市武侯区玉林街道玉林北路12号3栋2单元501; `declared_form` writes the same address the way
applicants type it (with or without 四川省/成都市 and the subdistrict, 十二号, full-width digits,
栋/幢/号楼, 室). Both name the same place: a normaliser must map every declared form to the canonical.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

from models.city import City, Station

_DIGITS = "零一二三四五六七八九"
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Parts of invented road names for unmatched addresses; checked against every configured road.
_ROAD_HEADS = ("锦绣", "蓉新", "翠柏", "银杏", "芙蓉", "安康", "顺和", "兴隆", "祥云", "和美", "青禾", "瑞丰")
_ROAD_TAILS = ("东巷", "西巷", "南巷", "北巷", "一巷", "二巷", "横街", "支路", "新村路", "后街")


def _fullwidth(n: int) -> str:
    return str(n).translate(_FULLWIDTH)


def chinese_number(n: int) -> str:
    """1..999 written in Chinese numerals the way house numbers are spoken: 十二, 一百零五, 二十."""
    if not 0 < n < 1000:
        raise ValueError(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _DIGITS[hundreds] + "百"
        if tens == 0 and ones:
            return out + "零" + _DIGITS[ones]
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    if ones:
        out += _DIGITS[ones]
    return out


@dataclass(frozen=True)
class Address:
    """One dwelling in Chengdu and where it routes."""

    district_code: str  # GB/T 2260 code; for a functional zone the first district it lies in
    unit_name: str  # 武侯区, or the zone's short name (高新区)
    subdistrict: str | None
    road: str
    number: int
    annex: int | None  # 附N号
    building: int | None
    unit: int | None
    room: int | None
    station_id: str
    bureau: str
    matched: bool
    zone: str | None = None  # the functional zone's short name when the unit is one

    @property
    def canonical(self) -> str:
        """The shared-data form: 四川省成都市 + unit + [subdistrict] + road + number + dwelling."""
        return "四川省成都市" + self.unit_name + (self.subdistrict or "") + self.road + self._tail(str, str)

    @property
    def short(self) -> str:
        """The canonical form without the province (other agencies' tables often drop it)."""
        return self.canonical.removeprefix("四川省")

    def _tail(
        self,
        house: Callable[[int], str],
        parts: Callable[[int], str],
        *,
        building: str = "栋",
        room: str = "",
    ) -> str:
        out = f"{house(self.number)}号"
        if self.annex:
            out += f"附{parts(self.annex)}号"
        if self.building:
            out += f"{parts(self.building)}{building}"
        if self.unit:
            out += f"{parts(self.unit)}单元"
        if self.room:
            out += f"{parts(self.room)}{room}"
        return out

    def declared_form(self, rng: random.Random) -> str:
        """The address as an applicant might type it; names the same dwelling as `canonical`."""
        prefix = rng.choice(("四川省成都市", "四川省成都市", "成都市", "成都市", "四川成都", ""))
        sub = self.subdistrict if self.subdistrict and rng.random() < 0.6 else ""
        style = rng.random()
        # Chinese numerals only for the house number: nobody writes room 501 as 五零一.
        house: Callable[[int], str] = chinese_number if style < 0.12 else str
        parts: Callable[[int], str] = _fullwidth if 0.12 <= style < 0.22 else str
        if 0.12 <= style < 0.22:
            house = _fullwidth
        building = rng.choice(("栋", "栋", "幢", "号楼"))
        tail = self._tail(house, parts, building=building, room=rng.choice(("", "", "室", "号")))
        return prefix + self.unit_name + sub + self.road + tail

    def other_dwelling(self, rng: random.Random) -> Address:
        """A different dwelling on the same road: another number and room (for ADDRESS_MISMATCH)."""
        number = self.number + rng.randint(3, 40) * rng.choice((1, -1))
        if number < 1:
            number = self.number + rng.randint(3, 40)
        room = None if self.room is None else (self.room + 100 if self.room < 3000 else self.room - 100)
        return replace(self, number=number, room=room)


@dataclass(frozen=True)
class CityIndex:
    """The parts of the configured city the generator draws from, in a stable order."""

    city: City
    stations: tuple[Station, ...]
    all_roads: frozenset[str]


@cache
def city_index(city: City) -> CityIndex:
    stations = tuple(sorted(city.stations, key=lambda s: s.id))
    roads = frozenset(road for s in stations for road in s.jurisdiction.roads)
    return CityIndex(city, stations, roads)


def _unit_of(index: CityIndex, station: Station) -> tuple[str, str]:
    """(district_code, unit name) of a station; zones report the first district they lie in."""
    if station.district_code is not None:
        return station.district_code, index.city.district_by_code(station.district_code).name
    zone = index.city.zone(station.zone or "")
    return zone.parent_codes[0], zone.name


def _dwelling(rng: random.Random) -> dict[str, int | None]:
    shape = rng.random()
    floor = rng.randint(1, 32)
    room = floor * 100 + rng.randint(1, 6)
    if shape < 0.6:
        return {"annex": None, "building": rng.randint(1, 18), "unit": rng.randint(1, 4), "room": room}
    if shape < 0.8:
        return {"annex": None, "building": rng.randint(1, 30), "unit": None, "room": room}
    if shape < 0.9:
        return {"annex": rng.randint(1, 12), "building": None, "unit": None, "room": None}
    return {"annex": None, "building": None, "unit": None, "room": room}


def random_address(index: CityIndex, rng: random.Random, *, matched: bool = True) -> Address:
    """A dwelling on a road of a random station (matched), or on an invented road of a random unit that
    no station covers (unmatched: routing falls back to the bureau's intake station)."""
    station = rng.choice(index.stations)
    code, unit_name = _unit_of(index, station)
    number = rng.randint(1, 299)
    if matched:
        road = rng.choice(station.jurisdiction.roads)
        subs = station.jurisdiction.subdistricts
        # Only a subdistrict the same station covers whole: any other would route elsewhere.
        sub = rng.choice(subs) if subs and rng.random() < 0.7 else None
        return Address(
            code,
            unit_name,
            sub,
            road,
            number,
            station_id=station.id,
            bureau=station.bureau,
            matched=True,
            zone=station.zone,
            **_dwelling(rng),
        )
    road = invented_road(index, rng)
    intake = index.city.intake_station(station.bureau)
    return Address(
        code,
        unit_name,
        None,
        road,
        number,
        station_id=intake.id,
        bureau=station.bureau,
        matched=False,
        zone=station.zone,
        **_dwelling(rng),
    )


def invented_road(index: CityIndex, rng: random.Random) -> str:
    """A road name that no station lists, and that neither contains nor is contained in a listed one
    (so a substring-matching router cannot match it either)."""
    for _ in range(500):
        name = rng.choice(_ROAD_HEADS) + rng.choice(_ROAD_TAILS)
        if not any(name in road or road in name for road in index.all_roads):
            return name
    raise RuntimeError("every invented road name collides with a configured road")  # pragma: no cover
