"""The card and label PDFs as the card centre and the courier get them: size, embedded font, every
value in the text layer, nothing outside the page, the same bytes on every render."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from reportlab.lib.units import mm

from models.card import CardFace, MailLabel
from printing import fonts
from printing.card import PHOTO_H, PHOTO_TOP, PHOTO_X, CardLayoutError, format_date, render_card_pdf
from printing.fonts import FontMissing, text_width, wrap_text
from printing.label import render_mail_label_pdf

REPO = Path(__file__).resolve().parents[2]
# 200 characters, the model's limit, made of real address parts so digits and CJK mix.
LONG_ADDRESS = ("四川省成都市武侯区人民南路四段27号商鼎国际1号楼2单元1803号" * 7)[:200]


def make_face(**overrides: Any) -> CardFace:
    """A valid card face; override any field."""
    fields: dict[str, Any] = {
        "card_no": "51010720240000123",
        "name": "欧阳晓燕",
        "sex": "女",
        "ethnicity": "汉",
        "birth_date": date(1990, 3, 5),
        "id_number": "510107199003057629",
        "hukou_address": "四川省南充市顺庆区中城街道人民北路128号3栋2单元501号",
        "residence_address": "四川省成都市武侯区人民南路四段27号商鼎国际1号楼2单元1803号",
        "issuing_authority": "成都市公安局武侯区分局",
        "issued_on": date(2024, 6, 1),
        "valid_until": date(2025, 6, 1),
    }
    return CardFace(**{**fields, **overrides})


def make_label(**overrides: Any) -> MailLabel:
    """A valid EMS label; override any field."""
    fields: dict[str, Any] = {
        "waybill_no": "EA123456785CN",
        "recipient_name": "王建国",
        "recipient_phone": "13812345678",
        "recipient_address": "四川省成都市锦江区春熙路街道总府路15号2栋3单元602号",
        "sender_name": "成都市公安局锦江区分局",
        "sender_address": "四川省成都市锦江区红星路三段1号",
        "sender_phone": "028-86641234",
        "case_id": "RJ-20240601-000042",
    }
    return MailLabel(**{**fields, **overrides})


def jpeg_photo(size: tuple[int, int] = (358, 441)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (235, 225, 210)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def pages_of(pdf: bytes) -> list[dict[str, Any]]:
    """Per page: size, text (whitespace removed), chars and images, read back with pdfplumber."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [
            {
                "width": float(p.width),
                "height": float(p.height),
                "text": p.extract_text() or "",
                "flat": re.sub(r"\s+", "", p.extract_text() or ""),
                "chars": list(p.chars),
                "images": list(p.images),
            }
            for p in doc.pages
        ]


def metadata_of(pdf: bytes) -> dict[str, Any]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return dict(doc.metadata)


def flat(s: str) -> str:
    return re.sub(r"\s+", "", s)


# ----------------------------------------------------------------------------- size and font


def test_card_is_two_id1_pages() -> None:
    pages = pages_of(render_card_pdf(make_face(), jpeg_photo()))
    assert len(pages) == 2
    for page in pages:
        assert page["width"] == pytest.approx(85.6 * 72 / 25.4, abs=0.5)
        assert page["height"] == pytest.approx(54 * 72 / 25.4, abs=0.5)


def test_label_is_one_100_by_150_mm_page() -> None:
    pages = pages_of(render_mail_label_pdf(make_label()))
    assert len(pages) == 1
    assert pages[0]["width"] == pytest.approx(100 * 72 / 25.4, abs=0.5)
    assert pages[0]["height"] == pytest.approx(150 * 72 / 25.4, abs=0.5)


@pytest.mark.parametrize(
    "pdf", [lambda: render_card_pdf(make_face(), None), lambda: render_mail_label_pdf(make_label())]
)
def test_the_cjk_font_is_embedded(pdf: Any) -> None:
    data = pdf()
    # A TrueType font program inside the file: the printer needs no font of its own.
    assert b"/FontFile2" in data
    for page in pages_of(data):
        assert page["chars"]
        assert {c["fontname"].split("+")[-1] for c in page["chars"]} == {"WenQuanYiMicroHei-0"}


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fonts, "CJK_FONT_PATH", tmp_path / "wqy-microhei.ttc")
    fonts.cjk_font.cache_clear()
    try:
        with pytest.raises(FontMissing, match="fonts-wqy-microhei") as err:
            fonts.cjk_font()
        assert "缺少" in str(err.value) and "missing" in str(err.value)
    finally:
        fonts.cjk_font.cache_clear()


# ----------------------------------------------------------------------------- what is printed


