"""Study basis: full-time enrolment (在读) at a school in the enrolment data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from models.checks.result import CheckOutcome, failed, passed
from models.reasons import ReasonCode
from models.records import SchoolEnrollment


def check_enrollment(
    enrollments: Sequence[SchoolEnrollment],
    enrolled_statuses: Iterable[str],
    school_on_certificate: str | None,
) -> CheckOutcome:
    """NOT_ENROLLED: some enrolment row has an enrolled status (在读).

    Any school will do: the certificate's school name is compared for the reviewer only, because
    school names are written many ways (学院 vs 大学 abbreviations) and OCR of them is fragile.
    """
    check = "enrollment"
    statuses = set(enrolled_statuses)
    current = [e for e in enrollments if e.status.strip() in statuses]
    evidence: dict[str, object] = {
        "statuses_on_record": sorted({e.status.strip() for e in enrollments}),
        "school_on_certificate": school_on_certificate,
    }
    if not current:
        return failed(check, ReasonCode.NOT_ENROLLED, **evidence)
    latest = max(current, key=lambda e: e.enrolled_on)
    evidence |= {
        "school": latest.school,
        "enrolled_on": latest.enrolled_on.isoformat(),
        "certificate_matches": None
        if school_on_certificate is None
        else any(e.school.strip() == school_on_certificate.strip() for e in current),
    }
    return passed(check, "在读学籍有效。", "Current full-time enrolment on record.", **evidence)
