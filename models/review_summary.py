"""The masked case summary shown above the review form in the Prefect UI (DESIGN.md §5).

Markdown, Chinese first and English second, compact enough for the resume modal: the case (masked),
the statutory deadline, the automated outcome with its reasons, every check with what the applicant
declared, what the document said, what the shared data said and the verdict, and one link to the
case's documents on rongju's review page.

Everything here ends up in the Prefect database, so the summary is masked twice: the caller passes
masked case fields and check evidence that is already masked, and every piece of text is masked
again here (an unmasked ID or mobile number, however it got into a value, is masked before it is
written) and escaped, so a value read from a document cannot inject links or images into the page.
The documents themselves never come here: no image, no data: URL, no bearer link. The one link
leads to rongju's review page, where the reviewer signs in and sees the documents only if the case
is of their station — whoever reads Prefect's database gains nothing from the link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from models.checks.result import CheckOutcome
from models.decision import Decision
from models.masking import mask_address, mask_id_number, mask_name, mask_phone

# --- masking and escaping -----------------------------------------------------------------------

# ID numbers and mobiles as people write them: with spaces or hyphens between the groups.
_SPACED_ID = re.compile(r"(?<![0-9])[0-9]{6}[ -][0-9]{8}[ -][0-9]{3}[0-9Xx](?![0-9])")
_SPACED_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9][ -][0-9]{4}[ -][0-9]{4}(?![0-9])")
# Any run of 11 or more digits (an 18- or 15-digit ID number, a mobile, or one of them glued to more
# digits) is masked: in a review summary a reviewer compares such numbers by their ends.
_DIGIT_RUN = re.compile(r"[0-9]{11,}[Xx]?")
# In a URL only a number standing on its own counts: a case id may hold digit runs.
_NUMBER_IN_URL = re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|[0-9]{15}|1[3-9][0-9]{9})(?![0-9A-Za-z])")
# Prefect's markdown renderer shows backslash escapes literally, so characters that could build
# links, images, emphasis or tables are replaced by their full-width forms instead: a value read from
# a document can never inject markup, and a masked name (王**) reads as 王＊＊.
_NEUTRALISE = str.maketrans(
    {"\\": "＼", "`": "｀", "*": "＊", "[": "［", "]": "］", "(": "（", ")": "）", "<": "＜", ">": "＞",
     "#": "＃", "!": "！", "|": "｜", "~": "～", "{": "｛", "}": "｝"}
)  # fmt: skip
_CASE_ID = re.compile(r"^[A-Za-z0-9-]{1,40}$")
DOCUMENTS_LINK_TEXT = "查看材料（需登录）/ view documents (sign-in required)"


def mask_numbers(text: str) -> str:
    """`text` with every ID-number-like or phone-like digit run masked (idempotent)."""
    text = _SPACED_ID.sub(lambda m: mask_id_number(re.sub(r"[ -]", "", m.group())), text)
    text = _SPACED_PHONE.sub(lambda m: mask_phone(re.sub(r"[ -]", "", m.group())), text)

    def _mask(match: re.Match[str]) -> str:
        run = match.group()
        return mask_phone(run) if len(run) <= 14 else mask_id_number(run)

    return _DIGIT_RUN.sub(_mask, text)


def _clean(value: object) -> str:
    """One line of text, masked, with no markdown meaning left in it."""
    text = " ".join(str(value).split())
    return mask_numbers(text).translate(_NEUTRALISE)


def _case_id(value: str) -> str:
    """The case id as it is: not personal data, and a reviewer must read it whole."""
    return value if _CASE_ID.match(value) else _clean(value)


def _url(url: str) -> str:
    """The review page's URL as given, if it is a plain http(s) URL without personal numbers, query
    or fragment (a capability would hide there)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError("the documents link must be an http(s) URL served by rongju (never a data: URL)")
    if parts.query or parts.fragment:
        raise ValueError("the documents link carries no query or fragment (no tokens in Prefect)")
    if _NUMBER_IN_URL.search(url):
        raise ValueError("the documents link must not carry an ID or phone number")
    if any(c in url for c in " ()<>[]\n\r\t"):
        raise ValueError("the documents link must be URL-encoded")
    return url


