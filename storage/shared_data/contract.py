"""The shared-data contract (DESIGN.md §4) as data, and the import report.

Kept free of pandas so the lookup path can import it for nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# Bump when the index layout or the cleaning rules change: every index is then rebuilt once.
SCHEMA_VERSION = 1

# How a column is validated and cleaned (see build.py):
#   id     GB 11643 ID number shape (17 digits + digit/X), NFKC, stripped, upper-case X
#   uscc   GB 32100 credit-code shape (18 chars), NFKC, stripped, upper-case
#   key    a document number (lease registration, certificate, permit): NFKC, stripped, upper-case
#   text   required free text, stripped      otext  optional free text
#   addr   required address, stripped; also stored as a normalised key for address lookups
#   digits required digits (district / city codes)
#   date   required YYYY-MM-DD               odate  optional YYYY-MM-DD (empty = null)
#   month  required YYYY-MM                  bool   true/false, 1/0, 是/否
Kind = Literal["id", "uscc", "key", "text", "otext", "addr", "digits", "date", "odate", "month", "bool"]


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[tuple[str, Kind], ...]
    # Columns that identify one row; a second row with the same key but other values is rejected
    # (the first is kept) because a single-valued lookup could not choose between them.
    unique: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "residence_registrations",
            (
                ("id_number", "id"),
                ("name", "text"),
                ("address", "addr"),
                ("district_code", "digits"),
                ("registered_on", "date"),
                ("deregistered_on", "odate"),
            ),
        ),
        TableSpec(
            "social_insurance",
            (("id_number", "id"), ("employer_uscc", "uscc"), ("month", "month"), ("paid", "bool")),
        ),
        TableSpec(
            "lease_registrations",
            (
                ("registration_no", "key"),
                ("tenant_id_number", "id"),
                ("address", "addr"),
                ("start_on", "date"),
                ("end_on", "date"),
            ),
            unique=("registration_no",),
        ),
        TableSpec(
            "property_records",
            (("certificate_no", "key"), ("owner_id_number", "id"), ("address", "addr")),
            unique=("certificate_no",),
        ),
        TableSpec(
            "business_registry", (("uscc", "uscc"), ("name", "text"), ("status", "text")), unique=("uscc",)
        ),
        TableSpec(
            "school_enrollments",
            (("id_number", "id"), ("school", "text"), ("enrolled_on", "date"), ("status", "text")),
        ),
        TableSpec("hukou", (("id_number", "id"), ("hukou_city_code", "digits")), unique=("id_number",)),
        TableSpec(
            "permits",
            (
                ("permit_no", "key"),
                ("id_number", "id"),
                ("issued_on", "date"),
                ("last_endorsed_on", "odate"),
                ("status", "text"),
            ),
            unique=("permit_no",),
        ),
    )
}


class SnapshotError(ValueError):
    """The snapshot folder does not meet the contract (missing table or column, unreadable file)."""


@dataclass
class TableReport:
    """What the import did with one table. Row numbers are 1-based data rows (CSV: line number - 1)."""

    table: str
    file: str
    rows_read: int = 0
    rows_kept: int = 0
    # reason -> count, and reason -> the first few row numbers (never values: they are personal data)
    rejected: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[int]] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())


@dataclass
class ImportReport:
    """The outcome of importing one snapshot folder into its index."""

    source: str
    index_path: str
    fingerprint: str
    rebuilt: bool
    build_seconds: float
    index_bytes: int
    built_at: str
    tables: dict[str, TableReport] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ImportReport:
        data: dict[str, Any] = json.loads(text)
        tables = {name: TableReport(**t) for name, t in data.pop("tables").items()}
        return cls(**data, tables=tables)
