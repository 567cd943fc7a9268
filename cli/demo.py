"""`rongju demo`: the main job on the embedded default, end to end as far as the pipeline goes.

Generates (or reuses) a sample city under the data folder, delivers its shared-data snapshot to
RONGJU_SHARED_DATA_DIR (as the city's data-sharing platform would) and indexes it, submits every case
package through the real intake, then assesses each accepted case — shared-data checks, policy
decision, station — and prints that next to what the generator planted in it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from config.city import load_city
from config.settings import get_settings, today
from models.masking import mask_name
from models.package import PackageRefused

DEMO_RESIDENTS = 2000

_OUTCOME_ZH = {
    "auto_approved": "自动通过",
    "needs_review": "人工审核",
    "needs_correction": "需补正",
    "rejected": "不予办理",
}


def _city_is_current(city_dir: Path, *, cases: int, seed: int, day: str) -> bool:
    manifest = city_dir / "city.json"
    if not manifest.exists():
        return False
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return data.get("seed") == seed and data.get("today") == day and data.get("cases") == cases


def deliver_snapshot(source: Path, target: Path) -> None:
    """Put a snapshot folder in place whole: copy beside the target, then swap by rename."""
    staging = target.with_name(target.name + ".incoming")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    retired = target.with_name(target.name + ".previous")
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


def run_demo(console: Console, *, cases: int, seed: int) -> None:
    from samplecity.city import generate_city
    from services.assessment import assess_case
    from services.intake import submit_folder
    from storage.db import get_engine
    from storage.shared_data import get_shared_data, import_snapshot

    settings = get_settings()
    assert settings.shared_data_dir is not None
    day = today()
    city_dir = settings.data_dir / "demo-city"
    console.rule("蓉居 rongju demo")
    console.print(f"今天 today: {day}  数据库 case DB: {settings.database_url}")
    if _city_is_current(city_dir, cases=cases, seed=seed, day=day.isoformat()):
        console.print(f"沿用样例城市 reusing sample city in {city_dir}")
    else:
        shutil.rmtree(city_dir, ignore_errors=True)
        with console.status(f"生成样例城市 generating sample city ({cases} cases)…"):
            generate_city(
                city_dir,
                residents=DEMO_RESIDENTS,
                cases=cases,
                seed=seed,
                today=day,
                workers=os.cpu_count() or 1,
            )
        console.print(f"样例城市已生成 sample city written to {city_dir}")

    with console.status("导入共享数据 importing the shared-data snapshot…"):
        deliver_snapshot(city_dir / "shared-data", settings.shared_data_dir)
        report = import_snapshot(settings.shared_data_dir)
    tables = report.tables.values()
    kept = sum(t.rows_kept for t in tables)
    console.print(
        f"共享数据 shared data: {kept} 行 rows kept, {sum(t.rows_rejected for t in tables)} rejected"
        f"{'' if report.rebuilt else '（索引未变 index unchanged）'}"
    )

    expected: dict[str, Any] = json.loads((city_dir / "expected.json").read_text(encoding="utf-8"))["cases"]
    get_engine()  # migrate before the progress bar starts
    shared = get_shared_data()
    city = load_city()
    folders = sorted(p for p in (city_dir / "cases").iterdir() if (p / "application.json").exists())
    rows: list[tuple[str, ...]] = []
    statuses: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("受理与核验 submitting and checking", total=len(folders))
        for folder in folders:
            application = json.loads((folder / "application.json").read_text(encoding="utf-8"))
            submission_id = str(application.get("submission_id"))
            planted = ", ".join(expected.get(submission_id, {}).get("reasons", [])) or "—"
            name = mask_name(str(application.get("applicant", {}).get("name", "")))
            business = str(application.get("business_type", "?"))
            try:
                result = submit_folder(folder)
            except PackageRefused as exc:
                statuses["不予受理 refused at intake"] += 1
                codes = ", ".join(sorted({p.code for p in exc.problems}))
                rows.append((submission_id, business, name, "[red]不予受理[/red]", "—", "—", codes, planted))
                progress.advance(task)
                continue
            statuses[f"{result.status.label_zh} {result.status.value}"] += 1
            assessment = assess_case(result.case_id, shared=shared)
            routing = assessment.routing
            station = city.station(routing.station_id).name if routing.station_id else "?"
            if not routing.matched:
                station += " (兜底 intake)"
            outcome = assessment.decision.outcome
            outcomes[outcome] += 1
            found = ", ".join(r.value for r in assessment.decision.reasons) or "—"
            rows.append(
                (
                    submission_id,
                    business,
                    name,
                    result.status.label_zh,
                    station,
                    _OUTCOME_ZH[outcome],
                    found,
                    planted,
                )
            )
            progress.advance(task)

    table = Table(title="案件 cases")
    for header in (
        "submission",
        "业务 type",
        "申请人",
        "状态",
        "派出所 station",
        "自动核验 outcome",
        "发现 found",
        "预置 planted",
    ):
        table.add_column(header)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    summary = Table(title="汇总 summary")
    summary.add_column("")
    summary.add_column("件数 cases", justify="right")
    for label, count in sorted(statuses.items()):
        summary.add_row(label, str(count))
    for outcome, count in sorted(outcomes.items()):
        summary.add_row(f"核验结果 {_OUTCOME_ZH[outcome]} {outcome}", str(count))
    console.print(summary)
    console.print(
        "说明 note: 证件图像的识别（OCR）接入前，文件与证件内容类问题只在“预置”列出现；"
        "document-derived reasons (image quality, the ID card's own fields) appear once OCR is wired in, "
        "and until then no case is auto-approved."
    )
    console.print("查看 inspect: .venv/bin/rongju cases ; .venv/bin/rongju status <case-id>")
