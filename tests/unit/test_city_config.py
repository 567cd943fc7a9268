"""The city configuration: the packaged YAML loads, routing invariants hold, broken copies fail clearly."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
import pytest
import yaml

from config.city import CITY_DIR, CONFIG_DIR, CityConfigError, load_city, load_policy, load_reason_catalogue
from models.city import City
from models.policy import Policy
from models.reasons import ReasonCode

CHENGDU_CODES = {
    "510104": "锦江区",
    "510105": "青羊区",
    "510106": "金牛区",
    "510107": "武侯区",
    "510108": "成华区",
    "510112": "龙泉驿区",
    "510113": "青白江区",
    "510114": "新都区",
    "510115": "温江区",
    "510116": "双流区",
    "510117": "郫都区",
    "510118": "新津区",
    "510121": "金堂县",
    "510129": "大邑县",
    "510131": "蒲江县",
    "510181": "都江堰市",
    "510182": "彭州市",
    "510183": "邛崃市",
    "510184": "崇州市",
    "510185": "简阳市",
}
WUHOU = "成都市公安局武侯区分局"
WUHOU_STATIONS = {
    f"{name}派出所"
    for name in [
        "簇桥",
        "机投",
        "浆洗街",
        "金花",
        "晋阳",
        "南站地区",
        "双楠",
        "跳伞塔",
        "望江路",
        "小天竺街",
        "红牌楼",
        "玉林",
        "站前",
        "致民路",
    ]
}


@pytest.fixture(scope="module")
def city() -> City:
    return load_city()


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


# --- the packaged files -------------------------------------------------------------------------


def test_loaders_are_cached(city: City) -> None:
    assert load_city() is city
    assert load_policy() is load_policy()
    assert load_reason_catalogue() is load_reason_catalogue()


def test_all_twenty_units_and_three_zones(city: City) -> None:
    assert {d.code: d.name for d in city.districts} == CHENGDU_CODES
    assert {z.name for z in city.zones} == {"高新区", "天府新区", "东部新区"}
    assert len(city.bureaus) == 23


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("510107", "武侯区"),
        ("510112", "龙泉驿区"),
        ("510124", "郫都区"),
        ("510132", "新津区"),
        ("512081", "简阳市"),
        ("510122", "双流区"),
    ],
)
def test_district_by_code_resolves_former_codes(city: City, code: str, name: str) -> None:
    assert city.district_by_code(code).name == name


@pytest.mark.parametrize("code", ["510100", "510199", "110101", ""])
def test_district_by_code_refuses_unknown_codes(city: City, code: str) -> None:
    with pytest.raises(KeyError, match="no Chengdu district"):
        city.district_by_code(code)


def test_bureau_names_are_what_the_card_prints(city: City) -> None:
    for district in city.districts:
        if district.kind == "district":
            assert district.bureau == f"成都市公安局{district.name}分局"
        else:
            assert district.bureau == f"{district.name}公安局"
    assert city.zone("天府新区").bureau == "成都市公安局天府新区分局"


def test_zones_lie_in_their_parent_districts(city: City) -> None:
    parents = {z.name: {city.district_by_code(c).name for c in z.parent_codes} for z in city.zones}
    assert parents == {
        "高新区": {"武侯区", "双流区", "郫都区"},
        "天府新区": {"双流区", "龙泉驿区", "新津区"},
        "东部新区": {"简阳市"},
    }


def test_wuhou_has_exactly_its_fourteen_real_stations(city: City) -> None:
    assert {s.name for s in city.stations_of_bureau(WUHOU)} == WUHOU_STATIONS
    assert len(city.stations_of_bureau(WUHOU)) == 14
    yulin = city.station("wuhou-yulin")
    assert yulin.name == "玉林派出所"
    assert "玉林街道" in yulin.jurisdiction.subdistricts
    assert "玉林北路" in yulin.jurisdiction.roads


def test_every_bureau_has_three_or_more_stations_and_one_intake(city: City) -> None:
    for bureau in city.bureaus:
        stations = city.stations_of_bureau(bureau.name)
        assert len(stations) >= 3, bureau.name
        assert [s.id for s in stations if s.intake] == [city.intake_station(bureau.name).id]
        assert city.intake_station(bureau.name).bureau == bureau.name


def test_every_road_belongs_to_exactly_one_station(city: City) -> None:
    roads = Counter(road for s in city.stations for road in s.jurisdiction.roads)
    assert [road for road, n in roads.items() if n > 1] == []
    assert all(len(s.jurisdiction.roads) >= 4 for s in city.stations)


def test_no_road_name_hides_inside_another_stations_road(city: City) -> None:
    # A router that finds road names in free-text addresses must not see 站东路 inside 火车南站东路.
    roads = [(road, s.id) for s in city.stations for road in s.jurisdiction.roads]
    clashes = [
        (short, long)
        for short, owner in roads
        for long, other in roads
        if short != long and short in long and owner != other
    ]
    assert clashes == []


def test_every_listed_subdistrict_has_a_station(city: City) -> None:
    for bureau in city.bureaus:
        unit = (
            city.district_by_code(bureau.district_code)
            if bureau.district_code
            else city.zone(bureau.unit_name)
        )
        covered = {n for s in city.stations_of_bureau(bureau.name) for n in s.jurisdiction.subdistricts}
        assert [n for n in unit.subdistricts if n not in covered] == [], bureau.name


def test_every_subdistrict_belongs_to_one_station_of_its_bureau(city: City) -> None:
    for bureau in city.bureaus:
        names = Counter(n for s in city.stations_of_bureau(bureau.name) for n in s.jurisdiction.subdistricts)
        assert [n for n, count in names.items() if count > 1] == [], bureau.name


def test_station_ids_are_unique_slugs(city: City) -> None:
    ids = [s.id for s in city.stations]
    assert len(ids) == len(set(ids))
    assert city.station("wuhou-tiaosanta").name == "跳伞塔派出所"
    with pytest.raises(KeyError, match="no station"):
        city.station("nowhere")


def test_every_station_has_two_reviewers_and_every_bureau_a_supervisor(city: City) -> None:
    for station in city.stations:
        reviewers = city.reviewers_of_station(station.id)
        assert len(reviewers) == 2, station.id
        assert all(r.role == "reviewer" and r.bureau == station.bureau for r in reviewers)
    for bureau in city.bureaus:
        assert len(city.supervisors_of_bureau(bureau.name)) == 1, bureau.name


def test_reviewer_stations_exist(city: City) -> None:
    station_ids = {s.id for s in city.stations}
    assert all(r.station in station_ids for r in city.reviewers if r.role == "reviewer")


def test_totp_secrets_are_valid_base32_and_never_printed(city: City) -> None:
    for reviewer in city.reviewers:
        secret = reviewer.totp_secret.get_secret_value()
        totp = pyotp.TOTP(secret)
        assert totp.verify(totp.now()), reviewer.id
        assert secret not in repr(reviewer)
    secrets = [r.totp_secret.get_secret_value() for r in city.reviewers]
    assert len(secrets) == len(set(secrets))


def test_policy_and_catalogue_cover_every_reason_code(policy: Policy) -> None:
    catalogue = load_reason_catalogue()
    assert set(policy.outcomes) == set(ReasonCode)
    assert set(catalogue) == set(ReasonCode)
    for code, text in catalogue.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text.zh), code
        assert re.search("[A-Za-z]{3}", text.en), code


def test_policy_numbers(policy: Policy) -> None:
    assert policy.issue_within_days == 15
    assert policy.change_report_within_days == 7
    assert policy.precedence == ("rejected", "needs_correction", "needs_review", "auto_approved")


# --- outcome precedence -------------------------------------------------------------------------

R = ReasonCode


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([], "auto_approved"),
        ([R.IMAGE_TOO_BLURRY], "needs_correction"),
        ([R.OCR_LOW_CONFIDENCE], "needs_review"),
        ([R.LOCAL_HUKOU], "rejected"),
        ([R.OCR_LOW_CONFIDENCE, R.DOCUMENT_MISSING], "needs_correction"),
        ([R.DOCUMENT_MISSING, R.RESIDENCE_UNDER_6_MONTHS], "rejected"),
        ([R.NAME_MISMATCH, R.LOCAL_HUKOU, R.PHOTO_NOT_COMPLIANT], "rejected"),
        ([R.NAME_MISMATCH, R.ID_NUMBER_MISMATCH], "needs_review"),
        ([R.LEASE_EXPIRED, R.LEASE_EXPIRED], "needs_correction"),
        (["PROPERTY_NOT_FOUND", "FILE_UNREADABLE"], "needs_correction"),
    ],
)
def test_outcome_for_applies_precedence(policy: Policy, codes: list[ReasonCode | str], expected: str) -> None:
    assert policy.outcome_for(codes) == expected


def test_clean_case_needs_review_when_auto_approval_is_off(policy: Policy) -> None:
    cautious = policy.model_copy(update={"auto_approve_clean_cases": False})
    assert cautious.outcome_for([]) == "needs_review"
    assert cautious.outcome_for([R.LOCAL_HUKOU]) == "rejected"


def test_outcome_for_refuses_an_unknown_code(policy: Policy) -> None:
    with pytest.raises(ValueError, match="NOT_A_CODE"):
        policy.outcome_for(["NOT_A_CODE"])


def test_custom_precedence_is_honoured(policy: Policy) -> None:
    review_first = policy.model_copy(
        update={"precedence": ("needs_review", "rejected", "needs_correction", "auto_approved")}
    )
    assert review_first.outcome_for([R.LOCAL_HUKOU, R.OCR_LOW_CONFIDENCE]) == "needs_review"


# --- broken copies ------------------------------------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def _copy_config(tmp_path: Path) -> Path:
    target = tmp_path / "city"
    shutil.copytree(CITY_DIR, target)
    shutil.copy(CONFIG_DIR / "reasons.yaml", target / "reasons.yaml")
    return target


def _edit(directory: Path, name: str, edit: Edit) -> None:
    path = directory / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _station(data: dict[str, Any], station_id: str) -> dict[str, Any]:
    return next(s for s in data["stations"] if s["id"] == station_id)


def _shared_road(data: dict[str, Any]) -> None:
    _station(data, "jinjiang-chunxilu")["jurisdiction"]["roads"].append("玉林北路")


def _second_intake(data: dict[str, Any]) -> None:
    _station(data, "wuhou-yulin")["intake"] = True


def _no_intake(data: dict[str, Any]) -> None:
    _station(data, "jinjiang-chunxilu")["intake"] = False


def _three_roads(data: dict[str, Any]) -> None:
    _station(data, "wuhou-zhiminlu")["jurisdiction"]["roads"] = ["致民路", "郭家桥北街", "郭家桥西街"]


def _shared_subdistrict(data: dict[str, Any]) -> None:
    _station(data, "wuhou-jitou")["jurisdiction"]["subdistricts"].append("玉林街道")


def _foreign_subdistrict(data: dict[str, Any]) -> None:
    _station(data, "wuhou-jitou")["jurisdiction"]["subdistricts"].append("春熙路街道")


def _wrong_bureau(data: dict[str, Any]) -> None:
    _station(data, "wuhou-jinyang")["bureau"] = "成都市公安局锦江区分局"


def _unknown_district(data: dict[str, Any]) -> None:
    _station(data, "wuhou-jinhua")["district_code"] = "510199"


def _duplicate_station_id(data: dict[str, Any]) -> None:
    _station(data, "wuhou-jinhua")["id"] = "wuhou-yulin"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_shared_road, "road '玉林北路' belongs to more than one station: wuhou-yulin, jinjiang-chunxilu"),
        (_second_intake, "exactly one intake station, found wuhou-jiangxijie, wuhou-yulin"),
        (_no_intake, "'成都市公安局锦江区分局' must have exactly one intake station, found none"),
        (_three_roads, "stations[13] (wuhou-zhiminlu): jurisdiction.roads"),
        (
            _shared_subdistrict,
            "subdistrict '玉林街道' of 成都市公安局武侯区分局 belongs to more than one station",
        ),
        (_foreign_subdistrict, "wuhou-jitou covers subdistrict '春熙路街道', which is not listed for 武侯区"),
        (_wrong_bureau, "wuhou-jinyang names bureau '成都市公安局锦江区分局'"),
        (_unknown_district, "wuhou-jinhua has unknown district_code 510199"),
        (_duplicate_station_id, "id 'wuhou-yulin' appears more than once"),
    ],
)
def test_broken_stations_fail_naming_the_entry(tmp_path: Path, edit: Edit, expected: str) -> None:
    directory = _copy_config(tmp_path)
    _edit(directory, "stations.yaml", edit)
    with pytest.raises(CityConfigError) as error:
        load_city(directory)
    assert expected in str(error.value)


def _unknown_station(data: dict[str, Any]) -> None:
    data["reviewers"][1]["station"] = "wuhou-nowhere"


def _bad_secret(data: dict[str, Any]) -> None:
    data["reviewers"][1]["totp_secret"] = "NOT-BASE32-0189" + "A" * 17


def _short_secret(data: dict[str, Any]) -> None:
    data["reviewers"][1]["totp_secret"] = "JBSWY3DPEHPK3PXP"


def _supervisor_with_station(data: dict[str, Any]) -> None:
    data["reviewers"][0]["station"] = "wuhou-yulin"


def _reviewer_of_other_bureau(data: dict[str, Any]) -> None:
    data["reviewers"][1]["bureau"] = "成都市公安局锦江区分局"


def _supervisor_of_unknown_bureau(data: dict[str, Any]) -> None:
    data["reviewers"][0]["bureau"] = "成都市公安局火星区分局"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_reviewer_of_other_bureau, "station wuhou-cuqiao belongs to '成都市公安局武侯区分局'"),
        (_supervisor_of_unknown_bureau, "s-wuhou supervises unknown bureau '成都市公安局火星区分局'"),
        (_unknown_station, "r-wuhou-cuqiao-1 is rostered at unknown station 'wuhou-nowhere'"),
        (_bad_secret, "reviewers[1] (r-wuhou-cuqiao-1): totp_secret: TOTP secret is not valid base32"),
        (_short_secret, "reviewers[1] (r-wuhou-cuqiao-1): totp_secret: TOTP secret must be 32"),
        (_supervisor_with_station, "reviewers[0] (s-wuhou): a supervisor belongs to a bureau"),
    ],
)
def test_broken_reviewers_fail_naming_the_entry(tmp_path: Path, edit: Edit, expected: str) -> None:
    directory = _copy_config(tmp_path)
    _edit(directory, "reviewers.yaml", edit)
    with pytest.raises(CityConfigError) as error:
        load_city(directory)
    assert expected in str(error.value)
    assert "reviewers.yaml" in str(error.value) or "reviewers:" in str(error.value)


def test_broken_former_code_fails(tmp_path: Path) -> None:
    directory = _copy_config(tmp_path)

    def edit(data: dict[str, Any]) -> None:
        data["former_codes"][0]["current_code"] = "510199"

    _edit(directory, "districts.yaml", edit)
    with pytest.raises(CityConfigError, match=r"510122 \(双流县\) points to unknown code 510199"):
        load_city(directory)


def test_missing_file_fails_naming_it(tmp_path: Path) -> None:
    directory = _copy_config(tmp_path)
    (directory / "stations.yaml").unlink()
    with pytest.raises(CityConfigError, match=r"stations\.yaml: file not found"):
        load_city(directory)


def test_invalid_yaml_fails_naming_the_file(tmp_path: Path) -> None:
    directory = _copy_config(tmp_path)
    (directory / "policy.yaml").write_text("outcomes: [unclosed\n", encoding="utf-8")
    with pytest.raises(CityConfigError, match=r"policy\.yaml: not valid YAML"):
        load_policy(directory)


def test_policy_missing_a_code_fails(tmp_path: Path) -> None:
    directory = _copy_config(tmp_path)
    _edit(directory, "policy.yaml", lambda data: data["outcomes"].pop("LEASE_EXPIRED"))
    with pytest.raises(CityConfigError, match=r"no outcome for reason code.*LEASE_EXPIRED"):
        load_policy(directory)


def test_policy_with_an_unknown_code_fails(tmp_path: Path) -> None:
    directory = _copy_config(tmp_path)
    _edit(directory, "policy.yaml", lambda data: data["outcomes"].update(LEASE_EXPRIED="rejected"))
    with pytest.raises(CityConfigError, match=r"unknown reason code.*LEASE_EXPRIED"):
        load_policy(directory)


def test_policy_with_an_unknown_outcome_fails(tmp_path: Path) -> None:
    directory = _copy_config(tmp_path)
    _edit(directory, "policy.yaml", lambda data: data["outcomes"].update(LEASE_EXPIRED="maybe"))
    with pytest.raises(CityConfigError, match=r"outcomes\.LEASE_EXPIRED"):
        load_policy(directory)


def test_policy_precedence_must_list_every_outcome(tmp_path: Path) -> None:
    directory = _copy_config(tmp_path)
    _edit(directory, "policy.yaml", lambda data: data.update(precedence=["rejected", "needs_review"]))
    with pytest.raises(CityConfigError, match="precedence must list each of"):
        load_policy(directory)


def test_catalogue_missing_a_code_fails(tmp_path: Path) -> None:
    directory = _copy_config(tmp_path)
    _edit(directory, "reasons.yaml", lambda data: data.pop("NAME_MISMATCH"))
    with pytest.raises(CityConfigError, match=r"reasons\.yaml: no text for reason code.*NAME_MISMATCH"):
        load_reason_catalogue(directory)


def test_catalogue_entry_without_chinese_fails(tmp_path: Path) -> None:
    directory = _copy_config(tmp_path)
    _edit(directory, "reasons.yaml", lambda data: data["NAME_MISMATCH"].pop("zh"))
    with pytest.raises(CityConfigError, match=r"NAME_MISMATCH: zh: Field required"):
        load_reason_catalogue(directory)
