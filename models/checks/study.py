"""Study basis: full-time enrolment (在读) at a school in the enrolment data."""

from __future__ import annotations

from collections.abc import Sequence

from models.checks.result import CheckOutcome, failed, passed, unrecognised
from models.feed_vocabulary import FeedVocabulary
from models.reasons import ReasonCode
from models.records import SchoolEnrollment

ENROLMENT_STATUS = "school_enrollments.status"


def current_enrollments(
    enrollments: Sequence[SchoolEnrollment], feed: FeedVocabulary
) -> list[SchoolEnrollment]:
    """The rows whose status means enrolled (在读 and its synonyms)."""
    vocabulary = feed.column(ENROLMENT_STATUS)
    return [e for e in enrollments if vocabulary.meaning(e.status) in feed.checks.school_enrolled]


def check_enrollment(
    enrollments: Sequence[SchoolEnrollment], feed: FeedVocabulary, school_on_certificate: str | None
) -> CheckOutcome:
    """NOT_ENROLLED: some enrolment row has an enrolled status (在读).

    Any school will do: the certificate's school name is compared for the reviewer only, because
    school names are written many ways (学院 vs 大学 abbreviations) and OCR of them is fragile.
    NOT_ENROLLED only when every row's status clearly means the student left (毕业, 退学); a status the
    vocabulary does not know, or one it knows as unclear (休学), goes to a reviewer.
    """
    check = "enrollment"
    vocabulary = feed.column(ENROLMENT_STATUS)
    current = current_enrollments(enrollments, feed)
    evidence: dict[str, object] = {
        "statuses_on_record": sorted({e.status.strip() for e in enrollments}),
        "school_on_certificate": school_on_certificate,
    }
    if not current:
        undecided = sorted(
            {
                e.status.strip()
                for e in enrollments
                if vocabulary.meaning(e.status) not in feed.checks.school_not_enrolled
            }
        )
        if undecided:
            return unrecognised(check, ENROLMENT_STATUS, undecided, **evidence)
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
