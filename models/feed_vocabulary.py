"""What the shared-data feeds may say in their coded columns, and what it means (config/shared_data.yaml,
loaded by config/shared_data.py).

One place for each fact about the feeds' words and codes: the importer normalises with these
functions, and the checks read meanings through them, so a word the import accepted as unknown is
still unknown to every check (which then leaves the case to a person, never decides it).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

# Columns whose values the importer normalises and counts when unknown.
STATUS_COLUMNS = ("business_registry.status", "permits.status", "school_enrollments.status")
CODE_COLUMNS = ("hukou.hukou_city_code", "residence_registrations.district_code")


def squash(word: str) -> str:
    """The form words are compared in: NFKC (全角 → 半角), every whitespace character removed."""
    return "".join(unicodedata.normalize("NFKC", word).split())


class Term(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    means: str
    also: tuple[str, ...] = ()


class ColumnVocabulary(BaseModel):
    """The words of one status column: canonical terms, their synonyms, and what each term means."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    meanings: dict[str, str] = Field(min_length=1)  # meaning -> "中文 / English" explanation
    terms: dict[str, Term] = Field(min_length=1)  # canonical term -> meaning and synonyms
    _canonical_by_word: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ColumnVocabulary:
        seen: dict[str, str] = {}
        for term, spec in self.terms.items():
            if spec.means not in self.meanings:
                raise ValueError(
                    f"term {term!r} means {spec.means!r}, which is not one of {sorted(self.meanings)}"
                )
            for word in (term, *spec.also):
                key = squash(word)
                if key in seen and seen[key] != term:
                    raise ValueError(f"word {word!r} is listed under both {seen[key]!r} and {term!r}")
                seen[key] = term
        self._canonical_by_word = seen
        return self

    def canonical(self, raw: str | None) -> str | None:
        """The canonical term for a word of the feed, or None when the vocabulary does not know it."""
        if raw is None:
            return None
        return self._canonical_by_word.get(squash(raw))

    def meaning(self, raw: str | None) -> str | None:
        """What a feed word means (active, valid, enrolled, …), or None when it is unknown."""
        term = self.canonical(raw)
        return None if term is None else self.terms[term].means


class CheckMeanings(BaseModel):
    """Which meanings the checks act on (config/shared_data.yaml `checks`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    business_active: frozenset[str]
    business_inactive: frozenset[str]
    permit_blocks_application: frozenset[str]
    permit_held: dict[str, frozenset[str]]
    school_enrolled: frozenset[str]
    school_not_enrolled: frozenset[str]


class FeedVocabulary(BaseModel):
    """config/shared_data.yaml, typed, with the city's own division codes (current and former)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    statuses: dict[str, ColumnVocabulary]
    booleans: dict[bool, frozenset[str]]
    checks: CheckMeanings
    local_hukou_city_codes: frozenset[str]
    # The city's county-level codes, current and superseded (config/city/districts.yaml): a hukou
    # record still carrying 512081 (简阳市 before 2016) is a Chengdu hukou although its prefix is not.
    local_division_codes: frozenset[str] = frozenset()

    @model_validator(mode="after")
    def _complete(self) -> FeedVocabulary:
        if set(self.booleans) != {True, False} or self.booleans[True] & self.booleans[False]:
            raise ValueError("booleans: two disjoint word lists, true and false")
        missing = [c for c in STATUS_COLUMNS if c not in self.statuses]
        if missing:
            raise ValueError(f"statuses: no vocabulary for {', '.join(missing)}")
        meanings = {
            "business_registry.status": self.checks.business_active | self.checks.business_inactive,
            "permits.status": self.checks.permit_blocks_application.union(*self.checks.permit_held.values()),
            "school_enrollments.status": self.checks.school_enrolled | self.checks.school_not_enrolled,
        }
        for column, used in meanings.items():
            unknown = used - set(self.statuses[column].meanings)
            if unknown:
                raise ValueError(f"checks use meaning(s) {sorted(unknown)} that {column} does not define")
        return self

    def boolean(self, raw: str | None) -> bool | None:
        """True / False for a yes/no word of the feed (true, 1, 是, 已缴 …), None when it is unknown."""
        if raw is None:
            return None
        word = squash(raw).lower()
        for value, words in self.booleans.items():
            if word in words:
                return value
        return None

    def column(self, column: str) -> ColumnVocabulary:
        return self.statuses[column]

    def is_local_hukou(self, city_code: str) -> bool:
        """A canonical hukou_city_code (see hukou_city) that is this city's."""
        return city_code in self.local_hukou_city_codes

    def hukou_city(self, raw: str | None) -> str | None:
        """The 4-digit city (prefecture) code of a hukou_city_code in any accepted form, or None when it
        is not a known GB/T 2260 code. The city's own former county codes map to the city."""
        code = division_code(raw)
        if code is None:
            return None
        if code in self.local_division_codes:
            return sorted(self.local_hukou_city_codes)[0]
        return code[:4]


_DIGITS = re.compile(r"\d+")


def division_code(raw: str | None) -> str | None:
    """A GB/T 2260 code in the 6-digit form, from 4 (prefecture prefix), 6, 9 or 12 digits (the
    statistical 区划代码 pads with zeros); None when the shape is wrong or the code is not a known
    division (python-stdnum's table of current and retired codes)."""
    if raw is None:
        return None
    text = squash(raw)
    if not _DIGITS.fullmatch(text):
        return None
    if len(text) in (9, 12):
        if set(text[6:]) != {"0"}:
            return None  # a township or village code names no more than its county: not expected here
        text = text[:6]
    elif len(text) == 4:
        text += "00"
    elif len(text) != 6:
        return None
    return text if _known_division(text) else None


@cache
def _known_division(code: str) -> bool:
    from stdnum import numdb

    parts = numdb.get("cn/loc").info(code)
    return len(parts) == 2 and bool(parts[-1][1].get("county"))


def vocabulary_from_mapping(
    data: dict[str, Any], local_division_codes: frozenset[str] = frozenset()
) -> FeedVocabulary:
    return FeedVocabulary(
        statuses=data["statuses"],
        booleans={bool(k): frozenset(squash(str(w)).lower() for w in v) for k, v in data["booleans"].items()},
        checks=data["checks"],
        local_hukou_city_codes=frozenset(str(c) for c in data["local_hukou_city_codes"]),
        local_division_codes=local_division_codes,
    )
