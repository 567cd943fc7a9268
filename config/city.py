"""The city as data: districts, functional zones, police stations, reviewers, policy and reason texts.

Everything Chengdu-specific lives in the YAML files next to this module (config/city/*.yaml and
config/reasons.yaml); this module reads them into the domain types of models/city.py, models/policy.py
and models/reasons.py, which check the invariants routing and review rely on. Loaders are cached and
read nothing at import time. Every loader takes an optional directory so tests (and a city other than
the packaged one) can load a modified copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from config.yaml_files import read_mapping
from models.city import City, District, FormerCode, Reviewer, Station, Zone
from models.policy import Policy
from models.reasons import ReasonCatalogue, ReasonCode, ReasonText

CONFIG_DIR = Path(__file__).parent
CITY_DIR = CONFIG_DIR / "city"


class CityConfigError(ValueError):
    """The city configuration is broken; the message names the file and the offending entry."""


# --- loaders ------------------------------------------------------------------------------------

_M = TypeVar("_M", bound=BaseModel)


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
    districts = read_mapping(districts_path, CityConfigError)
    stations_path = base / "stations.yaml"
    stations = read_mapping(stations_path, CityConfigError)
    reviewers_path = base / "reviewers.yaml"
    reviewers = read_mapping(reviewers_path, CityConfigError)
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
    data = read_mapping(path, CityConfigError)
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
def load_reason_catalogue(directory: Path | None = None) -> ReasonCatalogue:
    """Chinese and English text for every reason code: reasons.yaml from directory (default config/)."""
    path = (Path(directory) if directory is not None else CONFIG_DIR) / "reasons.yaml"
    data = read_mapping(path, CityConfigError)
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
