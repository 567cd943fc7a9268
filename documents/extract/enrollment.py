"""Fields of a school's 在读证明 / 学籍证明 letter: school, student, ID number, enrolment date.

Letters are prose, not forms: 兹证明X（身份证号：…）系我校…专业全日制在读学生，于2023年9月入学 or
兹有X同学，公民身份号码…，2023年9月入学. The school is the letterhead or the signature above the
date — a line that is only a school's name — or a name ending in 大学/学院/学校 after 系/在/就读于.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict

from documents.text import (
    ID_CERTAINTY,
    NAME_CERTAINTY,
    DocumentText,
    clean_person_name,
    find_id_numbers,
    labelled_name,
)
from models.checks.facts import EnrollmentFacts, Fact

_SCHOOL = re.compile(r"[\u4e00-\u9fff]{2,20}?(?:大学|学院|学校|中学|专科学校|技师学院|职业技术学院)")
_SCHOOL_LINE = re.compile(rf"^{_SCHOOL.pattern}$")
_STUDENT_INTRO = re.compile(
    r"(?:兹证明|兹有|(?<![在学读])证明)([\u4e00-\u9fff·]{2,8}?)(?:同学|（|，|系|为|是|性别|身份证|公民身份|学号)"
)
_ENROLLED = re.compile(
    r"((?:19|20)[0-9]{2})年([0-9]{1,2})月(?:([0-9]{1,2})日)?(?:起)?[\u4e00-\u9fff]{0,3}?入(?:学|校)"
)
STUDENT_LABELS = ("学生姓名", "姓名")
_PRONOUNS = ("该生", "该同学", "该学生", "本人", "学生")
ENROLLED_LABELS = ("入学时间", "入学日期", "入学年月")


class EnrollmentReading(BaseModel):
    """What an enrolment letter says. enrolled_on is the 1st of the month when only 2023年9月 is written
    (month_only True): compare it by month."""

    model_config = ConfigDict(frozen=True)
    facts: EnrollmentFacts
    student_name: Fact[str] | None = None
    enrolled_on: Fact[date] | None = None
    month_only: bool = False


def _school(doc: DocumentText) -> Fact[str] | None:
    # Letterhead and signature lines carry stray marks from the seal and rules: |四川师范大学.
    bare = [re.sub(r"^[^\u4e00-\u9fff]+|[^\u4e00-\u9fff]+$", "", line) for line in doc.lines]
    whole = Counter(line for line in bare if _SCHOOL_LINE.match(line))
    if whole:
        name, count = whole.most_common(1)[0]
        i = bare.index(name)
        # Letterhead and signature agree: two independent readings of the same name.
        return Fact(value=name, confidence=round(doc.confidence(i) * (0.95 if count > 1 else 0.85), 3))
    for i, line in enumerate(doc.lines):
        for m in re.finditer(r"(?:系|在|就读于|是)(" + _SCHOOL.pattern + ")", line):
            if "我校" not in m.group(1):
                return Fact(value=m.group(1), confidence=round(doc.confidence(i) * 0.7, 3))
    return None


def _student(doc: DocumentText) -> Fact[str] | None:
    for i, line in enumerate(doc.lines):
        m = _STUDENT_INTRO.search(line)
        if m:
            name = clean_person_name(m.group(1))
            if name is not None and name not in _PRONOUNS:
                return Fact(value=name, confidence=round(doc.confidence(i) * NAME_CERTAINTY, 3))
    found = labelled_name(doc, STUDENT_LABELS)
    return found[0] if found else None


def _enrolled(doc: DocumentText) -> tuple[Fact[date] | None, bool]:
    for i, line in enumerate(doc.lines):
        m = _ENROLLED.search(line)
        if m is None and any(label in line for label in ENROLLED_LABELS):
            m = re.search(r"((?:19|20)[0-9]{2})[年.\-/]([0-9]{1,2})(?:[月.\-/]([0-9]{1,2}))?", line)
        if m:
            year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
            try:
                value = date(year, month, int(day) if day else 1)
            except ValueError:
                continue
            return Fact(value=value, confidence=round(doc.confidence(i) * 0.95, 3)), day is None
    return None, False


def extract_enrollment_certificate(
    lines: Sequence[str], *, line_confidences: Sequence[float] | None = None
) -> EnrollmentReading:
    """The fields of an enrolment certificate from its text lines (in reading order)."""
    doc = DocumentText.build(lines, line_confidences)
    numbers = find_id_numbers(doc.text)
    enrolled, month_only = _enrolled(doc)
    return EnrollmentReading(
        facts=EnrollmentFacts(
            school=_school(doc),
            id_number=Fact(value=numbers[0], confidence=ID_CERTAINTY) if numbers else None,
        ),
        student_name=_student(doc),
        enrolled_on=enrolled,
        month_only=month_only,
    )
