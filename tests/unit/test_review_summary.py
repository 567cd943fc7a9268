"""The masked case summary above the review form: complete, Chinese first, and never unmasked."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from check_factories import make_id
from hypothesis import given, settings
from hypothesis import strategies as st

from config.city import load_policy
from models.checks.result import CheckOutcome, failed, not_evaluated, passed
from models.decision import decide
from models.reasons import ReasonCode
from models.review_summary import ReviewCase, mask_numbers, render_review_summary

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
LINKS = [
    ("身份证人像面 ID front", "https://rongju.example/review/docs/abc?exp=1764201234&sig=9f86d08"),
    ("租赁合同 Lease", "https://rongju.example/review/docs/def.pdf?exp=1764201234&sig=2c26b46"),
]


def render(outcomes: list[CheckOutcome] | None = None, **overrides: Any) -> str:
    outcomes = OUTCOMES if outcomes is None else outcomes
    arguments: dict[str, Any] = {
        "case": CASE,
        "outcomes": outcomes,
        "decision": decide(outcomes, load_policy()),
        "deadline": date(2026, 12, 12),
        "days_left": 5,
        "document_links": LINKS,
        "previous_error": None,
    }
    arguments.update(overrides)
    return render_review_summary(**arguments)


def table_rows(summary: str) -> list[str]:
    return [line for line in summary.splitlines() if line.startswith("| ") and "---" not in line][1:]


def test_every_check_has_a_row_with_its_verdict() -> None:
    rows = table_rows(render())
    assert len(rows) == len(OUTCOMES)
    by_check = {o.check: row for o, row in zip(OUTCOMES, rows, strict=True)}
    assert "id\\_number\\_format" in by_check["id_number_format"] and "✅" in by_check["id_number_format"]
    assert "❌" in by_check["name_match"] and "NAME\\_MISMATCH" in by_check["name_match"]
    assert "⚠️" in by_check["lease_in_force"]


def test_evidence_lands_in_the_declared_document_and_shared_data_columns() -> None:
    row = table_rows(render())[1]  # name_match
    cells = [cell.strip() for cell in row.strip("|").split(" | ")]
    _check, declared, document, shared, _verdict = cells
    assert declared == "王\\*"
    assert document.startswith("汪\\*")
    assert "registry\\_similarity: 100.0" in shared
    empty = [cell.strip() for cell in table_rows(render())[3].strip("|").split(" | ")]
    assert empty[1:4] == ["—", "—", "—"]


def test_header_shows_the_masked_case_and_the_deadline() -> None:
    summary = render()
    assert "RJ20261127ABCDEF0123" in summary
    assert "5113\\*\\*\\*\\*\\*\\*\\*\\*\\*\\*4418" in summary
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
    assert "自动审核结果 Automated outcome: 需人工审核 needs review" in summary
    assert "NAME\\_MISMATCH" in summary and "LEASE\\_NOT\\_REGISTERED" in summary
    assert "未核验 Not evaluated: lease\\_in\\_force" in summary


def test_chinese_comes_before_english() -> None:
    summary = render(previous_error="动态验证码错误或已过期 / The one-time code is wrong or expired")
    for zh, en in [
        ("上次提交未被接受", "The last submission was not accepted"),
        ("办理时限", "Deadline"),
        ("自动审核结果", "Automated outcome"),
        ("检查项", "Check"),
        ("材料", "Documents"),
    ]:
        assert summary.index(zh) < summary.index(en), (zh, en)


def test_a_previous_error_is_shown_first() -> None:
    summary = render(previous_error="动态验证码错误或已过期 / The one-time code is wrong or expired")
    first = summary.splitlines()[0]
    assert first.startswith("> ⚠️ **上次提交未被接受**") and "动态验证码错误或已过期" in first
    assert "上次提交未被接受" not in render()


def test_documents_are_linked_by_url_and_images_shown_except_pdfs() -> None:
    summary = render()
    image_url, pdf_url = LINKS[0][1], LINKS[1][1]
    assert f"[![身份证人像面 ID front]({image_url})]({image_url})" in summary
    assert f"]({pdf_url})" in summary and f"![租赁合同 Lease]({pdf_url})" not in summary
    assert "data:" not in summary


def test_is_image_decides_between_inline_image_and_link() -> None:
    url = "https://rongju.example/documents/eyJjIjoiUkoxIn0.c2ln"
    shown = render(document_links=[("租赁合同 Lease", url, False), ("照片 Photo", url + "x", True)])
    assert f"[租赁合同 Lease]({url})" in shown and f"![租赁合同 Lease]({url})" not in shown
    assert f"![照片 Photo]({url}x)" in shown


def test_a_signed_token_with_digits_is_not_taken_for_a_phone_number() -> None:
    url = "https://rongju.example/documents/eyJj13812345678Ab.c2ln"
    assert url in render(document_links=[("照片 Photo", url, True)])


@pytest.mark.parametrize(
    "url",
    [
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
        f"https://rongju.example/docs?id={ID_NUMBER}",
        "https://rongju.example/docs/a b",
    ],
)
def test_unsafe_document_links_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        render(document_links=[("身份证 ID", url)])


def test_a_value_read_from_a_document_cannot_inject_markdown() -> None:
    hostile = failed(
        "address_match",
        ReasonCode.ADDRESS_MISMATCH,
        card="![track](https://evil.example/p.png) | extra | cell\n# heading",
    )
    summary = render([hostile])
    assert "![track](" not in summary and "\n# heading" not in summary
    assert len(table_rows(summary)[0].split(" | ")) == 5


def test_unmasked_numbers_in_evidence_are_masked_again() -> None:
    leaky = failed(
        "id_number_match",
        ReasonCode.ID_NUMBER_MISMATCH,
        declared=ID_NUMBER,
        card="51130219900315441X",
        registry=[f"电话 {PHONE}", "138 1234 5678", "511302 19900315 4418"],
    )
    summary = render([leaky], previous_error=f"reviewer typed {ID_NUMBER}")
    digits = re.sub(r"\\", "", summary)
    for raw in (ID_NUMBER, "51130219900315441X", PHONE, "138 1234 5678", "511302 19900315 4418"):
        assert raw not in digits
    assert "5113**********4418" in digits and "138****5678" in digits


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
    summary = render([outcome], document_links=[])
    unescaped = summary.replace("\\", "")
    assert id_number not in unescaped and id_number not in summary
    assert phone not in unescaped and phone not in summary
