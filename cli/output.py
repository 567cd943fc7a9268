"""The one output helper of every `rongju` command: rich tables for people, JSON lines for scripts.

`--json` prints one JSON object per line (UTF-8 as it is, not \\u escapes; a pydantic view as its JSON
form), flushed at once so a script reading the pipe sees each case as it is done. Everything else goes
through `console` (stdout) and `err_console` (stderr) as rich text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Column, Table

console = Console()
err_console = Console(stderr=True)
# Piped output (a script, make, a CI log) has no terminal width: rich would cut tables to 80
# columns, ids included. Tables are printed this wide there instead.
PIPED_WIDTH = 170

Record = BaseModel | Mapping[str, Any]


def emit_json(record: Record) -> None:
    """One JSON object on one line of stdout."""
    data = record.model_dump(mode="json") if isinstance(record, BaseModel) else record
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def emit_json_lines(records: Iterable[Record]) -> None:
    """One JSON line per record."""
    for record in records:
        emit_json(record)


def print_table(
    columns: Sequence[str | Column],
    rows: Iterable[Sequence[str]],
    *,
    title: str | None = None,
    footer: str | None = None,
    **table_options: Any,
) -> None:
    """A rich table on stdout (columns as header strings or rich Columns), then an optional dim footer."""
    table = Table(*columns, title=title, **table_options)
    for row in rows:
        table.add_row(*row)
    (console if console.is_terminal else Console(width=PIPED_WIDTH)).print(table)
    if footer is not None:
        console.print(f"[dim]{footer}[/dim]")


def refuse(message: object, *, style: str | None = None) -> NoReturn:
    """Print why the command cannot go on, verbatim (a path or a chmod may hold brackets rich would
    read as markup), and exit 1."""
    err_console.print(str(message), style=style, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)