@pytest.mark.parametrize("valid_until", [date(2025, 6, 1), None])
def test_card_text_layer_has_every_field(valid_until: date | None) -> None:
    face = make_face(valid_until=valid_until)
    front, back = pages_of(render_card_pdf(face, jpeg_photo()))
    assert "成都市居住证" in front["flat"] and "ChengduResidencePermit" in front["flat"]
    for label, value in [
        ("姓名", face.name),
        ("性别", face.sex),
        ("民族", face.ethnicity),
        ("出生日期", "1990年3月5日"),
        ("公民身份号码", face.id_number),
        ("居住地址", face.residence_address),
    ]:
        assert label + flat(value) in front["flat"], label
    for label, value in [
        ("户口地址", face.hukou_address),
        ("签发机关", face.issuing_authority),
        ("签发日期", "2024年6月1日"),
        ("证件号码", face.card_no),
    ]:
        assert label + flat(value) in back["flat"], label
    if valid_until is None:
        assert "有效期限" not in back["flat"]
    else:
        assert "有效期限2024年6月1日至2025年6月1日" in back["flat"]


@pytest.mark.parametrize(
    ("day", "printed"),
    [
        (date(1990, 3, 5), "1990年3月5日"),
        (date(2001, 12, 31), "2001年12月31日"),
        (date(1985, 10, 1), "1985年10月1日"),
    ],
)
def test_dates_print_without_leading_zeros(day: date, printed: str) -> None:
    assert format_date(day) == printed


def test_missing_ethnicity_and_hukou_address_print_empty_values() -> None:
    face = make_face(ethnicity="", hukou_address="")
    front, back = pages_of(render_card_pdf(face, None))
    lines = {flat(line)[:2]: flat(line) for line in front["text"].splitlines() + back["text"].splitlines()}
    # The label is there with nothing after it: no "未知", no guess.
    assert lines["性别"] == "性别女民族"
    assert lines["户口"] == "户口地址"


def test_metadata_carries_the_card_number_only() -> None:
    face = make_face()
    meta = metadata_of(render_card_pdf(face, jpeg_photo()))
    assert meta["Title"] == face.card_no
    everything = " ".join(str(v) for v in meta.values())
    for personal in (face.name, face.id_number, face.residence_address, face.hukou_address, "1990"):
        assert personal not in everything


def test_label_metadata_carries_the_waybill_only() -> None:
    label = make_label()
    meta = metadata_of(render_mail_label_pdf(label))
    assert meta["Title"] == label.waybill_no
    everything = " ".join(str(v) for v in meta.values())
    for personal in (label.recipient_name, label.recipient_phone, label.recipient_address):
        assert personal not in everything


def test_label_text_layer_has_every_field() -> None:
    label = make_label()
    (page,) = pages_of(render_mail_label_pdf(label))
    for expected in [
        label.waybill_no,
        "收件人" + label.recipient_name,
        "电话" + label.recipient_phone,
        "地址" + label.recipient_address,
        "寄件人" + label.sender_name,
        "电话" + label.sender_phone,
        "地址" + label.sender_address,
        "内件" + flat(label.contents),
        "业务编号" + label.case_id,
    ]:
        assert flat(expected) in page["flat"], expected


# ----------------------------------------------------------------------------- photo


def test_photo_sits_in_its_frame_on_the_front() -> None:
    front, back = pages_of(render_card_pdf(make_face(), jpeg_photo()))
    (image,) = front["images"]
    assert image["x0"] == pytest.approx(PHOTO_X, abs=0.1)
    assert image["top"] == pytest.approx(PHOTO_TOP, abs=0.1)
    assert image["height"] / image["width"] == pytest.approx(441 / 358, abs=0.01)
    assert back["images"] == []
    assert "照片" not in front["flat"]


def test_a_photo_of_another_shape_is_cropped_not_squeezed() -> None:
    front, _ = pages_of(render_card_pdf(make_face(), jpeg_photo((640, 480))))
    (image,) = front["images"]
    # The embedded pixels keep the frame's shape: a centre crop of the 640×480 upload.
    assert image["srcsize"][1] / image["srcsize"][0] == pytest.approx(441 / 358, abs=0.01)


def test_no_photo_leaves_an_empty_labelled_frame() -> None:
    front, _ = pages_of(render_card_pdf(make_face(), None))
    assert front["images"] == []
    assert "照片" in front["flat"]


# ----------------------------------------------------------------------------- same bytes


def test_same_face_gives_the_same_bytes_and_another_card_number_does_not() -> None:
    photo = jpeg_photo()
    first = render_card_pdf(make_face(), photo)
    assert render_card_pdf(make_face(), photo) == first
    assert render_card_pdf(make_face(card_no="51010720240000124"), photo) != first
    label = render_mail_label_pdf(make_label())
    assert render_mail_label_pdf(make_label()) == label
    assert render_mail_label_pdf(make_label(waybill_no="EA123456799CN")) != label


