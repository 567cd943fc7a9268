"""What the flow's steps write, on the real case DB: each outcome moves the case once, with its SMS."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from factories import make_package
from sqlmodel import select

from config.city import load_city, load_policy
from models.checks.result import failed, passed
from models.decision import decide
from models.reasons import ReasonCode
from models.routing import route_address
from models.status import CaseStatus
from models.tables import Case, CheckResult, Notification, StatusTransition
from services.assessment import Assessment
from services.intake import submit_folder
from services.processing import read_case_state, record_assessment
from storage.db import UnitOfWork

DAY = date(2026, 11, 27)


def _assessment(case_id: str, *reasons: ReasonCode) -> Assessment:
    outcomes = [passed("id_number_valid", "通过。", "Passed.")]
    outcomes += [failed(f"check_{r.value.lower()}", r) for r in reasons]
    routing = route_address("四川省成都市武侯区玉林街道玉林北路12号3栋2单元501", load_city())
    return Assessment(
        case_id=case_id, routing=routing, outcomes=outcomes, decision=decide(outcomes, load_policy())
    )


def _rows(case_id: str, table: type) -> list:  # type: ignore[type-arg]
    with UnitOfWork() as uow:
        return list(uow.session.exec(select(table).where(table.case_id == case_id)))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("reasons", "path"),
    [
        ((), ["submitted", "under_review", "in_production"]),  # clean: approved by policy
        ((ReasonCode.NAME_MISMATCH,), ["submitted", "under_review"]),  # a person decides
        (
            (ReasonCode.IMAGE_TOO_BLURRY, ReasonCode.ID_CARD_EXPIRED),
            ["submitted", "under_review", "needs_correction"],
        ),
        ((ReasonCode.LOCAL_HUKOU, ReasonCode.IMAGE_TOO_BLURRY), ["submitted", "under_review", "rejected"]),
    ],
)
def test_each_outcome_moves_the_case_once(
    engine: object, tmp_path: Path, reasons: tuple[ReasonCode, ...], path: list[str]
) -> None:
    case_id = submit_folder(make_package(tmp_path / "pkg"), UnitOfWork()).case_id
    assessment = _assessment(case_id, *reasons)
    state = record_assessment(case_id, assessment, UnitOfWork(), on=DAY)
    again = record_assessment(
        case_id, assessment, UnitOfWork(), on=DAY
    )  # a retry or a second run: nothing more

    assert state == again and state.status.value == path[-1] and state.station_id == "wuhou-yulin"
    assert [t.to_status for t in sorted(_rows(case_id, StatusTransition), key=lambda t: t.id)] == path
    assert len(_rows(case_id, CheckResult)) == 1 + len(reasons)
    notices = _rows(case_id, Notification)
    assert len(notices) == 1  # one SMS for the status the case ends in (受理 notice included)
    with UnitOfWork() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None and case.accepted_on == DAY
        paused = case.clock_paused_on
    assert (paused == DAY) == (state.status is CaseStatus.NEEDS_CORRECTION)
    if state.status is CaseStatus.NEEDS_CORRECTION:
        body = notices[0].body
        # 一次性告知: every defect in the one SMS, masked name, Chinese first.
        assert "1." in body and "2." in body and "王**" in body and "王小明" not in body
        assert body.index("需补正") < body.index("needs corrections")
    assert read_case_state(case_id, UnitOfWork()).check_round == 1


def test_corrected_documents_meet_the_intake_rules_and_reopen_the_case(
    engine: object, tmp_path: Path
) -> None:
    from factories import jpeg_bytes

    from models.package import DocumentKind, PackageRefused
    from models.tables import Document
    from services.correction import CorrectedFile, submit_correction

    case_id = submit_folder(make_package(tmp_path / "pkg"), UnitOfWork()).case_id
    record_assessment(case_id, _assessment(case_id, ReasonCode.IMAGE_TOO_BLURRY), UnitOfWork(), on=DAY)
    with pytest.raises(PackageRefused) as refused:
        submit_correction(
            case_id,
            [
                CorrectedFile(DocumentKind.ID_BACK, "back.jpg", b""),
                CorrectedFile(DocumentKind.PHOTO, "photo.jpg", b"GIF89a" + b"\x00" * 64),
            ],
            UnitOfWork(),
            resume_flow=False,
        )
    assert [p.code for p in refused.value.problems] == ["FILE_UNREADABLE", "FILE_TYPE_NOT_ALLOWED"]
    assert read_case_state(case_id, UnitOfWork()).status is CaseStatus.NEEDS_CORRECTION  # nothing changed

    state = submit_correction(
        case_id,
        [CorrectedFile(DocumentKind.ID_BACK, "back.jpg", jpeg_bytes((1, 2, 3)))],
        UnitOfWork(),
        resume_flow=False,
    )
    assert state.status is CaseStatus.UNDER_REVIEW and state.needs_assessment
    backs = [d for d in _rows(case_id, Document) if d.kind == "id_back"]
    assert sorted(d.superseded for d in backs) == [False, True]  # the earlier file is kept

    # A case no longer waiting refuses more files, and says what the applicant can do instead.
    with pytest.raises(PackageRefused) as late:
        submit_correction(
            case_id,
            [CorrectedFile(DocumentKind.ID_BACK, "b.jpg", jpeg_bytes((4, 5, 6)))],
            UnitOfWork(),
            resume_flow=False,
        )
    assert [p.code for p in late.value.problems] == ["PACKAGE_INVALID"]
    assert late.value.problems[0].action_zh.startswith("请") and late.value.problems[0].action_en
