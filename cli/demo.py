"""`rongju demo`: the main job on the embedded default, end to end.

Generates (or reuses) a sample city under the data folder, delivers its shared-data snapshot to
RONGJU_SHARED_DATA_DIR (as the city's data-sharing platform would) and indexes it, starts the local
Prefect stack (`rongju up`), submits every package through the real intake (each accepted case gets
its flow run), waits for automated processing, and prints each case's outcome next to what the
generator planted in it. Then it stays up for reviewers until Ctrl-C; with --auto-review a scripted
reviewer resolves the reviews through the same resume path and the demo exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from config.city import load_city
from config.settings import get_settings, today
from models.masking import mask_name
from models.package import PackageRefused
from services.processing import read_case_state
from storage.db import UnitOfWork

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
    data: dict[str, object] = json.loads(manifest.read_text(encoding="utf-8"))
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


def run_demo(console: Console, *, cases: int, seed: int, auto_review: bool, keep_running: bool) -> None:
    """Sample city → `rongju up` → submit every package → automated processing → (review) → table."""
    from services.stack import start_stack, stop_stack

    # A demo: the roster's public demo secrets decide, in this process and every stack process
    # (they inherit this environment). Nowhere else are they accepted.
    os.environ["RONGJU_DEMO"] = "1"
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.shared_data_dir is not None
    day = today()
    city_dir = settings.data_dir / "demo-city"
    console.rule("蓉居 rongju demo")
    console.print(f"今天 today: {day}  数据库 case DB: {settings.database_url}")
    _prepare_city(console, city_dir, cases=cases, seed=seed, day=day.isoformat())
    _import_snapshot(console, city_dir, settings.shared_data_dir)

    state = start_stack(progress=lambda line: console.print(line))
    console.print(f"Prefect UI: [bold]{state.ui_url}[/bold]")
    try:
        submitted = _submit_all(console, city_dir)
        accepted = [case_id for case_id in submitted.values() if case_id]
        _wait_for_automation(console, accepted)
        if auto_review:
            _review_automatically(console, accepted)
            _deliver_automatically(console, accepted)
        _print_outcomes(console, city_dir, submitted)
        waiting = [c for c in accepted if read_case_state(c, UnitOfWork()).awaits_review]
        if waiting:
            console.print(
                f"待审核 {len(waiting)} 件 cases wait for a reviewer: open {state.ui_url}/runs , filter by "
                "state [bold]Suspended[/bold] and tag [bold]station:<id>[/bold], open a run, click Resume. "
                "One-time codes for the demo roster: `.venv/bin/rongju reviewers code r-<station>-1`."
            )
        if not auto_review:
            console.print(
                "制证 card production: approved cards appear in "
                f"{get_settings().print_spool}; play the card centre with "
                "`.venv/bin/rongju card-produced CARD_NO`, then EMS with `rongju delivered WAYBILL` "
                "or the station with `rongju picked-up CASE --code CODE` (see `rongju status CASE`)."
            )
        if keep_running and not auto_review:
            console.print("服务运行中，按 Ctrl-C 停止 the stack keeps running; Ctrl-C stops it")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(1)
    except BaseException:
        stop_stack()
        raise
    if keep_running or auto_review:
        console.print("正在停止 stopping the stack…")
        stop_stack()
    else:
        console.print(
            "Prefect 仍在后台运行 the stack stays up in the background; `.venv/bin/rongju down` stops it"
        )


def _prepare_city(console: Console, city_dir: Path, *, cases: int, seed: int, day: str) -> None:
    from samplecity.city import generate_city

    if _city_is_current(city_dir, cases=cases, seed=seed, day=day):
        console.print(f"沿用样例城市 reusing sample city in {city_dir}")
        return
    shutil.rmtree(city_dir, ignore_errors=True)
    with console.status(f"生成样例城市 generating sample city ({cases} cases)…"):
        workers = os.cpu_count() or 1
        generate_city(
            city_dir,
            residents=DEMO_RESIDENTS,
            cases=cases,
            seed=seed,
            today=date.fromisoformat(day),
            workers=workers,
        )
    console.print(f"样例城市已生成 sample city written to {city_dir}")


def _import_snapshot(console: Console, city_dir: Path, target: Path) -> None:
    from storage.shared_data import import_snapshot

    with console.status("导入共享数据 importing the shared-data snapshot…"):
        deliver_snapshot(city_dir / "shared-data", target)
        report = import_snapshot(target)
    tables = report.tables.values()
    console.print(
        f"共享数据 shared data: {sum(t.rows_kept for t in tables)} 行 rows kept, "
        f"{sum(t.rows_rejected for t in tables)} rejected"
    )


def _submit_all(console: Console, city_dir: Path) -> dict[str, str | None]:
    """submission_id -> case_id (None when the intake refused the package)."""
    from services.dispatch import start_case_flow
    from services.intake import submit_folder

    submitted: dict[str, str | None] = {}
    folders = sorted(p for p in (city_dir / "cases").iterdir() if (p / "application.json").exists())
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("受理 submitting", total=len(folders))
        for folder in folders:
            submission_id = json.loads((folder / "application.json").read_text(encoding="utf-8"))[
                "submission_id"
            ]
            try:
                result = submit_folder(folder, UnitOfWork())
            except PackageRefused:
                submitted[submission_id] = None
            else:
                submitted[submission_id] = result.case_id
                if read_case_state(result.case_id, UnitOfWork()).flow_run_id is None:
                    start_case_flow(result.case_id, result.business_type)
            progress.advance(task)
    return submitted


def _wait_for_automation(console: Console, case_ids: list[str], timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("自动核验 automated processing", total=len(case_ids))
        pending = set(case_ids)
        while pending and time.monotonic() < deadline:
            done = {c for c in pending if not read_case_state(c, UnitOfWork()).needs_assessment}
            pending -= done
            progress.advance(task, len(done))
            if pending:
                time.sleep(2)
    if pending:
        console.print(
            f"[yellow]仍在处理 still processing after {timeout:.0f}s: {len(pending)} cases[/yellow]"
        )


def _review_automatically(console: Console, case_ids: list[str], timeout: float = 1800) -> None:
    """A scripted reviewer of each case's station approves the cases that wait for a person, through
    the same resume path (and one-time codes) as the Prefect UI. A code works once, so a reviewer
    deciding a second case within the same 30-second step hands over to a colleague or waits."""
    from models.review import ReviewChoice
    from services.review_client import NotWaitingForReview, submit_review

    answered: dict[str, int] = {}  # case -> review attempts seen when we last answered
    last_step: dict[str, int] = {}  # reviewer -> TOTP step of the code last used
    deadline = time.monotonic() + timeout
    reviewed = 0
    while time.monotonic() < deadline:
        waiting = [c for c in case_ids if read_case_state(c, UnitOfWork()).awaits_review]
        if not waiting:
            break
        for case_id in waiting:
            state = read_case_state(case_id, UnitOfWork())
            if not state.awaits_review or answered.get(case_id) == state.review_attempts:
                continue  # decided meanwhile, or our answer is still on its way through the flow run
            step = int(time.time()) // 30
            reviewer = next(
                (
                    r
                    for r in (f"r-{state.station_id}-1", f"r-{state.station_id}-2")
                    if last_step.get(r) != step
                ),
                None,
            )
            if reviewer is None:
                continue  # both used this step's code: next round
            try:
                submit_review(
                    case_id,
                    UnitOfWork(),
                    reviewer_id=reviewer,
                    choice=ReviewChoice.APPROVE,
                    comment="演示：脚本审核 demo: scripted",
                )
            except NotWaitingForReview:  # decided between our read and the resume
                continue
            last_step[reviewer] = step
            answered[case_id] = state.review_attempts
            reviewed += 1
        time.sleep(2)
    console.print(f"脚本审核 scripted review submissions: {reviewed}")


def _deliver_automatically(console: Console, case_ids: list[str], timeout: float = 1800) -> None:
    """Play the card centre, EMS and the station counter for the approved cases: confirm each card
    once it is in the spool, each mailing once its label is printed, each pickup with its code —
    through the same commands' services, so every case reaches 办结."""
    from services import production
    from services.card_issue import card_of
    from services.card_spool import confirm_cards_produced
    from services.delivery import confirm_delivered, confirm_picked_up
    from services.dispatch import wake_case_flow

    uow = UnitOfWork()
    steps: Counter[str] = Counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        moving = False
        for case_id in case_ids:
            step = production.next_step(case_id, uow)
            if step is production.NextStep.NOTHING:
                continue
            moving = True
            card = card_of(case_id, uow)
            if step is production.NextStep.AWAIT_PRODUCTION and card is not None:
                if confirm_cards_produced([card.card_no], uow).confirmed:
                    steps["produced"] += 1
                wake_case_flow(case_id, event="card-produced", patience=0)
            elif step is production.NextStep.AWAIT_HANDOVER:
                with uow:
                    delivery = uow.deliveries.current(uow.cases.get(case_id))
                if delivery is None:
                    continue
                if delivery.method == "mail" and delivery.waybill_no:
                    steps["delivered"] += len(confirm_delivered([delivery.waybill_no], uow).confirmed)
                elif delivery.pickup_code and confirm_picked_up(case_id, delivery.pickup_code, uow):
                    steps["picked up"] += 1
                wake_case_flow(case_id, event="handed-over", patience=0)
            elif step in (production.NextStep.DISPATCH, production.NextStep.COMPLETE):
                # The flow's own work: a run that suspended just before our confirmation is woken.
                wake_case_flow(case_id, event=f"demo-{step.value}", patience=0)
        if not moving:
            break
        time.sleep(2)
    console.print(
        f"脚本制证与投递 scripted card centre / EMS / station: {steps['produced']} 张制证 produced, "
        f"{steps['delivered']} 件送达 delivered, {steps['picked up']} 件领取 picked up"
    )


