"""Station routing against the configured city (config/city), and against the sample city."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from config.city import load_city
from models.city import City
from models.routing import route_address

WUHOU = "成都市公安局武侯区分局"


@pytest.fixture(scope="module")
def city() -> City:
    return load_city()


def _wuhou_stations() -> list[tuple[str, str, tuple[str, ...]]]:
    wuhou = [s for s in load_city().stations if s.bureau == WUHOU]
    return [(s.id, s.jurisdiction.roads[0], s.jurisdiction.subdistricts) for s in wuhou]


@pytest.mark.parametrize(("station_id", "road", "subdistricts"), _wuhou_stations())
def test_every_wuhou_station_is_reached_by_its_road_and_subdistrict(
    city: City, station_id: str, road: str, subdistricts: tuple[str, ...]
) -> None:
    by_road = route_address(f"四川省成都市武侯区{road}12号3栋2单元501", city)
    assert (by_road.station_id, by_road.matched, by_road.bureau) == (station_id, True, WUHOU)
    assert by_road.evidence["matched_by"] == "road"
    for sub in subdistricts:
        by_sub = route_address(f"成都市武侯区{sub}某某小区1号", city)
        assert (by_sub.station_id, by_sub.matched) == (station_id, True)
        assert by_sub.evidence["matched_by"] == "subdistrict"


def test_all_fourteen_wuhou_stations_are_configured(city: City) -> None:
    assert len(city.stations_of_bureau(WUHOU)) == 14


@pytest.mark.parametrize(
    ("address", "station_id", "bureau", "zone"),
    [
        ("成都市高新区桂溪街道天府大道北段42号", "gaoxin-guixi", "成都市公安局高新区分局", "高新区"),
        ("成都高新技术产业开发区芳草东街1号", "gaoxin-fangcao", "成都市公安局高新区分局", "高新区"),
        ("四川天府新区成都直管区华阳街道1号", "tianfu-huayang", "成都市公安局天府新区分局", "天府新区"),
        # 华阳街道 lies in 双流区 but the 天府新区 administers it.
        ("成都市双流区华阳街道1号", "tianfu-huayang", "成都市公安局天府新区分局", "天府新区"),
        ("成都东部新区贾家街道1号", "dongbu-jiajia", "成都市公安局东部新区分局", "东部新区"),
    ],
)
def test_zones_route_to_their_bureau(
    city: City, address: str, station_id: str, bureau: str, zone: str
) -> None:
    routing = route_address(address, city)
    assert (routing.station_id, routing.bureau, routing.zone, routing.district_code) == (
        station_id,
        bureau,
        zone,
        None,
    )


@pytest.mark.parametrize(
    ("address", "district_code", "bureau"),
    [
        ("郫县犀浦街道1号", "510117", "成都市公安局郫都区分局"),
        ("双流县东升街道1号", "510116", "成都市公安局双流区分局"),
        ("新津县五津街道1号", "510118", "成都市公安局新津区分局"),
        ("灌县灌口街道1号", "510181", "都江堰市公安局"),
    ],
)
def test_former_county_names_route_to_todays_bureau(
    city: City, address: str, district_code: str, bureau: str
) -> None:
    routing = route_address(address, city)
    assert (routing.district_code, routing.bureau, routing.matched) == (district_code, bureau, True)
    assert "former_unit_name" in routing.flags


def test_unmatched_road_goes_to_the_intake_station_flagged(city: City) -> None:
    routing = route_address("成都市武侯区锦绣东巷5号", city)
    assert (routing.station_id, routing.matched) == (city.intake_station(WUHOU).id, False)
    assert routing.flags == ("unmatched_jurisdiction",)
    assert "受理" in routing.explanation_zh and "intake" in routing.explanation_en


def test_road_of_another_district_stays_in_the_written_bureau(city: City) -> None:
    routing = route_address("成都市武侯区春熙路1号", city)
    assert (routing.station_id, routing.bureau, routing.matched) == (
        city.intake_station(WUHOU).id,
        WUHOU,
        False,
    )
    assert "road_in_other_district" in routing.flags
    assert routing.evidence["other_bureau"] == "成都市公安局锦江区分局"


def test_subdistrict_of_another_district_is_flagged_not_followed(city: City) -> None:
    routing = route_address("成都市锦江区玉林街道某某巷1号", city)
    assert routing.bureau == "成都市公安局锦江区分局" and not routing.matched
    assert "subdistrict_in_other_district" in routing.flags


@pytest.mark.parametrize(
    ("address", "flag"),
    [
        ("成都市某某路1号", "no_district"),
        ("某某路1号", "no_district"),
        ("", "no_district"),
        ("四川省绵阳市涪城区临园路1号", "not_chengdu"),
        ("北京市朝阳区建国路1号", "not_chengdu"),
        # 玉林街道 (武侯) and 春熙路 (锦江) point to two bureaus and no district is written.
        ("成都市玉林街道春熙路1号", "ambiguous_district"),
    ],
)
def test_no_or_ambiguous_district_needs_a_person(city: City, address: str, flag: str) -> None:
    routing = route_address(address, city)
    assert routing.station_id is None and routing.needs_person and not routing.matched
    assert flag in routing.flags
    assert routing.explanation_zh and routing.explanation_en


def test_district_is_inferred_from_the_road_when_not_written(city: City) -> None:
    routing = route_address("成都市玉林北路12号", city)
    assert (routing.station_id, routing.district_code, routing.matched) == ("wuhou-yulin", "510107", True)
    assert "district_inferred" in routing.flags


@pytest.mark.parametrize(
    ("address", "station_id", "configured"),
    [
        ("成都市武侯区晋阳12号", "wuhou-jinyang", "晋阳路"),  # missing 路
        ("成都市武侯区火车南站西略1号", "wuhou-nanzhan", "火车南站西路"),  # one wrong character
    ],
)
def test_near_miss_road_is_matched_and_flagged(
    city: City, address: str, station_id: str, configured: str
) -> None:
    routing = route_address(address, city)
    assert (routing.station_id, routing.matched) == (station_id, True)
    assert "fuzzy_road" in routing.flags and routing.evidence["configured"] == configured


def test_ambiguous_near_miss_is_not_guessed(city: City) -> None:
    # 玉林北 could be 玉林北路 or 玉林北街: no fuzzy match, intake station.
    routing = route_address("成都市武侯区玉林北12号", city)
    assert not routing.matched and "fuzzy_road" not in routing.flags


def test_community_matches_first(city: City) -> None:
    routing = route_address("成都市武侯区玉林东路社区某某巷1号", city)
    assert (routing.station_id, routing.evidence["matched_by"]) == ("wuhou-yulin", "community")


@pytest.mark.parametrize(
    "written",
    [
        "四川省成都市武侯区玉林街道玉林北路12号3栋2单元501",
        "成都市武侯区玉林北路十二号3幢2单元501室",
        "四川成都武侯区玉林北路１２号３号楼２单元５０１",
        " 武侯区 玉林北路 12 号 3-2-501 ",
    ],
)
def test_surface_forms_route_the_same(city: City, written: str) -> None:
    routing = route_address(written, city)
    assert (routing.station_id, routing.bureau, routing.district_code, routing.matched) == (
        "wuhou-yulin",
        WUHOU,
        "510107",
        True,
    )


def test_every_station_of_the_city_is_reachable_by_each_of_its_roads(city: City) -> None:
    for station in city.stations:
        unit = city.district_by_code(station.district_code).name if station.district_code else station.zone
        for road in station.jurisdiction.roads:
            routing = route_address(f"成都市{unit}{road}1号", city)
            assert (routing.station_id, routing.matched) == (station.id, True), (station.id, road)


def test_sample_city_cases_route_to_their_expected_station(tmp_path: Path, city: City) -> None:
    from samplecity.city import generate_city

    generate_city(tmp_path, residents=300, cases=40, seed=7, today=date(2025, 3, 1), render=False)
    expected = json.loads((tmp_path / "expected.json").read_text(encoding="utf-8"))["cases"]
    applications = {}
    for path in (tmp_path / "cases").glob("*/application.json"):
        app = json.loads(path.read_text(encoding="utf-8"))
        applications[app["submission_id"]] = app["residence_address"]
    assert set(applications) == set(expected)
    for submission_id, want in expected.items():
        routing = route_address(applications[submission_id], city)
        assert (routing.station_id, routing.matched) == (want["station_id"], want["station_matched"]), (
            submission_id
        )
