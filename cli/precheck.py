"""`rongju precheck ID_NUMBER` — what in the shared data stops an application today, and when it won't.

cli/main.py merges this module's Typer into `rongju` (the command is `rongju precheck`). Everything
printed is masked.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from cli.output import console, emit_json
from config.settings import today
from models.package import Basis, BusinessType
from models.precheck import PrecheckResult, precheck

app = typer.Typer(add_completion=False, help="预检 Pre-submission check against the shared data.")


@app.command("precheck")
def precheck_command(
    id_number: Annotated[str, typer.Argument(help="公民身份号码 ID number")],
    business_type: Annotated[
        BusinessType, typer.Option("--business-type", help="apply|endorse|change|reissue")
    ] = (BusinessType.APPLY),
    basis: Annotated[Basis | None, typer.Option("--basis", help="employment|residence|study")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
) -> None:
    """预检 Check an applicant against the shared data before they apply (exit 1 when blocked)."""
    from config.city import load_policy, load_reason_catalogue
    from config.requirements import load_requirements
    from models.checks import gather_by_id
    from storage.shared_data import get_shared_data

    number = id_number.strip().upper()
    if business_type is BusinessType.APPLY and basis is None:
        raise typer.BadParameter("申领须指定 --basis / apply needs --basis", param_hint="--basis")
    data = gather_by_id(get_shared_data(), number)
    result = precheck(
        number,
        business_type,
        basis,
        data,
        today(),
        policy=load_policy(),
        requirements=load_requirements(),
        reasons=load_reason_catalogue(),
    )
    if as_json:
        emit_json(result.as_dict())
    else:
        _print(result)
    raise typer.Exit(0 if result.can_submit else 1)


def _print(result: PrecheckResult) -> None:
    verdict = "可以提交 can submit" if result.can_submit else "暂不能提交 cannot submit yet"
    console.print(
        f"[bold]{result.id_number}[/] {result.business_type.label_zh} {result.business_type.value}: {verdict}"
    )
    if result.ready_on and not result.can_submit:
        console.print(f"预计可提交日期 ready on: {result.ready_on.isoformat()}")
    for title, conditions in (
        ("不符合条件 Blocking", result.blockers),
        ("需人工核查 Review", result.warnings),
    ):
        if not conditions:
            continue
        table = Table(title=title, show_lines=True)
        for column in ("reason", "说明 / explanation", "满足日期 met on"):
            table.add_column(column)
        for c in conditions:
            table.add_row(c.reason.value, f"{c.zh}\n{c.en}", c.met_on.isoformat() if c.met_on else "—")
        console.print(table)
    prefill = Table(title="预填信息 Prefill (masked)")
    prefill.add_column("field")
    prefill.add_column("value")
    for key, value in result.prefill.items():
        prefill.add_row(
            key, json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value or "—")
        )
    console.print(prefill)


if __name__ == "__main__":
    app()