def _print_outcomes(console: Console, city_dir: Path, submitted: dict[str, str | None]) -> None:
    from services.queries import case_outcome

    expected: dict[str, Any] = json.loads((city_dir / "expected.json").read_text(encoding="utf-8"))["cases"]
    city = load_city()
    table = Table(title="案件 cases")
    for header in (
        "submission",
        "业务",
        "申请人",
        "派出所 station",
        "核验 outcome",
        "状态 status",
        "发现 found",
        "预置 planted",
    ):
        table.add_column(header)
    statuses: Counter[str] = Counter()
    found_planted = 0
    for submission_id, case_id in sorted(submitted.items()):
        planted_codes = expected.get(submission_id, {}).get("reasons", [])
        planted = ", ".join(planted_codes) or "—"
        if case_id is None:
            statuses["不予受理 refused at intake"] += 1
            table.add_row(
                submission_id, "", "", "—", "—", "[red]不予受理[/red]", "FILE_TYPE_NOT_ALLOWED", planted
            )
            continue
        outcome = case_outcome(case_id, UnitOfWork())
        view_state = read_case_state(case_id, UnitOfWork())
        station = city.station(view_state.station_id).name if view_state.station_id else "?"
        reasons = outcome.reasons if outcome else []
        found_planted += bool(planted_codes) and set(planted_codes) <= set(reasons)
        statuses[f"{view_state.status.label_zh} {view_state.status.value}"] += 1
        table.add_row(
            submission_id,
            expected.get(submission_id, {}).get("business_type", ""),
            _masked_applicant(city_dir, submission_id),
            station,
            _OUTCOME_ZH.get(str(outcome.outcome if outcome else None), "—"),
            view_state.status.label_zh,
            ", ".join(reasons) or "—",
            planted,
        )
    console.print(table)
    summary = Table(title="汇总 summary")
    summary.add_column("")
    summary.add_column("件数 cases", justify="right")
    for label, count in sorted(statuses.items()):
        summary.add_row(label, str(count))
    with_planted = sum(1 for s, c in submitted.items() if c and expected.get(s, {}).get("reasons"))
    summary.add_row("预置问题全部发现 planted reasons all found", f"{found_planted}/{with_planted}")
    console.print(summary)


def _masked_applicant(city_dir: Path, submission_id: str) -> str:
    application = json.loads(
        (city_dir / "cases" / submission_id / "application.json").read_text(encoding="utf-8")
    )
    return mask_name(str(application.get("applicant", {}).get("name", "")))
