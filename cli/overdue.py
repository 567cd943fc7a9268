"""`rongju overdue [--within N] [--escalate] [--json]` — the statutory clock, for station supervisors.

Wire into the main CLI with `app.command("overdue")(overdue_command)` (a sub-Typer would make it
`rongju overdue overdue`). Nothing printed is personal data: case ids, stations, dates.
Exit status: 0 when nothing is late, 1 when some case is late (scripts and cron can alert on it).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from config.settings import today

if TYPE_CHECKING:
    from services.sla import DueCase

app = typer.Typer(add_completion=False, help="超期 Cases due soon or past the statutory deadline.")


def overdue_command(
    within: Annotated[
        int, typer.Option("--within", min=0, help="Also list cases due within N days (0: due today)")
    ] = 3,
    escalate: Annotated[
        bool, typer.Option("--escalate", help="Escalate late cases to their 分局 supervisor (once each)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per case")] = False,
) -> None:
    """超期督办 List cases due within N days or late; --escalate notifies the 分局 supervisors."""
    from services.sla import cases_due, escalate_overdue

    on = today()
    escalated = set(escalate_overdue(on)) if escalate else set()
    if escalated:
        from services.dispatch import tag_flow_runs

        # The escalated cases' flow runs carry an "overdue" tag in the Prefect UI.
        tag_flow_runs(sorted(escalated), "overdue")
    due = cases_due(within, on)
    if as_json:
        for item in due:
            record = item.as_dict() | {"escalated_now": item.case_id in escalated}
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        _print(due, escalated, within, on.isoformat())
    raise typer.Exit(1 if any(item.is_late for item in due) else 0)


def _print(due: list[DueCase], escalated: set[str], within: int, on: str) -> None:
    console = Console()
    if not due:
        console.print(f"{on}：{within} 天内无到期案件 nothing due within {within} day(s)")
        return
    title = f"法定时限 Statutory deadline · {on} · {within} 天内到期或已超期 due within {within} d or late"
    table = Table(title=title)
    columns = ("案件 case", "派出所 station", "分局 bureau", "状态 status", "受理 accepted", "期限 due")
    for column in (*columns, "剩余 left", "督办 escalated"):
        table.add_column(column, no_wrap=column == columns[0])
    for item in due:
        left = f"[bold red]超期 {-item.days_left} 天 late[/]" if item.is_late else f"{item.days_left} 天 d"
        if item.paused:
            left += " (补正暂停 paused)"
        mark = "新 now" if item.case_id in escalated else ("是 yes" if item.escalated else "—")
        table.add_row(
            item.case_id,
            item.station_id or "—",
            item.bureau or "—",
            f"{item.status.label_zh} {item.status.value}",
            item.accepted_on.isoformat(),
            item.due_on.isoformat(),
            left,
            mark,
        )
    console.print(table)
    if escalated:
        console.print(f"已督办 escalated now: {len(escalated)}")


app.command("overdue")(overdue_command)

if __name__ == "__main__":
    app()