# --- the case -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewCase:
    """The case as the summary shows it: ids and labels, personal fields masked.

    Build it from `CasePublic` (already masked) with `ReviewCase.of(public, station_name=...)`; the
    renderer masks the personal fields again in any case.
    """

    case_id: str
    business_type: str
    basis: str | None
    applicant_name: str
    applicant_id_number: str
    applicant_phone: str
    residence_address: str
    station_name: str | None
    bureau: str | None

    @classmethod
    def of(cls, public: Any, *, station_name: str | None) -> ReviewCase:
        """From a `models.tables.CasePublic` (or anything with its attribute names)."""
        return cls(
            case_id=public.id,
            business_type=public.business_type,
            basis=public.basis,
            applicant_name=public.applicant_name,
            applicant_id_number=public.applicant_id_number,
            applicant_phone=public.applicant_phone,
            residence_address=public.residence_address,
            station_name=station_name,
            bureau=public.bureau,
        )


_BUSINESS = {"apply": "申领", "endorse": "签注", "change": "变更", "reissue": "补领/换领"}
_BASIS = {"residence": "居住", "employment": "就业", "study": "就读"}
_OUTCOME = {
    "auto_approved": ("自动通过", "auto-approved"),
    "needs_review": ("需人工审核", "needs review"),
    "needs_correction": ("需补正", "needs correction"),
    "rejected": ("不予办理", "rejected"),
}

# --- the checks table ---------------------------------------------------------------------------

# Evidence keys are the checks' own; these rules put each in the column a reviewer expects. A check
# that names its keys `declared…`, `card…`/`…_on_contract`/`…_on_certificate` and anything else
# (registry, record, status …) lands in 申报 / 证件 / 共享数据 by itself.
_DOCUMENT_KEYS = frozenset(
    {"present", "required", "low_fields", "valid_until", "certificate_matches", "uscc", "end_on", "source",
     # the file checks' measurements
     "document_kind", "width", "height", "blur", "glare", "faces", "pages", "scanned_pages", "geometry"}
)  # fmt: skip
_DOCUMENT_SUFFIXES = ("_on_contract", "_on_certificate", "_on_card")
# Parameters of the rule, not evidence about the applicant.
_CONTEXT_KEYS = frozenset(
    {"today", "threshold", "window_days", "required_months", "report_within_days", "missing", "key"}
)


def _column(key: str) -> str | None:
    if key in _CONTEXT_KEYS:
        return None
    if key.startswith("declared"):
        return "declared"
    if key.startswith("card") or key in _DOCUMENT_KEYS or key.endswith(_DOCUMENT_SUFFIXES):
        return "document"
    return "shared"


