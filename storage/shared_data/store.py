"""Read side of the shared-data store: the `SharedData` interface, its SQLite implementation, and
finding (or building) the index for a snapshot folder.

Nothing here imports pandas or pyarrow: a Prefect process worker starts a fresh interpreter per
flow run, so this module is on every case's critical path and must cost milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from models.checks.data import SharedDataLookups
from models.records import (
    BusinessRecord,
    HukouRecord,
    InsuranceMonth,
    LeaseRegistration,
    PermitRecord,
    PropertyRecord,
    ResidenceRegistration,
    SchoolEnrollment,
)
from storage.permissions import private_umask, require_private
from storage.shared_data.contract import SCHEMA_VERSION, TABLES, ImportReport, SnapshotError

INDEX_SUFFIX = ".sqlite"
_ADDRESS_MODULE = Path(__file__).resolve().parents[2] / "models" / "address.py"


# The interface the checks consume is defined beside them (models/checks/data.py: ID numbers and
# credit codes matched after stripping and upper-casing, addresses after `normalise_address`); this
# store is its one real implementation.
SharedData = SharedDataLookups


# --- index layout (written by build.py, read here) -------------------------------------------------

# Stored column order per table; `address_key` is the normalised address the *_at lookups use.
STORED_COLUMNS: dict[str, tuple[str, ...]] = {
    "residence_registrations": (
        "id_number", "name", "address", "address_key", "district_code", "registered_on", "deregistered_on",
    ),
    "social_insurance": ("id_number", "month", "employer_uscc", "paid"),
    "lease_registrations": (
        "registration_no", "tenant_id_number", "address", "address_key", "start_on", "end_on",
    ),
    "property_records": ("certificate_no", "owner_id_number", "address", "address_key"),
    "business_registry": ("uscc", "name", "status"),
    "school_enrollments": ("id_number", "school", "enrolled_on", "status"),
    "hukou": ("id_number", "hukou_city_code"),
    "permits": ("permit_no", "id_number", "issued_on", "last_endorsed_on", "status"),
}  # fmt: skip

# The big table is clustered on its lookup key (WITHOUT ROWID): one B-tree range scan per person and
# no separate index, which halves its size. The others are small enough for rowid tables + indexes.
# A yes/no cell the vocabulary does not know (accepted with --accept-unknown): neither paid nor unpaid.
UNKNOWN_BOOL = -1

SCHEMA_SQL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE residence_registrations (id_number TEXT NOT NULL, name TEXT NOT NULL, address TEXT NOT NULL,
    address_key TEXT NOT NULL, district_code TEXT NOT NULL, registered_on TEXT NOT NULL,
    deregistered_on TEXT);
CREATE TABLE social_insurance (id_number TEXT NOT NULL, month TEXT NOT NULL, employer_uscc TEXT NOT NULL,
    paid INTEGER NOT NULL, PRIMARY KEY (id_number, month, employer_uscc, paid)) WITHOUT ROWID;
CREATE TABLE lease_registrations (registration_no TEXT NOT NULL, tenant_id_number TEXT NOT NULL,
    address TEXT NOT NULL, address_key TEXT NOT NULL, start_on TEXT NOT NULL, end_on TEXT NOT NULL);
CREATE TABLE property_records (certificate_no TEXT NOT NULL, owner_id_number TEXT NOT NULL,
    address TEXT NOT NULL, address_key TEXT NOT NULL);
CREATE TABLE business_registry (uscc TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL)
    WITHOUT ROWID;
CREATE TABLE school_enrollments (id_number TEXT NOT NULL, school TEXT NOT NULL, enrolled_on TEXT NOT NULL,
    status TEXT NOT NULL);
CREATE TABLE hukou (id_number TEXT NOT NULL, hukou_city_code TEXT NOT NULL,
    PRIMARY KEY (id_number, hukou_city_code)) WITHOUT ROWID;
CREATE TABLE permits (permit_no TEXT NOT NULL, id_number TEXT NOT NULL, issued_on TEXT NOT NULL,
    last_endorsed_on TEXT, status TEXT NOT NULL);
"""

