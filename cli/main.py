"""`rongju` — the command line for admins, scripts and the demo.

Output for people is a rich table; `--json` prints one JSON object per line for scripts.
Personal data is always masked here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console

from cli.output import PIPED_WIDTH, console, emit_json, emit_json_lines, err_console, print_table, refuse
from config.settings import get_settings, today
from models.package import PackageRefused
from models.status import CaseStatus
from storage.db import UnitOfWork, safe_url

if TYPE_CHECKING:
    from services.stack import StopReport

app = typer.Typer(
    help="蓉居 rongju — 成都市居住证办理 Chengdu residence-permit case pipeline.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="案件数据库 The case database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.callback()
def _process_start(ctx: typer.Context) -> None:
    # Almost every command writes personal data (case DB, documents, spool, exports): whatever the
    # admin's shell umask, every file this process creates is owner-only from the start.
    from storage.db import check_case_db
    from storage.permissions import ExposedFileError, private_umask

    private_umask()
    if ctx.invoked_subcommand == "down":  # stopping what runs must work whatever the files' state
        return
    # get_engine() refuses a case DB others can read; saying so here gives the admin the fix as two
    # plain lines instead of at the end of a traceback.
    try:
        check_case_db(get_settings().database_url)
    except ExposedFileError as exc:
        refuse(exc)


def _register_subcommands() -> None:
    """Mount the commands declared in their own modules. Everywhere a command is declared the same
    way, `@app.command("name")` on its module's Typer; a group module keeps its name
    (`rongju shared-data import`), the others are merged in (`rongju route`)."""
    from cli import notifications, overdue, precheck, production, reviewers, route, shared_data

    for module in (precheck, overdue, route, production):
        app.add_typer(module.app)
    app.add_typer(shared_data.app, name="shared-data")
    app.add_typer(reviewers.app, name="reviewers")
    app.add_typer(notifications.app, name="notifications")


_register_subcommands()


def _package_folders(paths: list[Path]) -> list[Path]:
    """Each PATH is a package folder, or a folder of package folders (e.g. a sample city's cases/)."""
    folders: list[Path] = []
    for path in paths:
        if (path / "application.json").exists() or not path.is_dir():
            folders.append(path)
        else:
            folders.extend(sorted(p for p in path.iterdir() if (p / "application.json").exists()))
    return folders


@app.command()
def submit(
    paths: Annotated[list[Path], typer.Argument(help="Package folder(s) holding application.json")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per case")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until every case has left automated processing")
    ] = False,
    timeout: Annotated[int, typer.Option(help="Seconds --wait waits at most")] = 900,
) -> None:
    """受理申请 Submit case packages; prints one line per case (resubmission returns the same case)."""
    from services.dispatch import PrefectUnavailable, start_case_flow
    from services.intake import submit_folder

    refused = 0
    accepted: list[str] = []
    warned = False
    for folder in _package_folders(paths):
        try:
            result = submit_folder(folder, UnitOfWork())
        except PackageRefused as exc:
            refused += 1
            record: dict[str, object] = {
                "submission_id": exc.submission_id,
                "package": str(folder),
                "status": "refused",
                "status_zh": "不予受理",
                "problems": [p.as_dict() for p in exc.problems],
            }
            if as_json:
                emit_json(record)
            else:
                err_console.print(f"[red]不予受理 refused[/red] {folder}")
                for problem in exc.problems:
                    err_console.print(f"  · [{problem.code}] {problem.zh}\n    {problem.en}")
            continue
        accepted.append(result.case_id)
        flow_run_id = None
        try:
            flow_run_id = start_case_flow(result.case_id, result.business_type)
        except PrefectUnavailable as exc:
            if not warned:
                err_console.print(f"[yellow]{exc}[/yellow]")
                warned = True
        if as_json:
            emit_json({**result.as_dict(), "flow_run_id": flow_run_id})
        else:
            note = "" if result.created else "（已存在 already submitted）"
            console.print(
                f"{result.submission_id} → [bold]{result.case_id}[/bold] {result.status.label_zh}{note}"
            )
    if wait and accepted:
        _wait_for_cases(accepted, timeout=timeout, as_json=as_json)
    if refused:
        raise typer.Exit(code=1)


