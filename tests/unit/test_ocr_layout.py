"""Reading by layout (pure parts): a detector's boxes put back in rows, stacked characters split,
whole-card lines assigned to the ID-card fields, and the image helpers both engines use."""

from __future__ import annotations

import numpy as np

from documents.extract.id_front import (
    find_anchors,
    labelled_from_layout,
    number_at_top,
    parse_id_front,
    value_regions,
)
from documents.ocr.engines import (
    OcrLine,
    dark_ink,
    flatten_illumination,
    merge_rows,
    reading_order,
    split_stacked,
)

VALID = "513222197002277147"  # 理县, 1970-02-27, female


def test_reading_order_keeps_a_row_together_when_boxes_differ_by_a_pixel() -> None:
    lines = [
        OcrLine("名杨莉", 0.99, (126, 143, 86, 28)),
        OcrLine("姓", 0.99, (35, 144, 24, 28)),
        OcrLine("别女", 0.99, (66, 182, 126, 27)),
        OcrLine("性", 0.99, (36, 179, 23, 29)),
    ]
    assert [ln.text for ln in reading_order(lines)] == ["姓", "名杨莉", "性", "别女"]


def test_merge_rows_joins_a_row_but_not_the_next_column() -> None:
    lines = [
        OcrLine("姓", 1.0, (35, 144, 24, 28)),
        OcrLine("名杨莉", 0.5, (126, 143, 86, 28)),  # gap 67 px < 3 line heights
        OcrLine("注册资本 100万元", 0.9, (600, 145, 200, 28)),  # gap 388 px: another column
        OcrLine("出生日期2000年8月10日", 0.9, (36, 222, 276, 22)),
    ]
    merged = merge_rows(lines)
    assert [ln.text for ln in merged] == ["姓名杨莉", "注册资本 100万元", "出生日期2000年8月10日"]
    # Character-weighted: one sure character and three doubtful ones.
    assert merged[0].confidence == (1.0 * 1 + 0.5 * 3) / 4
    assert merged[0].box == (35, 143, 212 - 35, 172 - 143)


def test_a_tall_box_of_stacked_characters_goes_back_to_its_rows() -> None:
    parts = split_stacked(OcrLine("姓性", 0.9, (35, 140, 24, 70)))
    assert [(p.text, p.box) for p in parts] == [("姓", (35, 140, 24, 35)), ("性", (35, 175, 24, 35))]
    # Not split: a wide line, a single character, or digits (a number read from a narrow box).
    assert len(split_stacked(OcrLine("住址四川省", 0.9, (0, 0, 200, 30)))) == 1
    assert len(split_stacked(OcrLine("回", 0.9, (0, 0, 20, 40)))) == 1
    assert len(split_stacked(OcrLine("12", 0.9, (0, 0, 10, 40)))) == 1


def _card_lines() -> list[OcrLine]:
    """What a layout engine returns for a card front (856×540): labels merged with their values or
    not, an address over three lines, the number before its label, a stray tail after 住址 and a
    reading of the portrait's hair."""
    return [
        OcrLine("姓名龙或颖", 0.89, (54, 46, 182, 37)),
        OcrLine("性别女", 0.99, (54, 108, 120, 38)),
        OcrLine("民族", 0.99, (253, 114, 62, 31)),
        OcrLine("出生1970年2月27日", 0.99, (56, 172, 331, 33)),
        OcrLine("住址人", 0.91, (51, 243, 85, 30)),
        OcrLine("四川省阿坝藏族羌族自治州理", 0.99, (125, 244, 311, 27)),
        OcrLine("县杂谷脑镇河坝街", 0.98, (131, 280, 277, 29)),
        OcrLine("9号", 0.99, (126, 315, 48, 32)),
        OcrLine("王用", 0.5, (640, 150, 60, 30)),
        OcrLine(VALID, 0.98, (266, 442, 487, 30)),
        OcrLine("公民身份号码", 0.99, (58, 445, 160, 27)),
    ]


def test_layout_lines_are_assigned_to_their_fields() -> None:
    lines = _card_lines()
    regions = value_regions(find_anchors(lines))
    labelled = labelled_from_layout(lines, regions)
    assert labelled["name"].text == "姓名龙或颖"
    assert labelled["sex"].text == "性别女"
    # The echo "人" under the address's first line is dropped; the portrait's "王用" goes nowhere.
    assert labelled["address"].text == "住址四川省阿坝藏族羌族自治州理\n县杂谷脑镇河坝街\n9号"
    assert labelled["address"].confidence == 0.98
    assert "ethnicity" not in labelled  # the label alone: its value is read from its crop by the caller
    assert not any("王用" in ln.text for ln in labelled.values())
    facts = parse_id_front([*labelled.values()]).facts
    assert facts.name is not None and facts.name.value == "龙或颖"
    assert facts.address is not None
    assert facts.address.value == "四川省阿坝藏族羌族自治州理县杂谷脑镇河坝街9号"
    assert facts.id_number is not None and facts.id_number.value == VALID


def test_an_upside_down_card_shows_its_number_at_the_top() -> None:
    lines = _card_lines()
    assert not number_at_top(lines, 540)
    flipped = [
        OcrLine(ln.text, ln.confidence, (856 - x - w, 540 - y - h, w, h))
        for ln in lines
        for x, y, w, h in [ln.box]
    ]
    assert number_at_top(flipped, 540)
    # No valid number read: no verdict.
    assert not number_at_top([OcrLine("5132221970", 0.9, (0, 0, 100, 20))], 540)


def test_dark_ink_fades_coloured_print_and_keeps_black() -> None:
    img = np.full((4, 3, 3), 250, np.uint8)
    img[0, 0] = (20, 20, 20)  # black text
    img[1, 1] = (40, 40, 220)  # red seal (BGR)
    img[2, 2] = (200, 120, 40)  # blue label
    grey = dark_ink(img)
    assert grey[0, 0] == 20 and grey[1, 1] == 220 and grey[2, 2] == 200


def test_flatten_illumination_evens_out_a_lamp_and_keeps_the_print() -> None:
    h, w = 60, 400
    gradient = np.tile(np.linspace(240, 90, w), (h, 1))  # bright left, dark right
    img = gradient.copy()
    img[25:35, 20:30] *= 0.2  # a stroke on the bright side
    img[25:35, 370:380] *= 0.2  # and one on the dark side
    flat = flatten_illumination(img.astype(np.uint8))
    # The paper comes out near white on both sides; both strokes stay far darker than it.
    assert flat[5, 5] > 240 and flat[5, 390] > 240
    assert flat[30, 25] < 100 and flat[30, 375] < 100
