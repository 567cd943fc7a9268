"""Reading a configuration file: the one place a YAML file becomes a top-level mapping or an error
that names the file and what is wrong with it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


def read_mapping(path: Path, error: type[Exception]) -> Mapping[str, Any]:
    """The top-level mapping of the YAML file at `path`; `error(message)` when the file is missing,
    unreadable, not YAML or not a mapping."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, Mapping):
        raise error(f"{path}: expected a mapping at the top level")
    return data
