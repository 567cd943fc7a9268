"""Masking helpers: what leaves the case DB never carries the full value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.masking import mask_address, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("王小明", "王**"), ("欧阳娜娜", "欧阳**"), ("", "")]
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_mask_address_hides_the_house_number() -> None:
    masked = mask_address("四川省成都市武侯区玉林街道玉林北路12号3栋2单元501")
    assert masked.startswith("四川省成都市武侯区玉林街道玉林北路")
    assert "12号" not in masked and "501" not in masked


@given(st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True))
def test_masked_id_number_hides_birth_date_and_sequence(id_number: str) -> None:
    masked = mask_id_number(id_number)
    assert len(masked) == 18
    assert masked[4:14] == "*" * 10
    assert masked[:4] == id_number[:4] and masked[-4:] == id_number[-4:]
