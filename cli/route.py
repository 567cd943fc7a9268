"""`rongju route ADDRESS`: how rongju reads an address and which police station it goes to.

An admin tool for checking the city configuration and explaining a routing: it prints the address the
user typed back (normalised), so nothing here reaches Prefect or logs.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config.city import load_city
from models.address import normalise_address, parse_address
from models.routing import route_parts

app = typer.Typer(help="地址解析与派出所分派 Address parsing and station routing.", add_completion=False)


@app.command("route")
def route(
    address: Annotated[str, typer.Argument(help="居住地址 the residence address, as written")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object for scripts")] = False,
) -> None:
    """Show the normalised address, its parts and the station it routes to."""
    city = load_city()
    parts = parse_address(address)
    routing = route_parts(parts, city)
    station = city.station(routing.station_id) if routing.station_id else None
    if as_json:
        record = {
            "normalised": normalise_address(address),
            "parts": asdict(parts),
            "routing": {**asdict(routing), "station_name": station.name if station else None},
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        console = Console()
        console.print(f"[bold]规范地址 normalised[/bold]: {normalise_address(address)}")
        table = Table("部分 part", "值 value")
        for name, value in asdict(parts).items():
            if value:
                table.add_row(name, str(value))
        console.print(table)
        result = Table("分派 routing", "值 value")
        result.add_row(
            "station", f"{station.name} ({station.id})" if station else "— 需人工分派 needs a person"
        )
        result.add_row("bureau", routing.bureau or "—")
        result.add_row("district_code", routing.district_code or "—")
        result.add_row("zone", routing.zone or "—")
        result.add_row("matched", "yes" if routing.matched else "no (intake station)" if station else "no")
        result.add_row("flags", ", ".join(routing.flags) or "—")
        for key, value in routing.evidence.items():
            result.add_row(f"evidence.{key}", value)
        console.print(result)
        console.print(routing.explanation_zh)
        console.print(routing.explanation_en)
    if station is None:
        raise typer.Exit(code=2)


if __name__ == "__main__":
    app()
