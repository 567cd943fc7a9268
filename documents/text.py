"""Shared helpers for text read from documents: normalising OCR output, dates, numbers, labelled values.

Everything here is pure string code. OCR and PDF text layers disagree about the surface of the same
words — full-width digits (RapidOCR), spaces between every CJK character (tesseract chi_sim),
（ read as 〈 or (, ： read as : or dropped — so every parser works on `normalise_ocr_text` output and
keys on the *words* of a label, never on its punctuation. Digits are matched with `[0-9]`, not `\\d`,
which would also accept other scripts' digits.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from rapidfuzz import fuzz
from stdnum.cn import uscc

from documents.ocr.idnumber import is_valid_id_number
from models.address import CHENGDU_UNITS, FORMER_UNIT_NAMES, parse_address
from models.checks.facts import Fact

# --- normalisation -------------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Characters that may sit next to CJK text without a real space between them: CJK punctuation too.
_CJKP = _CJK + "\u3000-\u303f\uff00-\uffef（）：，。；、"
_OPEN = "〈《「『【〔［([<{"
_CLOSE = "〉》」』】〕］)]>}"
_BRACKETS = str.maketrans({**dict.fromkeys(_OPEN, "（"), **dict.fromkeys(_CLOSE, "）")})
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJKP}])[ \t]+|[ \t]+(?=[{_CJKP}])")


def normalise_ocr_text(s: str) -> str:
    """One surface for OCR and PDF text: NFKC, one bracket and colon form, no spaces inside CJK text.

    NFKC turns full-width digits and letters into ASCII and Kangxi radicals into ordinary ideographs;
    every bracket shape OCR confuses (〈《【[( …) becomes （）; ASCII ':' ',' ';' become ：，；
    except between digits (3,500 and 12:30 keep theirs); spaces next to a CJK character go (tesseract
    puts one between every ideograph), spaces between Latin words and digits stay.
    """
    s = unicodedata.normalize("NFKC", s).translate(_BRACKETS)
    s = re.sub(r"(?<![0-9]):|:(?![0-9])|∶|﹕", "：", s)
    s = re.sub(r"(?<![0-9]),|,(?![0-9])", "，", s)
    s = s.replace(";", "；")
    s = re.sub(r"[ \t\u00a0]+", " ", s)
    s = _SPACE_NEAR_CJK.sub("", s)
    return s.strip()


# --- table rules ---------------------------------------------------------------------------------

# A ruled table's lines come back from OCR as bars between or around the cells' text: 坐落|成都市…,
# 丨权利人丨张三丨. A bar between two letters or digits may be a misread 1 or l (find_id_numbers
# reads it so); anywhere else it is a rule.
_CELL_RULE = re.compile(r"[丨│┃¦]|(?<![0-9A-Za-z])[|｜]|[|｜](?![0-9A-Za-z])")
_NOISE_LINE = re.compile(r"^[\s丨│┃¦|｜_\-—–=~·•.。，,、：:;；'\"“”‘’()（）\[\]【】〔〕<>《》+*#]*$")


def strip_cell_rules(line: str) -> str:
    """line with the table rules OCR read as bars turned into spaces (which normalisation drops)."""
    return _CELL_RULE.sub(" ", line)


def is_noise_line(line: str) -> bool:
    """True for a line of rules and punctuation only (a table border, a dotted leader)."""
    return bool(_NOISE_LINE.match(line))


# --- wrapped lines -------------------------------------------------------------------------------

# Words that start a new field or clause on any document kind we read. A line starting with one of
# them is a new logical line; any other line continues the one before (a wrapped paragraph or value).
LABEL_WORDS: tuple[str, ...] = (
    "甲方", "乙方", "出租方", "出租人", "承租方", "承租人", "房屋出租人", "房屋承租人", "房东", "租客",
    "身份证号码", "身份证号", "证件号码", "公民身份号码", "证件类型", "联系电话", "电话", "日期", "签订日期",
    "房屋坐落", "坐落", "房屋地址", "房屋座落", "地址", "住所", "注册地址", "经营场所", "营业场所",
    "租赁期限", "租期", "租赁起止日期", "租赁期", "月租金", "每月租金", "租金标准", "租金", "押金",
    "租赁登记备案号", "备案号", "登记备案号", "用人单位", "劳动者", "统一社会信用代码", "信用代码",
    "名称", "类型", "法定代表人", "经营者", "负责人", "注册资本", "成立日期", "营业期限", "经营范围",
    "登记机关", "权利人", "共有情况", "不动产单元号", "权利类型", "权利性质", "用途", "面积", "使用期限",
    "姓名", "性别", "民族", "出生", "学号", "专业", "学院", "入学时间", "入学日期", "证明单位", "证件编号",
    "居住地址", "签发机关", "签发日期", "有效期限", "卡号", "证号", "编号", "兹证明", "兹有", "特此证明",
    "工作岗位", "工作地点", "合同期限", "劳动报酬", "房屋用途", "建筑面积", "签字", "盖章",
    "学籍号", "就读院系", "所在院系", "院系", "学校名称", "就读学校", "院校名称", "学制", "年级", "班级",
    "证书编号", "不动产权证号", "房屋所有权人", "共有人", "宗地面积", "登簿日期", "登记日期",
)  # fmt: skip
_CN_NUMERAL = "一二三四五六七八九十百零〇"
_CLAUSE_MARK = re.compile(
    rf"^(第[{_CN_NUMERAL}0-9]+[条章款项]|[{_CN_NUMERAL}]{{1,3}}[、.，]|[0-9]{{1,2}}[、.．]"
    rf"|（[{_CN_NUMERAL}0-9]{{1,3}}）|[{_CJK}]{{1,8}}（[{_CJK}]{{1,6}}）：|[{_CJK}]{{2,8}}：)"
)
_LABEL_START = tuple(sorted(LABEL_WORDS, key=len, reverse=True))


def starts_new_line(line: str, label_words: Sequence[str] = ()) -> bool:
    """True when a (normalised) line begins a field or clause rather than continuing a wrapped one.
    label_words: a document kind's own labels, on top of LABEL_WORDS."""
    line = line.lstrip()
    return bool(_CLAUSE_MARK.match(line)) or line.startswith((*_LABEL_START, *label_words))


def join_wrapped_lines(lines: Sequence[str]) -> list[str]:
    """Normalised logical lines: a line that does not start with a label or clause word continues the
    previous one (a wrapped address, a paragraph). Blank lines are dropped.

    Decided by words, not punctuation: OCR drops or mangles the colon after a label, and wraps happen
    anywhere, so the only reliable signal is whether the line begins with a label or clause marker.
    """
    return [text for text, _ in join_wrapped_lines_with_sources(lines)]


def join_wrapped_lines_with_sources(
    lines: Sequence[str], label_words: Sequence[str] = ()
) -> list[tuple[str, list[int]]]:
    """Like join_wrapped_lines, also giving the indexes of the input lines each logical line came from
    (so a caller can carry OCR line confidences over to the joined lines)."""
    out: list[tuple[str, list[int]]] = []
    normalised = [normalise_ocr_text(raw) for raw in lines]
    lengths = sorted(len(line) for line in normalised if line)
    # A wrapped line runs to the right margin; a line much shorter than the document's typical line
    # (a title, a letterhead, a table cell) ended where its author ended it. Full width: 80th percentile.
    short = 0.6 * lengths[int(len(lengths) * 0.8)] if lengths else 0
    previous = ""
    for i, line in enumerate(normalised):
        if not line:
            continue
        wrapped = len(previous) >= short
        previous = line
        if out and wrapped and not starts_new_line(line, label_words):
            text, sources = out[-1]
            out[-1] = (text + line, [*sources, i])
        else:
            out.append((line, [i]))
    return out


# --- dates ---------------------------------------------------------------------------------------

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}  # fmt: skip
_SEP = r"\s*(?:年|[.\-/．])\s*"
_NUM_DATE = re.compile(
    rf"(?<![0-9])((?:19|20)[0-9]{{2}}){_SEP}([0-9]{{1,2}})\s*(?:月|[.\-/．])\s*([0-9]{{1,2}})(?![0-9])\s*日?"
)
_CN_DATE = re.compile(
    r"([〇零○O一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,4})\s*日"
)


def _cn_small(text: str) -> int | None:
    """一..三十一 as written in dates (十二, 二十, 三十一); None otherwise."""
    if "十" not in text:
        return _CN_DIGITS.get(text) if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    t = 1 if tens == "" else _CN_DIGITS.get(tens)
    o = 0 if ones == "" else _CN_DIGITS.get(ones)
    if t is None or o is None or len(tens) > 1 or len(ones) > 1:
        return None
    return t * 10 + o


def _make_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


_DATE_LOOKALIKE = re.compile(r"(?<=[0-9年月])[oOD]|[oOD](?=[0-9]*[年月日.\-/])")
_DATE_LOOKALIKE_1 = re.compile(r"(?<=[0-9年月])[lI|]|[lI|](?=[0-9]*[年月日])")


def _iter_dates(s: str) -> list[tuple[int, date]]:
    s = normalise_ocr_text(s)
    # OCR reads 0 as o/O/D and 1 as l/I next to digits: 2015年07月3o日.
    s = _DATE_LOOKALIKE_1.sub("1", _DATE_LOOKALIKE.sub("0", s))
    found: list[tuple[int, date]] = []
    for m in _NUM_DATE.finditer(s):
        d = _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d is not None:
            found.append((m.start(), d))
    for m in _CN_DATE.finditer(s):
        y = int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
        month, day = _cn_small(m.group(2)), _cn_small(m.group(3))
        if month is not None and day is not None:
            d = _make_date(y, month, day)
            if d is not None:
                found.append((m.start(), d))
    return sorted(found, key=lambda pair: pair[0])


def find_dates(s: str) -> list[date]:
    """Every date written in s, in reading order (2026年3月5日, 2026.03.05, 2026-3-5, 二〇二六年三月五日)."""
    return [d for _, d in _iter_dates(s)]


def parse_date(s: str) -> date | None:
    """The first date written in s, or None (impossible dates such as 2026-02-30 are not dates)."""
    found = _iter_dates(s)
    return found[0][1] if found else None


# --- identifiers ---------------------------------------------------------------------------------

# What OCR commonly reads instead of a digit inside a run of digits.
_DIGIT_LOOKALIKES = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1", "i": "1", "!": "1",
     "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "b": "6", "G": "6", "g": "9", "x": "X"}
)  # fmt: skip
_ID_RUN = re.compile(r"[0-9OoDQIl|i!ZzSsBbGgXx][0-9OoDQIl|i!ZzSsBbGgXx ]*")


