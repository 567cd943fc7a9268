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
    STOP_LABELS,
    UNCONFIRMED_CEILING,
    DocumentText,
    Labelled,
    clean_person_name,
    evidence_confidence,
    find_id_numbers,
    iter_labelled,
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
_PRONOUNS = ("该生", "该同学", "该学生", "本人", "学生")
# Every label a letter or form prints, per fact: the one place to add another school's wording.
LABELS: dict[str, tuple[str, ...]] = {
    "school": ("学校名称", "就读学校", "所在学校", "院校名称", "就读院校", "培养单位", "学校", "院校"),
    # A department of the school (法学院, 计算机学院): its value is never the school.
    "department": ("就读院系", "所在院系", "院系名称", "所在学院", "学院名称", "二级学院", "院系", "系别"),
    "student": ("学生姓名", "姓名"),
    "enrolled": ("入学时间", "入学日期", "入学年月"),
    "other": ("学籍号", "学号", "专业", "年级", "班级", "学制", "身份证号", "公民身份号码", "性别"),
}
STUDENT_LABELS = LABELS["student"]
ENROLLED_LABELS = LABELS["enrolled"]
_STOPS = tuple(
    sorted({*STOP_LABELS, *(w for words in LABELS.values() for w in words)}, key=len, reverse=True)
)
_ALL_LABELS = tuple(w for words in LABELS.values() for w in words)
# Prose naming the school: 就读于四川大学法学院, 系四川大学学生, 现为四川大学在读, 在四川大学就读. Not the
# 系 of 院系/联系/系别, and not 我校.
_PROSE = re.compile(
    r"(?:就读于|现就读于|(?<![院联])系(?!别)|(?<![所存现])在|是|现为)(" + _SCHOOL.pattern + ")"
)
# What a letterhead, signature or seal line carries besides the name: rules, a date, (盖章), 专用章.
_STAMP_WORDS = re.compile(r"（?(?:盖章|公章|印章|签章|章)）?$|(?:学籍管理|学生工作|教务)?(?:专用章|公章)$")
# Prefer the university over its college: 四川大学法学院 is a department of 四川大学.
_UNIVERSITY = re.compile(r"^[\u4e00-\u9fff]{2,16}?大学(?=[\u4e00-\u9fff]{1,12}学院$)")


class EnrollmentReading(BaseModel):
    """What an enrolment letter says. enrolled_on is the 1st of the month when only 2023年9月 is written
    (month_only True): compare it by month."""

    model_config = ConfigDict(frozen=True)
    facts: EnrollmentFacts
    student_name: Fact[str] | None = None
    enrolled_on: Fact[date] | None = None
    month_only: bool = False


_DATE_TAIL = re.compile(r"(?:(?:19|20)[0-9]{2}|[〇零○O一二三四五六七八九]{4})\s*[年.\-/].*$")


def _bare(line: str) -> str:
    """A letterhead, signature, seal or footer line without what surrounds the name on it."""
    line = _DATE_TAIL.sub("", line)
    line = re.sub(r"^[^\u4e00-\u9fff]+|[^\u4e00-\u9fff）]+$", "", line)
    return _STAMP_WORDS.sub("", line).strip("（）")


def _after_label(raw: DocumentText, found: Labelled) -> str:
    """The whole text after a school label on its line (or the whole line under a label alone)."""
    line = raw.lines[found.line]
    if found.line != found.label_line:
        return line
    hits = [(line.find(lab), -len(lab)) for lab in LABELS["school"] if lab in line]
    if not hits:
        return found.value
    pos, minus_len = min(hits)
    return line[pos - minus_len :]  # _bare drops the colon or rule after the label


def _as_school(name: str) -> str:
    """The school a name stands for: 四川大学法学院 is a college of 四川大学, so 四川大学."""
    m = _UNIVERSITY.match(name)
    return m.group(0) if m else name


