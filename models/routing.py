"""Station routing: which police station (派出所) of which bureau (分局) an address belongs to.

Pure: the city configuration comes in as a parameter (callers load it with config.city.load_city).

The rule, in order:
1. The bureau: an explicit zone (高新区/天府新区/东部新区) decides; else the written county-level unit
   (today's name or a former one such as 郫县/双流县/新津县), moved to a zone's bureau only when the
   written 街道 is one the zone administers; else the unit implied by the 街道, the 社区 or the road.
   Nothing that names a Chengdu unit, or two units that disagree -> no station (a person decides).
2. Within that bureau: the 社区, then the 街道, then the road (exact, then the longest configured road
   name found in the address, then a near-miss by rapidfuzz with a high threshold, flagged).
3. Nothing matched -> the bureau's intake station, matched False. A road or 街道 that belongs to another
   bureau than the written one is flagged and never followed across bureaus.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from models.address import FORMER_UNIT_NAMES, AddressParts, normalise_address, parse_address
from models.city import City, Station

Flag = Literal[
    "no_district",  # no Chengdu county-level unit or zone could be read or inferred
    "not_chengdu",  # another city is written
    "ambiguous_district",  # the written or implied units disagree and nothing decides between them
    "district_inferred",  # no unit written; it was taken from the 街道, 社区 or road
    "former_unit_name",  # a former county name (郫县) was written
    "zone_by_subdistrict",  # a district was written, but its 街道 is administered by a zone
    "subdistrict_in_other_district",  # the written 街道 belongs to another unit than the written one
    "road_in_other_district",  # the road belongs to a station of another bureau
    "road_subdistrict_conflict",  # the road belongs to another station of the same bureau than the 街道
    "fuzzy_road",  # the road matched a configured name only approximately
    "unmatched_jurisdiction",  # nothing matched within the bureau: its intake station
]
MatchedBy = Literal["community", "subdistrict", "road", "road_contained", "road_fuzzy"]

# A near-miss must be this similar (rapidfuzz ratio, 0..100): one wrong character in a 9-character name.
FUZZY_ROAD_THRESHOLD = 88.0
_ROAD_SUFFIXES = ("路", "街", "巷", "大道", "大街")
_MIN_TYPO_NAME = 5
_DISTINCTIVE = frozenset("东南西北中上下前后正横新老内外一二三四五六七八九十路街巷道段")


@dataclass(frozen=True)
class Routing:
    """Where one address goes, why, and what a person should look at."""

    station_id: str | None  # None: no Chengdu unit could be determined, a person must route the case
    bureau: str | None
    district_code: str | None  # None for zones
    zone: str | None
    matched: bool  # False: no jurisdiction matched, the bureau's intake station takes it
    flags: tuple[str, ...] = ()
    # What decided: {"bureau_by": "zone|district|subdistrict|community|road", "unit": ..., "matched_by":
    # "community|subdistrict|road|road_contained|road_fuzzy", "value": as written, "configured": ...}
    evidence: dict[str, str] = field(default_factory=dict)
    explanation_zh: str = ""
    explanation_en: str = ""

    @property
    def needs_person(self) -> bool:
        """True when no station could be chosen."""
        return self.station_id is None


# --- the city as lookup tables -------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """A county-level unit or a zone: the thing that has a bureau."""

    name: str
    bureau: str
    district_code: str | None
    zone: str | None
    parent_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Index:
    units_by_name: dict[str, _Unit]  # current names, former names, zone names
    unit_by_bureau: dict[str, _Unit]
    units_by_subdistrict: dict[str, tuple[_Unit, ...]]
    station_by_subdistrict: dict[tuple[str, str], Station]  # (bureau, 街道) -> station
    stations_by_community: dict[str, tuple[Station, ...]]
    station_by_road: dict[str, Station]  # normalised road name -> its one station
    roads_by_bureau: dict[str, tuple[str, ...]]  # longest first


def _unit_name_key(name: str) -> str:
    # "简阳市 (资阳市代管)" in former_codes carries a remark; the name is what precedes it.
    return re.split(r"[\s(（]", name.strip(), maxsplit=1)[0]


@lru_cache(maxsize=8)
def _index(city: City) -> _Index:
    units: dict[str, _Unit] = {}
    by_bureau: dict[str, _Unit] = {}
    by_sub: defaultdict[str, list[_Unit]] = defaultdict(list)
    for d in city.districts:
        unit = _Unit(d.name, d.bureau, d.code, None)
        units[d.name] = by_bureau[d.bureau] = unit
        for sub in d.subdistricts:
            by_sub[sub].append(unit)
    for z in city.zones:
        unit = _Unit(z.name, z.bureau, None, z.name, z.parent_codes)
        units[z.name] = by_bureau[z.bureau] = unit
        for sub in z.subdistricts:
            by_sub[sub].append(unit)
    for former in city.former_codes:
        name = _unit_name_key(former.name)
        if name not in units:
            units[name] = units[city.district_by_code(former.current_code).name]
    for old, new in FORMER_UNIT_NAMES.items():
        if old not in units and new in units:
            units[old] = units[new]
    by_station_sub: dict[tuple[str, str], Station] = {}
    by_community: defaultdict[str, list[Station]] = defaultdict(list)
    by_road: dict[str, Station] = {}
    roads: defaultdict[str, list[str]] = defaultdict(list)
    for station in city.stations:
        for sub in station.jurisdiction.subdistricts:
            by_station_sub[(station.bureau, sub)] = station
        for community in station.jurisdiction.communities:
            by_community[community].append(station)
        for road in station.jurisdiction.roads:
            key = normalise_address(road)
            by_road[key] = station
            roads[station.bureau].append(key)
    return _Index(
        units_by_name=units,
        unit_by_bureau=by_bureau,
        units_by_subdistrict={k: tuple(v) for k, v in by_sub.items()},
        station_by_subdistrict=by_station_sub,
        stations_by_community={k: tuple(v) for k, v in by_community.items()},
        station_by_road=by_road,
        roads_by_bureau={b: tuple(sorted(rs, key=len, reverse=True)) for b, rs in roads.items()},
    )


# --- routing -------------------------------------------------------------------------------------


def _subdistrict_key(name: str | None) -> str | None:
    # 玉林街道办事处 and 玉林街道办 are the office of 玉林街道.
    return None if name is None else re.sub(r"(街道)(?:办事处|办)$", r"\1", name)


def _community_key(name: str | None) -> str | None:
    return None if name is None else re.sub(r"(社区)(?:居委会|居民委员会)$", r"\1", name)


def _locality(parts: AddressParts) -> str:
    """The part of the address where a road name can be: everything before the house number."""
    return "".join(p for p in (parts.subdistrict, parts.community, parts.road, parts.rest) if p)


@dataclass
class _Draft:
    flags: list[str] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)

    def flag(self, name: Flag) -> None:
        if name not in self.flags:
            self.flags.append(name)


def _no_station(draft: _Draft, zh: str, en: str) -> Routing:
    return Routing(None, None, None, None, False, tuple(draft.flags), draft.evidence, zh, en)


def route_address(address: str, city: City) -> Routing:
    """The one station an address belongs to (or None, flagged, when no Chengdu unit can be determined)."""
    parts = parse_address(address)
    return route_parts(parts, city)


def route_parts(parts: AddressParts, city: City) -> Routing:
    """route_address for an address already parsed."""
    index = _index(city)
    draft = _Draft()
    if parts.city is not None and parts.city != "成都市":
        draft.flag("not_chengdu")
        draft.flag("no_district")
        draft.evidence["city"] = parts.city
        return _no_station(
            draft,
            f"地址写明为{parts.city}，不属成都市，需人工核实。",
            f"The address names another city ({parts.city}); a person must check it.",
        )
    unit = _resolve_unit(parts, index, draft)
    if unit is None:
        if "ambiguous_district" in draft.flags:
            return _no_station(
                draft,
                "地址中的区县与街道或道路所属区县不一致，无法确定管辖分局，需人工分派。",
                "The district written and the district implied by the subdistrict or road disagree; "
                "a person must route the case.",
            )
        draft.flag("no_district")
        return _no_station(
            draft,
            "地址中没有可识别的成都市区（市、县）或功能区，需人工分派。",
            "No Chengdu district, county or zone could be read from the address; a person must route it.",
        )
    return _route_within(parts, unit, index, city, draft)


def _unit_of_station(index: _Index, station: Station) -> _Unit:
    return index.unit_by_bureau[station.bureau]


def _implied_units(parts: AddressParts, index: _Index) -> list[tuple[str, _Unit]]:
    """The units the 街道, 社区 and road point to, each with what pointed to it."""
    implied: list[tuple[str, _Unit]] = []
    sub = _subdistrict_key(parts.subdistrict)
    if sub is not None:
        implied += [("subdistrict", u) for u in index.units_by_subdistrict.get(sub, ())]
    community = _community_key(parts.community)
    if community is not None:
        implied += [
            ("community", _unit_of_station(index, s)) for s in index.stations_by_community.get(community, ())
        ]
    if parts.road is not None and (station := index.station_by_road.get(parts.road)) is not None:
        implied.append(("road", _unit_of_station(index, station)))
    return implied


def _resolve_unit(parts: AddressParts, index: _Index, draft: _Draft) -> _Unit | None:
    """The unit whose bureau takes the address, or None (with ambiguous_district) when it cannot be told."""
    sub = _subdistrict_key(parts.subdistrict)
    if parts.zone is not None and parts.zone in index.units_by_name:
        draft.evidence["bureau_by"] = "zone"
        draft.evidence["unit"] = parts.zone
        return index.units_by_name[parts.zone]
    if parts.district is not None and parts.district in index.units_by_name:
        unit = index.units_by_name[parts.district]
        draft.evidence["bureau_by"] = "district"
        draft.evidence["unit"] = parts.district
        if parts.district != unit.name:
            draft.flag("former_unit_name")
        # A 街道 of this district that a zone administers (双流区华阳街道) belongs to the zone's bureau.
        if sub is not None and unit.district_code is not None:
            zones = [
                u
                for u in index.units_by_subdistrict.get(sub, ())
                if u.zone is not None and unit.district_code in u.parent_codes
            ]
            if len(zones) == 1:
                draft.flag("zone_by_subdistrict")
                draft.evidence["bureau_by"] = "subdistrict"
                draft.evidence["unit"] = zones[0].name
                return zones[0]
        return unit
    # No unit written: what the 街道, 社区 and road imply, if they agree.
    implied = _implied_units(parts, index)
    names = {u.name for _, u in implied}
    if len(names) == 1:
        how, unit = implied[0]
        draft.flag("district_inferred")
        draft.evidence["bureau_by"] = how
        draft.evidence["unit"] = unit.name
        return unit
    if len(names) > 1:
        draft.flag("ambiguous_district")
        draft.evidence["candidates"] = "、".join(sorted(names))
    return None


def _route_within(parts: AddressParts, unit: _Unit, index: _Index, city: City, draft: _Draft) -> Routing:
    bureau = unit.bureau

    def done(
        station: Station, matched_by: MatchedBy | None, value: str | None, configured: str | None
    ) -> Routing:
        if matched_by is not None:
            draft.evidence["matched_by"] = matched_by
            draft.evidence["value"] = value or ""
            draft.evidence["configured"] = configured or ""
            what_zh = {"community": "社区", "subdistrict": "街道"}.get(matched_by, "道路")
            what_en = {"community": "community", "subdistrict": "subdistrict"}.get(matched_by, "road")
            zh = f"{unit.name}：按{what_zh}“{configured}”分派至{station.name}（{bureau}）。"
            en = f"{unit.name}: {what_en} {configured} is covered by {station.name} ({bureau})."
            if matched_by == "road_fuzzy":
                zh += f"地址所写“{value}”与该道路名近似，请核实。"
                en += f" The address writes {value!r}, close to that name; please check."
        else:
            draft.flag("unmatched_jurisdiction")
            zh = f"{unit.name}：地址未匹配任何派出所辖区，转{bureau}受理派出所{station.name}。"
            en = (
                f"{unit.name}: no station's jurisdiction matched; "
                f"sent to {bureau}'s intake station {station.name}."
            )
        if "road_in_other_district" in draft.flags:
            other_road, other_bureau = draft.evidence["other_road"], draft.evidence["other_bureau"]
            zh += f"注意：道路“{other_road}”属{other_bureau}，与所写区县不符。"
            en += f" Note: the road {other_road} belongs to {other_bureau}, not to the district written."
        return Routing(
            station_id=station.id,
            bureau=bureau,
            district_code=unit.district_code,
            zone=unit.zone,
            matched=matched_by is not None,
            flags=tuple(draft.flags),
            evidence=dict(draft.evidence),
            explanation_zh=zh,
            explanation_en=en,
        )

    # 1. community
    community = _community_key(parts.community)
    if community is not None:
        for station in index.stations_by_community.get(community, ()):
            if station.bureau == bureau:
                return done(station, "community", parts.community, community)

    # 2. 街道 (only one of this bureau: a 街道 of another unit is flagged, not followed)
    sub = _subdistrict_key(parts.subdistrict)
    sub_station: Station | None = None
    if sub is not None:
        owners = index.units_by_subdistrict.get(sub, ())
        if owners and all(u.bureau != bureau for u in owners):
            draft.flag("subdistrict_in_other_district")
            draft.evidence["other_subdistrict"] = sub
        sub_station = index.station_by_subdistrict.get((bureau, sub))

    # 3. road: exact, then the longest configured name inside the address, then a near miss.
    road_hit = _match_road(parts, bureau, index, draft)
    if sub_station is not None:
        if road_hit is not None and road_hit[0].id != sub_station.id:
            draft.flag("road_subdistrict_conflict")
            draft.evidence["road_station"] = road_hit[0].id
        return done(sub_station, "subdistrict", parts.subdistrict, sub)
    if road_hit is not None:
        station, how, configured = road_hit
        return done(station, how, parts.road, configured)
    return done(city.intake_station(bureau), None, None, None)


def _match_road(
    parts: AddressParts, bureau: str, index: _Index, draft: _Draft
) -> tuple[Station, MatchedBy, str] | None:
    road = parts.road
    if road is not None and (station := index.station_by_road.get(road)) is not None:
        if station.bureau == bureau:
            return station, "road", road
        draft.flag("road_in_other_district")
        draft.evidence["other_road"] = road
        draft.evidence["other_bureau"] = station.bureau
        return None
    roads = index.roads_by_bureau.get(bureau, ())
    locality = _locality(parts)
    # The longest configured road of this bureau written somewhere before the house number (the parser
    # may have cut the road differently, e.g. with an estate name in front of it).
    for name in roads:
        if name in locality:
            return index.station_by_road[name], "road_contained", name
    if road is None:
        return None
    # A configured road of another bureau written in full is a cross-bureau mismatch, not a near-miss.
    for name, station in index.station_by_road.items():
        if station.bureau != bureau and name in locality:
            draft.flag("road_in_other_district")
            draft.evidence["other_road"] = name
            draft.evidence["other_bureau"] = station.bureau
            return None
    # Near misses: a left-out suffix (玉林北 for 玉林北路) or one wrong character in a long name.
    bare = [name for name in roads if name.startswith(road) and name[len(road) :] in _ROAD_SUFFIXES]
    if len(bare) == 1:
        draft.flag("fuzzy_road")
        return index.station_by_road[bare[0]], "road_fuzzy", bare[0]
    typos = [name for name in roads if _one_typo(road, name)]
    if len(typos) == 1:
        draft.flag("fuzzy_road")
        return index.station_by_road[typos[0]], "road_fuzzy", typos[0]
    hits = process.extract(road, roads, scorer=fuzz.ratio, score_cutoff=FUZZY_ROAD_THRESHOLD, limit=2)
    if len(hits) == 1 or (len(hits) == 2 and hits[0][1] > hits[1][1]):
        draft.flag("fuzzy_road")
        name = hits[0][0]
        return index.station_by_road[name], "road_fuzzy", name
    return None


def _one_typo(written: str, configured: str) -> bool:
    """One wrong character in a name of 5+ characters, where the written character does not itself name
    another road: a written direction, numeral or road type is deliberate (晋吉南路 is not a typo of
    晋吉北路, nor 玉林北街 of 玉林北路), 火车南站西略 is a typo of 火车南站西路.
    """
    if len(written) != len(configured) or len(configured) < _MIN_TYPO_NAME or written == configured:
        return False
    diffs = [(a, b) for a, b in zip(written, configured, strict=True) if a != b]
    return len(diffs) == 1 and diffs[0][0] not in _DISTINCTIVE
