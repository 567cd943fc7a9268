"""The shared-data feeds' vocabulary: config/shared_data.yaml read into models/feed_vocabulary.py's
FeedVocabulary, with the city's division codes. Cached; nothing is read at import time."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import ValidationError

from config.city import load_city
from config.yaml_files import read_mapping
from models.feed_vocabulary import FeedVocabulary, vocabulary_from_mapping

SHARED_DATA_YAML = Path(__file__).parent / "shared_data.yaml"


class FeedVocabularyError(ValueError):
    """config/shared_data.yaml is broken; the message names the file and the problem."""


@cache
def load_feed_vocabulary(path: Path | None = None) -> FeedVocabulary:
    """config/shared_data.yaml (or `path`), validated, with the city's division codes; cached."""
    source = Path(path) if path is not None else SHARED_DATA_YAML
    data = dict(read_mapping(source, FeedVocabularyError))
    city = load_city()
    local = frozenset(d.code for d in city.districts) | frozenset(f.code for f in city.former_codes)
    try:
        return vocabulary_from_mapping(data, local)
    except (KeyError, ValueError, ValidationError) as exc:
        raise FeedVocabularyError(f"{source}: {exc}") from None