def _school(doc: DocumentText, raw: DocumentText) -> Fact[str] | None:
    """The school, from every place a letter or form may name it, confirmed when named twice.

    Places: a 学校名称/学校/院校 label; a line that is only a school's name (letterhead, signature,
    seal text, a footer with the date); prose 就读于/系/在/现为 X. A department (就读院系：法学院) is
    not the school; a college named with its university is the university. Sightings count by line:
    the same name on two lines — letterhead and signature, signature and seal (even a seal read in
    part: 华大学) — are two independent readings, and only that confirms it (evidence_confidence);
    a name read once stays under the bar, however clean the line. Labels, name lines and seals are
    looked for in the OCR lines as read (`raw`): joining wrapped lines puts a short signature line onto
    the sentence before it; prose is read in the joined lines (`doc`), where a name may span a wrap.
    """
    departments = {
        _bare(found.value)
        for found in iter_labelled(raw.lines, LABELS["department"], stop_labels=_STOPS, fuzzy=False)
    }
    seen: dict[tuple[str, int], str] = {}  # (which lines, line) -> school named there
    rank: dict[str, int] = {}  # how the name was found: label 0, a line of its own 1, prose 2
    for found in iter_labelled(raw.lines, LABELS["school"], stop_labels=_STOPS, fuzzy=False):
        # Cut at the next label, the value may have lost words a school's name holds (西南|民族大学,
        # 成都职业技术|学院): read the name in the whole line after the label too.
        m = _SCHOOL.match(_bare(found.value)) or _SCHOOL.match(_bare(_after_label(raw, found)))
        if m and "我校" not in m.group(0) and ("raw", found.line) not in seen:
            seen["raw", found.line] = _as_school(m.group(0))
            rank.setdefault(seen["raw", found.line], 0)
    for i, line in enumerate(raw.lines):
        bare = _bare(line)
        if ("raw", i) in seen or not _SCHOOL_LINE.match(bare) or "我校" in bare:
            continue
        if bare.startswith(_ALL_LABELS) or (bare in departments and _as_school(bare) == bare):
            continue
        seen["raw", i] = _as_school(bare)
        rank.setdefault(seen["raw", i], 1)
    for i, line in enumerate(doc.lines):
        if any(label in line for label in LABELS["department"]):
            continue
        for m in _PROSE.finditer(line):
            if "我校" not in m.group(1):
                seen["joined", i] = _as_school(m.group(1))
                rank.setdefault(seen["joined", i], 2)
                break
    if not seen:
        return None
    count = Counter(seen.values())
    # A seal read in part (华大学, 成都中) is one more reading of the name it is part of.
    for i, line in enumerate(raw.lines):
        bare = _bare(line)
        if ("raw", i) not in seen and 3 <= len(bare) <= 12 and not bare.startswith(_ALL_LABELS):
            for name in count:
                if bare in name and bare != name:
                    count[name] += 1
                    break
    name = max(count, key=lambda n: (count[n], -rank[n], n.endswith("大学"), len(n)))
    ocr = max((raw if key[0] == "raw" else doc).confidence(key[1]) for key, n in seen.items() if n == name)
    confirmed = count[name] >= 2 and name.endswith(("大学", "学院", "学校"))
    return Fact(value=name, confidence=evidence_confidence(ocr, confirmed=confirmed))


# What a letter's opening sentence names instead of the student: 兹证明下列学生系…, 兹证明以下同学….
_NOT_A_NAME = re.compile(r"下列|以下|如下|上述|学生|同学|我校|本校")


def _student(doc: DocumentText) -> Fact[str] | None:
    """The student, from the opening sentence (兹证明X…) or a 姓名 label; when both name someone and
    differ, one of them is misread and the name stays under the bar."""
    intro: Fact[str] | None = None
    for i, line in enumerate(doc.lines):
        m = _STUDENT_INTRO.search(line)
        if m:
            name = clean_person_name(m.group(1))
            if name is not None and name not in _PRONOUNS and not _NOT_A_NAME.search(name):
                intro = Fact(value=name, confidence=round(doc.confidence(i) * NAME_CERTAINTY, 3))
                break
    found = labelled_name(doc, STUDENT_LABELS)
    labelled = found[0] if found else None
    if intro is not None and labelled is not None and intro.value != labelled.value:
        return Fact(value=intro.value, confidence=min(intro.confidence, UNCONFIRMED_CEILING))
    return intro or labelled


def _enrolled(doc: DocumentText) -> tuple[Fact[date] | None, bool]:
    for i, line in enumerate(doc.lines):
        m = _ENROLLED.search(line)
        if m is None and any(label in line for label in ENROLLED_LABELS):
            # Beside its label, or under it (a ruled table read cell by cell: 入学年月 | 2025年09月).
            for text in (line, doc.lines[i + 1] if i + 1 < len(doc.lines) else ""):
                m = re.search(r"((?:19|20)[0-9]{2})[年.\-/]([0-9]{1,2})(?:[月.\-/]([0-9]{1,2}))?", text)
                if m is not None:
                    break
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
    doc = DocumentText.build(lines, line_confidences, label_words=_ALL_LABELS)
    numbers = find_id_numbers(doc.text)
    enrolled, month_only = _enrolled(doc)
    return EnrollmentReading(
        facts=EnrollmentFacts(
            school=_school(doc, DocumentText.build(lines, line_confidences, join=False)),
            id_number=Fact(value=numbers[0], confidence=ID_CERTAINTY) if numbers else None,
        ),
        student_name=_student(doc),
        enrolled_on=enrolled,
        month_only=month_only,
    )
