"""Validation of application.json: every problem reported at once, in Chinese and English."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from factories import make_application
from hypothesis import given
from hypothesis import strategies as st

from models.package import (
    ApplicationPackage,
    BusinessType,
    PackageProblem,
    PackageRefused,
    normalise_phone,
    parse_application,
)
from services.intake import file_problem

CJK = re.compile(r"[\u4e00-\u9fff]")


def _refusal(application: Any) -> PackageRefused:
    raw = application if isinstance(application, bytes) else json.dumps(application).encode()
    with pytest.raises(PackageRefused) as raised:
        parse_application(raw)
    return raised.value


def test_valid_package_is_parsed_and_normalised() -> None:
    application = make_application(
        applicant={"name": " 王小明 ", "id_number": "51130219900315441x", "phone": "13812345678"}
    )
    package = parse_application(json.dumps(application, ensure_ascii=False).encode())
    assert isinstance(package, ApplicationPackage)
    assert package.business_type is BusinessType.APPLY
    assert package.applicant.name == "王小明"
    assert package.applicant.id_number.endswith("X")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"business_type": "renew"}, "business_type"),
        (
            {"applicant": {"name": "王", "id_number": "511302199003154418", "phone": "13812345678"}},
            "applicant.name",
        ),
        (
            {"applicant": {"name": "王小明", "id_number": "5113021990", "phone": "13812345678"}},
            "applicant.id_number",
        ),
        (
            {"applicant": {"name": "王小明", "id_number": "511302199003154418", "phone": "12345"}},
            "applicant.phone",
        ),
        ({"documents": []}, "documents"),
        ({"documents": [{"kind": "passport", "file": "a.jpg"}]}, "documents.0.kind"),
        ({"documents": [{"kind": "id_front", "file": "../../etc/passwd"}]}, "documents.0.file"),
        ({"documents": [{"kind": "id_front", "file": ".hidden.jpg"}]}, "documents.0.file"),
        ({"submission_id": "has space"}, "submission_id"),
        ({"basis": None}, "application.json"),
        ({"delivery": {"method": "mail"}}, "application.json"),
        (
            {"documents": [{"kind": "id_front", "file": "a.jpg"}, {"kind": "id_back", "file": "a.jpg"}]},
            "application.json",
        ),
    ],
)
def test_invalid_field_is_named_in_both_languages(change: dict[str, Any], field: str) -> None:
    refusal = _refusal(make_application(**change))
    fields = [p.field for p in refusal.problems]
    assert field in fields
    problem = refusal.problems[fields.index(field)]
    assert CJK.search(problem.zh), problem.zh
    assert problem.en and not CJK.search(problem.en.split(":", 1)[0])


def test_all_problems_are_reported_at_once() -> None:
    """一次性告知: three wrong fields, three problems."""
    application = make_application(business_type="x", residence_address="", documents=[])
    assert {p.field for p in _refusal(application).problems} >= {
        "business_type",
        "residence_address",
        "documents",
    }


def test_rules_across_fields_are_told_with_the_field_problems() -> None:
    """一次性告知 also for the rules across fields: a bad phone, no basis for 申领, no address for 邮寄 and
    a file listed twice are four problems in one refusal, not one now and the next after a resubmission."""
    application = make_application(
        applicant={"name": "王小明", "id_number": "511302199003154418", "phone": "12345"},
        basis="",
        delivery={"method": "mail", "address": ""},
        documents=[{"kind": "id_front", "file": "a.jpg"}, {"kind": "id_back", "file": "a.jpg"}],
    )
    problems = _refusal(application).problems
    texts = " ".join(p.zh for p in problems)
    assert any(p.field == "applicant.phone" for p in problems)
    assert "申领依据" in texts and "邮寄地址" in texts and "同一文件出现多次" in texts
    assert len(problems) == 4


@pytest.mark.parametrize("raw", [b"\xff\xfe not json", b"[1, 2]", b"{", "申请".encode("gbk")])
def test_unparseable_application_is_refused(raw: bytes) -> None:
    refusal = _refusal(raw)
    assert refusal.problems[0].field == "application.json"


def test_submission_id_is_kept_on_refusal_so_the_portal_can_match_it() -> None:
    refusal = _refusal(make_application(submission_id="SCZW-1", documents=[]))
    assert refusal.submission_id == "SCZW-1"


@given(st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_id_number_shape_accepts_exactly_17_digits_and_a_check_char(candidate: str) -> None:
    application = make_application(
        applicant={"name": "王小明", "id_number": candidate, "phone": "13812345678"}
    )
    shape_ok = re.fullmatch(r"[0-9]{17}[0-9X]", candidate) is not None
    try:
        parse_application(json.dumps(application).encode())
        accepted = True
    except PackageRefused:
        accepted = False
    assert accepted == shape_ok


# Tolerant reading (DESIGN.md §4): a field the case does not need may be absent, null or "".

BLANKS = ["", "   ", "\t\n", None]
PICKUP = {"method": "pickup"}


def _parsed(application: dict[str, Any]) -> ApplicationPackage:
    return parse_application(json.dumps(application, ensure_ascii=False).encode())


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("key", ["address", "recipient", "phone"])
def test_blank_delivery_field_of_a_pickup_is_absent(key: str, blank: str | None) -> None:
    absent = _parsed(make_application(submission_id="S-1", delivery=PICKUP))
    blanked = _parsed(make_application(submission_id="S-1", delivery={**PICKUP, key: blank}))
    assert getattr(blanked.delivery, key) is None
    assert blanked.model_dump() == absent.model_dump()


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("business_type", ["endorse", "change", "reissue"])
def test_blank_basis_is_absent_when_the_business_needs_none(business_type: str, blank: str | None) -> None:
    package = _parsed(make_application(business_type=business_type, basis=blank))
    assert package.basis is None


@pytest.mark.parametrize("blank", BLANKS)
def test_mail_without_an_address_is_refused_with_what_to_do(blank: str | None) -> None:
    (problem,) = _refusal(make_application(delivery={"method": "mail", "address": blank})).problems
    assert problem.field == "application.json"
    assert "邮寄地址" in problem.zh and "自取" in problem.action_zh and problem.action_zh in problem.zh
    assert "pickup" in problem.action_en and problem.action_en in problem.en


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize(
    ("change", "field", "action"),
    [
        (
            {"applicant": {"name": "B", "id_number": "511302199003154418", "phone": "13812345678"}},
            "name",
            "姓名",
        ),
        (
            {"applicant": {"name": "王小明", "id_number": "B", "phone": "13812345678"}},
            "id_number",
            "身份号码",
        ),
        (
            {"applicant": {"name": "王小明", "id_number": "511302199003154418", "phone": "B"}},
            "phone",
            "手机号码",
        ),
        ({"residence_address": "B"}, "residence_address", "居住地址"),
        ({"basis": "B"}, "application.json", "申领依据"),
    ],
)
def test_blank_needed_field_is_missing_and_says_what_to_fill_in(
    change: dict[str, Any], field: str, action: str, blank: str | None
) -> None:
    application = json.loads(json.dumps(make_application(**change)).replace('"B"', json.dumps(blank)))
    (problem,) = _refusal(application).problems
    assert problem.field.endswith(field)
    assert problem.action_zh.startswith("请") and action in problem.action_zh
    if field != "application.json":
        assert "缺少必填项" in problem.zh and "Field required" in problem.en


def test_enum_values_are_read_without_regard_to_case_and_blanks() -> None:
    package = _parsed(
        make_application(
            business_type=" Apply",
            basis="RESIDENCE ",
            delivery={"method": " Pickup "},
            documents=[{"kind": " id_front\t", "file": "a.jpg"}, {"kind": "Photo", "file": "b.png"}],
        )
    )
    assert package.business_type == "apply" and package.basis == "residence"
    assert package.delivery.method == "pickup"
    assert [d.kind for d in package.documents] == ["id_front", "photo"]


@pytest.mark.parametrize(
    "written",
    [
        "13812345678",
        "+86 138 1234 5678",
        "138-1234-5678",
        "(+86)13812345678",
        "0086 13812345678",
        "8613812345678",
        "+86-138-1234-5678",
        "１３８ １２３４ ５６７８",
        " 13812345678 ",
    ],
)
def test_phone_formatting_is_normalised_not_refused(written: str) -> None:
    package = _parsed(
        make_application(
            applicant={"name": "王小明", "id_number": "511302199003154418", "phone": written},
            delivery={"method": "mail", "address": "成都市武侯区玉林北路12号", "phone": written},
        )
    )
    assert package.applicant.phone == "13812345678" and package.delivery.phone == "13812345678"


@given(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["", "+86", "+86 ", "0086-", "86"]),
    st.lists(st.sampled_from([" ", "-"]), min_size=10, max_size=10),
)
def test_normalise_phone_keeps_exactly_the_eleven_digits(number: str, prefix: str, gaps: list[str]) -> None:
    written = prefix + "".join(digit + gap for digit, gap in zip(number, [*gaps, ""], strict=True))
    assert normalise_phone(written) == number


@pytest.mark.parametrize("phone", ["12345", "23812345678", "1381234567x", "+1 138 1234 5678"])
def test_a_wrong_phone_number_is_still_refused(phone: str) -> None:
    application = make_application(
        applicant={"name": "王小明", "id_number": "511302199003154418", "phone": phone}
    )
    assert [p.field for p in _refusal(application).problems] == ["applicant.phone"]


def test_unknown_fields_are_ignored_and_their_names_kept() -> None:
    package = _parsed(
        make_application(
            portal_ref="X-1",
            delivery={"method": "pickup", "station_hint": "玉林"},
            documents=[{"kind": "id_front", "file": "a.jpg", "sha1": "00"}],
        )
    )
    assert sorted(package.ignored_fields) == ["delivery.station_hint", "documents.0.sha1", "portal_ref"]
    assert "portal_ref" not in package.model_dump()


def test_a_misspelt_key_is_named_when_its_value_is_missed() -> None:
    (problem,) = _refusal(make_application(delivery={"method": "mail", "adress": "成都市"})).problems
    assert "delivery.adress" in problem.zh and "delivery.adress" in problem.en


# Every refusal names what the applicant can do. Each row: a package with one defect, the field the
# problem is reported on, and the Chinese label of the thing the applicant must act on. The action
# must start with 请, name that label, and appear in both full texts; and different defects must
# get different actions, so a generic "please check and resubmit" cannot pass.
BAD_PACKAGES: list[tuple[Any, str, str]] = [
    (b"{", "application.json", "application.json"),
    ({"submission_id": "has space"}, "submission_id", "申请编号"),
    ({"business_type": "renew"}, "business_type", "业务类型"),
    ({"applicant": "王小明"}, "applicant", "申请人"),
    (
        {"applicant": {"name": "王", "id_number": "511302199003154418", "phone": "13812345678"}},
        "applicant.name",
        "姓名",
    ),
    (
        {"applicant": {"name": "王小明", "id_number": "5113021990", "phone": "13812345678"}},
        "applicant.id_number",
        "公民身份号码",
    ),
    (
        {"applicant": {"name": "王小明", "id_number": "511302199003154418", "phone": "12345"}},
        "applicant.phone",
        "手机号码",
    ),
    ({"residence_address": "成都"}, "residence_address", "居住地址"),
    ({"basis": "money"}, "basis", "申领依据"),
    ({"delivery": {"method": "drone"}}, "delivery.method", "领取方式"),
    ({"delivery": {"method": "mail"}}, "application.json", "邮寄地址"),
    ({"delivery": {"method": "pickup", "recipient": "王" * 41}}, "delivery.recipient", "收件人"),
    ({"delivery": {"method": "pickup", "phone": "12345"}}, "delivery.phone", "收件人的 11 位手机号码"),
    ({"documents": []}, "documents", "材料清单"),
    ({"documents": [{"kind": "passport", "file": "a.jpg"}]}, "documents.0.kind", "材料类型"),
    ({"documents": [{"kind": "id_front", "file": ".a.jpg"}]}, "documents.0.file", "文件名"),
    ({"documents": [{"kind": "id_front", "file": "a.jpg"}] * 2}, "application.json", "文件名"),
]


def _problem_for(package: Any, field: str) -> PackageProblem:
    raw = package if isinstance(package, bytes) else make_application(**package)
    problems = {p.field: p for p in _refusal(raw).problems}
    assert field in problems, list(problems)
    return problems[field]


def _assert_names_an_action(problem: PackageProblem, label: str) -> None:
    assert problem.action_zh.startswith("请") and label in problem.action_zh, problem.action_zh
    assert problem.zh.endswith(f"{problem.action_zh}。"), problem.zh
    assert problem.action_en and not CJK.search(problem.action_en) and problem.action_en in problem.en


@pytest.mark.parametrize(("package", "field", "label"), BAD_PACKAGES)
def test_every_package_refusal_names_what_to_do(package: Any, field: str, label: str) -> None:
    _assert_names_an_action(_problem_for(package, field), label)


def test_different_defects_get_different_actions() -> None:
    actions = [_problem_for(package, field).action_zh for package, field, _ in BAD_PACKAGES]
    assert len(set(actions)) == len(actions), actions


FILE_REFUSALS = [
    (b"", 100, "FILE_UNREADABLE", "重新拍照"),
    (b"GIF89a\x01\x00\x01\x00" + b"\x00" * 40, 100, "FILE_TYPE_NOT_ALLOWED", "PDF"),
    (b"\xff\xd8\xff" + b"\x00" * 200, 100, "FILE_TYPE_NOT_ALLOWED", "拆分"),
]


@pytest.mark.parametrize(("data", "cap", "code", "label"), FILE_REFUSALS)
def test_every_file_refusal_names_what_to_do(data: bytes, cap: int, code: str, label: str) -> None:
    _, problem = file_problem("scan.jpg", data, max_bytes=cap)
    assert problem is not None and problem.code == code and problem.field == "scan.jpg"
    assert "scan.jpg" in problem.zh
    _assert_names_an_action(problem, label)


def test_file_refusals_get_different_actions() -> None:
    actions = [file_problem("a.jpg", data, max_bytes=cap)[1] for data, cap, _, _ in FILE_REFUSALS]
    assert len({a.action_zh for a in actions if a is not None}) == len(FILE_REFUSALS)
