"""Identity checks: the ID number, the name, the ID card's validity and the hukou."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date

from rapidfuzz import fuzz
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from models.checks.result import CheckOutcome, failed, not_evaluated, passed, unrecognised
from models.feed_vocabulary import FeedVocabulary
from models.id_number import birth_date_of
from models.masking import mask_id_number, mask_name
from models.reasons import ReasonCode
from models.records import HukouRecord


def region_known(number: str) -> bool:
    """The first six digits are a county-level region code that exists or existed (GB/T 2260).

    Deliberately not python-stdnum's get_birth_place, which also requires the code to have existed in
    the birth year: numbers are assigned at registration, not at birth (everyone born before 1999 got
    an 18-digit number with the code of that day), so a 1975-born 锦江区 resident legitimately has
    510104, a code from 1990. Requiring the birth year would refuse real numbers.
    """
    from stdnum import numdb

    info = {k: v for _, props in numdb.get("cn/loc").info(number[:6]) for k, v in props.items()}
    return bool(info.get("county"))


def id_number_problem(number: str, today: date | None = None) -> str | None:
    """Why an ID number fails GB 11643-1999, or None when it is valid.

    One of: length, format, checksum, birth_date (no such date, or after today), region (a region
    code that never existed; see region_known).
    """
    try:
        compact = ric.compact(number)
    except ValidationError:
        return "format"
    if len(compact) != 18:
        return "length"
    if not compact[:17].isdigit() or compact[17] not in "0123456789X":
        return "format"
    if compact[17] != ric.calc_check_digit(compact):
        return "checksum"
    birth = birth_date_of(compact)
    if birth is None:
        return "birth_date"
    if today is not None and birth > today:
        return "birth_date"
    if not region_known(compact):
        return "region"
    return None


_PROBLEM_ZH = {
    "length": "位数不对",
    "format": "含有非法字符",
    "checksum": "校验码不对",
    "birth_date": "出生日期无效",
    "region": "地区码无效",
}


def check_id_number_valid(declared: str, card: str | None, today: date) -> CheckOutcome:
    """ID_NUMBER_INVALID: the declared number passes GB 11643. A card number that was read but fails it
    leaves the check to a person."""
    check = "id_number_valid"
    declared_problem = id_number_problem(declared, today)
    card_problem = id_number_problem(card, today) if card else None
    evidence = {
        "declared": mask_id_number(declared),
        "declared_problem": declared_problem,
        "card": mask_id_number(card) if card else None,
        "card_problem": card_problem,
    }
    if declared_problem:
        return failed(
            check,
            ReasonCode.ID_NUMBER_INVALID,
            detail_zh=f"填写的号码{_PROBLEM_ZH[declared_problem]}",
            detail_en=f"declared number: {declared_problem}",
            **evidence,
        )
    if card_problem:
        # An invalid number read from the card is far more often a misreading than a forged card: the
        # applicant cannot fix our reading, so a person compares the image (never 待补正).
        return not_evaluated(check, "id_front.id_number valid", **evidence)
    return passed(check, "公民身份号码校验通过。", "ID number passes GB 11643-1999.", **evidence)


def check_id_number_match(declared: str, card: str | None) -> CheckOutcome:
    """ID_NUMBER_MISMATCH: the number read from the ID card is the declared one."""
    check = "id_number_match"
    if not card:
        return not_evaluated(check, "id_front.id_number")
    evidence = {"declared": mask_id_number(declared), "card": mask_id_number(card)}
    if ric.compact(card) != ric.compact(declared):
        return failed(check, ReasonCode.ID_NUMBER_MISMATCH, **evidence)
    return passed(check, "身份证号码与填写一致。", "ID card number matches the declared number.", **evidence)


# Interpuncts used in minority names (阿依古丽·买买提): people and OCR write any of them, or none.
_NAME_SEPARATORS = re.compile(r"[\s·•・‧∙⋅.．·]")


def normalise_name(name: str) -> str:
    """The comparison key of a person's name: NFKC, no spaces, no interpuncts."""
    return _NAME_SEPARATORS.sub("", unicodedata.normalize("NFKC", name))


