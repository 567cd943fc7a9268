"""Pre-check: blocking conditions with the date they will be met, warnings, masked prefill; and the
residence period count."""

from __future__ import annotations

from datetime import date

import pytest
from check_factories import ID, TODAY, business, hukou, ins, make_data, paid_window, permit, reg
from typer.testing import CliRunner

from config.city import load_policy, load_reason_catalogue
from config.requirements import load_requirements
from models.package import Basis, BusinessType
from models.precheck import PrecheckResult, insurance_met_on, precheck
from models.reasons import ReasonCode
from models.residence_years import full_months_between, residence_period

POLICY = load_policy()


def run_precheck(*args: object) -> PrecheckResult:
    """The pre-check with the packaged policy, requirements and reason texts."""
    rules = {"policy": POLICY, "requirements": load_requirements(), "reasons": load_reason_catalogue()}
    return precheck(*args, **rules)  # type: ignore[arg-type]


def test_clean_applicant_can_submit_with_masked_prefill() -> None:
    result = run_precheck(ID, BusinessType.APPLY, Basis.EMPLOYMENT, make_data(), TODAY)
    assert result.can_submit and result.blockers == () and result.ready_on == TODAY
    assert result.prefill["employer_name"] == business().name
    assert result.prefill["registered_address"].endswith("****")
    assert result.prefill["name"] == "王**"
    assert result.id_number.startswith("5113") and "*" in result.id_number
    assert ID not in str(result.as_dict())


def test_blockers_say_when_they_will_be_met() -> None:
    data = make_data(
        registrations=(reg(date(2026, 7, 15)),),
        insurance=tuple(ins(m) for m in ["2026-08", "2026-09", "2026-10"]),
    )
    result = run_precheck(ID, BusinessType.APPLY, Basis.EMPLOYMENT, data, TODAY)
    assert not result.can_submit
    blockers = {b.reason: b.met_on for b in result.blockers}
    assert blockers == {ReasonCode.RESIDENCE_UNDER_6_MONTHS: date(2027, 1, 15)}
    # A gap is a review matter, not a blocker; still, the date it closes is computed.
    warnings = {w.reason: w.met_on for w in result.warnings}
    assert warnings == {ReasonCode.SOCIAL_INSURANCE_GAP: date(2027, 2, 1)}
    assert result.ready_on == date(2027, 1, 15)


def test_local_hukou_has_no_date() -> None:
    result = run_precheck(ID, BusinessType.APPLY, Basis.RESIDENCE, make_data(hukou=(hukou("5101"),)), TODAY)
    assert [b.reason for b in result.blockers] == [ReasonCode.LOCAL_HUKOU]
    assert result.ready_on is None


def test_early_endorsement_opens_on_a_date() -> None:
    data = make_data(permits=(permit(issued_on=date(2026, 3, 1)),))
    result = run_precheck(ID, BusinessType.ENDORSE, None, data, TODAY)
    # ENDORSEMENT_WINDOW is a review reason under the policy; the window date is still given.
    assert [(w.reason, w.met_on) for w in result.warnings] == [
        (ReasonCode.ENDORSEMENT_WINDOW, date(2027, 1, 30))
    ]


def test_invalid_id_number_blocks() -> None:
    bad = ID[:-1] + ("1" if ID[-1] != "1" else "2")
    result = run_precheck(bad, BusinessType.APPLY, Basis.STUDY, make_data(), TODAY)
    assert ReasonCode.ID_NUMBER_INVALID in {b.reason for b in result.blockers}


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"], TODAY),
        (["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"], date(2026, 12, 1)),
        (["2026-08", "2026-09", "2026-10"], date(2027, 2, 1)),
        (["2026-05", "2026-06", "2026-07", "2026-08", "2026-09"], None),  # last month unpaid
        ([], None),
    ],
)
def test_insurance_met_on(months: list[str], expected: date | None) -> None:
    assert insurance_met_on([ins(m) for m in months], TODAY) == expected


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2024, 11, 27), TODAY, 24),
        (date(2024, 11, 28), TODAY, 23),
        (date(2026, 8, 31), date(2027, 2, 28), 5),
        (date(2026, 8, 31), date(2027, 3, 1), 6),
        (TODAY, date(2026, 1, 1), 0),
    ],
)
def test_full_months_between(start: date, end: date, months: int) -> None:
    assert full_months_between(start, end) == months


def test_residence_period_counts_from_registration() -> None:
    period = residence_period([reg(date(2023, 8, 10))], [], TODAY)
    assert (period.since, period.years, period.months, period.restarted_on) == (date(2023, 8, 10), 3, 3, None)


def test_late_endorsement_restarts_the_count() -> None:
    late = permit(issued_on=date(2023, 3, 10), last_endorsed_on=date(2024, 5, 10))
    period = residence_period([reg(date(2022, 1, 1))], [late], TODAY)
    assert period.restarted_on == date(2024, 5, 10)
    assert (period.years, period.months) == (2, 6)
    on_time = permit(issued_on=date(2023, 3, 10), last_endorsed_on=date(2025, 3, 1))
    assert residence_period([reg(date(2022, 1, 1))], [on_time], TODAY).since == date(2022, 1, 1)


def test_not_registered_counts_nothing() -> None:
    period = residence_period([], [permit()], TODAY)
    assert period.since is None and period.total_months == 0


def test_cli_precheck_json(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import storage.shared_data as shared_data
    from cli import precheck as cli

    class Fake:
        def __getattr__(self, name: str):
            data = make_data(insurance=tuple(paid_window()))
            rows = {
                "registrations": data.registrations,
                "insurance_months": data.insurance,
                "hukou": list(data.hukou),
                "business": business(),
                "lease": None,
                "property": None,
            }
            return lambda *args: rows.get(name, [])

    monkeypatch.setattr(shared_data, "get_shared_data", lambda: Fake())
    monkeypatch.setenv("RONGJU_TODAY", TODAY.isoformat())
    result = CliRunner().invoke(cli.app, [ID, "--business-type", "apply", "--basis", "employment", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["can_submit"] is True and out["prefill"]["employer_name"] == business().name
    assert ID not in result.stdout
    # Rich output; no registered lease and no property are review warnings, not blockers.
    warned = CliRunner().invoke(cli.app, [ID, "--business-type", "apply", "--basis", "residence"])
    assert warned.exit_code == 0 and "LEASE_NOT_REGISTERED" in warned.stdout
