"""Verifying fields read from documents against what they should say: match / mismatch / unreadable."""

from __future__ import annotations

from datetime import date

import pytest

from documents.verify import VerifyThresholds, verify_field
from models.checks.facts import Fact


def read(value: object, confidence: float = 0.9) -> Fact[object]:
    return Fact(value=value, confidence=confidence)


@pytest.mark.parametrize(
    ("value", "expected", "kind", "status"),
    [
        ("欧阳晓明", "欧阳晓明", "name", "match"),
        ("王晓明", "王小明", "name", "mismatch"),  # one character is another person
        ("阿布都·热合曼", "阿布都•热合曼", "name", "match"),  # the dot OCR reads differently
        ("51130219980305123x", "51130219980305123X", "id_number", "match"),
        ("511302199803051233", "511302199803051234", "id_number", "mismatch"),
        ("川〈2021）成都市不动产权第0123456号", "川(2021)成都市不动产权第0123456号", "code", "match"),
        ("9151 0100 MA61 R8XY 1B", "91510100MA61R8XY1B", "code", "match"),
        # Same dwelling written differently: normalise_address makes them one key.
        (
            "成都市武侯区玉林北路十二号3幢2单元501室",
            "四川省成都市武侯区玉林北路12号3栋2单元501",
            "address",
            "match",
        ),
        # One misread character in a long address is still the same address …
        (
            "成都市武侯区玉休北路12号3栋2单元501",
            "四川省成都市武侯区玉林北路12号3栋2单元501",
            "address",
            "match",
        ),
        # … but another flat, another house number or another road is not.
        (
            "成都市武侯区玉林北路12号3栋2单元502",
            "四川省成都市武侯区玉林北路12号3栋2单元501",
            "address",
            "mismatch",
        ),
        (
            "成都市武侯区玉林北路14号3栋2单元501",
            "四川省成都市武侯区玉林北路12号3栋2单元501",
            "address",
            "mismatch",
        ),
        (
            "成都市锦江区春熙路12号3栋2单元501",
            "四川省成都市武侯区玉林北路12号3栋2单元501",
            "address",
            "mismatch",
        ),
        (date(2026, 1, 1), date(2026, 1, 1), "date", "match"),
        (date(2026, 1, 2), date(2026, 1, 1), "date", "mismatch"),
    ],
)
def test_verify_field(value: object, expected: str | date, kind: str, status: str) -> None:
    result = verify_field(read(value), expected, kind=kind)  # type: ignore[arg-type]
    assert result.status == status
    if status == "match" and kind not in ("address", "name"):
        assert result.similarity == 1.0


@pytest.mark.parametrize(
    "fact",
    [None, Fact(value=None, confidence=0.9), Fact(value="欧阳晓明", confidence=0.2)],
)
def test_missing_or_doubtful_readings_are_unreadable_not_mismatches(fact: Fact[object] | None) -> None:
    assert verify_field(fact, "王小明", kind="name").status == "unreadable"


def test_thresholds_are_configurable() -> None:
    strict = VerifyThresholds(address_min_ratio=99.0)
    slip = read("成都市武侯区玉休北路12号3栋2单元501")
    assert (
        verify_field(slip, "成都市武侯区玉林北路12号3栋2单元501", kind="address", thresholds=strict).status
        == "mismatch"
    )
    assert (
        verify_field(
            read("欧阳晓明", 0.4), "欧阳晓明", kind="name", thresholds=VerifyThresholds(min_confidence=0.3)
        ).status
        == "match"
    )


def test_results_are_masked() -> None:
    result = verify_field(read("511302199803051233"), "511302199803051234", kind="id_number")
    assert "199803" not in (result.read_masked or "") and "199803" not in (result.expected_masked or "")
    name = verify_field(read("欧阳晓明"), "欧阳晓明", kind="name")
    assert name.read_masked != "欧阳晓明"
