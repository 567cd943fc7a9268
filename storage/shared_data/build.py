"""Write side of the shared-data store: read a snapshot folder with pandas/pyarrow, validate, clean and
de-duplicate every table, and publish an indexed SQLite file for it (once per snapshot).

Imported only when an index has to be built: pandas alone costs ~0.4 s to import, which a per-case
process must never pay.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.permissions import create_private_file, ensure_private_dir
from storage.shared_data.contract import (
    TABLES,
    ImportReport,
    SnapshotError,
    TableReport,
    TableSpec,
    UnknownValue,
    UnknownValuesError,
)
from storage.shared_data.store import (
    INDEX_SQL,
    SCHEMA_SQL,
    STORED_COLUMNS,
    UNKNOWN_BOOL,
    address_normaliser,
    content_fingerprint,
    index_files,
    index_path_for,
    locate_tables,
    require_private_index,
    source_tag,
    stat_fingerprint,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

ID_PATTERN = r"\d{17}[\dX]"
# GB 32100: registration authority + type, 6-digit region, 9-char organisation code, check char.
# Only the shape is enforced; a wrong check character stays importable (as for ID numbers) so the
# checks can report what the city's data really says.
USCC_PATTERN = r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}"
MONTH_PATTERN = r"\d{4}-(0[1-9]|1[0-2])"
# Any date form feeds use: 2024-03-01, 2024/3/1, 2024.03.01, 20240301, 2024年3月1日, with or without a
# time after it (a timestamp column exported as text).
_DATE_FORMS = r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?(?:[ T].*)?$"
_MONTH_FORMS = r"^(\d{4})[-/.年]?(\d{1,2})月?$"
EXAMPLE_ROWS = 5
INSERT_CHUNK = 200_000
# Sort key for the physical row order: rows looked up together sit on the same pages.
CLUSTER_BY = {
    "residence_registrations": "id_number",
    "social_insurance": "id_number",
    "lease_registrations": "tenant_id_number",
    "property_records": "owner_id_number",
    "business_registry": "uscc",
    "school_enrollments": "id_number",
    "hukou": "id_number",
    "permits": "id_number",
}


def import_snapshot(
    src: Path, *, index_dir: Path | None = None, force: bool = False, accept_unknown: bool = False
) -> ImportReport:
    """Build (or reuse) the index of snapshot folder `src`; returns what was read, kept and rejected.

    Reuses the published index when the files' stat fingerprint and content fingerprint both match,
    unless `force`. Builders are serialised by a lock file, so many workers starting on a new snapshot
    build it once. A snapshot whose coded columns hold values config/shared_data.yaml does not know is
    not published (UnknownValuesError, with the report) unless `accept_unknown`.
    """
    src = Path(src)
    if index_dir is None:
        from storage.shared_data.store import default_index_dir

        index_dir = default_index_dir()
    # The index holds the city's personal data: its folder is 0700 and its files 0600 (the refusal in
    # SQLiteSharedData.open then only meets a file someone loosened).
    ensure_private_dir(index_dir)
    with _build_lock(index_dir):
        # Stat before reading: if a file changes during the build, the next open sees a new fingerprint.
        files = locate_tables(src)
        dest = index_path_for(src, files, index_dir)
        content = content_fingerprint(files)
        if dest.is_file() and not force:
            require_private_index(dest)
            existing = _stored_report(dest)
            if existing is not None and existing.fingerprint == content:
                existing.rebuilt = False
                return existing
        report = _build(src, files, dest, content, accept_unknown=accept_unknown)
        _cleanup(index_dir, src, keep=dest)
        return report


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    with (index_dir / ".build.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _stored_report(path: Path) -> ImportReport | None:
    try:
        connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
        try:
            row = connection.execute("SELECT value FROM meta WHERE key = 'report'").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return None
    return ImportReport.from_json(row[0]) if row else None


def _cleanup(index_dir: Path, src: Path, *, keep: Path) -> None:
    """Drop this snapshot's older indexes, keeping the newest previous one: a reader that stat'ed the
    old snapshot a moment ago can still open it. Open readers are unaffected either way (unlink)."""
    older = [p for p in index_files(index_dir, src) if p != keep]
    for path in older[1:]:
        path.unlink(missing_ok=True)
    for tmp in index_dir.glob(f".{source_tag(src)}-*.tmp"):
        tmp.unlink(missing_ok=True)  # left by a killed build; we hold the build lock


def _build(
    src: Path, files: dict[str, Path], dest: Path, content: str, *, accept_unknown: bool
) -> ImportReport:
    started = time.perf_counter()
    tmp = dest.parent / f".{dest.stem}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    create_private_file(tmp)  # 0600 whatever the umask: sqlite3 would create it 0644 under umask 022
    connection = sqlite3.connect(tmp, isolation_level=None)
    try:
        # A half-built file is never published, so durability during the build buys nothing.
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "locking_mode=EXCLUSIVE",
            "temp_store=MEMORY",
            "cache_size=-524288",
        ):
            connection.execute(f"PRAGMA {pragma}")
        connection.executescript(SCHEMA_SQL)
        tables: dict[str, TableReport] = {}
        for name, spec in TABLES.items():
            frame, table_report = load_table(spec, files[name])
            _insert(connection, name, frame)
            del frame
            tables[name] = table_report
        connection.executescript(INDEX_SQL)
        connection.execute("ANALYZE")
        report = ImportReport(
            source=str(src.resolve()),
            index_path=str(dest.resolve()),
            fingerprint=content,
            rebuilt=True,
            build_seconds=0.0,
            index_bytes=0,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            tables=tables,
            accepted_unknown=bool(accept_unknown and any(t.unknown for t in tables.values())),
        )
        if report.unknown and not accept_unknown:
            raise UnknownValuesError(report)
        connection.execute("BEGIN")
        connection.execute("INSERT INTO meta VALUES ('stat_fingerprint', ?)", (stat_fingerprint(src, files),))
        connection.execute("INSERT INTO meta VALUES ('report', ?)", (report.to_json(),))
        connection.execute("COMMIT")
        # Written last: the report in the file carries the final size and time of the build.
        report.build_seconds = round(time.perf_counter() - started, 2)
        connection.execute("BEGIN")
        report.index_bytes = tmp.stat().st_size
        connection.execute("UPDATE meta SET value = ? WHERE key = 'report'", (report.to_json(),))
        connection.execute("COMMIT")
    except BaseException:
        connection.close()
        tmp.unlink(missing_ok=True)
        raise
    connection.close()
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dest)  # atomic: readers see the old file or the whole new one, never a half
    return report


def _insert(connection: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    columns = STORED_COLUMNS[table]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    connection.execute("BEGIN")
    for start in range(0, len(frame), INSERT_CHUNK):
        part = frame.iloc[start : start + INSERT_CHUNK]
        values = [_column_values(part[c]) for c in columns]
        connection.executemany(sql, zip(*values, strict=True))
    connection.execute("COMMIT")


def _column_values(series: pd.Series) -> list[Any]:
    # pandas types tolist() as returning Any
    values: list[Any] = (
        series.tolist()
        if series.dtype == bool or series.dtype.kind == "i"
        else series.to_numpy(dtype=object, na_value=None).tolist()
    )
    return values


# --- reading and cleaning one table ---------------------------------------------------------------


def load_table(spec: TableSpec, path: Path) -> tuple[pd.DataFrame, TableReport]:
    """The table's clean, de-duplicated rows (plus `address_key` where it has an address), sorted by
    its lookup key, and the report of what was rejected, normalised and not recognised, and why."""
    import numpy as np

    frame, malformed = _read(spec, path)
    n = len(frame)
    rejected = _Rejections(n)
    vocabulary = _Vocabulary(spec.name)
    frame = _clean_columns(spec, frame, rejected, vocabulary)
    _check_rows(spec.name, frame, rejected)
    # Exact duplicates (after cleaning) are dropped: a snapshot often repeats a row.
    positions = rejected.kept()
    dupes = frame.iloc[positions].duplicated(keep="first").to_numpy()
    rejected.flag_positions(positions[dupes], "duplicate row")
    if spec.unique:
        positions = rejected.kept()
        clash = frame.iloc[positions].duplicated(subset=list(spec.unique), keep="first").to_numpy()
        rejected.flag_positions(positions[clash], f"duplicate {'/'.join(spec.unique)} with other values")
    frame = frame.iloc[rejected.kept()]
    if "address" in frame.columns:
        codes, uniques = frame["address"].factorize()
        keys = np.array(address_keys(list(uniques)), dtype=object)
        frame = frame.assign(address_key=keys[codes] if len(codes) else np.array([], dtype=object))
    frame = frame.sort_values(CLUSTER_BY[spec.name], kind="stable")

    report = TableReport(table=spec.name, file=path.name, rows_read=n + len(malformed), rows_kept=len(frame))
    if malformed:
        report.rejected["malformed CSV row"] = len(malformed)
        report.examples["malformed CSV row"] = malformed[:EXAMPLE_ROWS]
    row_numbers = _row_numbers(n, malformed)
    for reason, where in rejected.by_reason():
        report.rejected[reason] = len(where)
        report.examples[reason] = [int(r) for r in row_numbers[where[:EXAMPLE_ROWS]]]
    report.unknown = [
        UnknownValue(column, value, len(where), [int(r) for r in row_numbers[where[:EXAMPLE_ROWS]]])
        for column, value, where in vocabulary.unknown
    ]
    report.normalised = vocabulary.normalised
    return frame, report


_PARALLEL_FROM = 50_000


def address_keys(addresses: list[str]) -> list[str]:
    """`normalise_address` of each distinct address. It is pure Python (~40 µs each), the slowest step
    of a city-sized build, so large batches are spread over every core."""
    normalise = address_normaliser()
    workers = os.cpu_count() or 1
    if len(addresses) < _PARALLEL_FROM or workers == 1:
        return [normalise(a) for a in addresses]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(len(addresses) // (workers * 8), 1000)
    # fork: the children inherit the imported normaliser instead of re-importing the project.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        parts = pool.map(
            _normalise_chunk, (addresses[i : i + chunk] for i in range(0, len(addresses), chunk))
        )
        return [key for part in parts for key in part]


def _normalise_chunk(addresses: list[str]) -> list[str]:
    normalise = address_normaliser()
    return [normalise(a) for a in addresses]


def _row_numbers(n: int, malformed: list[int]) -> np.ndarray:
    """1-based data-row numbers of the parsed rows, counting the malformed rows the parser skipped."""
    import numpy as np

    parsed = np.arange(n)
    if not malformed:
        return parsed + 1
    skipped = np.asarray(sorted(malformed)) - 1  # 0-based record index of each skipped row
    gaps = skipped - np.arange(len(skipped))  # parsed position just after which each skip happened
    return parsed + np.searchsorted(gaps, parsed, side="right") + 1


class _Rejections:
    """First failing reason per row, as a small integer code (cheap at 30 M rows)."""

    def __init__(self, n: int) -> None:
        import numpy as np

        self.code = np.zeros(n, dtype=np.int16)
        self.reasons: list[str] = [""]

    def _code_for(self, reason: str) -> int:
        if reason not in self.reasons:
            self.reasons.append(reason)
        return self.reasons.index(reason)

    def flag(self, bad: np.ndarray, reason: str) -> None:
        """Reject rows where `bad` holds, unless already rejected for an earlier reason."""
        if bad.any():
            self.code[(self.code == 0) & bad] = self._code_for(reason)

    def flag_positions(self, positions: np.ndarray, reason: str) -> None:
        if len(positions):
            self.code[positions] = self._code_for(reason)

    def kept(self) -> np.ndarray:
        import numpy as np

        return np.flatnonzero(self.code == 0)

    def by_reason(self) -> list[tuple[str, np.ndarray]]:
        import numpy as np

        out = []
        for k, reason in enumerate(self.reasons[1:], start=1):
            where = np.flatnonzero(self.code == k)
            if len(where):
                out.append((reason, where))
        return out


def _read(spec: TableSpec, path: Path) -> tuple[pd.DataFrame, list[int]]:
    """The contract's columns of one table file (extra columns ignored) and the data-row numbers of
    malformed CSV rows that were skipped."""
    import pandas as pd

    wanted = list(spec.column_names)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            present = pq.read_schema(path).names
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise SnapshotError(f"{path.name}: not a readable Parquet file ({type(exc).__name__})") from None
        _require_columns(path, present, wanted)
        return pd.read_parquet(path, columns=wanted), []
    return _read_csv(path, wanted)


def _read_csv(path: Path, wanted: list[str]) -> tuple[pd.DataFrame, list[int]]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(io.StringIO(fh.readline())), [])
    names = [h.strip() for h in header]
    _require_columns(path, names, wanted)
    malformed: list[int] = []

    def skip(row: Any) -> str:
        malformed.append(-1 if row.number is None else row.number - 1)  # line number -> data row
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=threads),
            parse_options=pacsv.ParseOptions(invalid_row_handler=skip, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(wanted, pa.string()),
                include_columns=wanted,
                strings_can_be_null=False,
            ),
        )

    try:
        table = read(threads=True)
        if malformed:
            # The threaded reader cannot number bad rows; reread single-threaded (rare) to report them.
            malformed.clear()
            table = read(threads=False)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        # Arrow's message quotes the offending row: personal data, so only its kind is reported.
        raise SnapshotError(f"{path.name}: not a readable UTF-8 CSV file ({type(exc).__name__})") from None
    return table.to_pandas(), malformed


def _require_columns(path: Path, present: list[str], wanted: list[str]) -> None:
    missing = [c for c in wanted if c not in present]
    if missing:
        raise SnapshotError(f"{path.name}: missing column(s) {', '.join(missing)}")


class _Vocabulary:
    """Normalises the coded columns of one table through models/feed_vocabulary.py and remembers what
    it rewrote and what it did not know (with the rows, for the report)."""

    def __init__(self, table: str) -> None:
        from config.shared_data import load_feed_vocabulary

        self.table = table
        self.feed = load_feed_vocabulary()
        self.unknown: list[tuple[str, str, np.ndarray]] = []
        self.normalised: dict[str, int] = {}

    def _canonical_function(self, column: str, kind: str) -> Any:
        from models.feed_vocabulary import division_code

        if kind == "status":
            return self.feed.column(f"{self.table}.{column}").canonical
        if kind == "city":
            return self.feed.hukou_city
        if kind == "bool":
            return self.feed.boolean
        return division_code

    def normalise(self, column: str, kind: str, s: pd.Series, present: np.ndarray) -> pd.Series:
        """`s` with every known value in its canonical form; unknown values are kept as they came. Works
        on the distinct values (a status column has a handful, a code column a few hundred)."""
        import numpy as np
        import pandas as pd

        canonical = self._canonical_function(column, kind)
        codes, uniques = s.factorize()
        mapped = [canonical(v) for v in uniques]
        out = np.array([v if m is None else m for v, m in zip(uniques, mapped, strict=True)], dtype=object)
        for k, (value, m) in enumerate(zip(uniques, mapped, strict=True)):
            where = np.flatnonzero((codes == k) & present)
            if not len(where):
                continue
            if m is None:
                self.unknown.append((column, str(value), where))
            elif kind != "bool" and m != value:
                self.normalised[f"{column}: {value} → {m}"] = len(where)
        result = out[codes] if len(codes) else np.array([], dtype=object)
        result[codes < 0] = None
        return pd.Series(result, index=s.index, dtype=object)


def _clean_columns(
    spec: TableSpec, frame: pd.DataFrame, rejected: _Rejections, vocabulary: _Vocabulary
) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    out = {}
    for column, kind in spec.columns:
        series = frame[column]
        if kind == "bool":
            out[column] = _clean_bool(column, series, rejected, vocabulary)
            continue
        s = _as_text(series).str.strip()
        if kind in ("id", "uscc", "key"):
            s = s.str.normalize("NFKC").str.strip().str.upper()
        blank = _mask(s.isna() | (s == ""))
        if kind in ("otext", "odate"):
            s = s.where(~blank, None)
        elif kind in ("status", "city", "division"):
            # An empty code or status is an unknown value, not a reason to drop the row: a dropped
            # hukou or permit row would decide the case by its absence.
            s = s.where(~blank, "")
            blank = np.zeros(len(s), dtype=bool)
        else:
            rejected.flag(blank, f"{column}: missing")
        present = ~blank
        if kind == "id":
            rejected.flag(
                present & ~_mask(s.str.fullmatch(ID_PATTERN)), f"{column}: not an 18-character ID number"
            )
        elif kind == "uscc":
            rejected.flag(
                present & ~_mask(s.str.fullmatch(USCC_PATTERN)), f"{column}: not an 18-character USCC"
            )
        elif kind in ("status", "city", "division"):
            s = vocabulary.normalise(column, kind, s, present)
        elif kind == "month":
            s = _reformat(s, MONTH_PATTERN, _MONTH_FORMS, "{0}-{1:0>2}")
            rejected.flag(present & ~_mask(s.str.fullmatch(MONTH_PATTERN)), f"{column}: not a YYYY-MM month")
        elif kind in ("date", "odate"):
            s = _reformat(s, r"\d{4}-\d{2}-\d{2}", _DATE_FORMS, "{0}-{1:0>2}-{2:0>2}")
            rejected.flag(present & ~_valid_dates(s), f"{column}: not a YYYY-MM-DD date")
        out[column] = s
    return pd.DataFrame(out)


def _reformat(s: pd.Series, canonical: str, forms: str, template: str) -> pd.Series:
    """Values already in the canonical shape stay as they are (the common case, checked vectorised);
    the others are rewritten from any of `forms` (a regex whose groups fill `template`)."""
    other = s.notna() & ~s.str.fullmatch(canonical).fillna(False).astype(bool)
    if not other.any():
        return s
    parts = s[other].str.extract(forms)
    rewritten = (
        parts.apply(lambda row: None if row.isna().any() else template.format(*row.tolist()), axis=1)
        if len(parts)
        else parts
    )
    s = s.copy()
    s[other] = rewritten.where(rewritten.notna(), s[other])
    return s


def _check_rows(table: str, frame: pd.DataFrame, rejected: _Rejections) -> None:
    """Rules across columns of one row."""
    if table == "residence_registrations":
        ended = frame["deregistered_on"]
        rejected.flag(
            _mask(ended.notna() & (ended < frame["registered_on"])), "deregistered_on before registered_on"
        )
    elif table == "lease_registrations":
        rejected.flag(_mask(frame["end_on"] < frame["start_on"]), "end_on before start_on")


def _as_text(series: pd.Series) -> pd.Series:
    """Parquet may carry dates, timestamps or numbers; the cleaning works on text."""
    import pandas as pd

    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        return series
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.dt.strftime("%Y-%m-%d").astype("str")
    return series.astype("str")


def _clean_bool(column: str, series: pd.Series, rejected: _Rejections, vocabulary: _Vocabulary) -> pd.Series:
    """True/False from a bool column or any yes/no word of config/shared_data.yaml; an unknown word is
    stored as UNKNOWN_BOOL and counted, so a check can tell "not paid" from "the feed said something
    we do not understand"."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype):
        missing = _mask(series.isna())
        rejected.flag(missing, f"{column}: missing")
        return pd.Series(series.fillna(False).to_numpy(dtype=np.int8), index=series.index)
    s = _as_text(series).str.strip()
    blank = _mask(s.isna() | (s == ""))
    rejected.flag(blank, f"{column}: missing")
    words = vocabulary.normalise(column, "bool", s, ~blank)
    as_int = {True: 1, False: 0}
    return pd.Series(
        np.array([as_int.get(v, UNKNOWN_BOOL) for v in words], dtype=np.int8), index=series.index
    )


def _mask(values: Any) -> np.ndarray:
    """A plain numpy bool array (missing = False) from a pandas boolean result."""
    import numpy as np

    if hasattr(values, "to_numpy"):
        mask: np.ndarray = values.to_numpy(dtype=bool, na_value=False)  # `values` is Any: a pandas result
        return mask
    return np.asarray(values, dtype=bool)


def _valid_dates(s: pd.Series) -> np.ndarray:
    """YYYY-MM-DD and a real calendar day (2024-02-30 is not); no pandas Timestamp range limit."""
    import numpy as np

    shaped = _mask(s.str.fullmatch(r"\d{4}-\d{2}-\d{2}"))
    ok = np.zeros(len(s), dtype=bool)
    if shaped.any():
        v = s[shaped]
        y = v.str.slice(0, 4).astype("int64").to_numpy()
        m = v.str.slice(5, 7).astype("int64").to_numpy()
        d = v.str.slice(8, 10).astype("int64").to_numpy()
        leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
        days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(m - 1, 0, 11)]
        days = days + ((m == 2) & leap)
        ok[shaped] = (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= days)
    return ok
