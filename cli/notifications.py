"""`rongju notifications …` — send the applicant SMS waiting in the outbox, and list the outbox.

Mounted by cli/main.py as the group `rongju notifications` (`app.add_typer`). Phones are
masked everywhere; bodies already carry only a masked name. `send` exits 1 when some SMS failed, so
cron can alert on it.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Column

from cli.output import console, emit_json_lines, err_console, print_table

app = typer.Typer(help="短信通知 Applicant SMS: send the outbox, list it.", no_args_is_help=True)

_STATES = {
    "pending": "待发送 pending",
    "sending": "发送中 sending",
    "sent": "已发送 sent",
    "failed": "发送失败 failed",
}


@app.command("send")
def send_command(
    case: Annotated[str | None, typer.Option("--case", help="Only this case's SMS.")] = None,
) -> None:
    """发送短信 Send every pending SMS once (and re-send claims left by a crashed sender)."""
    from services.notifications import send_pending
    from storage.db import UnitOfWork

    report = send_pending(UnitOfWork(), case_id=case)
    console.print(
        f"已发送 {report.sent} 条，失败 {report.failed} 条，跳过 {report.skipped} 条"
        f" · sent {report.sent}, failed {report.failed}, skipped {report.skipped}"
    )
    if report.failed:
        console.print(
            "[yellow]失败的短信下次运行时重试，达到次数上限后标记为失败（list --state failed）"
            " failed SMS are retried on the next run, up to the attempt limit[/yellow]"
        )
        raise typer.Exit(code=1)


@app.command("list")
def list_command(
    case: Annotated[str | None, typer.Option("--case", help="Only this case's notifications.")] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="Only this state: pending, sending, sent or failed.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """列出通知 List the outbox, oldest first: key, case, masked recipient, state, attempts, body."""
    from services.notifications import list_notifications
    from storage.db import UnitOfWork

    if state is not None and state not in _STATES:
        err_console.print(f"[red]未知的状态 unknown state {state!r}; one of {', '.join(_STATES)}[/red]")
        raise typer.Exit(code=2)
    views = list_notifications(UnitOfWork(), case_id=case, state=state)
    if as_json:
        emit_json_lines(view.as_dict() for view in views)
        return
    # Ids, phones and states stay whole; the key (its prefix says notify/escalate) and text fold.
    columns = (
        Column("案件 case", no_wrap=True),
        Column("接收人 to", no_wrap=True),
        Column("状态 state", no_wrap=True),
        Column("次数 tries", justify="right"),
        Column("通知 key", overflow="fold"),
        Column("内容 body", overflow="fold", ratio=2),
    )
    rows = [
        (v.case_id, v.recipient, _STATES.get(v.state, v.state), str(v.attempts), v.key, v.body) for v in views
    ]
    print_table(columns, rows, footer=f"{len(views)} 条 notifications")
