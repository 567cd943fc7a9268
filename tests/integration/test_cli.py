"""The `rongju` command as a user runs it: a real process, real DB, JSON lines out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer.main
import typer.models
from factories import make_package

RONGJU = str(Path(sys.executable).parent / "rongju")


def _run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([RONGJU, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_submit_status_and_cases(db_url: str, tmp_path: Path) -> None:
    first = make_package(tmp_path / "a", submission_id="TFSMY-CLI-1")
    second = make_package(tmp_path / "b", submission_id="SCZW-CLI-2", business_type="endorse", basis=None)
    done = _run("submit", str(first), str(second), "--json")
    assert done.returncode == 0, done.stderr
    cases = _lines(done.stdout)
    assert [c["submission_id"] for c in cases] == ["TFSMY-CLI-1", "SCZW-CLI-2"]
    assert {c["status"] for c in cases} == {"submitted"}

    again = _lines(_run("submit", str(first), "--json").stdout)
    assert again[0]["case_id"] == cases[0]["case_id"] and again[0]["created"] is False

    listed = _lines(_run("cases", "--json").stdout)
    assert [c["case_id"] for c in listed] == [c["case_id"] for c in cases]
    assert _lines(_run("cases", "--status", "待受理", "--json").stdout) == listed
    assert _lines(_run("cases", "--status", "done", "--json").stdout) == []

    shown = _run("status", str(cases[0]["case_id"]), "--json")
    view = _lines(shown.stdout)[0]
    assert view["status_zh"] == "待受理"
    assert view["applicant"] == {"name": "王**", "id_number": "5113**********4418", "phone": "138****5678"}
    assert "511302199003154418" not in shown.stdout and "13812345678" not in shown.stdout
    assert [t["to"] for t in view["timeline"]] == ["submitted"]  # type: ignore[index]

    by_submission = _lines(_run("status", "TFSMY-CLI-1", "--json").stdout)[0]
    assert by_submission["case_id"] == cases[0]["case_id"]


def test_refused_package_prints_bilingual_problems_and_fails(db_url: str, tmp_path: Path) -> None:
    folder = make_package(tmp_path / "bad", files={"photo.png": b"GIF89a" + b"\x00" * 64})
    done = _run("submit", str(folder), "--json")
    assert done.returncode == 1
    (record,) = _lines(done.stdout)
    assert record["status"] == "refused"
    (problem,) = record["problems"]  # type: ignore[misc]
    assert (
        problem["code"] == "FILE_TYPE_NOT_ALLOWED"
        and "JPEG" in problem["zh"]
        and "only JPEG" in problem["en"]
    )
    assert _lines(_run("cases", "--json").stdout) == []


def test_unknown_case_and_status_are_clear_errors(db_url: str) -> None:
    missing = _run("status", "RJ-NOPE")
    assert missing.returncode == 1 and "未找到案件" in missing.stderr
    wrong = _run("cases", "--status", "pending")
    assert wrong.returncode == 2 and "unknown status" in wrong.stderr


def test_up_and_demo_refuse_to_start_without_the_configured_ocr_engine(tmp_path: Path) -> None:
    # As on a machine where RapidOCR is absent: its import fails (the package stays installed here).
    for command in ("up", "demo"):
        script = (
            "import sys; sys.modules['rapidocr_onnxruntime'] = None\n"
            f"from cli.main import app; app(['{command}'])"
        )
        env = {**os.environ, "RONGJU_DATA_DIR": str(tmp_path / "var")}
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
        )
        assert done.returncode == 1, done.stdout + done.stderr
        assert "rapidocr" in done.stderr and "未安装" in done.stderr and "make setup" in done.stderr
        assert not (tmp_path / "var" / "stack").exists() and "Prefect" not in done.stdout


def test_every_command_is_registered_once_under_the_name_the_readme_uses() -> None:
    import re

    from cli.main import app

    group = typer.main.get_group(app)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## Command line\n") : readme.index("\n### Case packages")]
    documented = set(re.findall(r"\.venv/bin/rongju ([a-z-]+)", section))
    assert documented <= set(group.commands), documented - set(group.commands)
    # A second registration of a name would silently replace the first one.
    names = [_command_name(c) for c in app.registered_commands]
    for mounted in app.registered_groups:
        assert mounted.typer_instance is not None
        commands = mounted.typer_instance.registered_commands
        names += [mounted.name] if mounted.name else [_command_name(c) for c in commands]
    assert sorted(names) == sorted(group.commands)


def _command_name(command: typer.models.CommandInfo) -> str:
    assert command.callback is not None
    return command.name or command.callback.__name__.replace("_", "-")