def _wait_for_cases(case_ids: list[str], *, timeout: int, as_json: bool) -> None:
    """Poll the case DB until every case has left automated processing; print each outcome."""
    import time

    from services.queries import case_outcome

    pending = list(case_ids)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        still = []
        for case_id in pending:
            outcome = case_outcome(case_id, UnitOfWork())
            if outcome is None:
                still.append(case_id)
                continue
            if as_json:
                emit_json(outcome)
            else:
                console.print(
                    f"{outcome.case_id}: {outcome.status_zh} {outcome.outcome or ''} "
                    f"{', '.join(outcome.reasons) or '—'} → {outcome.station_id or '?'}"
                )
        pending = still
        if pending:
            time.sleep(1)
    if pending:
        err_console.print(f"等待超时 still in automated processing after {timeout}s: {', '.join(pending)}")
        raise typer.Exit(code=3)


@app.command()
def status(
    case_id: Annotated[str, typer.Argument(help="Case id or portal submission id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """查询进度 Show one case and its timeline (personal data masked)."""
    from services.queries import get_case_view

    view = get_case_view(case_id, UnitOfWork(), with_residence=True)
    if view is None:
        err_console.print(f"未找到案件 no such case: {case_id}")
        raise typer.Exit(code=1)
    from services.dispatch import flow_run_ui_url
    from services.production import production_summary
    from services.queries import ReplayEntry
    from services.replay import replays_of

    data = view.detail().model_copy(
        update={
            "prefect_ui_url": flow_run_ui_url(view.case.flow_run_id),
            "card": production_summary(view.case.id, UnitOfWork()),
            "replays": [
                ReplayEntry(at=r.at.isoformat(), actor=r.actor, reason=r.reason, flow_run_id=r.flow_run_id)
                for r in replays_of(view.case.id, UnitOfWork())
            ],
        }
    )
    if as_json:
        emit_json(data)
        return
    console.print(
        f"[bold]{data.case_id}[/bold]  ({data.submission_id})  {data.status_zh} {data.status}\n"
        f"申请人 {data.applicant.name}  {data.applicant.id_number}  业务 {data.business_type}"
        f"  依据 {data.basis or '-'}\n居住地址 {data.residence_address}"
    )
    period = view.residence
    if period is not None and period.since is not None:
        restarted = f"（逾期签注，自 {period.restarted_on} 起重新计算）" if period.restarted_on else ""
        console.print(
            f"连续居住 residence: {period.years} 年 {period.months} 个月，自 {period.since} 起{restarted} "
            f"({period.years}y {period.months}m since {period.since})"
        )
    card = data.card
    if card is not None:
        delivery = {"mail": f"EMS {card['waybill_no']}", "pickup": "自取 pickup"}.get(
            str(card["delivery"]), "-"
        )
        console.print(
            f"证件 card {card['card_no']}（签发 {card['issued_on']}）"
            f" 已送制证 spooled={card['spooled']} 已制成 produced={card['produced']}  投递 {delivery}"
        )
    rows = [(t.at, t.actor, f"{t.to_zh} {t.to}", t.reason) for t in data.timeline]
    rows += [(r.at, r.actor, "重放 replay", r.reason) for r in data.replays]
    print_table(("时间 time", "操作人 actor", "状态 status", "原因 reason"), rows)


@app.command()
def cases(
    status_filter: Annotated[str | None, typer.Option("--status", help="e.g. submitted or 待受理")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """案件列表 List cases, oldest first."""
    from services.queries import list_cases

    try:
        wanted = CaseStatus.parse(status_filter) if status_filter else None
    except ValueError as exc:
        err_console.print(str(exc))
        raise typer.Exit(code=2) from None
    rows = list_cases(UnitOfWork(), wanted)
    if as_json:
        emit_json_lines(rows)
        return
    print_table(
        ("case", "submission", "业务 type", "申请人 applicant", "状态 status", "派出所 station"),
        [
            (c.case_id, c.submission_id, c.business_type, c.applicant_name, c.status_zh, c.station_id or "-")
            for c in rows
        ],
    )
    console.print(f"{len(rows)} 件 cases")


@app.command("sample-city")
def sample_city(
    out: Annotated[Path, typer.Argument(help="Output folder")],
    residents: Annotated[int, typer.Option(min=1)] = 2000,
    cases_count: Annotated[int, typer.Option("--cases", min=0)] = 40,
    seed: Annotated[int, typer.Option()] = 1,
    on: Annotated[
        str | None, typer.Option("--today", help="YYYY-MM-DD; default RONGJU_TODAY or the calendar date")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    workers: Annotated[int, typer.Option(min=1, help="Processes rendering documents (same bytes)")] = 1,
    feed: Annotated[
        str,
        typer.Option("--feed", help="a: our own code forms and words; b: another registry's (510100, 在营…)"),
    ] = "a",
    templates: Annotated[
        str, typer.Option("--templates", help="a: the templates OCR was tuned on; b: the held-out family")
    ] = "a",
    blank_optional: Annotated[
        bool,
        typer.Option("--blank-optional", help='Send fields a case does not need as "" (pickup address …)'),
    ] = False,
) -> None:
    """生成样例城市 Write a shared-data snapshot and case packages with planted defects."""
    from samplecity.city import generate_city
    from samplecity.variants import FeedForm, TemplateFamily, Variants

    if fmt not in ("csv", "parquet"):
        err_console.print("--format must be csv or parquet")
        raise typer.Exit(code=2)
    if feed not in ("a", "b") or templates not in ("a", "b"):
        err_console.print("--feed and --templates are a or b")
        raise typer.Exit(code=2)
    # Checked just above: the two strings are each one of the Literal's values.
    variants = Variants(
        feed=cast("FeedForm", feed),
        blank_optional=blank_optional,
        template_family=cast("TemplateFamily", templates),
    )
    day = date.fromisoformat(on) if on else today()
    with console.status("生成样例城市 generating sample city…"):
        manifest = generate_city(
            out,
            residents=residents,
            cases=cases_count,
            seed=seed,
            today=day,
            fmt=fmt,
            workers=workers,
            variants=variants,
        )
    console.print(f"样例城市已生成 sample city written to {out}: {manifest}")


@app.command()
def demo(
    cases_count: Annotated[int, typer.Option("--cases", min=1)] = 40,
    seed: Annotated[int, typer.Option()] = 7,
    auto_review: Annotated[
        bool, typer.Option("--auto-review", help="A scripted reviewer decides; exit when all cases end")
    ] = False,
    keep_running: Annotated[
        bool, typer.Option("--keep-running/--exit", help="Stay up for reviewers until Ctrl-C")
    ] = True,
) -> None:
    """演示 Sample city → Prefect → every case through the flow; reviewers decide in the Prefect UI."""
    from cli.demo import run_demo
    from documents.ocr.config import load_ocr_settings
    from documents.ocr.engines import EngineUnavailable

    try:  # before the sample city and the stack: every case would fail at its first document
        load_ocr_settings().check_engines()
    except EngineUnavailable as exc:
        refuse(exc, style="red")
    wide = console if console.is_terminal else Console(width=PIPED_WIDTH)
    run_demo(wide, cases=cases_count, seed=seed, auto_review=auto_review, keep_running=keep_running)


@app.command()
def extract(
    kind: Annotated[str, typer.Option("--kind", help="id_front, id_back, photo, lease_contract, ...")],
    file: Annotated[Path, typer.Argument(help="One JPEG, PNG or PDF file")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """识别 Read one file as the flow does: fields (masked) with confidence, quality, reason codes."""
    from documents.filetype import sniff_type
    from models.package import DocumentKind
    from services.documents import describe_reading, read_document
    from services.queries import FileReading

    try:
        DocumentKind(kind)
        data = file.read_bytes()
    except ValueError:
        err_console.print(f"未知材料类型 unknown document kind {kind!r}")
        raise typer.Exit(code=2) from None
    except OSError as exc:
        err_console.print(f"无法读取 cannot read {file}: {exc.strerror}")
        raise typer.Exit(code=2) from None
    reading = FileReading.model_validate(describe_reading(read_document(kind, data, sniff_type(data))))
    if as_json:
        emit_json(reading)
        return
    print_table(
        ("字段 field", "值 value (masked)", "置信度 confidence"),
        [(name, str(fact.value), f"{fact.confidence:.2f}") for name, fact in reading.fields.items()],
    )
    console.print(f"质量 quality: {reading.metrics}")
    for problem in reading.problems:
        console.print(f"[red]{problem['reason']}[/red] {problem['zh']} / {problem['en']}")


@app.command()
def correct(
    case_id: Annotated[str, typer.Argument(help="Case waiting for correction (待补正)")],
    docs: Annotated[list[str], typer.Option("--doc", help="KIND=FILE, e.g. id_back=back.jpg (repeatable)")],
) -> None:
    """补正 Upload corrected documents for a case; its flow run re-checks it."""
    from models.package import DocumentKind
    from services.correction import CorrectedFile, submit_correction
    from services.intake import read_files

    kinds: list[DocumentKind] = []
    paths: list[Path] = []
    for item in docs:
        kind, _, name = item.partition("=")
        try:
            kinds.append(DocumentKind(kind.strip()))
        except ValueError:
            err_console.print(f"未知材料类型 unknown document kind {kind!r}")
            raise typer.Exit(code=2) from None
        paths.append(Path(name))
    settings = get_settings()
    try:
        # The intake's reading rule: regular files only (a FIFO would hang here), capped while read.
        contents = read_files(
            paths, max_file_bytes=settings.max_file_bytes, max_package_bytes=settings.max_package_bytes
        )
    except PackageRefused as exc:
        for problem in exc.problems:
            err_console.print(f"无法读取 cannot read [{problem.code}] {problem.zh}\n    {problem.en}")
        raise typer.Exit(code=2) from None
    files = [
        CorrectedFile(kind, path.name, data)
        for kind, path, data in zip(kinds, paths, contents, strict=True)
        if data is not None
    ]
    try:
        state = submit_correction(case_id, files, UnitOfWork())
    except PackageRefused as exc:
        for problem in exc.problems:
            err_console.print(f"[{problem.code}] {problem.zh}\n    {problem.en}")
        raise typer.Exit(code=1) from None
    console.print(f"{case_id}: {state.status.label_zh} {state.status.value}（重新核验中 re-checking）")


@app.command()
def review(
    case_id: Annotated[str, typer.Argument(help="Case waiting for review")],
    reviewer: Annotated[str, typer.Option(help="Reviewer id from the roster")],
    decision: Annotated[str, typer.Option(help="approve | reject | request_correction")],
    reasons: Annotated[list[str] | None, typer.Option("--reason", help="Reason code (repeatable)")] = None,
    comment: Annotated[str, typer.Option()] = "",
    code: Annotated[str | None, typer.Option(help="One-time code (default: the current one)")] = None,
) -> None:
    """审核 Submit a review decision through Prefect, as the UI form does (for scripts and demos)."""
    from models.reasons import ReasonCode
    from models.review import ReviewChoice
    from services.review_client import NotWaitingForReview, submit_review
    from services.reviewers import ReviewerSecretsError

    try:
        submit_review(
            case_id,
            UnitOfWork(),
            reviewer_id=reviewer,
            choice=ReviewChoice.parse(decision),
            reason_codes=[ReasonCode(r) for r in reasons or []],
            comment=comment,
            one_time_code=code,
        )
    except (ValueError, NotWaitingForReview) as exc:
        err_console.print(str(exc))
        raise typer.Exit(code=2) from None
    except ReviewerSecretsError as exc:  # no --code outside demo mode: only the reviewer's app has it
        err_console.print(
            f"{exc}\n请用 --code 提供审核员的一次性验证码 / give the reviewer's one-time code with --code"
        )
        raise typer.Exit(code=2) from None
    console.print(f"已提交 submitted; the flow run checks the reviewer and the code ({case_id})")


@app.command()
def up(
    detach: Annotated[bool, typer.Option("--detach", help="Start in the background and return")] = False,
    port: Annotated[int, typer.Option(help="Port of the local Prefect server")] = 4200,
    host: Annotated[
        str, typer.Option(help="Address the Prefect server listens on (other hosts' workers reach it there)")
    ] = "127.0.0.1",
) -> None:
    """启动 Start the local Prefect server, work pool, process-case deployment, the document readers
    and a worker."""
    import signal
    import time

    from documents.ocr.config import load_ocr_settings
    from documents.ocr.engines import EngineUnavailable
    from services.reviewers import ReviewerSecretsError, check_reviewer_secrets
    from services.stack import PrefectAuthError, read_state, start_stack, stop_processes, stop_stack

    # The worker's flow runs read documents with the configured OCR engines, and check one-time
    # codes: refuse to start without an engine or on demo or readable secrets, not at the first
    # document or the first reviewer's Submit.
    try:
        load_ocr_settings().check_engines()
        reviewers = check_reviewer_secrets()
    except (EngineUnavailable, ReviewerSecretsError) as exc:
        refuse(exc, style="red")
    if not reviewers:
        err_console.print(
            "[yellow]尚无已登记的审核员，审核将被拒绝[/yellow] no reviewer is enrolled: every review "
            "is refused until `rongju reviewers enrol ID`"
        )
    try:
        state = start_stack(port=port, host=host, progress=lambda line: console.print(line))
    except PrefectAuthError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from None
    logs = Path(state.logs.get("worker", ".")).parent
    console.print(f"Prefect UI: [bold]{state.ui_url}[/bold]   日志 logs: {logs}")
    if detach:
        console.print("后台运行中 running in the background; stop with `rongju down`")
        return

    def _stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    console.print("运行中，按 Ctrl-C 停止 running; Ctrl-C stops everything")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("正在停止 stopping…")
        current = read_state()
        report = stop_stack() if current is not None else stop_processes(state)
        _say_left_alone(report)


@app.command()
def worker(
    name: Annotated[
        str | None, typer.Option(help="Worker name shown in the Prefect UI (default host-pid)")
    ] = None,
) -> None:
    """启动本机的文档读取进程和工作进程 Start this host's document readers and worker against the
    Prefect API in PREFECT_API_URL (every host runs the same command; Ctrl-C stops them)."""
    import signal
    import time

    from documents.ocr.config import load_ocr_settings
    from documents.ocr.engines import EngineUnavailable
    from services.stack import start_worker_host, stop_processes

    try:
        load_ocr_settings().check_engines()
    except EngineUnavailable as exc:
        refuse(exc, style="red")
    try:
        state = start_worker_host(name=name, progress=lambda line: console.print(line))
    except RuntimeError as exc:
        refuse(exc, style="red")

    def _stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    console.print(f"运行中 running against {state.api_url}; Ctrl-C stops this host's workers")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("正在停止 stopping…")
        _say_left_alone(stop_processes(state))


@app.command()
def down() -> None:
    """停止 Stop what `rongju up --detach` started (only processes provably its own)."""
    from services.stack import stop_stack

    report = stop_stack()
    if report is None:
        console.print("没有在运行的服务 nothing was running")
        return
    _say_left_alone(report)
    console.print("已停止 stopped")


def _say_left_alone(report: StopReport | None) -> None:
    """Name each recorded pid that now belongs to another process: it was not signalled."""
    for process in report.left_alone if report else []:
        err_console.print(
            f"[yellow]未停止 {process}：该进程号已属于其他进程[/yellow] left alone: the pid now "
            "belongs to a process rongju did not start (its start time differs)"
        )


@db_app.command("migrate")
def db_migrate() -> None:
    """Bring the case database to the newest schema."""
    from storage.db import get_engine

    get_engine()
    console.print(f"数据库已是最新 schema up to date: {safe_url(get_settings().database_url)}")


if __name__ == "__main__":
    app()
