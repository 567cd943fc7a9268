"""The city as domain types: districts, functional zones, bureaus, police stations and reviewers.

Typed and validated together (`City` checks the invariants routing and review rely on) and indexed for
lookup. Pure: config/city.py reads the YAML into these types; nothing here does I/O.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator, model_validator

_SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_MIN_ROADS_PER_STATION = 4
# A TOTP secret of 160 bits (RFC 4226's recommended length) is exactly 32 base32 characters.
_TOTP_SECRET_CHARS = 32


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


# --- districts and zones ------------------------------------------------------------------------


class District(_Frozen):
    """A county-level unit (区/县/县级市) with its GB/T 2260 code and the bureau that issues its cards."""

    code: str = Field(pattern=r"^\d{6}$")
    name: str = Field(min_length=2)
    kind: Literal["district", "county", "city"]
    # Full name of the police bureau as printed in 签发机关 on the card.
    bureau: str = Field(min_length=4)
    subdistricts: tuple[str, ...] = ()
    # True when the subdistrict list is illustrative rather than checked against the official list.
    subdistricts_sample: bool = False


class FormerCode(_Frozen):
    """A superseded region code that still occurs in ID numbers, and the unit it now belongs to."""

    code: str = Field(pattern=r"^\d{6}$")
    name: str
    current_code: str = Field(pattern=r"^\d{6}$")
    until: int | None = None


class Zone(_Frozen):
    """A functional zone (高新区, 天府新区, 东部新区): no region code of its own, but its own bureau."""

    name: str = Field(min_length=2)
    full_name: str
    bureau: str = Field(min_length=4)
    # The county-level units whose territory the zone (partly) occupies.
    parent_codes: tuple[str, ...] = Field(min_length=1)
    subdistricts: tuple[str, ...] = ()
    subdistricts_sample: bool = False


class Bureau(_Frozen):
    """A police bureau (分局 or 县/市公安局): the unit that owns stations and signs the card."""

    name: str
    unit_name: str
    district_code: str | None = None
    zone: str | None = None


# --- stations and reviewers ---------------------------------------------------------------------


class Jurisdiction(_Frozen):
    """What a station covers: whole subdistricts, named roads, and optionally communities."""

    subdistricts: tuple[str, ...] = ()
    roads: tuple[str, ...] = Field(min_length=_MIN_ROADS_PER_STATION)
    communities: tuple[str, ...] = ()


class Station(_Frozen):
    """A police station (派出所): where cases are reviewed and cards are picked up."""

    id: str = Field(pattern=_SLUG)
    name: str
    bureau: str
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    zone: str | None = None
    address: str
    phone: str = Field(pattern=r"^[0-9-]{7,20}$")
    office_hours: str
    jurisdiction: Jurisdiction
    # Exactly one station per bureau takes the addresses no jurisdiction matches.
    intake: bool = False
    # True when the station's details are plausible invented data rather than real.
    sample: bool

    @model_validator(mode="after")
    def _one_unit(self) -> Station:
        if (self.district_code is None) == (self.zone is None):
            raise ValueError("give exactly one of district_code or zone")
        return self


class Reviewer(_Frozen):
    """A station reviewer or a bureau supervisor who may decide cases in the review UI."""

    id: str = Field(pattern=_SLUG)
    name: str
    role: Literal["reviewer", "supervisor"]
    station: str | None
    bureau: str
    # SecretStr keeps the secret out of reprs and logs; read it with .get_secret_value().
    totp_secret: SecretStr

    @field_validator("totp_secret")
    @classmethod
    def _base32(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if len(secret) != _TOTP_SECRET_CHARS:
            raise ValueError(f"TOTP secret must be {_TOTP_SECRET_CHARS} base32 characters")
        try:
            base64.b32decode(secret, casefold=False)
        except (binascii.Error, ValueError):
            raise ValueError("TOTP secret is not valid base32 (A-Z, 2-7)") from None
        return value

    @model_validator(mode="after")
    def _role_fits_station(self) -> Reviewer:
        if self.role == "reviewer" and self.station is None:
            raise ValueError("a reviewer belongs to a station")
        if self.role == "supervisor" and self.station is not None:
            raise ValueError("a supervisor belongs to a bureau, not a station (station: null)")
        return self


# --- the city -----------------------------------------------------------------------------------


class City(_Frozen):
    """Districts, zones, stations and reviewers, validated together and indexed for lookup."""

    districts: tuple[District, ...]
    former_codes: tuple[FormerCode, ...] = ()
    zones: tuple[Zone, ...] = ()
    stations: tuple[Station, ...]
    reviewers: tuple[Reviewer, ...] = ()

    _district_by_code: dict[str, District] = PrivateAttr(default_factory=dict)
    _station_by_id: dict[str, Station] = PrivateAttr(default_factory=dict)
    _stations_by_bureau: dict[str, tuple[Station, ...]] = PrivateAttr(default_factory=dict)
    _reviewers_by_station: dict[str, tuple[Reviewer, ...]] = PrivateAttr(default_factory=dict)
    _bureaus: dict[str, Bureau] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _invariants(self) -> City:
        problems = _check_city(self)
        if problems:
            raise ValueError("city configuration is invalid:\n  - " + "\n  - ".join(problems))
        self._build_indexes()
        return self

    def _build_indexes(self) -> None:
        by_code = {d.code: d for d in self.districts}
        for former in self.former_codes:
            by_code[former.code] = by_code[former.current_code]
        self._district_by_code = by_code
        self._station_by_id = {s.id: s for s in self.stations}
        grouped: defaultdict[str, list[Station]] = defaultdict(list)
        for station in self.stations:
            grouped[station.bureau].append(station)
        self._stations_by_bureau = {bureau: tuple(stations) for bureau, stations in grouped.items()}
        reviewers: defaultdict[str, list[Reviewer]] = defaultdict(list)
        for reviewer in self.reviewers:
            if reviewer.station is not None:
                reviewers[reviewer.station].append(reviewer)
        self._reviewers_by_station = {sid: tuple(rs) for sid, rs in reviewers.items()}
        bureaus = [Bureau(name=d.bureau, unit_name=d.name, district_code=d.code) for d in self.districts]
        bureaus += [Bureau(name=z.bureau, unit_name=z.name, zone=z.name) for z in self.zones]
        self._bureaus = {b.name: b for b in bureaus}

    @property
    def bureaus(self) -> tuple[Bureau, ...]:
        """Every bureau: the 20 county-level units' first, then the zones'."""
        return tuple(self._bureaus.values())

    def bureau(self, name: str) -> Bureau:
        """The bureau with this full name; KeyError if there is none."""
        try:
            return self._bureaus[name]
        except KeyError:
            raise KeyError(f"no bureau named {name!r}") from None

    def station(self, station_id: str) -> Station:
        """The station with this id; KeyError if there is none."""
        try:
            return self._station_by_id[station_id]
        except KeyError:
            raise KeyError(f"no station with id {station_id!r}") from None

    def stations_of_bureau(self, bureau: str) -> tuple[Station, ...]:
        """The stations of a bureau (full name), in file order; KeyError for an unknown bureau."""
        self.bureau(bureau)
        return self._stations_by_bureau.get(bureau, ())

    def intake_station(self, bureau: str) -> Station:
        """The station that takes the bureau's addresses no jurisdiction matches."""
        return next(s for s in self.stations_of_bureau(bureau) if s.intake)

    def district_by_code(self, code: str) -> District:
        """The current county-level unit for a region code; former codes resolve to their successor."""
        try:
            return self._district_by_code[code]
        except KeyError:
            raise KeyError(f"no Chengdu district with code {code!r}") from None

    def zone(self, name: str) -> Zone:
        """The functional zone with this short name; KeyError if there is none."""
        for zone in self.zones:
            if zone.name == name:
                return zone
        raise KeyError(f"no functional zone named {name!r}")

    def reviewers_of_station(self, station_id: str) -> tuple[Reviewer, ...]:
        """The reviewers rostered at a station (supervisors excluded); KeyError for an unknown station."""
        self.station(station_id)
        return self._reviewers_by_station.get(station_id, ())

    def supervisors_of_bureau(self, bureau: str) -> tuple[Reviewer, ...]:
        """The supervisors of a bureau (full name)."""
        self.bureau(bureau)
        return tuple(r for r in self.reviewers if r.role == "supervisor" and r.bureau == bureau)

    def reviewer(self, reviewer_id: str) -> Reviewer:
        """The reviewer or supervisor with this id; KeyError if there is none."""
        for reviewer in self.reviewers:
            if reviewer.id == reviewer_id:
                return reviewer
        raise KeyError(f"no reviewer with id {reviewer_id!r}")


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, n in Counter(values).items() if n > 1)


