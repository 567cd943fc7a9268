"""A city-sized shared-data snapshot, generated with numpy in seconds (for the store's benchmark).

`samplecity.city.generate_city` builds each person in Python and plants case defects; at millions of
residents that takes too long. This writes the same eight-table contract (DESIGN.md §4; Parquet,
string columns, `paid` boolean) with valid GB 11643 check characters and GB 32100 credit codes,
in proportions like the sample city's background, but no case packages:

    per 5 M residents ≈ 5.3 M registrations, 30 M insurance months, 2 M leases, 0.5 M properties,
    0.4 M businesses, 0.1 M enrolments, 1.5 M permits, 5 M hukou rows.

Dirt an importer must cope with is added too: a few exact duplicates, whitespace, a lowercase x.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

DISTRICTS = (
    ("510104", "锦江区"), ("510105", "青羊区"), ("510106", "金牛区"), ("510107", "武侯区"),
    ("510108", "成华区"), ("510112", "龙泉驿区"), ("510113", "青白江区"), ("510114", "新都区"),
    ("510115", "温江区"),
    ("510116", "双流区"), ("510117", "郫都区"), ("510118", "新津区"), ("510121", "金堂县"),
    ("510129", "大邑县"), ("510131", "蒲江县"), ("510181", "都江堰市"), ("510182", "彭州市"),
    ("510183", "邛崃市"), ("510184", "崇州市"), ("510185", "简阳市"),
)  # fmt: skip
# Where migrants' ID numbers come from (Sichuan prefectures, Chongqing, neighbours).
ORIGINS = np.array(
    [511302, 511303, 510603, 511502, 513001, 500101, 500103, 530102, 520102, 610102, 421002, 430102]
)
STREETS = np.array(
    [
        f"{a}{b}"
        for a in ("玉林", "人民", "蜀汉", "天府", "科华", "红星", "双楠", "金沙", "驷马桥", "龙腾")
        for b in ("北路", "南路", "中路", "东街", "西街", "大道")
    ]
)
SCHOOLS = np.array(["四川大学", "电子科技大学", "西南交通大学", "成都大学"], dtype=object)
STUDY_STATUS = np.array(["在读", "毕业", "退学"], dtype=object)
PERMIT_STATUS = np.array(["有效", "过期", "注销"], dtype=object)
SURNAMES = np.array(
    list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈")
)
GIVEN = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞婷雪琳晨浩宇欣怡子涵"))
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
USCC_ALPHABET = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])


def id_check_chars(bodies: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check characters of 17-digit ID bodies (int64), vectorised."""
    total = np.zeros(len(bodies), dtype=np.int64)
    for i, weight in enumerate(ID_WEIGHTS):
        total += (bodies // 10 ** (16 - i)) % 10 * weight
    return np.array(list("10X98765432"))[total % 11]


def uscc_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct Chengdu credit codes ("91" + 5101xx + 9-char organisation code + check)."""
    org = rng.integers(0, 31, size=(n, 9))
    region = rng.choice([int(c) for c, _ in DISTRICTS], size=n)
    digits = np.column_stack(
        [np.full(n, 9), np.full(n, 1), *[(region // 10 ** (5 - i)) % 10 for i in range(6)], org]
    )
    check = (31 - (digits * USCC_WEIGHTS).sum(axis=1) % 31) % 31
    chars = USCC_ALPHABET[np.column_stack([digits, check])]
    return (
        chars.view(f"<U{18}").ravel() if chars.flags.c_contiguous else np.array(["".join(r) for r in chars])
    )


# A missing date in a column of date strings. np.where turns a bare None into this same object array;
# numpy's stubs only take it already made.
_MISSING = np.array(None, dtype=object)


def _dates(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D")


def generate_bulk(out: Path, *, residents: int, seed: int = 1, today: date | None = None) -> dict[str, int]:
    """Write `out/<table>.parquet` for a city of `residents` people; returns rows per table."""
    rng = np.random.default_rng(seed)
    today_d = np.datetime64(today or date(2026, 11, 1), "D")
    n = residents
    local = rng.random(n) < 0.15
    # ID numbers: region + birth date (16-60 years old) + sequence, check char computed; made distinct.
    birth = today_d - rng.integers(16 * 365, 60 * 365, size=n).astype("timedelta64[D]")
    b = pd.DatetimeIndex(birth)
    ymd = (b.year * 10000 + b.month * 100 + b.day).to_numpy(dtype=np.int64)
    region = np.where(local, rng.choice([int(c) for c, _ in DISTRICTS], size=n), rng.choice(ORIGINS, size=n))
    seq = np.arange(n, dtype=np.int64) % 1000  # with region+birth date this is near-unique; dedup below
    body = region.astype(np.int64) * 10**11 + ymd * 1000 + (seq + rng.integers(0, 1000, size=n)) % 1000
    body, first = np.unique(body, return_index=True)
    keep = np.sort(first)
    body, local, birth = body[np.argsort(first)], local[keep], birth[keep]
    n = len(body)
    ids = (pd.Series(body.astype(str)) + id_check_chars(body)).to_numpy(dtype=object)
    names = (
        pd.Series(SURNAMES[rng.integers(0, len(SURNAMES), n)])
        + pd.Series(GIVEN[rng.integers(0, len(GIVEN), n)])
        + np.where(rng.random(n) < 0.6, GIVEN[rng.integers(0, len(GIVEN), n)], "")
    )
    names = names.to_numpy(dtype=object)

    # Dwellings: ~2.5 residents each, so addresses repeat as in a real city.
    dwellings = max(n * 2 // 5, 1)
    d_idx = rng.integers(0, len(DISTRICTS), dwellings)
    d_codes = np.array([c for c, _ in DISTRICTS])[d_idx]
    d_names = np.array([name for _, name in DISTRICTS])[d_idx]
    addr = (
        "四川省成都市" + pd.Series(d_names) + pd.Series(STREETS[rng.integers(0, len(STREETS), dwellings)])
        + pd.Series(rng.integers(1, 400, dwellings)).astype(str) + "号"
        + pd.Series(rng.integers(1, 30, dwellings)).astype(str) + "栋"
        + pd.Series(rng.integers(1, 6, dwellings)).astype(str) + "单元"
        + pd.Series(rng.integers(1, 33, dwellings) * 100 + rng.integers(1, 5, dwellings)).astype(str)
    ).to_numpy(dtype=object)  # fmt: skip
    home = rng.integers(0, dwellings, n)

    tables: dict[str, dict[str, np.ndarray]] = {}
    migrant = np.flatnonzero(~local)
    tables["hukou"] = {
        "id_number": ids,
        "hukou_city_code": np.where(local, "5101", (body // 10**13).astype(str)).astype(object),
    }

    # Residence registrations: 75 % one active row, 10 % ended, 15 % moved (old ended + new active).
    roll = rng.random(len(migrant))
    reg_on = today_d - rng.integers(20, 3000, len(migrant)).astype("timedelta64[D]")
    ended = roll >= 0.75
    dereg = np.where(
        ended, reg_on + rng.integers(100, 700, len(migrant)).astype("timedelta64[D]"), np.datetime64("NaT")
    )
    moved = migrant[roll >= 0.85]
    moved_from = rng.integers(0, dwellings, len(moved))
    moved_on = today_d - rng.integers(20, 600, len(moved)).astype("timedelta64[D]")
    who = np.concatenate([migrant, moved])
    where = np.concatenate([home[migrant], moved_from])
    reg_dates = np.concatenate(
        [reg_on, moved_on - rng.integers(100, 900, len(moved)).astype("timedelta64[D]")]
    )
    dereg_dates = np.concatenate([dereg, moved_on])
    dereg_text = np.where(np.isnat(dereg_dates), _MISSING, _dates(dereg_dates)).astype(object)
    tables["residence_registrations"] = {
        "id_number": ids[who],
        "name": names[who],
        "address": addr[where],
        "district_code": d_codes[where].astype(object),
        "registered_on": _dates(reg_dates).astype(object),
        "deregistered_on": dereg_text,
    }

    # Employers and social insurance: ~70 % of residents insured, 1–16 months each (≈ 6 per resident).
    businesses = max(30, n // 12)
    uscc = uscc_codes(rng, businesses).astype(object)
    active = rng.random(businesses) < 0.85
    firm_no = "成都" + pd.Series(np.arange(businesses)).astype(str)
    live, dead = rng.choice(["存续", "在业"], businesses), rng.choice(["注销", "吊销"], businesses)
    tables["business_registry"] = {
        "uscc": uscc,
        "name": (firm_no + "号蓉城科技有限公司").to_numpy(dtype=object),
        "status": np.where(active, live, dead).astype(object),
    }
    insured = migrant[rng.random(len(migrant)) < 0.82]
    months = rng.integers(1, 17, len(insured))
    person = np.repeat(insured, months)
    employer = np.repeat(rng.integers(0, businesses, len(insured)), months)
    back = np.arange(len(person)) - np.repeat(np.cumsum(months) - months, months)  # 0.. months-1
    last_month = today_d.astype("datetime64[M]") - 1
    month_text = np.datetime_as_string(last_month - back.astype("timedelta64[M]"), unit="M").astype(object)
    tables["social_insurance"] = {
        "id_number": ids[person],
        "employer_uscc": uscc[employer],
        "month": month_text,
        "paid": rng.random(len(person)) >= 0.01,
    }

    # Leases (≈ 40 % of residents), property (locals 40 %, migrants without a lease 15 %).
    tenants = migrant[rng.random(len(migrant)) < 0.47]
    start = today_d - rng.integers(30, 1500, len(tenants)).astype("timedelta64[D]")
    end = start + (365 * rng.choice([1, 1, 2, 3], len(tenants))).astype("timedelta64[D]")
    tables["lease_registrations"] = {
        "registration_no": (
            "CZBA"
            + pd.Series(_dates(start)).str.slice(0, 4)
            + pd.Series(d_codes[home[tenants]])
            + pd.Series(np.arange(len(tenants))).astype(str).str.zfill(7)
        ).to_numpy(dtype=object),
        "tenant_id_number": ids[tenants],
        "address": addr[home[tenants]],
        "start_on": _dates(start).astype(object),
        "end_on": _dates(end).astype(object),
    }
    has_lease = np.zeros(n, dtype=bool)
    has_lease[tenants] = True
    owners = np.flatnonzero((local & (rng.random(n) < 0.4)) | (~local & ~has_lease & (rng.random(n) < 0.15)))
    tables["property_records"] = {
        "certificate_no": (
            "川("
            + pd.Series(rng.integers(2000, 2026, len(owners))).astype(str)
            + ")成都市不动产权第"
            + pd.Series(np.arange(len(owners))).astype(str).str.zfill(8)
            + "号"
        ).to_numpy(dtype=object),
        "owner_id_number": ids[owners],
        "address": addr[home[owners]],
    }

    age = (today_d - birth).astype(int) // 365
    students = migrant[(age[migrant] >= 18) & (age[migrant] <= 26) & (rng.random(len(migrant)) < 0.35)]
    enrolled = np.array([f"{y}-09-01" for y in range(2019, 2027)], dtype=object)
    tables["school_enrollments"] = {
        "id_number": ids[students],
        "school": rng.choice(SCHOOLS, len(students)),
        "enrolled_on": enrolled[rng.integers(0, 7, len(students))],
        "status": rng.choice(STUDY_STATUS, len(students), p=[0.7, 0.25, 0.05]),
    }
    holders = migrant[rng.random(len(migrant)) < 0.35]
    issued = today_d - rng.integers(30, 2500, len(holders)).astype("timedelta64[D]")
    endorsed = issued + (365 * ((today_d - issued).astype(int) // 365) - 10).astype("timedelta64[D]")
    serial = pd.Series(np.arange(len(holders))).astype(str).str.zfill(9)
    tables["permits"] = {
        "permit_no": (pd.Series(d_codes[home[holders]]) + serial).to_numpy(dtype=object),
        "id_number": ids[holders],
        "issued_on": _dates(issued).astype(object),
        "last_endorsed_on": np.where(endorsed > issued, _dates(endorsed), _MISSING).astype(object),
        "status": rng.choice(PERMIT_STATUS, len(holders), p=[0.7, 0.18, 0.12]),
    }

    _add_dirt(tables, rng)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for table, columns in tables.items():
        arrays = {c: pa.array(v, type=pa.bool_() if c == "paid" else pa.string()) for c, v in columns.items()}
        pq.write_table(pa.table(arrays), out / f"{table}.parquet", row_group_size=1_000_000)
        counts[table] = len(next(iter(columns.values())))
    return counts


def _add_dirt(tables: dict[str, dict[str, np.ndarray]], rng: np.random.Generator) -> None:
    for table in ("residence_registrations", "social_insurance"):
        columns = tables[table]
        picks = rng.integers(0, len(columns["id_number"]), 3)
        for c in columns:
            columns[c] = np.concatenate([columns[c], columns[c][picks]])
    regs = tables["residence_registrations"]
    for i in rng.integers(0, len(regs["name"]), 3):
        regs["name"][i] = f" {regs['name'][i]} "
    hukou_ids = tables["hukou"]["id_number"]
    with_x = np.flatnonzero(np.char.endswith(hukou_ids[:10000].astype(str), "X"))
    if len(with_x):
        hukou_ids[with_x[0]] = hukou_ids[with_x[0]].lower()