def check_name_match(declared: str, card: str | None, registry: Iterable[str] = ()) -> CheckOutcome:
    """NAME_MISMATCH: the declared name equals the name on the card (when read) and in the shared data.

    The decision is exact equality after normalise_name: one different character is another person
    as far as the machine can tell (a reviewer handles rare characters, 生僻字). The rapidfuzz
    similarity (0–100) goes into the evidence to tell a reviewer "one character off" from "unrelated".
    """
    check = "name_match"
    key = normalise_name(declared)
    registry_names = sorted({n for n in (normalise_name(r) for r in registry) if n})
    if card is None and not registry_names:
        return not_evaluated(check, "id_front.name")
    evidence: dict[str, str | float | list[str] | None] = {"declared": mask_name(declared)}
    differs: list[str] = []
    if card is not None:
        card_key = normalise_name(card)
        evidence["card"] = mask_name(card)
        evidence["card_similarity"] = round(fuzz.ratio(key, card_key), 1)
        if card_key != key:
            differs.append("card")
    if registry_names:
        evidence["registry_similarity"] = min(round(fuzz.ratio(key, n), 1) for n in registry_names)
        if any(n != key for n in registry_names):
            differs.append("registry")
    evidence["differs_from"] = differs
    if differs:
        return failed(check, ReasonCode.NAME_MISMATCH, **evidence)
    return passed(check, "姓名一致。", "Name matches.", **evidence)


def check_id_card_validity(valid_until: date | None, read: bool, today: date) -> CheckOutcome:
    """ID_CARD_EXPIRED: the card back's 有效期限 has not ended. `read` with valid_until None is 长期.

    A card is valid through its valid_until date (the last day printed on it), so valid_until == today
    passes.
    """
    check = "id_card_validity"
    if not read:
        return not_evaluated(check, "id_back.valid_until")
    if valid_until is None:
        return passed(check, "身份证长期有效。", "ID card valid indefinitely (长期).", valid_until="长期")
    evidence = {"valid_until": valid_until.isoformat(), "today": today.isoformat()}
    if valid_until < today:
        return failed(check, ReasonCode.ID_CARD_EXPIRED, **evidence)
    return passed(check, "身份证在有效期内。", "ID card is within its validity period.", **evidence)


def check_local_hukou(hukou: Sequence[HukouRecord], id_number: str, feed: FeedVocabulary) -> CheckOutcome:
    """LOCAL_HUKOU: the applicant's household registration is in Chengdu (hukou_city_code 5101, in
    any form the feeds use: 5101, 510100, a district code 510107, a retired one 512081).

    Only the hukou table decides. The ID number's region code is where the number was first issued
    (usually the birthplace) and never changes when the hukou moves, so falling back to it would reject
    everyone born in Chengdu who has since moved their hukou away. When the table is silent the check
    passes with `hukou_record: false` in the evidence, for the reviewer to see. A code that is no known
    GB/T 2260 code cannot say whether the hukou is local: a reviewer decides (never a silent pass).
    """
    check = "local_hukou"
    raw = sorted({r.hukou_city_code.strip() for r in hukou})
    cities = {code: feed.hukou_city(code) for code in raw}
    evidence = {
        "hukou_city_codes": raw,
        "hukou_cities": sorted({c for c in cities.values() if c is not None}),
        "hukou_record": bool(raw),
        "id_region": id_number[:4],
    }
    unknown = [code for code, city in cities.items() if city is None]
    local = {feed.is_local_hukou(city) for city in cities.values() if city is not None}
    if local == {True, False}:
        # Two rows disagree (a move not yet reconciled in the register): a person decides, not row order.
        return not_evaluated(check, "hukou.hukou_city_code consistent", conflicting=True, **evidence)
    if True in local:
        return failed(check, ReasonCode.LOCAL_HUKOU, **evidence)
    if unknown:
        return unrecognised(check, "hukou.hukou_city_code", unknown, **evidence)
    if not raw:
        return passed(
            check,
            "未查询到户籍记录，按非本市户籍处理。",
            "No hukou record; treated as non-local.",
            **evidence,
        )
    return passed(check, "户籍不在成都市。", "Hukou is outside Chengdu.", **evidence)
