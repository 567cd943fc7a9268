"""Residence basis and address change: lease registration, lease term, property, address comparison."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from check_factories import ADDRESS, ID, TODAY, enrollment, lease, make_id, prop, reg

from config.requirements import load_requirements
from models.checks.housing import (
    addresses_match,
    check_address,
    check_change_registration,
    check_lease_current,
    check_lease_registered,
    check_property_record,
    find_lease,
    find_property,
)
from models.checks.study import check_enrollment
from models.reasons import ReasonCode

OTHER = make_id(sequence=443)


@pytest.mark.parametrize(
    ("recorded", "same"),
    [
        (ADDRESS, True),
        ("成都市武侯区玉林北路十二号3幢2单元501室", True),  # numerals, 幢, 室, no 四川省
        ("武侯区玉林北路１２号3号楼2单元501", True),  # full-width digits, 号楼
        ("玉林北路12号3栋2单元501室", True),  # district left out: tolerated
        ("四川省成都市武侯区玉林北路12号3栋2单元502", False),  # another flat
        ("四川省成都市武侯区玉林北路12号3栋", False),  # building only: may be another flat
        ("四川省成都市青羊区玉林北路12号3栋2单元501", False),  # another district
        ("四川省成都市武侯区玉林南路12号3栋2单元501", False),
    ],
)
def test_addresses_match(recorded: str, same: bool) -> None:
    assert addresses_match(ADDRESS, recorded) is same


def test_address_check_evidence() -> None:
    outcome = check_address(ADDRESS, "四川省成都市武侯区玉林北路12号3栋2单元502", "lease")
    assert outcome.reason is ReasonCode.ADDRESS_MISMATCH
    assert outcome.evidence["differing_parts"] == ["room"]
    assert 90 < outcome.evidence["similarity"] < 100
    assert "501" not in str(outcome.evidence)
    assert not check_address(ADDRESS, None, "lease").evaluated


def test_find_lease_by_number_then_by_tenant() -> None:
    registered = lease(registration_no="WH-1")
    by_no = {"WH-1": registered, "WH-9": lease(registration_no="WH-9", tenant=OTHER)}
    assert find_lease(ID, [], by_no, "WH-1", ADDRESS, TODAY).matched_by == "registration_no"
    # Someone else's number: not this tenant's; falls back to the tenant's own leases.
    match = find_lease(ID, [registered], by_no, "WH-9", ADDRESS, TODAY)
    assert (match.matched_by, match.number_found) == ("tenant", False)
    # The tenant's lease at the declared address wins over a later one elsewhere.
    elsewhere = lease(registration_no="WH-2", address="成都市青羊区草市街1号", end_on=date(2028, 1, 1))
    assert find_lease(ID, [elsewhere, registered], {}, None, ADDRESS, TODAY).lease == registered


@pytest.mark.parametrize(
    ("tenant_leases", "by_no", "number", "reason"),
    [
        ([lease()], {}, None, None),
        ([], {}, None, ReasonCode.LEASE_NOT_REGISTERED),
        ([], {"WH-X": None}, "WH-X", ReasonCode.LEASE_NOT_REGISTERED),
        ([], {"WH-X": lease(registration_no="WH-X")}, "WH-X", None),
        ([], {"WH-X": lease(registration_no="WH-X", tenant=OTHER)}, "WH-X", ReasonCode.LEASE_NOT_REGISTERED),
    ],
)
def test_lease_registered(
    tenant_leases: list, by_no: dict, number: str | None, reason: ReasonCode | None
) -> None:
    match = find_lease(ID, tenant_leases, by_no, number, ADDRESS, TODAY)
    assert check_lease_registered(match, number).reason is reason


@pytest.mark.parametrize(
    ("end_on", "reason"),
    [
        (TODAY, None),  # ends today: still in force
        (TODAY - timedelta(days=1), ReasonCode.LEASE_EXPIRED),  # ended yesterday
        (TODAY + timedelta(days=200), None),
    ],
)
def test_lease_current(end_on: date, reason: ReasonCode | None) -> None:
    assert check_lease_current(lease(end_on=end_on), None, TODAY).reason is reason
    # Without a registration the contract's own end date decides.
    assert check_lease_current(None, end_on, TODAY).reason is reason


def test_registered_end_date_wins_over_the_contract() -> None:
    outcome = check_lease_current(lease(end_on=TODAY - timedelta(days=1)), TODAY + timedelta(days=300), TODAY)
    assert outcome.reason is ReasonCode.LEASE_EXPIRED
    assert not check_lease_current(None, None, TODAY).evaluated


@pytest.mark.parametrize(
    ("owned", "by_no", "certificate", "reason", "someone_else"),
    [
        ([prop()], {}, None, None, False),
        ([], {}, None, ReasonCode.PROPERTY_NOT_FOUND, False),
        ([], {"C1": prop(certificate_no="C1")}, "C1", None, False),
        ([], {"C1": None}, "C1", ReasonCode.PROPERTY_NOT_FOUND, False),
        ([], {"C1": prop(certificate_no="C1", owner=OTHER)}, "C1", ReasonCode.PROPERTY_NOT_FOUND, True),
    ],
)
def test_property_record(
    owned: list, by_no: dict, certificate: str | None, reason, someone_else: bool
) -> None:
    record, other = find_property(ID, owned, by_no, certificate, ADDRESS)
    outcome = check_property_record(record, other, certificate)
    assert outcome.reason is reason
    assert outcome.evidence["owned_by_someone_else"] is someone_else
    if someone_else:
        assert OTHER not in str(outcome.evidence)


NEW = "四川省成都市青羊区草市街道草市街1号2栋301"


@pytest.mark.parametrize(
    ("regs", "reason", "late"),
    [
        (
            [reg(date(2020, 1, 1), TODAY - timedelta(days=6)), reg(TODAY - timedelta(days=5), address=NEW)],
            None,
            False,
        ),
        ([reg(TODAY - timedelta(days=7), address=NEW)], None, False),  # day 7: still in time
        ([reg(TODAY - timedelta(days=8), address=NEW)], None, True),  # late: recorded, not a reason
        ([reg(date(2020, 1, 1))], ReasonCode.ADDRESS_MISMATCH, None),  # new address not registered
        ([reg(date(2020, 1, 1), TODAY - timedelta(days=30))], ReasonCode.NO_RESIDENCE_REGISTRATION, None),
    ],
)
def test_change_registration(regs: list, reason: ReasonCode | None, late: bool | None) -> None:
    outcome = check_change_registration(regs, NEW, TODAY, report_within_days=7)
    assert outcome.reason is reason
    if late is not None:
        assert outcome.evidence["reported_late"] is late


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([enrollment("在读")], None),
        ([enrollment("毕业"), enrollment("在读", school="成都大学")], None),
        ([enrollment("毕业")], ReasonCode.NOT_ENROLLED),
        ([enrollment("退学")], ReasonCode.NOT_ENROLLED),
        ([enrollment("在校")], None),  # another register's word for 在读
        ([enrollment("已毕业")], ReasonCode.NOT_ENROLLED),
        ([], ReasonCode.NOT_ENROLLED),
    ],
)
def test_enrollment(rows: list, reason: ReasonCode | None) -> None:
    assert check_enrollment(rows, load_requirements().feed, "四川大学").reason is reason


@pytest.mark.parametrize("status", ["enrolled", "休学", "交换"])
def test_unknown_or_unclear_enrolment_status_goes_to_a_person(status: str) -> None:
    outcome = check_enrollment([enrollment("毕业"), enrollment(status)], load_requirements().feed, None)
    assert not outcome.evaluated and outcome.reason is None
    assert outcome.evidence["unrecognised"] == {"school_enrollments.status": [status]}
