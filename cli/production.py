"""Card production, delivery and admin replay commands: what the card centre, EMS, the station
counter and the admin report back, and how a failed case is started again. cli/main.py merges this
module's Typer into `rongju` (`rongju card-produced`, `rongju replay`, ...)."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.output import console, emit_json_lines, err_console, print_table

app = typer.Typer(add_completion=False, help="制证、投递与重放 Card production, delivery and replay.")


def _report(what_zh: str, what_en: str, confirmed: list[str], already: list[str], unknown: list[str]) -> None:
    from services.dispatch import PrefectUnavailable, wake_case_flow

    for case_id in confirmed:
        try:
            run_id = wake_case_flow(case_id, event=what_en.replace(" ", "-"))
        except PrefectUnavailable:
            run_id = None
        carried = f"（流程 run {run_id}）" if run_id else "（Prefect 未运行，稍后重放 replay later）"
        console.print(f"{case_id}: {what_zh} {what_en} {carried}")
    for case_id in already:
        console.print(f"{case_id}: 此前已确认 confirmed before — 无变化 nothing changed")
    for number in unknown:
        err_console.print(f"{number}: 未知编号 unknown number — 未处理 ignored")
    if unknown:
        raise typer.Exit(code=1)


@app.command("card-produced")
def card_produced_command(
    card_nos: Annotated[list[str] | None, typer.Argument(help="Card numbers the card centre made")] = None,
    inbox: Annotated[
        bool,
        typer.Option("--inbox", help="Read returned manifests (CSV, card_no column) from RONGJU_PRINT_INBOX"),
    ] = False,
) -> None:
    """制证完成 The card centre confirms cards were made; each case moves on to mailing or pickup."""
    from config.settings import get_settings
    from services.card_issue import ProductionError
    from services.card_spool import confirm_cards_produced, read_production_manifest
    from storage.db import UnitOfWork

    numbers = list(card_nos or [])
    processed: list[Path] = []
    if inbox:
        folder = get_settings().print_inbox
        assert folder is not None
        for manifest in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
            try:
                numbers += read_production_manifest(manifest)
            except (ProductionError, OSError, UnicodeDecodeError) as exc:
                err_console.print(f"{manifest.name}: 无法读取 cannot read ({exc})")
                continue
            processed.append(manifest)
    if not numbers:
        err_console.print("没有证件编号 no card numbers given")
        raise typer.Exit(code=2)
    result = confirm_cards_produced(numbers, UnitOfWork())
    for manifest in processed:
        # Moved only after every number in it was recorded: a crash before this reads it again,
        # and a confirmation recorded twice changes nothing.
        done = manifest.parent / "processed"
        done.mkdir(exist_ok=True)
        manifest.replace(done / manifest.name)
    _report("制证完成", "card produced", result.confirmed, result.already, result.unknown)


@app.command("delivered")
def delivered_command(
    waybills: Annotated[list[str], typer.Argument(help="EMS waybill numbers confirmed delivered")],
) -> None:
    """已送达 EMS confirms delivery; each case is closed (办结)."""
    from services.delivery import confirm_delivered
    from storage.db import UnitOfWork

    result = confirm_delivered(waybills, UnitOfWork())
    _report("已送达", "delivered", result.confirmed, result.already, result.unknown)


@app.command("picked-up")
def picked_up_command(
    case_id: Annotated[str, typer.Argument(help="Case whose card was collected")],
    code: Annotated[str, typer.Option("--code", help="The pickup code the applicant shows")],
) -> None:
    """已领取 The station confirms the applicant collected the card (checked against the pickup code)."""
    from services.delivery import PickupRefused, confirm_picked_up
    from storage.db import UnitOfWork

    try:
        newly = confirm_picked_up(case_id, code, UnitOfWork())
    except PickupRefused as exc:
        err_console.print(str(exc))
        raise typer.Exit(code=1) from None
    _report("已领取", "picked up", [case_id] if newly else [], [] if newly else [case_id], [])


@app.command("replay")
def replay_command(
    case_ids: Annotated[list[str] | None, typer.Argument(help="Cases to start again")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Every case whose newest flow run failed")] = False,
    since: Annotated[
        datetime | None, typer.Option(help="With --failed: only runs started after this (YYYY-MM-DD)")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail)")] = "",
    force: Annotated[bool, typer.Option(help="Also when the case's flow run is still alive")] = False,
) -> None:
    """重放 Start cases' flows again from stored inputs; what already happened is skipped."""
    from services.dispatch import PrefectUnavailable
    from services.replay import failed_cases, replay_cases
    from storage.db import UnitOfWork

    uow = UnitOfWork()
    targets = list(case_ids or [])
    try:
        if failed:
            targets += [f.case_id for f in failed_cases(uow, since=_utc(since))]
        if not targets:
            console.print("没有需要重放的案件 nothing to replay")
            return
        results = replay_cases(targets, uow, actor=_actor(), reason=reason, force=force)
    except PrefectUnavailable as exc:
        err_console.print(str(exc))
        raise typer.Exit(code=1) from None
    for result in results:
        console.print(f"{result.case_id}: {result.note}")


@app.command("failed")
def failed_command(
    since: Annotated[datetime | None, typer.Option(help="Only runs started after this (YYYY-MM-DD)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False,
) -> None:
    """失败案件 Cases whose newest flow run failed or crashed, with the failing step and error."""
    from services.dispatch import PrefectUnavailable
    from services.replay import failed_cases
    from storage.db import UnitOfWork

    try:
        rows = failed_cases(UnitOfWork(), since=_utc(since))
    except PrefectUnavailable as exc:
        err_console.print(str(exc))
        raise typer.Exit(code=1) from None
    if as_json:
        emit_json_lines(
            {**row.__dict__, "failed_at": row.failed_at.isoformat() if row.failed_at else None}
            for row in rows
        )
        return
    print_table(
        ("case", "status", "state", "step", "error", "flow run"),
        [(r.case_id, r.status, r.state, r.step, r.error[:120], r.flow_run_id) for r in rows],
        title=f"失败案件 failed cases: {len(rows)}",
    )


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _actor() -> str:
    try:
        return f"admin:{getpass.getuser()}"
    except (KeyError, OSError):
        return "admin"


@app.command("reconcile")
def reconcile_command(
    older_than: Annotated[int, typer.Option("--older-than", help="Minutes an effect may stay pending")] = 10,
) -> None:
    """对账 Finish print/label effects left pending by a dead process, and re-send dead senders' SMS."""
    from datetime import timedelta

    from services.notifications import send_pending
    from services.reconcile import reconcile_pending
    from storage.db import UnitOfWork

    uow = UnitOfWork()
    for row in reconcile_pending(uow, older_than=timedelta(minutes=older_than)):
        console.print(f"{row.case_id}: {row.effect} {row.result}")
    report = send_pending(uow, stale_after=timedelta(minutes=older_than))
    console.print(f"短信 SMS: {report.sent} 已发送 sent, {report.failed} 失败 failed")