def _windows(run: str, width: int) -> Iterable[str]:
    for start in range(len(run) - width + 1):
        yield run[start : start + width]


def find_id_numbers(s: str) -> list[str]:
    """Valid 18-character citizen ID numbers (GB 11643) in s, in order, without duplicates.

    Tolerates spaces inside the number and common OCR look-alikes (O→0, l→1, S→5, x→X). Only numbers
    passing stdnum.cn.ric.is_valid (region, birth date and check character) are returned: a misread
    digit makes the number disappear rather than become a different valid-looking number.
    """
    s = unicodedata.normalize("NFKC", s)
    found: list[str] = []
    for m in _ID_RUN.finditer(s):
        run = m.group(0).replace(" ", "").translate(_DIGIT_LOOKALIKES)
        if sum(c.isdigit() for c in run) < 17:
            continue
        for window in _windows(run, 18):
            if is_valid_id_number(window) and window not in found:
                found.append(window)
    return found


_USCC_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "S": "5", "Z": "2", "V": "U", "|": "1"})
_USCC_RUN = re.compile(r"[0-9A-Za-z|][0-9A-Za-z| ]*")


def find_uscc(s: str) -> list[str]:
    """Valid unified social credit codes (GB 32100) in s, in order, tolerant of spaces and of letters
    the code's alphabet excludes (I, O, S, V, Z are read as 1, 0, 5, U, 2)."""
    s = unicodedata.normalize("NFKC", s)
    found: list[str] = []
    for m in _USCC_RUN.finditer(s):
        run = m.group(0).replace(" ", "").upper().translate(_USCC_LOOKALIKES)
        if len(run) < 18:
            continue
        for window in _windows(run, 18):
            if uscc.is_valid(window) and window not in found:
                found.append(window)
    return found


