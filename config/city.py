"""The city as data: districts, functional zones, police stations, reviewers, policy and reason texts.

Everything Chengdu-specific lives in the YAML files next to this module (config/city/*.yaml and
config/reasons.yaml); this module only types them, checks the invariants routing and review rely on,
and indexes them. Loaders are cached and read nothing at import time. Every loader takes an optional
directory so tests (and a city other than the packaged one) can load a modified copy.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from models.reasons import ReasonCode

CONFIG_DIR = Path(__file__).parent
CITY_DIR = CONFIG_DIR / "city"

Outcome = Literal["auto_approved", "needs_review", "needs_correction", "rejected"]
ReasonOutcome = Literal["needs_review", "needs_correction", "rejected"]
OUTCOMES: frozenset[str] = frozenset({"auto_approved", "needs_review", "needs_correction", "rejected"})

_SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_MIN_ROADS_PER_STATION = 4
# A TOTP secret of 160 bits (RFC 4226's recommended length) is exactly 32 base32 characters.
_TOTP_SECRET_CHARS = 32


class CityConfigError(ValueError):
    """The city configuration is broken; the message names the file and the offending entry."""


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


# --- policy and reason texts --------------------------------------------------------------------


class Policy(_Frozen):
    """Which automated outcome each reason code leads to, and the statutory numbers rules use."""

    outcomes: dict[ReasonCode, ReasonOutcome]
    auto_approve_clean_cases: bool
    precedence: tuple[Outcome, ...]
    issue_within_days: int = Field(gt=0)
    change_report_within_days: int = Field(gt=0)
    endorsement_window_days: int = Field(gt=0)
    min_residence_months: int = Field(gt=0)
    min_social_insurance_months: int = Field(gt=0)
    guardian_applies_under_age: int = Field(gt=0)
    reissue_fee_yuan: int = Field(ge=0)
    replace_fee_yuan: int = Field(ge=0)

    @field_validator("outcomes")
    @classmethod
    def _every_code(cls, value: dict[ReasonCode, ReasonOutcome]) -> dict[ReasonCode, ReasonOutcome]:
        missing = [code.value for code in ReasonCode if code not in value]
        if missing:
            raise ValueError(f"no outcome for reason code(s): {', '.join(missing)}")
        return value

    @field_validator("precedence")
    @classmethod
    def _every_outcome_once(cls, value: tuple[Outcome, ...]) -> tuple[Outcome, ...]:
        if len(value) != len(OUTCOMES) or set(value) != OUTCOMES:
            raise ValueError(f"precedence must list each of {sorted(OUTCOMES)} exactly once")
        return value

    def outcome_of(self, code: ReasonCode | str) -> ReasonOutcome:
        """The outcome one reason code leads to on its own."""
        return self.outcomes[ReasonCode(code)]

    def outcome_for(self, codes: Iterable[ReasonCode | str]) -> Outcome:
        """The case's automated outcome: the strongest of its reasons' outcomes by precedence.

        No reasons at all means a clean case: auto_approved when the policy allows it, else needs_review.
        """
        found = {self.outcome_of(code) for code in codes}
        if not found:
            return "auto_approved" if self.auto_approve_clean_cases else "needs_review"
        return next(outcome for outcome in self.precedence if outcome in found)


class ReasonText(_Frozen):
    """What a reason code says: Chinese for the applicant, English for logs and staff."""

    zh: str = Field(min_length=4)
    en: str = Field(min_length=4)


# --- loaders ------------------------------------------------------------------------------------

_M = TypeVar("_M", bound=BaseModel)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise CityConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise CityConfigError(f"{path}: not valid YAML: {exc}") from None


def _mapping(path: Path, data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise CityConfigError(f"{path}: expected a mapping at the top level")
    return data


def _errors(exc: ValidationError) -> str:
    """The validation errors as one line per error, without pydantic's "Value error, " noise."""
    lines = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(part) for part in err["loc"])
        cause = err.get("ctx", {}).get("error")
        message = str(cause) if isinstance(cause, ValueError) else err["msg"]
        lines.append(f"{where}: {message}" if where else message)
    return "; ".join(lines)


def _parse_entries(model: type[_M], path: Path, key: str, data: Mapping[str, Any]) -> tuple[_M, ...]:
    """Validate each entry of a top-level list, naming the entry (by id or name) when one is wrong."""
    items = data.get(key, [])
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise CityConfigError(f"{path}: {key!r} must be a list")
    parsed: list[_M] = []
    for index, item in enumerate(items):
        label = item.get("id") or item.get("code") or item.get("name") if isinstance(item, Mapping) else None
        where = f"{key}[{index}]" + (f" ({label})" if label else "")
        try:
            parsed.append(model.model_validate(item))
        except ValidationError as exc:
            raise CityConfigError(f"{path}: {where}: {_errors(exc)}") from None
    return tuple(parsed)


@cache
def load_city(directory: Path | None = None) -> City:
    """The city: districts.yaml, stations.yaml and reviewers.yaml from directory (default config/city)."""
    base = Path(directory) if directory is not None else CITY_DIR
    districts_path = base / "districts.yaml"
    districts = _mapping(districts_path, _read_yaml(districts_path))
    stations_path = base / "stations.yaml"
    stations = _mapping(stations_path, _read_yaml(stations_path))
    reviewers_path = base / "reviewers.yaml"
    reviewers = _mapping(reviewers_path, _read_yaml(reviewers_path))
    parts = {
        "districts": _parse_entries(District, districts_path, "districts", districts),
        "former_codes": _parse_entries(FormerCode, districts_path, "former_codes", districts),
        "zones": _parse_entries(Zone, districts_path, "zones", districts),
        "stations": _parse_entries(Station, stations_path, "stations", stations),
        "reviewers": _parse_entries(Reviewer, reviewers_path, "reviewers", reviewers),
    }
    try:
        return City.model_validate(parts)
    except ValidationError as exc:
        raise CityConfigError(f"{base}: {_errors(exc)}") from None


@cache
def load_policy(directory: Path | None = None) -> Policy:
    """The decision policy: policy.yaml from directory (default config/city)."""
    path = (Path(directory) if directory is not None else CITY_DIR) / "policy.yaml"
    data = _mapping(path, _read_yaml(path))
    outcomes = data.get("outcomes")
    if isinstance(outcomes, Mapping):
        unknown = sorted(str(code) for code in outcomes if code not in ReasonCode.__members__)
        if unknown:
            raise CityConfigError(f"{path}: outcomes: unknown reason code(s): {', '.join(unknown)}")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise CityConfigError(f"{path}: {_errors(exc)}") from None


@cache
def load_reason_catalogue(directory: Path | None = None) -> dict[ReasonCode, ReasonText]:
    """Chinese and English text for every reason code: reasons.yaml from directory (default config/)."""
    path = (Path(directory) if directory is not None else CONFIG_DIR) / "reasons.yaml"
    data = _mapping(path, _read_yaml(path))
    unknown = sorted(str(code) for code in data if code not in ReasonCode.__members__)
    if unknown:
        raise CityConfigError(f"{path}: unknown reason code(s): {', '.join(unknown)}")
    missing = [code.value for code in ReasonCode if code.value not in data]
    if missing:
        raise CityConfigError(f"{path}: no text for reason code(s): {', '.join(missing)}")
    catalogue: dict[ReasonCode, ReasonText] = {}
    for code in ReasonCode:
        try:
            catalogue[code] = ReasonText.model_validate(data[code.value])
        except ValidationError as exc:
            raise CityConfigError(f"{path}: {code.value}: {_errors(exc)}") from None
    return catalogue
