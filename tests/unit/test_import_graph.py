"""The import graph keeps its layers (pyproject.toml, [tool.importlinter]): entry points -> flows ->
tasks -> services -> storage/documents/printing -> config -> models, no arrow back; the flow reaches
the services only through its tasks; models import no Prefect but for the review form; services and
the entry points build no SQL (their queries are repository methods in storage/repositories/)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES: list[str] = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"][
    "root_packages"
]


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contracts over the packages under `tree`."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(PYPROJECT)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_code_keeps_its_layers() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "imported"),
    [
        ("models", "config"),  # a rule loading the city's YAML itself
        ("models", "storage"),
        ("config", "services"),
        ("storage", "services"),
        ("services", "tasks"),
        ("tasks", "flows"),
        ("flows", "cli"),
        ("flows", "services"),  # the flow past its tasks (for a type)
        ("documents", "storage"),  # siblings stay independent
        ("cli", "api"),
        ("models", "prefect"),  # models stay free of Prefect but for the review form
        ("services", "sqlmodel"),  # a query written in a service instead of a repository
        ("cli", "sqlalchemy"),
    ],
)
def test_an_arrow_back_is_refused(tmp_path: Path, module: str, imported: str) -> None:
    """The same contracts over empty copies of our packages with one arrow back: refused, and named."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")
    # The one import the contracts allow by name (the review form is a Prefect RunInput).
    (tmp_path / "models" / "review_form.py").write_text("import prefect\n", encoding="utf-8")
    (tmp_path / module / "arrow.py").write_text(f"import {imported}\n", encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{module}.arrow -> {imported}" in result.stdout
