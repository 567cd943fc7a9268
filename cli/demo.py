"""`rongju demo`: the main job on the embedded default, end to end as far as the pipeline goes.

Generates (or reuses) a sample city under the data folder, submits every case package through
the real intake, and prints where each case stands next to what the generator planted in it.
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

from config.settings import get_settings, today
from models.masking import mask_name
from models.package import PackageRefused

DEMO_RESIDENTS = 2000


def _city_is_current(city_dir: Path, *, cases: int, seed: int, day: str) -> bool:
    manifest = city_dir / "city.json"
    if not manifest.exists():
        return False
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return data.get("seed") == seed and data.get("today") == day and data.get("cases") == cases


def run_demo(console: Console, *, cases: int, seed: int) -> None:
    from samplecity.city import generate_city
    from services.intake import submit_folder
    from storage.db import get_engine

    settings = get_settings()
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

    expected: dict[str, Any] = json.loads((city_dir / "expected.json").read_text(encoding="utf-8"))["cases"]
    get_engine()  # migrate before the progress bar starts
    folders = sorted(p for p in (city_dir / "cases").iterdir() if (p / "application.json").exists())
    rows: list[tuple[str, ...]] = []
    statuses: Counter[str] = Counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("受理 submitting", total=len(folders))
        for folder in folders:
            application = json.loads((folder / "application.json").read_text(encoding="utf-8"))
            submission_id = str(application.get("submission_id"))
            planted = expected.get(submission_id, {})
            try:
                result = submit_folder(folder)
                status = f"{result.status.label_zh} {result.status.value}"
                statuses[result.status.label_zh] += 1
                case_id = result.case_id + ("" if result.created else " (已存在)")
            except PackageRefused as exc:
                status = "[red]不予受理 refused[/red]: " + ", ".join(sorted({p.code for p in exc.problems}))
                statuses["不予受理(intake)"] += 1
                case_id = "-"
            rows.append(
                (
                    submission_id,
                    case_id,
                    str(application.get("business_type", "?")),
                    mask_name(str(application.get("applicant", {}).get("name", ""))),
                    status,
                    ", ".join(planted.get("reasons", [])) or "—",
                )
            )
            progress.advance(task)

    table = Table(title="案件 cases", show_lines=False)
    for header in ("submission", "case", "业务 type", "申请人", "状态 status", "预置问题 planted reasons"):
        table.add_column(header)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    summary = Table(title="汇总 summary")
    summary.add_column("状态 status")
    summary.add_column("件数 cases", justify="right")
    for label, count in sorted(statuses.items()):
        summary.add_row(label, str(count))
    summary.add_row("[bold]合计 total[/bold]", f"[bold]{sum(statuses.values())}[/bold]")
    console.print(summary)
    console.print(
        "查看 inspect: .venv/bin/rongju cases --status submitted ; .venv/bin/rongju status <case-id>"
    )
