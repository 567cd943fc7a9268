"""Verifying a declared name from several readings of the card's name region: confirmed or not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from documents.verify import VerifyThresholds, name_key, verify_name_readings

EIGHT = 8


def readings(*texts: str) -> list[str]:
    """Eight readings: the texts given, the rest read nothing (as a failed rendering does)."""
    return [*texts, *[""] * (EIGHT - len(texts))]


@pytest.mark.parametrize(
    ("texts", "declared", "confirmed", "confidence"),
    [
        # Every reading says it: confirmed at the top.
        (["曹娟娜"] * 8, "曹娟娜", True, 0.99),
        # One reading says it, the others read nothing: confirmed, just above the checks' 0.80.
        (["曹娟娜"], "曹娟娜", True, 0.8238),
        # Half say it, the others misread one position in different ways: no rival outvotes it.
        (["曹娟娜"] * 4 + ["草娟娜", "昔娟娜", "曹娟", "曹娟娜娜"], "曹娟娜", True, 0.895),
        # A tie with one rival still confirms (rival ≤ declared) …
        (["宇佳雪"] * 4 + ["字佳雪"] * 4, "宇佳雪", True, 0.895),
        # … but a rival read more often than the declared character vetoes: the card likely says 草.
        (["曹娟娜"] + ["草娟娜"] * 6, "曹娟娜", False, 0.0),
        # No reading says the declared name, however close: never confirmed.
        (["草娟娜"] * 8, "曹娟娜", False, 0.0),
        (["王晓明"] * 8, "王小明", False, 0.0),
        # A wholly different name.
        (["刘波永"] * 8, "曹娟娜", False, 0.0),
        # Nothing read at all.
        ([], "曹娟娜", False, 0.0),
        # OCR's stray marks and spaces are not part of the name.
        (["| 曹 娟娜", "〈曹娟娜"], "曹娟娜", True, 0.8475),
        # The interpunct of a transliterated name, read or not.
        (["阿依古丽买买提", "阿依古丽·买买提", "阿依古丽.买买提"], "阿依古丽·买买提", True, 0.8712),
        # A declared name with Latin letters is left to the free reading.
        (["ANNA李"] * 8, "ANNA李", False, 0.0),
    ],
)
def test_readings_confirm_the_declared_name_or_not(
    texts: list[str], declared: str, confirmed: bool, confidence: float
) -> None:
    result = verify_name_readings(readings(*texts), declared)
    assert result.confirmed is confirmed
    assert result.confidence == pytest.approx(confidence, abs=1e-4)
    assert result.readings == EIGHT


def test_the_number_of_agreeing_readings_and_the_rival_ratio_are_thresholds() -> None:
    one = readings("曹娟娜")
    assert verify_name_readings(one, "曹娟娜").confirmed
    assert not verify_name_readings(one, "曹娟娜", thresholds=VerifyThresholds(name_min_agreeing=2)).confirmed
    split = readings("曹娟娜", "草娟娜", "草娟娜")
    assert not verify_name_readings(split, "曹娟娜").confirmed
    lenient = VerifyThresholds(name_max_rival_ratio=2.0)
    assert verify_name_readings(split, "曹娟娜", thresholds=lenient).confirmed


def test_the_verdict_carries_no_personal_data_but_the_masked_name() -> None:
    result = verify_name_readings(readings("曹娟娜") + ["草娟娜"] * 6, "曹娟娜")
    assert result.expected_masked == "曹**"
    assert not set(result.why) & set("曹娟娜草")
    assert "character 1" in result.why and "6×" in result.why


@given(
    st.lists(st.text(alphabet="曹草娟娜明王玉 ·|", max_size=5), max_size=10),
    st.text(alphabet="曹草娟娜明王玉", min_size=1, max_size=4),
)
def test_never_confirms_a_name_that_no_reading_says(texts: list[str], declared: str) -> None:
    result = verify_name_readings(texts, declared)
    if result.confirmed:
        assert name_key(declared) in {name_key(t) for t in texts}
        assert 0.80 <= result.confidence <= 0.99
    else:
        assert result.confidence == 0.0


@pytest.mark.parametrize(
    ("raw", "key"),
    [("曹娟娜", "曹娟娜"), ("| 曹 娟娜 ", "曹娟娜"), ("阿依古丽·买买提", "阿依古丽买买提"), ("ABC", "")],
)
def test_name_key_keeps_only_ideographs(raw: str, key: str) -> None:
    assert name_key(raw) == key
