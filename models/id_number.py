"""What a citizen ID number (GB 11643-1999) says about its holder: birth date and sex.

One place for both, on python-stdnum's reading of the number; validity itself is
models.checks.identity.id_number_problem.
"""

from __future__ import annotations

from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError


def birth_date_of(id_number: str) -> date | None:
    """The birth date in characters 7–14, or None when they are not a real date."""
    try:
        return ric.get_birth_date(ric.compact(id_number))
    except (ValidationError, ValueError):
        return None


def sex_of(id_number: str) -> str:
    """男 or 女 from the sequence code (character 17: odd = male)."""
    return "男" if int(ric.compact(id_number)[16]) % 2 else "女"