# Created after the bulk insert (cheaper than maintaining them row by row).
INDEX_SQL = """
CREATE INDEX rr_id ON residence_registrations (id_number);
CREATE INDEX rr_addr ON residence_registrations (address_key);
CREATE UNIQUE INDEX lr_no ON lease_registrations (registration_no);
CREATE INDEX lr_tenant ON lease_registrations (tenant_id_number);
CREATE INDEX lr_addr ON lease_registrations (address_key);
CREATE UNIQUE INDEX pr_no ON property_records (certificate_no);
CREATE INDEX pr_owner ON property_records (owner_id_number);
CREATE INDEX pr_addr ON property_records (address_key);
CREATE INDEX se_id ON school_enrollments (id_number);
CREATE INDEX pm_id ON permits (id_number);
"""


# --- address keys -----------------------------------------------------------------------------------


def _fallback_normalise(text: str) -> str:
    """Used only until models/address.py exists: widths unified, whitespace dropped."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@cache
def address_normaliser() -> Callable[[str], str]:
    """The one address normaliser; the index key records which one built it (normaliser_signature)."""
    try:
        from models.address import normalise_address
    except ImportError:
        return _fallback_normalise
    return normalise_address


def normaliser_signature() -> str:
    """Changes whenever models/address.py does, so address keys are rebuilt with the new rules."""
    try:
        return hashlib.sha256(_ADDRESS_MODULE.read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        return "fallback-1"


def clean_code(value: str) -> str:
    """Lookup keys are cleaned exactly as the importer cleans the stored column (NFKC, strip, upper)."""
    return unicodedata.normalize("NFKC", value).strip().upper()


# --- locating a snapshot and its index ------------------------------------------------------------


def locate_tables(src: Path) -> dict[str, Path]:
    """`<table>.parquet` or `<table>.csv` for each contract table; a clear error naming what is missing."""
    if not src.is_dir():
        raise SnapshotError(f"shared-data folder {src} does not exist")
    found: dict[str, Path] = {}
    missing: list[str] = []
    for table in TABLES:
        candidates = [p for p in (src / f"{table}.parquet", src / f"{table}.csv") if p.is_file()]
        if len(candidates) > 1:
            raise SnapshotError(f"snapshot {src} holds both {table}.parquet and {table}.csv; keep one")
        if not candidates:
            missing.append(table)
        else:
            found[table] = candidates[0]
    if missing:
        raise SnapshotError(
            f"snapshot {src} lacks table(s) {', '.join(missing)} (expected <table>.csv or <table>.parquet)"
        )
    return found


def stat_fingerprint(src: Path, files: dict[str, Path]) -> str:
    """Cheap identity of a snapshot: file names, sizes and mtimes (stat only), the schema version and
    the address normaliser. Decides which index file belongs to the snapshot."""
    parts: list[object] = [SCHEMA_VERSION, normaliser_signature(), str(src.resolve())]
    for table, path in sorted(files.items()):
        st = path.stat()
        parts.append([table, path.name, st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:24]


def content_fingerprint(files: dict[str, Path]) -> str:
    """Sizes plus a hash of the first and last MiB of every file: catches a file replaced in place with
    the same size and mtime (checked by `import_snapshot`, which is allowed to read)."""
    digest = hashlib.sha256()
    for table, path in sorted(files.items()):
        size = path.stat().st_size
        digest.update(f"{table}:{path.name}:{size}".encode())
        with path.open("rb") as fh:
            digest.update(fh.read(1 << 20))
            if size > 2 << 20:
                fh.seek(size - (1 << 20))
                digest.update(fh.read())
            elif size > 1 << 20:
                digest.update(fh.read())
    return digest.hexdigest()[:24]


def source_tag(src: Path) -> str:
    """Index files of one snapshot folder share this prefix (so old ones can be cleaned up)."""
    return hashlib.sha256(str(src.resolve()).encode()).hexdigest()[:8]


def index_path_for(src: Path, files: dict[str, Path], index_dir: Path) -> Path:
    return index_dir / f"{source_tag(src)}-{stat_fingerprint(src, files)}{INDEX_SUFFIX}"


# --- the SQLite store ------------------------------------------------------------------------------


def _d(value: str) -> date:
    return date.fromisoformat(value)


def _od(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


class SQLiteSharedData:
    """The shared data of one snapshot, read from its immutable SQLite index (opened read-only).

    Index files are never modified after the rename that publishes them, so `immutable=1` is true
    and lets SQLite skip all locking; a rebuild publishes a new file and readers keep the old inode.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> SQLiteSharedData:
        path = Path(path).resolve()
        if not path.is_file():
            raise SnapshotError(f"no shared-data index at {path}")
        require_private_index(path)
        uri = path.as_uri() + "?mode=ro&immutable=1"
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        return cls(connection, path)

    def close(self) -> None:
        self._db.close()

    def report(self) -> ImportReport:
        """The import report stored in the index when it was built."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'report'").fetchone()
        return ImportReport.from_json(row[0])

    def _rows(self, sql: str, key: str) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, (key,)).fetchall()

    # -- by ID number
    def registrations(self, id_number: str) -> list[ResidenceRegistration]:
        rows = self._rows(
            "SELECT id_number, name, address, district_code, registered_on, deregistered_on"
            " FROM residence_registrations WHERE id_number = ? ORDER BY registered_on",
            clean_code(id_number),
        )
        return [ResidenceRegistration(r[0], r[1], r[2], r[3], _d(r[4]), _od(r[5])) for r in rows]

    def insurance_months(self, id_number: str) -> list[InsuranceMonth]:
        rows = self._rows(
            "SELECT id_number, employer_uscc, month, paid FROM social_insurance WHERE id_number = ?"
            " ORDER BY month, employer_uscc",
            clean_code(id_number),
        )
        return [InsuranceMonth(r[0], r[1], r[2], None if r[3] == UNKNOWN_BOOL else bool(r[3])) for r in rows]

    def leases_of_tenant(self, id_number: str) -> list[LeaseRegistration]:
        return self._leases("tenant_id_number", clean_code(id_number))

    def properties_of_owner(self, id_number: str) -> list[PropertyRecord]:
        return self._properties("owner_id_number", clean_code(id_number))

    def enrollments(self, id_number: str) -> list[SchoolEnrollment]:
        rows = self._rows(
            "SELECT id_number, school, enrolled_on, status FROM school_enrollments WHERE id_number = ?"
            " ORDER BY enrolled_on",
            clean_code(id_number),
        )
        return [SchoolEnrollment(r[0], r[1], _d(r[2]), r[3]) for r in rows]

    def hukou(self, id_number: str) -> list[HukouRecord]:
        """Every hukou row of the person: two rows that disagree are both kept, so the check sees the
        contradiction instead of the importer choosing one."""
        rows = self._rows(
            "SELECT id_number, hukou_city_code FROM hukou WHERE id_number = ?", clean_code(id_number)
        )
        return [HukouRecord(r[0], r[1]) for r in rows]

    def permits(self, id_number: str) -> list[PermitRecord]:
        rows = self._rows(
            "SELECT permit_no, id_number, issued_on, last_endorsed_on, status FROM permits"
            " WHERE id_number = ? ORDER BY issued_on",
            clean_code(id_number),
        )
        return [PermitRecord(r[0], r[1], _d(r[2]), _od(r[3]), r[4]) for r in rows]

    # -- by document number
    def lease(self, registration_no: str) -> LeaseRegistration | None:
        rows = self._leases("registration_no", clean_code(registration_no))
        return rows[0] if rows else None

    def property(self, certificate_no: str) -> PropertyRecord | None:
        rows = self._properties("certificate_no", clean_code(certificate_no))
        return rows[0] if rows else None

    def business(self, uscc: str) -> BusinessRecord | None:
        rows = self._rows("SELECT uscc, name, status FROM business_registry WHERE uscc = ?", clean_code(uscc))
        return BusinessRecord(rows[0][0], rows[0][1], rows[0][2]) if rows else None

    # -- by address
    def registrations_at(self, address: str) -> list[ResidenceRegistration]:
        rows = self._rows(
            "SELECT id_number, name, address, district_code, registered_on, deregistered_on"
            " FROM residence_registrations WHERE address_key = ? ORDER BY registered_on, id_number",
            address_normaliser()(address),
        )
        return [ResidenceRegistration(r[0], r[1], r[2], r[3], _d(r[4]), _od(r[5])) for r in rows]

    def leases_at(self, address: str) -> list[LeaseRegistration]:
        return self._leases("address_key", address_normaliser()(address))

    def properties_at(self, address: str) -> list[PropertyRecord]:
        return self._properties("address_key", address_normaliser()(address))

    def _leases(self, column: str, key: str) -> list[LeaseRegistration]:
        rows = self._rows(
            "SELECT registration_no, tenant_id_number, address, start_on, end_on FROM lease_registrations"
            f" WHERE {column} = ? ORDER BY start_on, registration_no",
            key,
        )
        return [LeaseRegistration(r[0], r[1], r[2], _d(r[3]), _d(r[4])) for r in rows]

    def _properties(self, column: str, key: str) -> list[PropertyRecord]:
        rows = self._rows(
            "SELECT certificate_no, owner_id_number, address FROM property_records"
            f" WHERE {column} = ? ORDER BY certificate_no",
            key,
        )
        return [PropertyRecord(r[0], r[1], r[2]) for r in rows]


# --- opening the current snapshot -----------------------------------------------------------------

log = logging.getLogger(__name__)

_open_stores: dict[Path, SQLiteSharedData] = {}
_open_lock = threading.Lock()


def open_snapshot(src: Path, *, index_dir: Path) -> SQLiteSharedData:
    """The store for snapshot folder `src`, building its index under `index_dir` first if it is missing
    or stale. The freshness check is a handful of stat calls; the build happens once per snapshot."""
    src = Path(src)
    path = index_path_for(src, locate_tables(src), index_dir)
    with _open_lock:
        store = _open_stores.get(src)
        if store is not None and store.path == path.resolve():
            return store
        if not path.is_file():
            path = _build_or_previous(src, index_dir)
        try:
            store = SQLiteSharedData.open(path)
        except (sqlite3.OperationalError, SnapshotError):
            # Another process replaced the snapshot and cleaned up between our stat and our open.
            from storage.shared_data.build import import_snapshot

            store = SQLiteSharedData.open(Path(import_snapshot(src, index_dir=index_dir).index_path))
        _open_stores[src] = store
        return store


def _build_or_previous(src: Path, index_dir: Path) -> Path:
    """Build the index of a new snapshot; when the snapshot is refused for values the vocabulary does not
    know (an admin has to look: `rongju shared-data import`), keep serving the last accepted index of
    this folder, loudly, rather than stopping every case. With no earlier index the refusal stands."""
    from storage.shared_data.build import import_snapshot
    from storage.shared_data.contract import UnknownValuesError

    try:
        return Path(import_snapshot(src, index_dir=index_dir).index_path)
    except UnknownValuesError as exc:
        previous = index_files(index_dir, src)
        if not previous:
            raise
        log.error(
            "shared-data snapshot %s refused (%d unknown values: run `rongju shared-data import`); "
            "serving the previous index %s",
            src,
            len(exc.report.unknown),
            previous[0].name,
        )
        return previous[0]


def require_private_index(path: Path) -> None:
    """Refuse an index file others can read (it holds the city's personal data); the fix is a chmod or
    a rebuild, which writes the new file 0600."""
    require_private(
        path,
        what_zh="共享数据索引",
        what_en="shared-data index",
        fix=f"chmod 600 {path}  (或重建 or rebuild: rongju shared-data import --force)",
    )


def default_index_dir() -> Path:
    from config.settings import get_settings

    return get_settings().data_dir / "shared-index"


def get_shared_data() -> SharedData:
    """The shared data of the configured snapshot (settings.shared_data_dir), built if missing or stale."""
    from config.settings import get_settings

    # Reached by every flow run before its checks, like get_engine(): an index it builds is private.
    private_umask()
    settings = get_settings()
    assert settings.shared_data_dir is not None  # derived from data_dir by Settings
    return open_snapshot(settings.shared_data_dir, index_dir=settings.data_dir / "shared-index")


def index_files(index_dir: Path, src: Path) -> list[Path]:
    """The published index files of snapshot folder `src`, newest first."""
    if not index_dir.is_dir():
        return []
    files = [p for p in index_dir.glob(f"{source_tag(src)}-*{INDEX_SUFFIX}") if p.is_file()]
    return sorted(files, key=lambda p: p.stat().st_mtime_ns, reverse=True)