def test_a_fresh_process_renders_the_same_bytes(tmp_path: Path) -> None:
    """A re-render after a crash happens in a new process, with no font registered yet."""
    face, label, photo = make_face(), make_label(), jpeg_photo()
    (tmp_path / "face.json").write_text(face.model_dump_json())
    (tmp_path / "label.json").write_text(label.model_dump_json())
    (tmp_path / "photo.jpg").write_bytes(photo)
    script = (
        "import sys; from pathlib import Path\n"
        "from models.card import CardFace, MailLabel\n"
        "from printing.card import render_card_pdf\n"
        "from printing.label import render_mail_label_pdf\n"
        "d = Path(sys.argv[1])\n"
        "face = CardFace.model_validate_json((d / 'face.json').read_text())\n"
        "label = MailLabel.model_validate_json((d / 'label.json').read_text())\n"
        "(d / 'card.pdf').write_bytes(render_card_pdf(face, (d / 'photo.jpg').read_bytes()))\n"
        "(d / 'label.pdf').write_bytes(render_mail_label_pdf(label))\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=REPO, check=True, timeout=120)
    assert (tmp_path / "card.pdf").read_bytes() == render_card_pdf(face, photo)
    assert (tmp_path / "label.pdf").read_bytes() == render_mail_label_pdf(label)


# ----------------------------------------------------------------------------- staying on the card


def _chars_inside(page: dict[str, Any]) -> None:
    for c in page["chars"]:
        assert c["x0"] >= 0 and c["x1"] <= page["width"] + 0.01, c["text"]
        assert c["top"] >= 0 and c["bottom"] <= page["height"] + 0.01, c["text"]


def test_longest_addresses_wrap_inside_the_card_and_off_the_photo() -> None:
    face = make_face(residence_address=LONG_ADDRESS, hukou_address=LONG_ADDRESS)
    front, back = pages_of(render_card_pdf(face, jpeg_photo()))
    for page in (front, back):
        _chars_inside(page)
        assert flat(LONG_ADDRESS) in page["flat"]
        # The OCR floor: no value smaller than 7 pt, however long the address (the 6 pt English
        # subtitle in the title block aside).
        values = [c for c in page["chars"] if c["top"] > PHOTO_TOP - 2]
        assert min(c["size"] for c in values) >= 7.0 - 0.01
    photo_bottom = PHOTO_TOP + PHOTO_H
    for c in front["chars"]:
        if c["bottom"] > PHOTO_TOP and c["top"] < photo_bottom:
            assert c["x1"] <= PHOTO_X, f"{c['text']} overlaps the photo"


def test_long_name_and_authority_wrap_inside_the_card() -> None:
    face = make_face(
        name="阿卜杜热合曼·买买提艾力" * 2, issuing_authority="成都市公安局" + "天府新区" * 8 + "分局"
    )
    front, back = pages_of(render_card_pdf(face, None))
    _chars_inside(front)
    _chars_inside(back)
    assert flat(face.name) in front["flat"]
    assert flat(face.issuing_authority) in back["flat"]


def test_text_that_cannot_fit_at_7_pt_is_refused_not_shrunk_off_the_card() -> None:
    # Both at the model's limits at once: a 40-character name leaves no room for a 200-character
    # address at a size OCR and people can read.
    face = make_face(name="阿" * 40, residence_address=LONG_ADDRESS)
    with pytest.raises(CardLayoutError, match="证件内容过长") as err:
        render_card_pdf(face, None)
    assert "does not fit" in str(err.value)


def test_longest_label_fields_stay_on_the_label() -> None:
    label = make_label(
        waybill_no="EA123456785CN" + "0123456789ABCDEFGHI",
        recipient_address=LONG_ADDRESS,
        sender_address=LONG_ADDRESS,
        sender_name="成都市公安局锦江区分局出入境与居住证管理大队" * 2,
    )
    (page,) = pages_of(render_mail_label_pdf(label))
    _chars_inside(page)
    assert page["flat"].count(flat(LONG_ADDRESS)) == 2
    assert label.waybill_no in page["flat"]


# ----------------------------------------------------------------------------- wrapping


def test_wrap_keeps_a_digit_run_whole() -> None:
    size = 10.0
    # "单元18" would fit the first line, but the number moves to the next line whole, with its 号.
    width = text_width("1803号", size) + 0.1
    assert text_width("单元18", size) < width
    assert wrap_text("单元1803号", size, lambda _i: width) == ["单元", "1803号"]
    assert wrap_text("单元1803号楼", size, lambda _i: width) == ["单元", "1803号", "楼"]


def test_wrap_drops_the_space_at_a_break() -> None:
    size = 10.0
    width = text_width("residence", size) + 0.1
    assert wrap_text("residence permit", size, lambda _i: width) == ["residence", "permit"]


@given(
    text=st.text(alphabet="成都市武侯区人民南路四段号楼单元0123456789-#", min_size=1, max_size=120),
    width_mm=st.floats(min_value=8, max_value=80),
)
def test_wrap_loses_nothing_and_never_overflows(text: str, width_mm: float) -> None:
    size = 8.0
    width = width_mm * mm
    lines = wrap_text(text, size, lambda _i: width)
    assert "".join(lines) == text
    assert all(text_width(line, size) <= width + 1e-6 for line in lines)