def find_uscc_in_lines(lines: Sequence[str]) -> list[str]:
    """find_uscc over each line, then over neighbouring lines put together (a code a table rule or a
    cell border cut in two: 91510100MA6 | 1R8XY1B). Only tried when no line holds a whole code, and
    only codes whose check character holds count (a join of unrelated runs passes 1 time in 31 per
    18-character window; the callers keep the code's label or its absence in its confidence)."""
    found: list[str] = []
    for line in lines:
        found += [c for c in find_uscc(line) if c not in found]
    if not found:
        for a, b in itertools.pairwise(lines):
            found += [c for c in find_uscc(a + b) if c not in found]
    return found


# --- money ---------------------------------------------------------------------------------------

_UPPER_DIGITS = {"零": 0, "〇": 0, "壹": 1, "贰": 2, "貳": 2, "叁": 3, "參": 3, "肆": 4, "伍": 5, "陆": 6,
                 "陸": 6, "柒": 7, "捌": 8, "玖": 9, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
                 "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_UPPER_UNITS = {"拾": 10, "十": 10, "佰": 100, "百": 100, "仟": 1000, "千": 1000}
_ARABIC_AMOUNT = re.compile(r"(?:[¥￥]\s*([0-9][0-9,]*(?:\.[0-9]+)?)|([0-9][0-9,]*(?:\.[0-9]+)?)\s*(万?)元)")
_UPPER_AMOUNT = re.compile(r"([零〇壹贰貳叁參肆伍陆陸柒捌玖拾佰仟万萬一二两三四五六七八九十百千]+)[元圆]")


def chinese_amount(text: str) -> int | None:
    """叁仟伍佰 -> 3500, 壹万零捌佰 -> 10800, 五百 -> 500; None when text is not a numeral."""
    text = text.replace("萬", "万")
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _UPPER_DIGITS:
            digit = _UPPER_DIGITS[ch]
        elif ch in _UPPER_UNITS:
            section += (1 if digit is None else digit) * _UPPER_UNITS[ch]
            digit = None
        elif ch == "万":
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            return None
    value = total + section + (digit or 0)
    return value if value > 0 else None


def parse_amount_yuan(s: str) -> int | None:
    """Whole yuan in s: 3500元, ¥3,500.00, 1.2万元, 人民币叁仟伍佰元整; Arabic digits preferred."""
    s = normalise_ocr_text(s)
    m = _ARABIC_AMOUNT.search(s)
    if m:
        raw = (m.group(1) or m.group(2)).replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            value = None
        if value is not None:
            if m.group(3):
                value *= 10000
            return round(value)
    m = _UPPER_AMOUNT.search(s)
    if m:
        return chinese_amount(m.group(1))
    return None


# --- labelled values -----------------------------------------------------------------------------

# Separators OCR produces between a label and its value (after normalise_ocr_text most are ：or （）).
_LEAD_SEP = re.compile(r"^[\s：:;；，,.。、|丨_\-—~“”\"'‘’]+")
_ROLE_TAG = re.compile(rf"^（[{_CJK}]{{1,6}}）?|^[{_CJK}]{{1,6}}）")
# Role words OCR leaves when it drops the brackets around them: 出租方甲方：张三.
_BARE_ROLES = ("甲方", "乙方", "丙方", "出租人", "承租人", "出租方", "承租方", "签字", "盖章", "签章")
# Words of a compound label left in front of the value: 乙方（劳动者）姓名 欧阳晓明.
_FIELD_WORDS = ("姓名", "名称", "名字")
STOP_LABELS: tuple[str, ...] = tuple(
    sorted(
        {
            *LABEL_WORDS,
            "性别",
            "联系方式",
            "手机",
            "工作单位",
            "户籍地址",
            "户籍",
            "证件号",
            "身份证",
        },
        key=len,
        reverse=True,
    )
)
# partial_ratio below this is not the label: a 4-character label with one character wrong scores 75;
# labels shorter than 4 characters are only matched exactly (one wrong character is a different word).
FUZZY_LABEL_MIN = 75.0


def _strip_lead(value: str) -> str:
    for _ in range(3):
        before = value
        value = _LEAD_SEP.sub("", value)
        value = _ROLE_TAG.sub("", value) if value.startswith("（") or _ROLE_TAG.match(value) else value
        for word in _FIELD_WORDS:
            if value.startswith(word) and len(value) > len(word):
                value = value[len(word) :]
        for role in _BARE_ROLES:
            if value.startswith(role) and len(value) > len(role):
                rest = value[len(role) :]
                if rest[:1] in "：:（）" or _LEAD_SEP.match(rest):
                    value = rest
        if value == before:
            break
    return value.strip()


def cut_at_labels(value: str, stop_labels: Sequence[str] = STOP_LABELS, *, skip: int = 0) -> str:
    """value up to the first stop label found at or after position `skip` (a second field on the line)."""
    cut = len(value)
    for label in stop_labels:
        pos = value.find(label, skip)
        if 0 < pos < cut:
            cut = pos
    return value[:cut].rstrip(" ：:，,；;（“”\"'‘’|丨")


def _find_label(line: str, labels: Sequence[str], fuzzy: bool) -> tuple[int, float] | None:
    """End offset of the first label found in line and the certainty of the match."""
    best: tuple[int, int, float] | None = None  # (start, end, certainty)
    for label in labels:
        pos = line.find(label)
        if pos >= 0 and (best is None or pos < best[0] or (pos == best[0] and pos + len(label) > best[1])):
            best = (pos, pos + len(label), 1.0)
    if best is not None:
        return best[1], best[2]
    if not fuzzy:
        return None
    for label in labels:
        if len(label) < 4:
            continue
        align = fuzz.partial_ratio_alignment(label, line[: len(label) + 12])
        if align is not None and align.score >= FUZZY_LABEL_MIN:
            certainty = 0.6 + 0.3 * (align.score - FUZZY_LABEL_MIN) / (100 - FUZZY_LABEL_MIN)
            # The alignment may stop short of a misread last character (代玛): the label is as long as
            # the label, so the value starts after that many characters.
            end = max(align.dest_end, min(len(line), align.dest_start + len(label)))
            if best is None or certainty > best[2]:
                best = (align.dest_start, end, certainty)
    return (best[1], best[2]) if best is not None else None


@dataclass(frozen=True)
class Labelled:
    """A value found near a label: where it was and how sure the match is.

    `certainty` says how sure the value belongs to the label from text position alone (1.0 exact label
    with the value beside it, 0.85 value under it, 0.7 value above it, lower when the label was matched
    fuzzily); `label_certainty` is the label match alone, for values whose own structure settles where
    they belong (see evidence_confidence).
    """

    value: str
    certainty: float
    line: int  # index of the line holding the value (the first one, for a value over several lines)
    label_line: int  # index of the line holding the label
    label_certainty: float = 1.0
    lines: tuple[int, ...] = ()  # every line the value was taken from, when more than `line`


# Where a value sits relative to its label, as a factor on the label's certainty (see Labelled).
UNDER_CERTAINTY = 0.85
ABOVE_CERTAINTY = 0.7


def _label_only(line: str, stops: Sequence[str]) -> bool:
    """True when a line holds only label words (a table's header row, or a label cell of its own)."""
    rest = line
    for _ in range(4):
        rest = rest.strip(" ：:，,；;（）")
        label = next((lab for lab in stops if rest.startswith(lab)), None)
        if label is None:
            break
        rest = rest[len(label) :]
    return rest != line and not rest.strip(" ：:，,；;（）")


def _under(i: int, normalised: Sequence[str], label_only: Sequence[bool]) -> list[tuple[int, float]]:
    """Lines that may hold the value of a label standing alone on line i, with a position factor.

    One label alone: its value is on the next line (a form printing values under labels, a table cell
    OCR put on its own line). Several label cells one after another (a table's header row read cell
    by cell, left to right): the values follow in the same order, so the k-th label takes the k-th line
    after the run. The next line is offered too, less surely (a label whose own value is empty)."""
    start = i
    while start > 0 and label_only[start - 1]:
        start -= 1
    end = i
    while end + 1 < len(normalised) and label_only[end + 1]:
        end += 1
    out: list[tuple[int, float]] = []
    if end > start and label_only[i]:
        column = end + 1 + (i - start)
        if column < len(normalised) and not any(label_only[end + 1 : column + 1]):
            out.append((column, UNDER_CERTAINTY))
    if i + 1 < len(normalised) and not label_only[i + 1]:
        out.append((i + 1, UNDER_CERTAINTY if end == start else UNDER_CERTAINTY * 0.8))
    return out


def iter_labelled(
    lines: Sequence[str],
    labels: Sequence[str],
    *,
    stop_labels: Sequence[str] = STOP_LABELS,
    fuzzy: bool = True,
    above: bool = False,
) -> Iterator[Labelled]:
    """Every value written next to one of `labels`, exact matches first (in line order), then fuzzy ones.

    The value is read right of the label on its line (cut where another label starts: two pairs on one
    row); when nothing is there, under it (the next line, or the k-th line after a header row of k
    label cells); with above=True also the line over it (a label centred in a tall table row, which OCR
    reads after the first line of its value). Separators, table rules and role tags between label and
    value are skipped. Callers take the first candidate that passes their own validation (a name, an
    address) — or, with read_labelled, the first one whose structure confirms it.
    """
    labels = sorted(labels, key=len, reverse=True)
    normalised = [normalise_ocr_text(strip_cell_rules(line)) for line in lines]
    stops = tuple(sorted({*stop_labels, *labels}, key=len, reverse=True))
    label_only = [_label_only(line, stops) for line in normalised]
    for use_fuzzy in (False, True) if fuzzy else (False,):
        for i, line in enumerate(normalised):
            hit = _find_label(line, labels, use_fuzzy)
            if hit is None:
                continue
            end, certainty = hit
            rest = _strip_lead(line[end:])
            # Another label right after this one: a header row, whose values are on the next line.
            value = "" if rest.startswith(stops) else cut_at_labels(rest, stop_labels)
            if value:
                yield Labelled(value, certainty, i, i, certainty)
            else:
                for j, factor in _under(i, normalised, label_only):
                    nxt = normalised[j]
                    if nxt.startswith(tuple(labels)) or starts_new_line(nxt):
                        continue
                    value = cut_at_labels(_strip_lead(nxt), stop_labels)
                    if value:
                        yield Labelled(value, certainty * factor, j, i, certainty)
            free_above = (
                i > 0 and not label_only[i - 1] and _find_label(normalised[i - 1], stops, False) is None
            )
            if above and free_above:
                over = _strip_lead(normalised[i - 1])
                if over:
                    # The label's own line may hold the wrapped end of the value (坐落 2905).
                    tail = cut_at_labels(rest, stop_labels) if rest and not rest.startswith(stops) else ""
                    used = (i - 1, i) if tail else (i - 1,)
                    yield Labelled(over + tail, certainty * ABOVE_CERTAINTY, i - 1, i, certainty, used)


def value_after_label(
    lines: Sequence[str],
    labels: Sequence[str],
    *,
    stop_labels: Sequence[str] = STOP_LABELS,
    fuzzy: bool = True,
) -> tuple[str, float] | None:
    """The value written after one of `labels`: on the same line, or on the next line when the label
    stands alone. Returns (value, certainty) where certainty is 1.0 for an exact label on the same line,
    0.85 on the next line, and lower for a fuzzy label match; None when no label has a value.

    Tolerant of mangled separators (：:〈( …) and of a role tag after the label (出租方（甲方）：).
    The value stops at the next stop label on the line (two fields on one line). Exact matches in any
    line win over fuzzy ones.
    """
    for found in iter_labelled(lines, labels, stop_labels=stop_labels, fuzzy=fuzzy):
        return found.value, found.certainty
    return None


def line_index_of(lines: Sequence[str], labels: Sequence[str]) -> int | None:
    """Index of the first line containing one of labels exactly, or None."""
    for i, line in enumerate(lines):
        if any(label in line for label in labels):
            return i
    return None


# --- a document's text, ready for the extractors --------------------------------------------------


GARBAGE_CONFIDENCE = 0.3  # OCR lines below this are dropped before joining


@dataclass(frozen=True)
class DocumentText:
    """Logical lines of one document (normalised, wrapped lines joined) with an OCR confidence each.

    A joined line's confidence is the lowest of the OCR lines it was made from: a field is only as
    sure as the weakest piece of text it came from. Text-layer PDF lines have confidence 1.0.
    """

    lines: list[str]
    confidences: list[float]

    @classmethod
    def build(
        cls,
        lines: Sequence[str],
        line_confidences: Sequence[float] | None = None,
        *,
        join: bool = True,
        label_words: Sequence[str] = (),
    ) -> DocumentText:
        """join=False keeps OCR lines as they are (tables, where a cell's lines are not a paragraph).
        label_words: the document kind's own labels, so that a line starting with one is not joined
        onto the line before it."""
        if line_confidences is not None and len(line_confidences) != len(lines):
            raise ValueError("line_confidences must have one value per line")
        confidences = list(line_confidences) if line_confidences is not None else [1.0] * len(lines)
        # Seals, signatures and table rules come back as short low-confidence garbage, or as bars and
        # dashes; joined onto the line before they would corrupt its value (备案号：CZBA…P汉).
        keep = [
            i
            for i, line in enumerate(lines)
            if _unit(confidences[i]) >= GARBAGE_CONFIDENCE and not is_noise_line(line)
        ]
        lines = [strip_cell_rules(lines[i]) for i in keep]
        confidences = [confidences[i] for i in keep]
        if join:
            joined = join_wrapped_lines_with_sources(lines, label_words)
        else:
            joined = [(normalise_ocr_text(line), [i]) for i, line in enumerate(lines) if line.strip()]
        confs = [min(_unit(confidences[j]) for j in sources) for _, sources in joined]
        return cls([text for text, _ in joined], confs)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def confidence(self, *line_indexes: int) -> float:
        return min((self.confidences[i] for i in line_indexes), default=1.0)

    def line_start(self, index: int) -> int:
        """Offset of line `index` in `text`."""
        return sum(len(line) + 1 for line in self.lines[:index])


def _unit(confidence: float) -> float:
    """A confidence on 0..1 (tesseract reports 0..100; a negative value means "no estimate")."""
    if confidence < 0:
        return 0.5
    return max(0.0, min(1.0, confidence / 100 if confidence > 1 else confidence))


# --- cleaning extracted values -------------------------------------------------------------------

_NAME_RUN = re.compile(rf"[{_CJK}][{_CJK}·•]*")
_NAME_TAILS = ("同学", "先生", "女士", "同志", "本人")


def clean_person_name(value: str) -> str | None:
    """The person's name at the start of value (2-6 CJK characters, or longer with ·), else None.

    Rejects text that is plainly not a name (a sentence after a label such as 甲方将其房屋…): names in
    the sample city and in Chengdu's records are 2-4 Han characters, up to 6 for Yi and Tibetan names.
    """
    value = _strip_lead(normalise_ocr_text(value))
    m = _NAME_RUN.match(value)
    if not m:
        return None
    name = m.group(0).replace("•", "·").strip("·")
    for tail in _NAME_TAILS:
        if name.endswith(tail) and len(name) > len(tail) + 1:
            name = name[: -len(tail)]
    limit = 12 if "·" in name else 6
    return name if 2 <= len(name) <= limit else None


# Where an address stops inside a sentence: 位于X，出租给… / 将位于X的房屋出租 / X，建筑面积…
_ADDRESS_END = re.compile(r"[，。；]|的房屋|的住房|房屋出租|出租给|建筑面积|面积|用途|作为|，|$")
_ADDRESS_HINT = re.compile(r"[省市区县镇乡街路巷道号村组栋幢单元室楼]")
_ADDRESS_LEAD = ("为", "于", "在", "是", "：")
_DWELLING_PART = re.compile(r"[0-9]+(?:号院|号楼|号|室|栋|幢|单元|楼|层|户|组)")


def clean_address(value: str) -> str | None:
    """The address at the start of value, cut where the sentence goes on; None when it is not one."""
    value = _strip_lead(normalise_ocr_text(value))
    while value.startswith(_ADDRESS_LEAD):
        value = value[1:]
    m = _ADDRESS_END.search(value)
    address = value[: m.start()] if m else value
    address = address.strip(" ：（")
    # Text after the last numbered dwelling part with no number of its own belongs to the next field
    # (wrapped lines of a two-column licence join onto the address): 151号建筑装饰材料销售 → 151号.
    parts = list(_DWELLING_PART.finditer(address))
    tail = parts[-1] if parts else None
    if tail is not None and not re.search(r"[0-9]", address[tail.end() :]):
        address = address[: tail.end()]
    if len(address) < 6 or len(_ADDRESS_HINT.findall(address)) < 2:
        return None
    return address


def clean_org_name(value: str) -> str | None:
    """An organisation's name at the start of value (公司, 学校 …), without trailing punctuation."""
    value = _strip_lead(normalise_ocr_text(value))
    value = re.split(r"[，。；：]", value)[0].strip()
    return value if 4 <= len(value) <= 60 else None


# How the name of an organisation that employs people ends: its legal form (公司, 合作社, 个体工商户 …)
# or the kind of body (医院, 学校, 事务所 …). A bare 行 or 会 is not one: 支付方式 … 银行转账 ends
# sentences too.
LEGAL_FORMS: tuple[str, ...] = tuple(
    sorted(
        (
            "有限责任公司", "股份有限公司", "有限公司", "分公司", "公司", "集团", "厂", "店", "中心",
            "事务所", "合作社", "个体工商户", "商行", "银行", "分行", "支行", "工作室", "经营部", "门市部",
            "服务部", "医院", "卫生院", "诊所", "学校", "学院", "大学", "幼儿园", "研究院", "研究所",
            "设计院", "酒店", "宾馆", "超市", "协会", "基金会", "委员会", "旅行社", "报社", "局", "馆",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip
# Words of a sentence, never of a name: a clause after 甲方 (甲方每月以银行转账方式支付工资).
_SENTENCE_WORDS = re.compile(
    r"[，。；！？、]|甲方|乙方|双方|本合同|应当|每月|支付|办理|负责|依法|按照|根据|同意|遵守|缴纳|以上"
)


@dataclass(frozen=True)
class OrgName:
    """An organisation's name read from a value: `whole` when nothing followed its legal form."""

    name: str
    whole: bool


def legal_name(value: str) -> OrgName | None:
    """The organisation's name at the start of value, up to the last legal form in it; None when no
    legal form ends it (成都博瑞医药连锁有限: a wrap cut it) or it is a sentence, not a name.

    Text after the legal form (成都博瑞家政服务有限公司统一社会信用代: the next cell's label joined on)
    is cut off and makes the name not `whole`.
    """
    value = _strip_lead(normalise_ocr_text(value))
    value = re.split(r"[：\s]", value)[0]
    if not value or _SENTENCE_WORDS.search(value) or not re.match(rf"[{_CJK}]", value):
        return None
    end = max((m.end() for form in LEGAL_FORMS for m in re.finditer(form, value)), default=0)
    name = value[:end]
    if not 4 <= len(name) <= 60:
        return None
    return OrgName(name, whole=end == len(value))


def completes_legal_name(value: str, line: str) -> OrgName | None:
    """value + line as one whole name, when line is the wrapped end of a legal form value broke off
    (成都浣花文化传媒有限公 + 司, …股份有 + 限公司): line holds only a legal form or its rest."""
    value = re.split(r"[：\s]", _strip_lead(normalise_ocr_text(value)))[0]
    line = normalise_ocr_text(line)
    if not value or not line or len(line) > 6 or legal_name(value) is not None:
        return None
    joined = legal_name(value + line)
    if joined is None or not joined.whole or len(joined.name) != len(value) + len(line):
        return None
    # line is (the end of) the legal form only: 司机岗位说明 after …有限公 is another cell.
    form = next(form for form in LEGAL_FORMS if joined.name.endswith(form))
    return joined if len(joined.name) - len(form) <= len(value) else None


# --- field helpers shared by the extractors ------------------------------------------------------

# Parse certainties, multiplied with the OCR confidence of the line a value came from: a value that
# validates (an ID check character, a real calendar date, start before end) earns more than free text.
NAME_CERTAINTY = 0.95
DATE_CERTAINTY = 0.97
ID_CERTAINTY = 0.99  # passed stdnum.cn.ric (region, birth date, check character): a misread fails it


def labelled_name(
    doc: DocumentText, labels: Sequence[str], *, fuzzy: bool = True
) -> tuple[Fact[str], int] | None:
    """The first labelled value that is a person's name, and the index of its label line."""
    for found in iter_labelled(doc.lines, labels, fuzzy=fuzzy):
        if found.line == found.label_line and _inside_sentence(doc.lines[found.line], labels):
            continue
        name = clean_person_name(found.value)
        if name is not None:
            conf = doc.confidence(found.line) * found.certainty * NAME_CERTAINTY
            return Fact(value=name, confidence=round(conf, 3)), found.label_line
    return None


def _inside_sentence(line: str, labels: Sequence[str]) -> bool:
    """True when the first label on line runs on into words on both sides, with no separator: a
    party's role in a sentence (须事先征得甲方书面同意), not a label with its value (甲方：张建国)."""
    hits = [(line.find(lab), -len(lab)) for lab in labels if lab in line]
    if not hits:
        return False
    pos, minus_len = min(hits)
    end = pos - minus_len
    cjk = re.compile(rf"[{_CJK}]")
    return pos > 0 and end < len(line) and bool(cjk.match(line[pos - 1])) and bool(cjk.match(line[end]))


def id_after(doc: DocumentText, line: int | None, *, offset_in_line: int = 0) -> Fact[str] | None:
    """The first valid ID number at or after a line, within 4 lines (a party's number follows its name)."""
    if line is not None:
        for i in range(line, min(line + 4, len(doc.lines))):
            numbers = find_id_numbers(doc.lines[i][offset_in_line if i == line else 0 :])
            if numbers:
                return Fact(value=numbers[0], confidence=ID_CERTAINTY)
    return None


def labelled_date(doc: DocumentText, labels: Sequence[str]) -> Fact[date] | None:
    """The first date written after one of labels (same line or next)."""
    for found in iter_labelled(doc.lines, labels, stop_labels=()):
        dates = find_dates(found.value)
        if dates:
            conf = doc.confidence(found.line) * found.certainty * DATE_CERTAINTY
            return Fact(value=dates[0], confidence=round(conf, 3))
    return None


def _dates_after_label(line: str, labels: Sequence[str]) -> list[date]:
    pos = min((line.find(lab) for lab in labels if lab in line), default=0)
    return find_dates(line[max(pos, 0) :])


def _pair(start: date, end: date, conf: float) -> tuple[Fact[date], Fact[date]]:
    if end <= start:
        conf *= 0.3  # a term running backwards is a misread digit somewhere
    c = round(conf * DATE_CERTAINTY, 3)
    return Fact(value=start, confidence=c), Fact(value=end, confidence=c)


def term_dates(
    doc: DocumentText,
    term_labels: Sequence[str],
    start_labels: Sequence[str] = (),
    end_labels: Sequence[str] = (),
) -> tuple[Fact[date] | None, Fact[date] | None, int | None]:
    """(start, end, line index) of a term written 自A起至B止 / A至B / A—B after one of term_labels, or
    as two separately labelled dates, or (no label at all) as a sentence 自A起至B止 anywhere."""
    labelled = [i for i, line in enumerate(doc.lines) if any(lab in line for lab in term_labels)]
    for i in labelled:
        dates = _dates_after_label(doc.lines[i], term_labels)
        if len(dates) >= 2:
            return (*_pair(dates[0], dates[1], doc.confidence(i)), i)
    for i in labelled:
        # The label stands alone (a heading or a table cell) and the dates follow on the next line.
        if i + 1 < len(doc.lines):
            dates = _dates_after_label(doc.lines[i], term_labels) + find_dates(doc.lines[i + 1])
            if len(dates) >= 2:
                return (*_pair(dates[0], dates[1], doc.confidence(i, i + 1) * 0.9), i)
    start = labelled_date(doc, start_labels) if start_labels else None
    end = labelled_date(doc, end_labels) if end_labels else None
    if start is not None or end is not None:
        return start, end, None
    for i, line in enumerate(doc.lines):
        if "至" in line and ("自" in line or "起" in line):
            dates = find_dates(line)
            if len(dates) >= 2:
                return (*_pair(dates[0], dates[1], doc.confidence(i) * 0.8), i)
    return None, None, None


# --- confidence from evidence --------------------------------------------------------------------

# The bar is config/documents.yaml ocr_min_confidence (0.80): a value at or above it is used as read,
# one under it sends the case to a person. A value's confidence is the OCR's own confidence in the
# characters times how sure we are the text is this field; a fixed discount for "free text" on top
# put every correctly read property address at 0.887 × 0.9 = 0.798, under the bar. So:
# - confirmed by structure (an address that parses into a real Chengdu district or zone, road and
#   house number with nothing left over; a certificate number of the fixed shape; a school name seen
#   twice): the OCR confidence times the label match — the structure settles that the text is the field
#   and is whole, what is left is the OCR's doubt about single characters;
# - not confirmed: also times the position's doubt and FREE_TEXT_CERTAINTY, and never over
#   UNCONFIRMED_CEILING, so it always goes to a person: a value we cannot check may be a truncated wrap,
#   another column's cell or a misread label's neighbour, and that is what reads wrong-and-confident.
# Values with a check character (ID numbers, credit codes) keep their own fixed certainties.
UNCONFIRMED_CEILING = 0.79
FREE_TEXT_CERTAINTY = 0.9


def evidence_confidence(ocr: float, found: Labelled | None = None, *, confirmed: bool) -> float:
    """The confidence of a value read at `ocr` confidence from a labelled place (or none)."""
    if confirmed:
        return round(ocr * (found.label_certainty if found is not None else 1.0), 3)
    position = found.certainty if found is not None else 1.0
    return round(min(ocr * position * FREE_TEXT_CERTAINTY, UNCONFIRMED_CEILING), 3)


_CHENGDU_UNIT_NAMES = frozenset((*CHENGDU_UNITS, *FORMER_UNIT_NAMES))


def address_confirmed(address: str) -> bool:
    """True when address reads as a whole Chengdu dwelling address: a real county-level unit or zone,
    a road and a house number, nothing the parser cannot place, and not cut after 单元 (a wrapped
    address whose room number is on the next line)."""
    parts = parse_address(address)
    if parts.city not in (None, "成都市") or parts.rest:
        return False
    if parts.district not in _CHENGDU_UNIT_NAMES and parts.zone is None:
        return False
    if parts.road is None or parts.number is None:
        return False
    # A road name holding another column's words (坐落 beside 权利类型: 灌口街道国有建设用地使用权/
    # 房屋所有权离堆路) or a number longer than a house, building or room ever is (a 不动产单元号 read
    # into the address: 134号510107778402GB…16栋) is text of two cells mixed, not one address.
    if len(parts.road) > 12 or _NOT_ROAD.search(parts.road):
        return False
    sizes = ((parts.number, 4), (parts.building, 3), (parts.unit, 2), (parts.room, 5))
    if any(len(run) > size for value, size in sizes for run in re.findall(r"[0-9A-Za-z]+", value or "")):
        return False
    return not (parts.unit is not None and parts.room is None)


_NOT_ROAD = re.compile(r"[^\u4e00-\u9fff0-9]|权|用地|所有|使用|出让|住宅|房屋|面积|用途")


# A line that may be the wrapped end of an address: short, and ending in what ends a dwelling (元501,
# 2205, 3栋2单元501, 路12号).
_ADDRESS_TAIL = re.compile(r"^[^：]{0,12}?(?:[0-9]+[号栋幢座单元室楼层户]?|[号栋幢座单元室楼层户])$")


def address_continues(line: str) -> bool:
    """True when line may be the second line of a wrapped address."""
    return len(line) <= 16 and bool(_ADDRESS_TAIL.match(line)) and not re.search(r"[0-9]{4}年", line)


T = TypeVar("T")


def read_labelled(
    doc: DocumentText,
    labels: Sequence[str],
    parse: Callable[[str], T | None],
    *,
    confirm: Callable[[T], bool] = lambda _value: False,
    stop_labels: Sequence[str] = STOP_LABELS,
    fuzzy: bool = True,
    above: bool = False,
    continues: Callable[[str], bool] | None = None,
) -> Fact[T] | None:
    """The value of a field given by its labels, wherever the layout puts it, with a calibrated confidence.

    Candidates come from iter_labelled (right of, under, or with above=True over the label); a value
    may go on over the next lines that `continues` accepts (a wrapped address). `parse` turns a
    candidate's text into a value or None; `confirm` says whether the value's own structure confirms it.
    The first confirmed value wins (the longest one of a candidate and its continuations); else the
    first parsed value, with a confidence under the bar (evidence_confidence).
    """
    fallback: Fact[T] | None = None
    for found in iter_labelled(doc.lines, labels, stop_labels=stop_labels, fuzzy=fuzzy, above=above):
        used = list(found.lines or (found.line,))
        texts = [(found.value, list(used))]
        if continues is not None:
            text = found.value
            for k in range(used[-1] + 1, min(used[-1] + 3, len(doc.lines))):
                nxt = doc.lines[k]
                if k == found.label_line:
                    continue  # a label centred beside its value's two lines (value above it)
                if starts_new_line(nxt, labels) or not continues(nxt):
                    break
                text, used = text + nxt, [*used, k]
                texts.append((text, list(used)))
        confirmed: tuple[T, list[int]] | None = None
        first: tuple[T, list[int]] | None = None
        for text, lines in texts:
            value = parse(text)
            if value is None:
                continue
            first = first or (value, lines)
            if confirm(value):
                confirmed = (value, lines)
        if confirmed is not None:
            conf = evidence_confidence(doc.confidence(*confirmed[1]), found, confirmed=True)
            return Fact(value=confirmed[0], confidence=conf)
        if first is not None and fallback is None:
            conf = evidence_confidence(doc.confidence(*first[1]), found, confirmed=False)
            fallback = Fact(value=first[0], confidence=conf)
    return fallback