def _check_city(city: City) -> list[str]:
    """Every broken invariant, each naming the offending entry; empty when the city is sound."""
    problems: list[str] = []
    codes = {d.code: d for d in city.districts}
    zones = {z.name: z for z in city.zones}
    problems += [
        f"districts: code {c} appears more than once" for c in _duplicates(d.code for d in city.districts)
    ]
    problems += [f"zones: {n} appears more than once" for n in _duplicates(z.name for z in city.zones)]
    unit_bureaus = [d.bureau for d in city.districts] + [z.bureau for z in city.zones]
    problems += [f"bureau {b!r} is given to more than one unit" for b in _duplicates(unit_bureaus)]
    for former in city.former_codes:
        if former.code in codes:
            problems.append(f"former_codes: {former.code} ({former.name}) is also a current code")
        if former.current_code not in codes:
            problems.append(
                f"former_codes: {former.code} ({former.name}) points to unknown code {former.current_code}"
            )
    for zone in city.zones:
        problems += [
            f"zones: {zone.name} lies in unknown district {code}"
            for code in zone.parent_codes
            if code not in codes
        ]

    # Stations: ids unique, bureau matches the unit, one intake per bureau.
    problems += [
        f"stations: id {i!r} appears more than once" for i in _duplicates(s.id for s in city.stations)
    ]
    by_bureau: defaultdict[str, list[Station]] = defaultdict(list)
    for station in city.stations:
        by_bureau[station.bureau].append(station)
        if station.district_code is not None:
            district = codes.get(station.district_code)
            if district is None:
                problems.append(f"stations: {station.id} has unknown district_code {station.district_code}")
                continue
            unit_name, bureau, subdistricts = district.name, district.bureau, district.subdistricts
        else:
            home = zones.get(station.zone or "")
            if home is None:
                problems.append(f"stations: {station.id} has unknown zone {station.zone!r}")
                continue
            unit_name, bureau, subdistricts = home.name, home.bureau, home.subdistricts
        if station.bureau != bureau:
            problems.append(
                f"stations: {station.id} names bureau {station.bureau!r}, but {unit_name}'s is {bureau!r}"
            )
        problems += [
            f"stations: {station.id} covers subdistrict {name!r}, which is not listed for {unit_name}"
            for name in station.jurisdiction.subdistricts
            if name not in subdistricts
        ]
    for bureau in unit_bureaus:
        stations = by_bureau.get(bureau, [])
        intakes = [s.id for s in stations if s.intake]
        if not stations:
            problems.append(f"bureau {bureau!r} has no stations")
        elif len(intakes) != 1:
            found = ", ".join(intakes) or "none"
            problems.append(f"bureau {bureau!r} must have exactly one intake station, found {found}")

    # Routing must be unambiguous: a road belongs to one station in the whole city, a subdistrict to one
    # station of its bureau.
    road_owner: defaultdict[str, list[str]] = defaultdict(list)
    for station in city.stations:
        for road in station.jurisdiction.roads:
            road_owner[road].append(station.id)
    problems += [
        f"stations: road {road!r} belongs to more than one station: {', '.join(owners)}"
        for road, owners in road_owner.items()
        if len(owners) > 1
    ]
    for bureau, stations in by_bureau.items():
        owner: defaultdict[str, list[str]] = defaultdict(list)
        for station in stations:
            for name in station.jurisdiction.subdistricts:
                owner[name].append(station.id)
        problems += [
            f"stations: subdistrict {name!r} of {bureau} belongs to more than one station: {', '.join(ids)}"
            for name, ids in owner.items()
            if len(ids) > 1
        ]

    # Reviewers: ids unique, stations exist, bureau agrees with the station.
    problems += [
        f"reviewers: id {i!r} appears more than once" for i in _duplicates(r.id for r in city.reviewers)
    ]
    stations_by_id = {s.id: s for s in city.stations}
    for reviewer in city.reviewers:
        if reviewer.station is not None:
            post = stations_by_id.get(reviewer.station)
            if post is None:
                problems.append(
                    f"reviewers: {reviewer.id} is rostered at unknown station {reviewer.station!r}"
                )
            elif post.bureau != reviewer.bureau:
                problems.append(
                    f"reviewers: {reviewer.id} names bureau {reviewer.bureau!r}, "
                    f"but station {post.id} belongs to {post.bureau!r}"
                )
        elif reviewer.bureau not in unit_bureaus:
            problems.append(f"reviewers: {reviewer.id} supervises unknown bureau {reviewer.bureau!r}")
    return problems
