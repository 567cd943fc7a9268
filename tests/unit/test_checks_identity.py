"""Identity checks: ID number validity and match, name, ID card validity, hukou."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from check_factories import ID, NAME, TODAY, hukou, make_id
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from config.city import load_reason_catalogue
from config.requirements import load_requirements
from models.checks.identity import (
    check_id_card_validity,
    check_id_number_match,
    check_id_number_valid,
    check_local_hukou,
    check_name_match,
    id_number_problem,
)
from models.reasons import ReasonCode

REASONS = load_reason_catalogue()

CHENGDU_REGIONS = ["510104", "510107", "510108", "510112", "510121", "510181", "510185", "510124", "512081"]


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        (ID, None),
        (ID[:-1] + ("1" if ID[-1] != "1" else "2"), "checksum"),
        (ID[:-1], "length"),
        ("51130219900315441A", "format"),
        # 锦江区 (510104, a code from 1990) for someone born in 1975: valid, numbers are assigned later.
        (make_id(region="510104", birth=date(1975, 6, 1)), None),
        (make_id(region="999999"), "region"),
        (make_id(birth=date(2030, 1, 1)), "birth_date"),
    ],
)
def test_id_number_problem(number: str, problem: str | None) -> None:
    assert id_number_problem(number, TODAY) == problem


def test_impossible_birth_date_is_a_birth_date_problem() -> None:
    body = "51130219900230441"
    assert id_number_problem(body + ric.calc_check_digit(body + "0"), TODAY) == "birth_date"


@given(
    region=st.sampled_from([*CHENGDU_REGIONS, "511302", "110105", "440305"]),
    birth=st.dates(min_value=date(1950, 1, 1), max_value=date(2010, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_valid_numbers_pass_and_any_changed_digit_fails(region: str, birth: date, sequence: int) -> None:
    number = make_id(region, birth, sequence)
    assert check_id_number_valid(number, None, TODAY).passed
    for position in range(17):
        changed = number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1 :]
        # GB 11643's MOD 11-2 detects every single-digit error.
        outcome = check_id_number_valid(changed, None, TODAY)
        assert not outcome.passed and outcome.reason is ReasonCode.ID_NUMBER_INVALID


def test_card_number_invalid_goes_to_a_person_not_to_the_applicant() -> None:
    """An invalid number read from the card is most likely our misreading: no correction request."""
    bad = ID[:-1] + ("1" if ID[-1] != "1" else "2")
    outcome = check_id_number_valid(ID, bad, TODAY)
    assert outcome.reason is None and not outcome.evaluated
    assert outcome.evidence["card_problem"] == "checksum"
    # masked in the evidence
    assert outcome.evidence["declared"] == ID[:4] + "*" * 10 + ID[-4:]


@pytest.mark.parametrize(
    ("card", "passed", "evaluated"),
    [(ID, True, True), (ID.lower(), True, True), (make_id(sequence=443), False, True), (None, True, False)],
)
def test_id_number_match(card: str | None, passed: bool, evaluated: bool) -> None:
    outcome = check_id_number_match(ID, card)
    assert (outcome.passed, outcome.evaluated) == (passed, evaluated)
    if not passed:
        assert outcome.reason is ReasonCode.ID_NUMBER_MISMATCH


@pytest.mark.parametrize(
    ("declared", "card", "registry", "passed"),
    [
        (NAME, NAME, [NAME], True),
        ("阿依古丽·买买提", "阿依古丽•买买提", ["阿依古丽买买提"], True),
        (NAME, "王晓明", [NAME], False),
        (NAME, NAME, ["王晓明"], False),
        (NAME, None, [NAME], True),
    ],
)
def test_name_match(declared: str, card: str | None, registry: list[str], passed: bool) -> None:
    outcome = check_name_match(declared, card, registry)
    assert outcome.passed is passed
    if not passed:
        assert outcome.reason is ReasonCode.NAME_MISMATCH
        assert "王*" in str(outcome.evidence) and NAME not in str(outcome.evidence)


def test_name_mismatch_similarity_in_evidence() -> None:
    outcome = check_name_match(NAME, "王晓明")
    assert 60 <= outcome.evidence["card_similarity"] < 100
    assert outcome.evidence["differs_from"] == ["card"]


def test_name_not_evaluated_without_any_other_name() -> None:
    assert not check_name_match(NAME, None, []).evaluated


@pytest.mark.parametrize(
    ("valid_until", "read", "passed", "evaluated"),
    [
        (TODAY, True, True, True),  # valid through its last printed day
        (TODAY - timedelta(days=1), True, False, True),
        (TODAY + timedelta(days=400), True, True, True),
        (None, True, True, True),  # 长期
        (None, False, True, False),  # not read
    ],
)
def test_id_card_validity(valid_until: date | None, read: bool, passed: bool, evaluated: bool) -> None:
    outcome = check_id_card_validity(valid_until, read, TODAY)
    assert (outcome.passed, outcome.evaluated) == (passed, evaluated)
    if not passed:
        assert outcome.reason is ReasonCode.ID_CARD_EXPIRED


@pytest.mark.parametrize(
    ("rows", "id_number", "passed"),
    [
        ([hukou("5101")], ID, False),
        # Other forms of Chengdu's code: 6-digit, a district, a retired district, 12-digit, full-width.
        ([hukou("510100")], ID, False),
        ([hukou("510107")], ID, False),
        ([hukou("512081")], ID, False),  # 简阳市 before 2016, now Chengdu
        ([hukou("510100000000")], ID, False),
        ([hukou("５１０１００")], ID, False),
        ([hukou("5113")], ID, True),
        ([hukou("511300")], ID, True),
        ([hukou("5113"), hukou("5113")], ID, True),  # duplicated row
        ([], ID, True),
        # Born in Chengdu (ID region 5101xx) but hukou moved away: the hukou table decides.
        ([hukou("5113")], make_id(region="510107"), True),
        ([], make_id(region="510107"), True),
    ],
)
def test_local_hukou(rows: list, id_number: str, passed: bool) -> None:
    outcome = check_local_hukou(rows, id_number, load_requirements().feed)
    assert outcome.passed is passed
    if not passed:
        assert outcome.reason is ReasonCode.LOCAL_HUKOU
        assert outcome.worded(REASONS).zh.startswith("您的户口已在成都市")


@pytest.mark.parametrize("code", ["5199", "51", "chengdu", "5101-00", "999999", ""])
def test_unknown_hukou_code_goes_to_a_person(code: str) -> None:
    """A code that is no GB/T 2260 division cannot say whether the hukou is local: never a silent pass."""
    outcome = check_local_hukou([hukou(code)], ID, load_requirements().feed)
    assert not outcome.evaluated and outcome.reason is None
    assert outcome.evidence["unrecognised"] == {"hukou.hukou_city_code": [code]}


def test_a_local_code_beside_an_unknown_one_still_rejects() -> None:
    outcome = check_local_hukou([hukou("5199"), hukou("510100")], ID, load_requirements().feed)
    assert outcome.reason is ReasonCode.LOCAL_HUKOU


def test_hukou_rows_that_disagree_go_to_a_person() -> None:
    outcome = check_local_hukou([hukou("5113"), hukou("510100")], ID, load_requirements().feed)
    assert not outcome.evaluated and outcome.reason is None
    assert outcome.evidence["conflicting"] is True
