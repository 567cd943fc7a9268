"""Printed cards and labels read back: the PDF rasterised at 300 dpi by poppler, then read with the
project's own OCR (tesseract chi_sim through documents.ocr) and parsers (documents.text).

What a card centre's scan of the card must give back: the name, the ID number, the birth date, the
issuing bureau and the card number. What a courier's scanner must give back: the waybill number.

Barcode decoding: this OpenCV build has `cv2.barcode.BarcodeDetector`, which finds the Code 128
symbol but decodes only EAN/UPC, and zbar is not installed. So the waybill is checked by reading the
bars along one scan line (`decode_code128_row`, checksum included) and by OCR of the printed line;
should OpenCV decode Code 128 one day, its reading is checked as well.
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from rapidfuzz import fuzz
from reportlab.graphics.barcode.code128 import _patterns as CODE128_PATTERNS

from documents.ocr.engines import get_engine
from documents.text import find_dates, find_id_numbers
from models.card import CardFace, MailLabel
from printing.card import format_date, render_card_pdf
from printing.label import BAR_HEIGHT, BAR_TOP, render_mail_label_pdf
from samplecity.render.faces import render_portrait

pytestmark = pytest.mark.slow

DPI = 300

# Names of two, three and four characters; an ID number ending in X; three bureaus. Bureaus whose
# name holds a character tesseract's chi_sim model does not have (郫 of 郫都区, 邛崃 of 邛崃市) cannot be
# read back by this engine at all, so they are not among them.
FACES = [
    CardFace(
        card_no="51019120240000017",
        name="李娜",
        sex="女",
        ethnicity="汉",
        birth_date=date(1993, 4, 3),
        id_number="51012419930403112X",
        hukou_address="四川省成都市郫都区犀浦镇校园路36号",
        residence_address="四川省成都市高新区天府大道中段1366号天府软件园E区5栋902号",
        issuing_authority="成都市公安局高新区分局",
        issued_on=date(2024, 6, 1),
        valid_until=date(2025, 6, 1),
    ),
    CardFace(
        card_no="51010720240000123",
        name="王建国",
        sex="男",
        ethnicity="汉",
        birth_date=date(1990, 3, 5),
        id_number="510107199003057629",
        hukou_address="四川省南充市顺庆区中城街道人民北路128号3栋2单元501号",
        residence_address="四川省成都市武侯区人民南路四段27号商鼎国际1号楼2单元1803号",
        issuing_authority="成都市公安局武侯区分局",
        issued_on=date(2024, 7, 15),
        valid_until=date(2025, 7, 15),
    ),
    CardFace(
        card_no="51010620240001208",
        name="司马相如",
        sex="男",
        ethnicity="",
        birth_date=date(1992, 6, 11),
        id_number="510106199206115212",
        hukou_address="",
        residence_address="四川省成都市金牛区一环路北三段1号",
        issuing_authority="成都市公安局金牛区分局",
        issued_on=date(2024, 11, 28),
    ),
]


def squash(s: str) -> str:
    """NFKC and no spaces: tesseract puts a space between CJK characters and between digit groups."""
    return unicodedata.normalize("NFKC", s).replace(" ", "")


def rasterise(pdf: bytes, tmp_path: Path, stem: str) -> list[np.ndarray]:
    """Every page of `pdf` at 300 dpi, as poppler renders it for print preview and archive scans."""
    path = tmp_path / f"{stem}.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-png", str(path), str(tmp_path / stem)], check=True, timeout=60
    )
    pages = sorted(tmp_path.glob(f"{stem}-*.png"))
    images = []
    for page in pages:
        img = cv2.imread(str(page))
        assert img is not None, page
        images.append(img)
    return images


def photo_jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    render_portrait(seed, rng=random.Random(seed)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def card_readings(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[CardFace, str]]:
    """Each face with the text tesseract reads from its rendered, rasterised card (both pages)."""
    engine = get_engine("tesseract")
    out = []
    for i, face in enumerate(FACES):
        tmp_path = tmp_path_factory.mktemp(f"card{i}")
        pages = rasterise(render_card_pdf(face, photo_jpeg(i + 1)), tmp_path, "card")
        assert len(pages) == 2
        # poppler rounds the page up to whole pixels.
        height, width = pages[0].shape[:2]
        assert abs(height - 54 / 25.4 * DPI) <= 1 and abs(width - 85.6 / 25.4 * DPI) <= 1
        text = "\n".join(line.text for page in pages for line in engine.read_lines(page))
        out.append((face, text))
    return out


@pytest.mark.parametrize("index", range(len(FACES)), ids=[f"name-of-{len(f.name)}" for f in FACES])
def test_card_fields_read_back_by_ocr(card_readings: list[tuple[CardFace, str]], index: int) -> None:
    face, text = card_readings[index]
    read = squash(text)
    assert face.name in read, text
    assert face.issuing_authority in read, text
    assert face.card_no in read, text
    assert face.id_number in read, text
    assert format_date(face.birth_date) in read, text
    # The project's own parsers find them too: the ID number passes GB 11643 validation as read,
    # and the birth date is the first date on the card.
    assert face.id_number in find_id_numbers(text)
    assert find_dates(text)[0] == face.birth_date
    # The rest of the face: sex and ethnicity after their labels, the issue and expiry dates, and
    # both addresses — these nearly (tesseract confuses the odd glyph, e.g. 鼎 → 易): ≥ 90 similar.
    # Compared on letters and digits only: wrapped lines and the odd speck read as punctuation.
    core = re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]", "", read)
    assert f"性别{face.sex}" in core, text
    if face.ethnicity:
        assert f"民族{face.ethnicity}" in core, text
    assert format_date(face.issued_on) in read, text
    if face.valid_until:
        assert format_date(face.valid_until) in read, text
    for address in (face.residence_address, face.hukou_address):
        if address:
            assert fuzz.partial_ratio(address, core) >= 90, (address, text)


# ----------------------------------------------------------------------------- the label's barcode

# reportlab's Code 128 table, as bar/space module widths: "BaBbBb" is bar 2, space 1, bar 2, ...
_WIDTHS = {v: tuple(ord(ch.lower()) - ord("a") + 1 for ch in p) for v, p in CODE128_PATTERNS.items()}
_SYMBOLS = {w: v for v, w in _WIDTHS.items() if len(w) == 6}
_STOP = 106


def decode_code128_row(row: np.ndarray) -> str:
    """The value of a Code 128 symbol crossed by one row of grey pixels (quiet zones included).

    Bars and spaces are measured in modules (the symbol's width over its module count), looked up,
    the mod-103 checksum verified and code sets A/B/C followed. Raises on anything else."""
    dark = row < 128
    ink = np.flatnonzero(dark)
    seg = dark[ink[0] : ink[-1] + 1]
    edges = np.flatnonzero(np.diff(seg.astype(np.int8))) + 1
    runs = np.diff(np.concatenate(([0], edges, [len(seg)])))
    # Start and data symbols have 6 elements (11 modules), the stop 7 (13 modules).
    n_symbols, rest = divmod(len(runs) - 7, 6)
    assert rest == 0, f"{len(runs)} bars and spaces do not make Code 128 symbols"
    module = len(seg) / (n_symbols * 11 + 13)
    widths = [max(1, round(r / module)) for r in runs]
    assert tuple(widths[-7:]) == _WIDTHS[_STOP], "no stop pattern"
    values = [_SYMBOLS[tuple(widths[i : i + 6])] for i in range(0, n_symbols * 6, 6)]
    start, data, check = values[0], values[1:-1], values[-1]
    assert (start + sum(i * v for i, v in enumerate(data, 1))) % 103 == check, "checksum"
    code = {103: "A", 104: "B", 105: "C"}[start]
    out = ""
    for v in data:
        if code == "C" and v < 100:
            out += f"{v:02d}"
        elif code != "C" and v < 96:
            out += chr(v + 32) if (code == "B" or v < 64) else chr(v - 64)
        else:
            # Code-set switches; shift and FNC codes do not occur in a waybill number.
            code = {99: "C", 100: "B", 101: "A"}[v]
    return out


def opencv_code128(img: np.ndarray) -> str | None:
    """OpenCV's reading of the barcode, or None when this build cannot decode it."""
    detector: Any = cv2.barcode.BarcodeDetector()
    for scale in (1.0, 0.5):
        small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        ok, decoded, _types, _points = detector.detectAndDecodeWithType(small)
        if ok and decoded and decoded[0]:
            return str(decoded[0])
    return None


LABELS = [
    MailLabel(
        waybill_no="EA123456785CN",
        recipient_name="王建国",
        recipient_phone="13812345678",
        recipient_address="四川省成都市武侯区人民南路四段27号商鼎国际1号楼2单元1803号",
        sender_name="成都市公安局武侯区分局",
        sender_address="四川省成都市武侯区武侯祠大街1号",
        sender_phone="028-85551234",
        case_id="RJ-20240715-000123",
    ),
    MailLabel(
        waybill_no="1100987654321",
        recipient_name="李娜",
        recipient_phone="18980001234",
        recipient_address="四川省成都市高新区天府大道中段1366号天府软件园E区5栋902号",
        sender_name="成都市公安局高新区分局",
        sender_address="四川省成都市高新区锦城大道366号",
        sender_phone="028-61231234",
        case_id="RJ-20240601-000017",
    ),
]


@pytest.mark.parametrize("label", LABELS, ids=[lb.waybill_no for lb in LABELS])
def test_label_waybill_reads_back(label: MailLabel, tmp_path: Path) -> None:
    (page,) = rasterise(render_mail_label_pdf(label), tmp_path, "label")
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    px = DPI / 72
    # Three scan lines across the bars, as a hand scanner's beam would cross them.
    for frac in (0.25, 0.5, 0.75):
        y = round((BAR_TOP + BAR_HEIGHT * frac) * px)
        assert decode_code128_row(grey[y]) == label.waybill_no
    decoded = opencv_code128(page)
    if decoded is not None:
        assert decoded == label.waybill_no
    read = squash("".join(line.text for line in get_engine("tesseract").read_lines(page)))
    assert label.waybill_no in read
    assert label.recipient_phone in read
