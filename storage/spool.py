"""The folders rongju hands real-world work to: the card centre's print spool and the EMS mail room.

Every file is written whole or not at all (storage/files.atomic_write) under a name derived from a
durable key (the card number, the waybill number, the day), so writing it again after a crash or a
replay replaces it with the same bytes: a key never yields a second entry.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from config.settings import get_settings
from storage.files import atomic_write

# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection"): a
# recipient or address typed by an applicant as =HYPERLINK(...) would run in the card centre's or the
# post office's spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """A text cell that a spreadsheet would read as a formula, with an apostrophe in front (shown as
    text, the apostrophe itself hidden), and its line breaks as LF; any other value unchanged.

    Card, case and waybill numbers, dates and phones never start with these characters, so what a
    reader of a returned manifest matches on is untouched."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START):
        value = "'" + value
    # The writer quotes a cell only for the "\n" it ends lines with: a bare CR would be written
    # unquoted and split the row in a reader. A CR is a line break in any case.
    return value.replace("\r\n", "\n").replace("\r", "\n")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A UTF-8 CSV (with BOM, so the card centre's spreadsheet shows Chinese right), every cell that
    would be a formula neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise_cell(cell) for cell in header])
    writer.writerows([neutralise_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


class PrintSpool:
    """The card centre's spool folder: one PDF per card, one manifest per batch (issue day)."""

    MANIFEST_HEADER = ("card_no", "case_id", "card_version", "bureau", "issued_on", "file")

    def __init__(self, root: Path) -> None:
        self.root = root

    def card_path(self, card_no: str) -> Path:
        return self.root / f"{card_no}.pdf"

    def put_card(self, card_no: str, pdf: bytes) -> Path:
        path = self.card_path(card_no)
        atomic_write(path, pdf)
        return path

    def manifest_path(self, day: date) -> Path:
        return self.root / f"batch-{day:%Y%m%d}.csv"

    def write_manifest(self, day: date, rows: Iterable[Sequence[object]]) -> Path:
        """(Re)write the day's batch manifest from the case DB's list of spooled cards."""
        path = self.manifest_path(day)
        atomic_write(path, csv_bytes(self.MANIFEST_HEADER, rows))
        return path

    def cards(self) -> list[Path]:
        return sorted(self.root.glob("*.pdf"))


class MailRoom:
    """The EMS hand-off folder: one label PDF per waybill, one mailing manifest per day."""

    MANIFEST_HEADER = ("waybill_no", "case_id", "card_no", "recipient", "phone", "address", "label")

    def __init__(self, root: Path) -> None:
        self.root = root

    def label_path(self, waybill_no: str) -> Path:
        return self.root / "labels" / f"{waybill_no}.pdf"

    def put_label(self, waybill_no: str, pdf: bytes) -> Path:
        path = self.label_path(waybill_no)
        atomic_write(path, pdf)
        return path

    def manifest_path(self, day: date) -> Path:
        return self.root / f"mailing-{day:%Y%m%d}.csv"

    def write_manifest(self, day: date, rows: Iterable[Sequence[object]]) -> Path:
        """(Re)write the day's mailing manifest (what EMS collects) from the case DB."""
        path = self.manifest_path(day)
        atomic_write(path, csv_bytes(self.MANIFEST_HEADER, rows))
        return path

    def labels(self) -> list[Path]:
        return sorted((self.root / "labels").glob("*.pdf"))


def get_print_spool() -> PrintSpool:
    spool = get_settings().print_spool
    assert spool is not None
    return PrintSpool(spool)


def get_mail_room() -> MailRoom:
    mail_dir = get_settings().mail_dir
    assert mail_dir is not None
    return MailRoom(mail_dir)
