"""The readers' task-parameter files are deleted once past Prefect's retention, and nothing else is.

Prefect writes one file per reading to the shared `{document_dir}/task-parameters` and never deletes
it; each reader sweeps the folder (tasks/serve_reader.py). Real files on the real file system.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from config.settings import get_settings
from services.stack import task_parameters_dir
from storage.files import delete_files_older_than
from tasks.serve_reader import sweep_task_parameters

DAY = 86400.0


def _file(path: Path, age_days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"case id")
    moment = time.time() - age_days * DAY
    os.utime(path, (moment, moment))
    return path


def test_only_files_older_than_the_age_are_deleted(tmp_path: Path) -> None:
    old = _file(tmp_path / "parameters" / "a", 40)
    deep_old = _file(tmp_path / "parameters" / "x" / "b", 31)
    young = _file(tmp_path / "parameters" / "c", 29)
    assert delete_files_older_than(tmp_path, 30 * DAY) == 2
    assert not old.exists() and not deep_old.exists()
    assert young.exists()


def test_symlinks_are_neither_followed_nor_deleted(tmp_path: Path) -> None:
    outside = _file(tmp_path / "outside" / "keep", 100)
    swept = tmp_path / "swept"
    swept.mkdir()
    (swept / "link-to-file").symlink_to(outside)
    (swept / "link-to-folder").symlink_to(outside.parent, target_is_directory=True)
    assert delete_files_older_than(swept, DAY) == 0
    assert outside.exists() and (swept / "link-to-file").is_symlink()


def test_a_missing_folder_deletes_nothing(tmp_path: Path) -> None:
    assert delete_files_older_than(tmp_path / "never-made", DAY) == 0


def test_the_reader_sweep_uses_the_prefect_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RONGJU_PREFECT_RETENTION_DAYS", "7")
    get_settings.cache_clear()
    folder = task_parameters_dir(get_settings())
    stale = _file(folder / "parameters" / "stale", 8)
    fresh = _file(folder / "parameters" / "fresh", 6)
    document = _file(folder.parent / "ab" / "abcdef", 400)  # a document beside it: not the sweep's
    assert sweep_task_parameters() == 1
    assert not stale.exists() and fresh.exists() and document.exists()
