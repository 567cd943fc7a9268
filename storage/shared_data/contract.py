"""The shared-data contract (DESIGN.md §4) as data, and the import report.

Kept free of pandas so the lookup path can import it for nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# Bump when the index layout or the cleaning rules change: every index is then rebuilt once.
SCHEMA_VERSION = 2

# How a column is validated and cleaned (see build.py):
#   id     GB 11643 ID number shape (17 digits + digit/X), NFKC, stripped, upper-case X
#   uscc   GB 32100 credit-code shape (18 chars), NFKC, stripped, upper-case
#   key    a document number (lease registration, certificate, permit): NFKC, stripped, upper-case
#   text   required free text, stripped      otext  optional free text
#   addr   required address, stripped; also stored as a normalised key for address lookups
#   date   required YYYY-MM-DD               odate  optional YYYY-MM-DD (empty = null)
#   month  required YYYY-MM                  bool   a yes/no word of config/shared_data.yaml
#   date, odate and month also take the other forms feeds use (2024/3/1, 20240301, 2024年3月1日, a
#   timestamp) and are stored as YYYY-MM-DD / YYYY-MM.
# Coded columns, normalised through models/feed_vocabulary.py (config/shared_data.yaml); a value the
# vocabulary does not know is kept as it came and counted in the report as unknown, never rejected —
# rejecting a hukou or permit row would let the missing row decide the case:
#   status    a registry's status word, stored as its canonical term
#   city      a hukou city code (4, 6 or 12 digits), stored as the 4-digit prefecture code
#   division  a county-level GB/T 2260 code (current or retired), stored as 6 digits
Kind = Literal[
    "id",
    "uscc",
    "key",
    "text",
    "otext",
    "addr",
    "date",
    "odate",
    "month",
    "bool",
    "status",
    "city",
    "division",
]


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
                ("district_code", "division"),
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
            "business_registry", (("uscc", "uscc"), ("name", "text"), ("status", "status")), unique=("uscc",)
        ),
        TableSpec(
            "school_enrollments",
            (("id_number", "id"), ("school", "text"), ("enrolled_on", "date"), ("status", "status")),
        ),
        # No unique key: a person with two hukou rows that disagree keeps both, and the check sends the
        # case to a person (choosing the first row could hide a Chengdu hukou).
        TableSpec("hukou", (("id_number", "id"), ("hukou_city_code", "city"))),
        TableSpec(
            "permits",
            (
                ("permit_no", "key"),
                ("id_number", "id"),
                ("issued_on", "date"),
                ("last_endorsed_on", "odate"),
                ("status", "status"),
            ),
            unique=("permit_no",),
        ),
    )
}


class SnapshotError(ValueError):
    """The snapshot folder does not meet the contract (missing table or column, unreadable file)."""


class UnknownValuesError(SnapshotError):
    """The snapshot uses codes or words the vocabulary does not know, and they were not accepted.
    Nothing was published; `report` says which values, in which column, on how many rows."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        n = len(report.unknown)
        super().__init__(
            f"{n} unknown value(s) in coded columns; add them to config/shared_data.yaml or import with "
            "--accept-unknown (cases that meet them go to a reviewer) / "
            "快照含未知取值，请补充词表或确认后导入"
        )


@dataclass
class UnknownValue:
    """A value of a coded column that config/shared_data.yaml does not know. Codes and status words are
    the registries' vocabulary, not personal data, so the value itself is shown."""

    column: str
    value: str
    rows: int
    examples: list[int] = field(default_factory=list)


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
    # Values of coded columns the vocabulary does not know (kept, never decided on by a check).
    unknown: list[UnknownValue] = field(default_factory=list)
    # Known synonyms rewritten to their canonical form: "column: word → term" -> rows.
    normalised: dict[str, int] = field(default_factory=dict)

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
    # True when the snapshot held unknown values and the admin accepted them (--accept-unknown).
    accepted_unknown: bool = False

    @property
    def unknown(self) -> list[tuple[str, UnknownValue]]:
        """Every unknown value with its table."""
        return [(t.table, u) for t in self.tables.values() for u in t.unknown]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ImportReport:
        data: dict[str, Any] = json.loads(text)
        tables = {}
        for name, t in data.pop("tables").items():
            unknown = [UnknownValue(**u) for u in t.pop("unknown", [])]
            tables[name] = TableReport(**t, unknown=unknown)
        return cls(**data, tables=tables)
