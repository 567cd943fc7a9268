"""Ways the same sample city can be written that do not share rongju's own habits (issue 11 item 6).

The city model (who applies, what is planted, what should be found) stays the same; only how it is
written changes, so every variant has the same expected.json and a test can run both:

- `feed="b"`: the shared-data tables in another registry's words and code forms — 6-digit hukou
  city codes (510100), 12-digit statistical district codes, other status words (在营, 正常, 在校,
  已注销 …), dates as 2024/03/01, paid as 已缴/未缴;
- `blank_optional`: fields a case does not need are sent as "" (a pickup's mailing address, the basis
  of an endorsement), as some portals do;
- `template_family="b"`: every document kind that has a second family of templates is drawn from it
  (samplecity/render/family_b.py), which the extractors were not tuned on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Literal

FeedForm = Literal["a", "b"]
TemplateFamily = Literal["a", "b"]


@dataclass(frozen=True)
class Variants:
    feed: FeedForm = "a"
    blank_optional: bool = False
    template_family: TemplateFamily = "a"

    @property
    def label(self) -> str:
        parts = [f"feed {self.feed}", f"templates {self.template_family}"]
        if self.blank_optional:
            parts.append("blank optional fields")
        return ", ".join(parts)


DEFAULT_VARIANTS = Variants()

# Other registries' words for the generator's own terms (all of them synonyms that
# config/shared_data.yaml knows: the variant changes the form, never the meaning).
_OTHER_WORDS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("business_registry", "status"): {
        "存续": ("在营", "存续（在营、开业、在册）", "正常"),
        "在业": ("开业", "在营"),
        "注销": ("已注销",),
        "吊销": ("吊销，未注销", "吊销未注销"),
    },
    ("permits", "status"): {"有效": ("正常",), "过期": ("已过期", "逾期"), "注销": ("已注销", "作废")},
    ("school_enrollments", "status"): {"在读": ("在校", "在籍"), "毕业": ("已毕业",), "退学": ("已退学",)},
}
_DATE_COLUMNS = {
    "residence_registrations": ("registered_on", "deregistered_on"),
    "lease_registrations": ("start_on", "end_on"),
    "school_enrollments": ("enrolled_on",),
    "permits": ("issued_on", "last_endorsed_on"),
}


def _slashed(value: Any) -> Any:
    text = value.isoformat() if hasattr(value, "isoformat") else value
    if isinstance(text, str) and len(text) == 10 and text[4] == "-" and text[7] == "-":
        return f"{text[:4]}/{text[5:7]}/{text[8:]}"
    return value


def rewrite_feed(rows: dict[str, list[dict[str, Any]]], seed: int) -> dict[str, list[dict[str, Any]]]:
    """The same rows in feed form "b" (see the module docstring); deterministic for a seed."""
    rng = random.Random(f"{seed}:feed-b")
    out: dict[str, list[dict[str, Any]]] = {}
    for table, data in rows.items():
        changed = []
        for row in data:
            row = dict(row)
            for (t, column), words in _OTHER_WORDS.items():
                if t == table and row.get(column) in words:
                    row[column] = rng.choice(words[row[column]])
            if table == "hukou":
                code = str(row["hukou_city_code"])
                row["hukou_city_code"] = code + "00" if len(code) == 4 else code
            if table == "residence_registrations":
                row["district_code"] = f"{row['district_code']}000000"
            if table == "social_insurance" and isinstance(row.get("paid"), bool):
                row["paid"] = "已缴" if row["paid"] else "未缴"
            for column in _DATE_COLUMNS.get(table, ()):
                row[column] = _slashed(row[column])
            changed.append(row)
        out[table] = changed
    return out


def blank_unneeded(application: dict[str, Any]) -> dict[str, Any]:
    """The application with every field the case does not need sent as "" instead of left out."""
    app = {**application, "delivery": dict(application.get("delivery") or {})}
    delivery = app["delivery"]
    if delivery.get("method") == "pickup":
        for key in ("address", "recipient", "phone"):
            delivery.setdefault(key, "")
            if delivery[key] is None:
                delivery[key] = ""
    if app.get("business_type") != "apply" and not app.get("basis"):
        app["basis"] = ""
    return app
