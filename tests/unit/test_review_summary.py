"""The masked case summary above the review form: complete, Chinese first, and never unmasked."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from check_factories import make_id
from hypothesis import given, settings
from hypothesis import strategies as st

from config.city import load_policy
from models.checks.result import CheckOutcome, failed, not_evaluated, passed, unrecognised
from models.decision import decide
from models.reasons import ReasonCode
from models.review_summary import DOCUMENTS_LINK_TEXT, ReviewCase, mask_numbers, render_review_summary

ID_NUMBER = "511302199003154418"
PHONE = "13812345678"
CASE = ReviewCase(
    case_id="RJ20261127ABCDEF0123",
    business_type="apply",
    basis="residence",
    applicant_name="王*",  # masked by CasePublic
    applicant_id_number="5113**********4418",
    applicant_phone="138****5678",
    residence_address="四川省成都市武侯区玉林街道玉林北路****",
    station_name="玉林派出所",
    bureau="成都市公安局武侯区分局",
)
OUTCOMES = [
    passed("id_number_format", "通过。", "Passed.", declared="5113**********4418"),
    failed(
        "name_match",
        ReasonCode.NAME_MISMATCH,
        declared="王*",
        card="汪*",
        card_similarity=50.0,
        registry_similarity=100.0,
        differs_from=["card"],
    ),
    failed("lease_registered", ReasonCode.LEASE_NOT_REGISTERED, registration_no_on_contract="CD-2026-001"),
    not_evaluated("lease_in_force", "lease.end_on"),
]
DOCUMENTS_URL = "https://rongju.example/review/RJ20261127ABCDEF0123"


def render(outcomes: list[CheckOutcome] | None = None, **overrides: Any) -> str:
    outcomes = OUTCOMES if outcomes is None else outcomes
    arguments: dict[str, Any] = {
        "case": CASE,
        "outcomes": outcomes,
        "decision": decide(outcomes, load_policy()),
        "deadline": date(2026, 12, 12),
        "days_left": 5,
        "documents_url": DOCUMENTS_URL,
        "previous_error": None,
    }
    arguments.update(overrides)
    return render_review_summary(**arguments)


def check_lines(summary: str) -> list[str]:
    """The checks list: one item per check, verdict first (a table is too wide for the modal)."""
    after = summary.split("**检查项 Checks**\n", 1)[1]
    return [line for line in after.splitlines() if line.startswith("- ")]


def test_every_check_has_a_line_with_its_verdict_first() -> None:
    lines = check_lines(render())
    assert len(lines) == len(OUTCOMES)
    by_check = {o.check: line for o, line in zip(OUTCOMES, lines, strict=True)}
    format_line = by_check["id_number_format"]
    assert format_line.startswith("- ✅") and "id_number_format" in format_line
    assert by_check["name_match"].startswith("- ❌ NAME_MISMATCH")
    assert by_check["lease_in_force"].startswith("- ⚠️")


def test_an_unrecognised_feed_value_is_named_to_the_reviewer() -> None:
    outcome = unrecognised("permit_held", "permits.status", ["active"], statuses_on_record=["active"])
    line = check_lines(render([outcome]))[0]
    assert line.startswith("- ⚠️ 未核验") and "「active」" in line and "人工核实" in line


def test_evidence_is_grouped_as_declared_document_and_shared_data() -> None:
    line = check_lines(render())[1]  # name_match
    assert "申报 declared: 王＊" in line
    assert "证件 document: 汪＊" in line
    assert "共享数据 shared data:" in line and "registry_similarity: 100.0" in line
    assert line.index("申报") < line.index("证件") < line.index("共享数据")
    assert "declared" not in check_lines(render())[3]  # nothing to show, nothing shown


def test_header_shows_the_masked_case_and_the_deadline() -> None:
    summary = render()
    assert "RJ20261127ABCDEF0123" in summary
    assert "5113＊＊＊＊＊＊＊＊＊＊4418" in summary
    assert "玉林派出所" in summary and "成都市公安局武侯区分局" in summary
    assert "办理时限 Deadline: 2026-12-12" in summary
    assert "剩余 5 天 / 5 days left" in summary


@pytest.mark.parametrize(
    ("deadline", "days_left", "expected"),
    [
        (date(2026, 12, 12), -3, "已超期 3 天 / 3 days overdue"),
        (date(2026, 12, 12), 0, "今日到期 / due today"),
        (None, None, "尚未受理"),
    ],
)
def test_the_deadline_says_when_it_is_due_or_late(
    deadline: date | None, days_left: int | None, expected: str
) -> None:
    assert expected in render(deadline=deadline, days_left=days_left)


def test_the_automated_outcome_lists_its_reasons() -> None:
    summary = render()
    first = summary.splitlines()[0]
    assert first.startswith("**RJ20261127ABCDEF0123**") and "需人工审核 needs review" in first
    assert "NAME_MISMATCH" in first and "LEASE_NOT_REGISTERED" in first
    assert "未核验 Not evaluated: lease_in_force" in summary


def test_the_case_id_is_never_number_masked() -> None:
    """A case id whose random part starts with digits must still be read whole by the reviewer."""
    case = ReviewCase(**{**CASE.__dict__, "case_id": "RJ202611276152801025"})
    assert "**RJ202611276152801025**" in render(case=case)


def test_chinese_comes_before_english() -> None:
    summary = render(previous_error="动态验证码错误或已过期 / The one-time code is wrong or expired")
    for zh, en in [
        ("上次提交未被接受", "The last submission was not accepted"),
        ("办理时限", "Deadline"),
        ("需人工审核", "needs review"),
        ("检查项", "Checks"),
        ("材料", "Documents"),
    ]:
        assert summary.index(zh) < summary.index(en), (zh, en)


def test_a_previous_error_is_shown_first() -> None:
    summary = render(previous_error="动态验证码错误或已过期 / The one-time code is wrong or expired")
    first = summary.splitlines()[0]
    assert first.startswith("> ⚠️ **上次提交未被接受**") and "动态验证码错误或已过期" in first
    assert "上次提交未被接受" not in render()


def test_documents_are_one_link_to_the_review_page_and_nothing_else() -> None:
    summary = render()
    assert f"**材料 Documents**: [{DOCUMENTS_LINK_TEXT}]({DOCUMENTS_URL})" in summary
    assert summary.count("](") == 1, "one link, no image, no other URL"
    assert "![" not in summary and "(data:" not in summary and "/documents/" not in summary
    assert DOCUMENTS_LINK_TEXT.index("查看材料") < DOCUMENTS_LINK_TEXT.index("view documents")
    assert "材料 Documents" not in render(documents_url=None)


def test_a_case_id_with_digits_in_the_link_is_not_taken_for_a_phone_number() -> None:
    url = "https://rongju.example/review/RJ202611276152801025"
    assert url in render(documents_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
        f"https://rongju.example/review/{ID_NUMBER}",
        "https://rongju.example/review/a b",
        # A capability would ride in a query or fragment: none may reach Prefect.
        "https://rongju.example/review/RJ1?token=eyJjIjoiUkoxIn0.c2ln",
        "https://rongju.example/review/RJ1#eyJjIjoiUkoxIn0.c2ln",
    ],
)
def test_unsafe_document_links_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        render(documents_url=url)


def test_a_value_read_from_a_document_cannot_inject_markdown() -> None:
    hostile = failed(
        "address_match",
        ReasonCode.ADDRESS_MISMATCH,
        card="![track](https://evil.example/p.png) | extra | cell\n# heading",
    )
    summary = render([hostile])
    assert "![track](" not in summary and "\n# heading" not in summary and "](https://evil" not in summary
    assert "\\" not in summary  # no backslash escapes: Prefect's renderer would show them literally
    assert len(check_lines(summary)) == 1


def test_unmasked_numbers_in_evidence_are_masked_again() -> None:
    leaky = failed(
        "id_number_match",
        ReasonCode.ID_NUMBER_MISMATCH,
        declared=ID_NUMBER,
        card="51130219900315441X",
        registry=[f"电话 {PHONE}", "138 1234 5678", "511302 19900315 4418"],
    )
    summary = render([leaky], previous_error=f"reviewer typed {ID_NUMBER}")
    for raw in (ID_NUMBER, "51130219900315441X", PHONE, "138 1234 5678", "511302 19900315 4418"):
        assert raw not in summary
    assert "5113＊＊＊＊＊＊＊＊＊＊4418" in summary and "138＊＊＊＊5678" in summary


def test_masking_is_idempotent_and_leaves_short_numbers_alone() -> None:
    text = f"{ID_NUMBER} {PHONE} 2026-12-12 第3栋 50.0 CD-2026-001"
    once = mask_numbers(text)
    assert mask_numbers(once) == once
    assert "2026-12-12 第3栋 50.0 CD-2026-001" in once


@settings(max_examples=200, deadline=None)
@given(
    birth=st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
    region=st.sampled_from(["510107", "511302", "110101", "440305", "500103"]),
    prefix=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
    suffix=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
    key=st.sampled_from(["declared", "card", "registry", "address", "school", "note"]),
    phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
)
def test_planted_id_numbers_and_phones_never_appear_verbatim(
    birth: date, sequence: int, region: str, prefix: str, suffix: str, key: str, phone: str
) -> None:
    id_number = make_id(region=region, birth=birth, sequence=sequence)
    evidence = {key: f"{prefix}{id_number}{suffix}", "other": phone}
    outcome = failed("planted", ReasonCode.NAME_MISMATCH, **evidence)
    summary = render([outcome], documents_url=None)
    assert id_number not in summary
    assert phone not in summary
