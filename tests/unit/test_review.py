"""The review decision's rules (validate_decision) and the review form's schema as the Prefect UI gets it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, get_args

import pytest
from prefect._internal.pydantic.v2_schema import create_v2_schema
from prefect.utilities.schema_tools import validate

from config.city import load_policy
from models.reasons import ReasonCode
from models.review import COMMENT_MAX_CHARS, ReviewChoice, ValidatedDecision, validate_decision

POLICY = load_policy()


def form(**overrides: Any) -> dict[str, Any]:
    """A valid submission (approve, no reasons); override or drop (None) any field."""
    data: dict[str, Any] = {
        "decision": "批准 approve",
        "reason_codes": [],
        "comment": "",
        "reviewer_id": "r-wuhou-jitou-1",
        "one_time_code": "123456",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_valid_approval() -> None:
    assert validate_decision(form(), policy=POLICY) == ValidatedDecision(
        choice=ReviewChoice.APPROVE, reviewer_id="r-wuhou-jitou-1", reason_codes=(), comment=""
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"decision": "approve"}, ReviewChoice.APPROVE),
        ({"decision": "不予办理", "reason_codes": ["LOCAL_HUKOU"]}, ReviewChoice.REJECT),
        (
            {"decision": "要求补正 request_correction", "reason_codes": ["IMAGE_TOO_BLURRY"]},
            ReviewChoice.REQUEST_CORRECTION,
        ),
        ({"decision": "  reject ", "reason_codes": ["NAME_MISMATCH"]}, ReviewChoice.REJECT),
    ],
)
def test_every_spelling_of_a_choice_is_accepted(overrides: dict[str, Any], expected: ReviewChoice) -> None:
    result = validate_decision(form(**overrides), policy=POLICY)
    assert isinstance(result, ValidatedDecision)
    assert result.choice is expected


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"reviewer_id": None}, "审核人编号"),
        ({"reviewer_id": "   "}, "Enter your reviewer id"),
        ({"reviewer_id": "r" * 65}, "too long"),
        ({"one_time_code": None}, "Enter your one-time code"),
        ({"one_time_code": "12345"}, "6 digits"),
        ({"one_time_code": "12345a"}, "6 digits"),
        ({"decision": None}, "Choose a decision"),
        ({"decision": "maybe"}, "not one of the options"),
        ({"decision": "reject", "reason_codes": []}, "at least one reason code to reject"),
        ({"decision": "reject", "reason_codes": None}, "至少选择一项理由代码"),
        ({"decision": "request_correction"}, "at least one reason code to request correction"),
        ({"decision": "reject", "reason_codes": ["NOT_A_CODE"]}, "Unknown reason code(s): NOT_A_CODE"),
        ({"reason_codes": "LOCAL_HUKOU"}, "cannot carry rejection reasons (LOCAL_HUKOU)"),
        ({"reason_codes": ["RESIDENCE_UNDER_6_MONTHS"]}, "批准时不能附带不予办理的理由代码"),
        ({"reason_codes": 7}, "must be a list"),
        ({"comment": "x" * (COMMENT_MAX_CHARS + 1)}, f"limited to {COMMENT_MAX_CHARS}"),
        ({"comment": 5}, "must be text"),
        ({"comment": "申请人电话13812345678"}, "Do not put ID numbers or phone numbers"),
        ({"comment": "号码 511302199003154418 不符"}, "请勿填写身份证号码"),
    ],
)
def test_a_broken_rule_is_a_bilingual_error(overrides: dict[str, Any], fragment: str) -> None:
    result = validate_decision(form(**overrides), policy=POLICY)
    assert isinstance(result, list), result
    assert any(fragment in error for error in result), result
    # Every error says it in Chinese first, then in English.
    for error in result:
        zh, en = error.split(" / ", 1)
        assert any("\u4e00" <= c <= "\u9fff" for c in zh), error
        assert en[:1].isascii() and en[:1].isalpha(), error


def test_an_empty_form_lists_every_missing_field_at_once() -> None:
    errors = validate_decision({}, policy=POLICY)
    assert isinstance(errors, list)
    assert len(errors) == 3  # reviewer id, code, decision


def test_an_approval_may_name_reasons_it_reviewed_and_cleared() -> None:
    result = validate_decision(
        form(reason_codes=["NAME_MISMATCH", "NAME_MISMATCH", "LEASE_NOT_REGISTERED"]), policy=POLICY
    )
    assert isinstance(result, ValidatedDecision)
    assert result.reason_codes == (ReasonCode.NAME_MISMATCH, ReasonCode.LEASE_NOT_REGISTERED)


def test_the_decision_round_trips_through_json() -> None:
    result = validate_decision(
        form(decision="reject", reason_codes=["LOCAL_HUKOU"], comment=" 户口在蓉 "), policy=POLICY
    )
    assert isinstance(result, ValidatedDecision)
    assert result.comment == "户口在蓉"
    assert ValidatedDecision.from_dict(result.as_dict()) == result


# --- the form ----------------------------------------------------------------------------------


def schema_of(model: type) -> dict[str, Any]:
    """The schema exactly as Prefect stores it for the UI (RunInput.save)."""
    return create_v2_schema(model.__name__, model_base=model)


def test_the_form_offers_the_three_choices_as_a_select() -> None:
    from models.review_form import DecisionOption, ReviewDecision

    prop = schema_of(ReviewDecision)["properties"]["decision"]
    assert prop["type"] == "string"
    assert prop["enum"] == [c.form_option for c in ReviewChoice]
    assert list(get_args(DecisionOption)) == [c.form_option for c in ReviewChoice]
    assert prop["enum"][0].startswith("批准")


def test_the_form_offers_every_reason_code_as_a_multi_select() -> None:
    from models.review_form import ReviewDecision

    schema = schema_of(ReviewDecision)
    prop = schema["properties"]["reason_codes"]
    assert prop["type"] == "array"
    ref = prop["items"]["$ref"].rsplit("/", 1)[-1]
    assert schema["definitions"][ref]["enum"] == [code.value for code in ReasonCode]


def test_every_field_has_a_bilingual_title_and_description() -> None:
    from models.review_form import ReviewDecision

    for name, prop in schema_of(ReviewDecision)["properties"].items():
        for key in ("title", "description"):
            text = prop[key]
            assert any("\u4e00" <= c <= "\u9fff" for c in text), (name, key)
            assert any(c.isascii() and c.isalpha() for c in text), (name, key)


def test_prefilled_fields_keep_their_titles_and_the_description_is_set() -> None:
    from models.review_form import ReviewDecision

    prefilled = ReviewDecision.with_initial_data(description="# 摘要", reviewer_id="", comment="")
    schema = schema_of(prefilled)
    assert schema["properties"]["reviewer_id"]["title"] == "审核人编号 Reviewer id"
    assert schema["properties"]["comment"]["maxLength"] == COMMENT_MAX_CHARS
    assert set(schema["required"]) == {"decision", "one_time_code"}
    assert prefilled._description == "# 摘要"
    with pytest.raises(ValueError, match="one_time_code"):
        ReviewDecision.with_initial_data(one_time_code="123456")


def test_what_the_server_accepts_loads_and_validates_without_crashing() -> None:
    """The server checks the schema only: whatever passes it must load and reach validate_decision."""
    from models.review_form import ReviewDecision

    prefilled = ReviewDecision.with_initial_data(description="x", reviewer_id="", comment="")
    schema = schema_of(prefilled)
    minimal = {"decision": "不予办理 reject", "one_time_code": "000000"}
    assert validate(minimal, schema) == []
    loaded = prefilled(**minimal)
    errors = validate_decision(loaded.model_dump(mode="json"), policy=POLICY)
    assert isinstance(errors, list)
    assert any("reviewer id" in e for e in errors) and any("reason code" in e for e in errors)


@pytest.mark.parametrize(
    "bad",
    [
        {"decision": "approve", "reviewer_id": "r", "one_time_code": "123456"},  # not a form option
        {"decision": "批准 approve", "reviewer_id": "r", "one_time_code": "12345"},
        {"decision": "批准 approve", "reviewer_id": "r", "one_time_code": "123456", "reason_codes": ["NOPE"]},
        {"decision": "批准 approve", "reviewer_id": "r", "one_time_code": "123456", "extra": 1},
    ],
)
def test_the_server_refuses_what_the_schema_forbids(bad: dict[str, Any]) -> None:
    from models.review_form import ReviewDecision

    assert validate(bad, schema_of(ReviewDecision)) != []


def test_importing_the_rules_alone_keeps_prefect_out() -> None:
    # Import in a fresh interpreter so modules other tests loaded do not count.
    import subprocess

    code = "import sys, models.review; sys.exit(any(m.startswith('prefect') for m in sys.modules))"
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
