"""`rongju reviewers …` — the review roster, enrolment of reviewers' one-time-code secrets, and
one-time codes for demos and tests.

Mounted by cli/main.py as the group `rongju reviewers` (`app.add_typer`). Reviewer names are staff
names, not applicant data, so they are shown as they are.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.output import console, emit_json, emit_json_lines, err_console, print_table

app = typer.Typer(
    help="审核人员 Reviewers: the roster, enrolment of one-time-code secrets, demo codes.",
    no_args_is_help=True,
)

if TYPE_CHECKING:
    from segno import QRCode


@app.command("code")
def code_command(
    reviewer_id: Annotated[str, typer.Argument(help="Reviewer id, e.g. r-wuhou-jitou-1.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """仅供演示 DEMO ONLY (RONGJU_DEMO=1): print a reviewer's current one-time code and its seconds left.

    Real reviewers read their code from an authenticator app enrolled with their own secret
    (`rongju reviewers enrol`); this command reads the roster's public demo secret and exists for
    demos, tests and the scripted reviewer. Refused outside demo mode.
    """
    from config.city import load_city
    from services.reviewers import ReviewerSecretsError, current_code, seconds_left

    try:
        reviewer = load_city().reviewer(reviewer_id)
    except KeyError:
        err_console.print(f"[red]审核人编号不在名册中 no reviewer {reviewer_id!r} on the roster[/red]")
        raise typer.Exit(code=1) from None
    try:
        code, left = current_code(reviewer.id), seconds_left()
    except ReviewerSecretsError as exc:
        err_console.print(f"[red]{exc.zh}\n{exc.en}[/red]")
        raise typer.Exit(code=1) from None
    if as_json:
        emit_json({"reviewer_id": reviewer.id, "code": code, "seconds_left": left})
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
        emit_json_lines(rows)
        return
    roles = {"supervisor": "督导 supervisor"}
    print_table(
        ("编号 id", "姓名 name", "派出所 station", "分局 bureau", "角色 role"),
        [(r.id, r.name, r.station or "—", r.bureau, roles.get(r.role, "审核 reviewer")) for r in reviewers],
        footer=f"{len(rows)} 人 reviewers",
    )


@app.command("enrol")
def enrol_command(
    reviewer_id: Annotated[str, typer.Argument(help="Reviewer id, e.g. r-wuhou-jitou-1.")],
    png: Annotated[
        Path | None,
        typer.Option(
            "--png", help="Where to write the QR code PNG (0600; default next to the secrets file)."
        ),
    ] = None,
) -> None:
    """登记/更换 Enrol (or rotate) a reviewer: a new secret in RONGJU_REVIEWER_SECRETS, shown once.

    Prints the otpauth:// URI and a QR code (terminal and PNG) for the reviewer's authenticator app.
    The previous secret, if any, stops working at once. Delete the PNG once it has been scanned.
    """
    import segno

    from config.city import load_city
    from services.reviewers import ReviewerSecretsError, enrol, is_demo

    try:
        load_city().reviewer(reviewer_id)
    except KeyError:
        err_console.print(f"[red]审核人编号不在名册中 no reviewer {reviewer_id!r} on the roster[/red]")
        raise typer.Exit(code=1) from None
    try:
        enrolment = enrol(reviewer_id)
    except ReviewerSecretsError as exc:
        err_console.print(f"[red]{exc.zh}\n{exc.en}[/red]")
        raise typer.Exit(code=1) from None
    qr = segno.make(enrolment.uri, error="m")
    target = png if png is not None else _default_png(enrolment.reviewer.id)
    _write_private_png(qr, target)
    console.print(f"已登记 enrolled {enrolment.reviewer.id}（{enrolment.reviewer.name}）")
    console.print("请用身份验证器应用扫描下方二维码 Scan with the reviewer's authenticator app:")
    qr.terminal(out=sys.stdout, compact=True)
    sys.stdout.write(enrolment.uri + "\n")
    console.print(f"二维码图片 QR code PNG: {target}  [dim](扫描后请删除 delete it once scanned)[/dim]")
    console.print("[dim]此密钥只显示这一次 This secret is shown only once.[/dim]")
    if is_demo():
        console.print(
            "[yellow]演示模式下使用名册中的演示密钥 In demo mode the roster's demo secrets apply.[/yellow]"
        )


@app.command("revoke")
def revoke_command(
    reviewer_id: Annotated[str, typer.Argument(help="Reviewer id, e.g. r-wuhou-jitou-1.")],
) -> None:
    """吊销 Revoke a reviewer's secret and end their review-page sessions: from now on, their
    decisions and sign-ins are refused."""
    from services.review_sessions import revoke_sessions
    from services.reviewers import ReviewerSecretsError, revoke, secret_env_name
    from storage.db import UnitOfWork

    try:
        removed = revoke(reviewer_id)
    except ReviewerSecretsError as exc:
        err_console.print(f"[red]{exc.zh}\n{exc.en}[/red]")
        raise typer.Exit(code=1) from None
    # Ended even when no secret was enrolled: a session must not outlive the admin's revocation.
    ended = revoke_sessions(reviewer_id, UnitOfWork())
    console.print(f"已结束 {ended} 个审核页面登录 ended {ended} review-page session(s)")
    env_name = secret_env_name(reviewer_id)
    if env_name in os.environ:
        err_console.print(
            f"[red]环境变量 {env_name} 中仍有该审核人的密钥，请一并删除 "
            f"the environment still holds a secret in {env_name}: remove it too[/red]"
        )
        raise typer.Exit(code=1)
    if not removed:
        err_console.print(f"[yellow]{reviewer_id} 未登记 was not enrolled[/yellow]")
        return
    console.print(f"已吊销 revoked {reviewer_id}")


@app.command("check")
def check_command() -> None:
    """检查 Check the reviewers' secrets as a process that checks codes does at start (exit 1: unusable)."""
    from services.reviewers import ReviewerSecretsError, check_reviewer_secrets, is_demo

    try:
        usable = check_reviewer_secrets()
    except ReviewerSecretsError as exc:
        err_console.print(f"[red]{exc.zh}\n{exc.en}[/red]")
        raise typer.Exit(code=1) from None
    mode = "演示模式 demo mode (roster secrets)" if is_demo() else "已登记密钥 enrolled secrets"
    console.print(f"{usable} 名审核人员可审核 reviewers can decide · {mode}")


def _default_png(reviewer_id: str) -> Path:
    from services.reviewers import secrets_path

    return secrets_path().parent / f"{reviewer_id}-enrol.png"


def _write_private_png(qr: QRCode, target: Path) -> None:
    """The PNG holds the secret: written 0600, replacing any older one."""
    import io

    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=8, border=4)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(buffer.getvalue())
