"""`rongju shared-data …` — import a shared-data snapshot, show its index, look one person up (masked).

Mounted by cli/main.py as the group `rongju shared-data` (`app.add_typer`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.output import console, err_console, refuse
from models.masking import mask_address, mask_id_number, mask_name
from storage.permissions import ExposedFileError
from storage.shared_data import ImportReport, SnapshotError

app = typer.Typer(help="共享数据 The city's shared-data snapshot and its index.", no_args_is_help=True)


def _snapshot_dir(folder: Path | None) -> Path:
    from config.settings import get_settings

    configured = get_settings().shared_data_dir
    assert configured is not None  # derived from data_dir by Settings
    return folder if folder is not None else configured


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def print_report(report: ImportReport, state: str | None = None) -> None:
    """The import report as a table: rows read/kept/rejected per table, reasons with example rows."""
    table = Table(
        "表 table", "文件 file", "读入 read", "保留 kept", "剔除 rejected", "原因 reasons (example rows)"
    )
    for t in report.tables.values():
        reasons = "\n".join(
            f"{reason}: {count} (rows {', '.join(map(str, t.examples.get(reason, [])))})"
            for reason, count in t.rejected.items()
        )
        table.add_row(
            t.table, t.file, f"{t.rows_read:,}", f"{t.rows_kept:,}", f"{t.rows_rejected:,}", reasons
        )
    console.print(table)
    if state is None:
        state = "已重建 rebuilt" if report.rebuilt else "已是最新 reused (unchanged snapshot)"
    console.print(
        f"{state} · build {report.build_seconds:.1f} s · index {_size(report.index_bytes)} · "
        f"built {report.built_at}\nsource {report.source}\nindex  {report.index_path}"
    )
    print_unknown(report)
    console.print("[dim]row numbers count data rows from 1 (CSV: line number - 1)[/dim]")


def print_unknown(report: ImportReport) -> None:
    """The values of coded columns the vocabulary (config/shared_data.yaml) does not know."""
    unknown = report.unknown
    if not unknown:
        console.print("未知取值 unknown values: 无 none")
        return
    table = Table(
        "表 table",
        "列 column",
        "取值 value",
        "行数 rows",
        "示例行 example rows",
        title="未知取值 unknown values",
    )
    for name, u in unknown:
        table.add_row(name, u.column, u.value or "(空 empty)", f"{u.rows:,}", ", ".join(map(str, u.examples)))
    console.print(table)
    if report.accepted_unknown:
        console.print(
            "[yellow]已确认导入：遇到这些取值的案件交由人工审核。[/yellow] accepted with --accept-unknown: "
            "cases that meet them go to a reviewer."
        )


@app.command("import")
def import_command(
    folder: Annotated[
        Path | None, typer.Argument(help="Snapshot folder; default settings.shared_data_dir")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the snapshot is unchanged")] = False,
    accept_unknown: Annotated[
        bool,
        typer.Option(
            "--accept-unknown",
            help="Publish the index although coded columns hold values config/shared_data.yaml does not "
            "know (cases that meet them go to a reviewer)",
        ),
    ] = False,
) -> None:
    """导入快照 Validate, clean and index a snapshot folder (once per snapshot)."""
    from storage.shared_data import UnknownValuesError, import_snapshot

    src = _snapshot_dir(folder)
    try:
        with console.status(f"导入 importing {src} …"):
            report = import_snapshot(src, force=force, accept_unknown=accept_unknown)
    except UnknownValuesError as exc:
        print_report(exc.report, state="[red]未发布 not published[/red]")
        err_console.print(
            "[red]快照含词表未知的取值，未导入。[/red] The snapshot holds values config/shared_data.yaml "
            "does not know: add them there (a synonym of a known term) or import again with --accept-unknown."
        )
        raise typer.Exit(code=1) from None
    except SnapshotError as exc:
        err_console.print(f"[red]快照无效 invalid snapshot[/red]: {exc}")
        raise typer.Exit(code=1) from None
    except ExposedFileError as exc:  # a loosened index: the admin gets the chmod, not a traceback
        refuse(exc)
    print_report(report)


@app.command()
def stats() -> None:
    """索引状态 Show the index of the configured snapshot (building it if missing or stale)."""
    from storage.shared_data import default_index_dir, open_snapshot
    from storage.shared_data.store import index_files

    src = _snapshot_dir(None)
    try:
        store = open_snapshot(src, index_dir=default_index_dir())
    except SnapshotError as exc:
        err_console.print(f"[red]快照无效 invalid snapshot[/red]: {exc}")
        raise typer.Exit(code=1) from None
    except ExposedFileError as exc:  # a loosened index: the admin gets the chmod, not a traceback
        refuse(exc)
    print_report(store.report(), state="当前索引 current index")
    others = [p for p in index_files(default_index_dir(), src) if p.resolve() != store.path]
    if others:
        console.print(f"older indexes kept for running readers: {', '.join(p.name for p in others)}")


@app.command()
def lookup(id_number: Annotated[str, typer.Argument(help="公民身份号码 ID number")]) -> None:
    """查询个人 What each table knows about one person (masked: an admin debugging tool)."""
    from storage.shared_data import get_shared_data

    try:
        data = get_shared_data()
    except SnapshotError as exc:
        err_console.print(f"[red]快照无效 invalid snapshot[/red]: {exc}")
        raise typer.Exit(code=1) from None
    except ExposedFileError as exc:  # a loosened index: the admin gets the chmod, not a traceback
        refuse(exc)
    console.print(f"[bold]{mask_id_number(id_number.strip().upper())}[/bold]")
    hukou = data.hukou(id_number)
    console.print(f"户籍 hukou: {', '.join(h.hukou_city_code for h in hukou) or '—'}")

    regs = Table("居住登记 registration", "姓名 name", "地址 address", "区 district", "登记 on", "注销 off")
    for r in data.registrations(id_number):
        regs.add_row("", mask_name(r.name), mask_address(r.address), r.district_code, str(r.registered_on),
                     str(r.deregistered_on or "—"))  # fmt: skip
    console.print(regs)

    months = data.insurance_months(id_number)
    si = Table("社保 insurance", "单位 employer", "月份 months", "已缴 paid", "未缴 unpaid")
    for uscc in dict.fromkeys(m.employer_uscc for m in months):
        mine = [m for m in months if m.employer_uscc == uscc]
        business = data.business(uscc)
        label = f"{uscc} {business.name} ({business.status})" if business else f"{uscc} (not in registry)"
        si.add_row("", label, f"{mine[0].month}…{mine[-1].month}", str(sum(1 for m in mine if m.paid)),
                   ", ".join(m.month for m in mine if not m.paid) or "—")  # fmt: skip
    console.print(si)

    leases = Table("租赁备案 lease", "编号 no", "地址 address", "起 start", "止 end")
    for lease in data.leases_of_tenant(id_number):
        leases.add_row("", mask_id_number(lease.registration_no), mask_address(lease.address),
                       str(lease.start_on), str(lease.end_on))  # fmt: skip
    console.print(leases)

    props = Table("房产 property", "证号 certificate", "地址 address")
    for prop in data.properties_of_owner(id_number):
        props.add_row("", mask_id_number(prop.certificate_no), mask_address(prop.address))
    console.print(props)

    schools = Table("学籍 enrolment", "学校 school", "入学 enrolled", "状态 status")
    for e in data.enrollments(id_number):
        schools.add_row("", e.school, str(e.enrolled_on), e.status)
    console.print(schools)

    permits = Table("居住证 permit", "证号 no", "签发 issued", "签注 endorsed", "状态 status")
    for p in data.permits(id_number):
        permits.add_row("", mask_id_number(p.permit_no), str(p.issued_on), str(p.last_endorsed_on or "—"),
                        p.status)  # fmt: skip
    console.print(permits)
