"""`rongju route ADDRESS`: how rongju reads an address and which police station it goes to.

An admin tool for checking the city configuration and explaining a routing: it prints the address the
user typed back (normalised), so nothing here reaches Prefect or logs. cli/main.py merges this
module's Typer into `rongju` (the command is `rongju route`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from cli.output import console, emit_json, print_table
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
        emit_json(record)
    else:
        console.print(f"[bold]规范地址 normalised[/bold]: {normalise_address(address)}")
        print_table(("部分 part", "值 value"), [(k, str(v)) for k, v in asdict(parts).items() if v])
        matched = "yes" if routing.matched else "no (intake station)" if station else "no"
        rows = [
            ("station", f"{station.name} ({station.id})" if station else "— 需人工分派 needs a person"),
            ("bureau", routing.bureau or "—"),
            ("district_code", routing.district_code or "—"),
            ("zone", routing.zone or "—"),
            ("matched", matched),
            ("flags", ", ".join(routing.flags) or "—"),
            *((f"evidence.{key}", value) for key, value in routing.evidence.items()),
        ]
        print_table(("分派 routing", "值 value"), rows)
        console.print(routing.explanation_zh)
        console.print(routing.explanation_en)
    if station is None:
        raise typer.Exit(code=2)


if __name__ == "__main__":
    app()