def _value(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return ", ".join(_value(item) for item in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return str(value)


def _cell(items: list[tuple[str, object]], bare: str) -> str:
    """The evidence for one column; the column's own key (`declared`, `card`) shows its value only."""
    if not items:
        return "—"
    shown = (_clean(_value(v)) if k == bare else f"{_clean(k)}: {_clean(_value(v))}" for k, v in items)
    return "; ".join(shown)


def _verdict(outcome: CheckOutcome) -> str:
    if not outcome.evaluated:
        if "unrecognised" in outcome.evidence:
            # The feed said something the rules do not know: the reviewer reads which value, in words.
            return f"⚠️ 未核验 not evaluated — {_clean(outcome.zh)}"
        missing = outcome.evidence.get("missing")
        return f"⚠️ 未核验 not evaluated ({_clean(missing)})" if missing else "⚠️ 未核验 not evaluated"
    if outcome.passed:
        return "✅ 通过 pass"
    reason = outcome.reason.value if outcome.reason else "?"
    return f"❌ {_clean(reason)}"


def _check_line(outcome: CheckOutcome) -> str:
    """One check as a list item, verdict first (a table is far too wide for the resume modal)."""
    columns: dict[str, list[tuple[str, object]]] = {"declared": [], "document": [], "shared": []}
    for key, value in outcome.evidence.items():
        column = _column(str(key))
        if column is not None:
            columns[column].append((str(key), value))
    details = [
        f"{label} {_cell(columns[name], bare)}"
        for name, label, bare in (
            ("declared", "申报 declared:", "declared"),
            ("document", "证件 document:", "card"),
            ("shared", "共享数据 shared data:", "registry"),
        )
        if columns[name]
    ]
    detail = f" — {'; '.join(details)}" if details else ""
    return f"- {_verdict(outcome)} · {_clean(outcome.check)}{detail}"


# --- the summary --------------------------------------------------------------------------------


def _deadline_line(deadline: date | None, days_left: int | None) -> str:
    if deadline is None:
        return "**办理时限 Deadline:** 尚未受理，未起算 not started (case not yet accepted)"
    line = f"**办理时限 Deadline: {deadline.isoformat()}**"
    if days_left is None:
        return line
    if days_left < 0:
        return f"{line} · ⏰ **已超期 {-days_left} 天 / {-days_left} days overdue**"
    if days_left == 0:
        return f"{line} · ⏰ **今日到期 / due today**"
    return f"{line} · 剩余 {days_left} 天 / {days_left} days left"


def render_review_summary(
    *,
    case: ReviewCase,
    outcomes: Sequence[CheckOutcome],
    decision: Decision,
    deadline: date | None,
    days_left: int | None,
    documents_url: str | None = None,
    previous_error: str | None = None,
) -> str:
    """The markdown shown above the review form (ReviewDecision.with_initial_data(description=...)).

    `documents_url` is the case's review page on rongju (`{api_url}/review/{case_id}`), shown as one
    link; it must be a plain http(s) URL — a data: URL, a query or fragment (where a token would
    go), or an ID or phone number raises ValueError. `previous_error` is the reason the last
    submission was refused; it is shown first, prominently.
    """
    parts: list[str] = []
    if previous_error:
        parts.append(
            f"> ⚠️ **上次提交未被接受**：{_clean(previous_error)}\n>\n"
            "> **The last submission was not accepted** — correct the form and submit again "
            "(a one-time code works once: use a new one)."
        )

    # What a reviewer needs first: which case, what the automation concluded and why.
    outcome_zh, outcome_en = _OUTCOME.get(decision.outcome, (decision.outcome, decision.outcome))
    reasons = " ".join(_clean(r.value) for r in decision.reasons) or "—"
    parts.append(
        f"**{_case_id(case.case_id)}** · {_clean(_BUSINESS.get(case.business_type, ''))} "
        f"{_clean(case.business_type)} · **{outcome_zh} {outcome_en}** · {reasons}"
    )

    basis = f" · 依据 {_BASIS.get(case.basis, '')} basis {_clean(case.basis)}" if case.basis else ""
    parts.append(
        f"申请人 Applicant: {_clean(mask_name(case.applicant_name))} · "
        f"{_clean(mask_id_number(case.applicant_id_number))} · {_clean(mask_phone(case.applicant_phone))}"
        f"{basis}  \n"
        f"居住地址 Address: {_clean(mask_address(case.residence_address))}  \n"
        f"派出所 Station: {_clean(case.station_name or '—')} · {_clean(case.bureau or '—')}  \n"
        + _deadline_line(deadline, days_left)
    )

    lines = [f"{i}. **{_clean(line.reason.value)}** {_clean(line.zh)} — {_clean(line.en)}"
             for i, line in enumerate(decision.lines, 1)]  # fmt: skip
    if decision.unevaluated:
        names = ", ".join(_clean(name) for name in decision.unevaluated)
        lines.append(f"- ⚠️ 未核验 Not evaluated: {names}")
    if lines:
        parts.append("\n".join(lines))

    if documents_url:
        parts.append(f"**材料 Documents**: [{DOCUMENTS_LINK_TEXT}]({_url(documents_url)})")

    parts.append("**检查项 Checks**\n" + "\n".join(_check_line(outcome) for outcome in outcomes))
    return "\n\n".join(parts) + "\n"
