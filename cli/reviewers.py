"""`rongju reviewers …` — the review roster, and one-time codes for demos and tests.

Wired into cli/main.py as `app.add_typer(reviewers_app, name="reviewers")`. Reviewer names are staff
names, not applicant data, so they are shown as they are.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="审核人员 Reviewers: the roster and demo one-time codes.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@app.command("code")
def code_command(
    reviewer_id: Annotated[str, typer.Argument(help="Reviewer id, e.g. r-wuhou-jitou-1.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """仅供管理/演示 ADMIN/DEMO ONLY: print a reviewer's current one-time code and its seconds left.

    Real reviewers read their code from an authenticator app enrolled with their own secret; this
    command reads the roster's secret and exists for demos, tests and the scripted reviewer.
    """
    from config.city import load_city
    from services.reviewers import current_code, seconds_left

    try:
        reviewer = load_city().reviewer(reviewer_id)
    except KeyError:
        err_console.print(f"[red]审核人编号不在名册中 no reviewer {reviewer_id!r} on the roster[/red]")
        raise typer.Exit(code=1) from None
    code, left = current_code(reviewer.id), seconds_left()
    if as_json:
        sys.stdout.write(json.dumps({"reviewer_id": reviewer.id, "code": code, "seconds_left": left}) + "\n")
        return
    console.print(f"{code}  [dim]({reviewer.id} · 剩余 {left} 秒 / {left} s left · 仅供演示 demo only)[/dim]")


@app.command("list")
def list_command(
    station: Annotated[
        str | None,
        typer.Option("--station", help="Only this station's reviewers and its bureau's supervisors."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """列出审核人员 List the roster: id, name, station, bureau, role."""
    from config.city import load_city

    city = load_city()
    reviewers = list(city.reviewers)
    if station is not None:
        try:
            found = city.station(station)
        except KeyError:
            err_console.print(f"[red]未知的派出所 unknown station {station!r}[/red]")
            raise typer.Exit(code=1) from None
        reviewers = [*city.reviewers_of_station(found.id), *city.supervisors_of_bureau(found.bureau)]
    rows = [
        {"id": r.id, "name": r.name, "station": r.station, "bureau": r.bureau, "role": r.role}
        for r in reviewers
    ]
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table = Table("编号 id", "姓名 name", "派出所 station", "分局 bureau", "角色 role")
    for row in rows:
        role = "督导 supervisor" if row["role"] == "supervisor" else "审核 reviewer"
        table.add_row(row["id"], row["name"], row["station"] or "—", row["bureau"], role)
    console.print(table)
    console.print(f"[dim]{len(rows)} 人 reviewers[/dim]")
