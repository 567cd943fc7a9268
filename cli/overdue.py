"""`rongju overdue [--within N] [--escalate] [--json]` — the statutory clock, for station supervisors.

cli/main.py merges this module's Typer into `rongju` (`app.add_typer(app)` without a name: the
command is `rongju overdue`). Nothing printed is personal data: case ids, stations, dates.
Exit status: 0 when nothing is late, 1 when some case is late (scripts and cron can alert on it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Column

from cli.output import console, emit_json_lines, print_table
from config.settings import today

if TYPE_CHECKING:
    from services.sla import DueCase

app = typer.Typer(add_completion=False, help="超期 Cases due soon or past the statutory deadline.")


@app.command("overdue")
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
    from storage.db import UnitOfWork

    uow = UnitOfWork()
    on = today()
    escalated = set(escalate_overdue(uow, on)) if escalate else set()
    if escalated:
        from services.dispatch import tag_flow_runs

        # The escalated cases' flow runs carry an "overdue" tag in the Prefect UI.
        tag_flow_runs(sorted(escalated), "overdue")
    due = cases_due(within, uow, on)
    if as_json:
        emit_json_lines(item.as_dict() | {"escalated_now": item.case_id in escalated} for item in due)
    else:
        _print(due, escalated, within, on.isoformat())
    raise typer.Exit(1 if any(item.is_late for item in due) else 0)


def _print(due: list[DueCase], escalated: set[str], within: int, on: str) -> None:
    if not due:
        console.print(f"{on}：{within} 天内无到期案件 nothing due within {within} day(s)")
        return
    title = f"法定时限 Statutory deadline · {on} · {within} 天内到期或已超期 due within {within} d or late"
    headers = ("案件 case", "派出所 station", "分局 bureau", "状态 status", "受理 accepted", "期限 due")
    columns = [Column(h, no_wrap=h == headers[0]) for h in (*headers, "剩余 left", "督办 escalated")]
    rows = []
    for item in due:
        left = f"[bold red]超期 {-item.days_left} 天 late[/]" if item.is_late else f"{item.days_left} 天 d"
        if item.paused:
            left += " (补正暂停 paused)"
        mark = "新 now" if item.case_id in escalated else ("是 yes" if item.escalated else "—")
        rows.append(
            (
                item.case_id,
                item.station_id or "—",
                item.bureau or "—",
                f"{item.status.label_zh} {item.status.value}",
                item.accepted_on.isoformat(),
                item.due_on.isoformat(),
                left,
                mark,
            )
        )
    print_table(columns, rows, title=title)
    if escalated:
        console.print(f"已督办 escalated now: {len(escalated)}")


if __name__ == "__main__":
    app()
