"""The case flow's process stays light: it loads no OCR, image or data-frame library.

Every flow run, and every resume after a review or a confirmation, is a new process that imports
flows/process_case.py. The reading happens in the document readers (tasks/reader.py), which keep
those libraries loaded; a flow process that imported them would pay seconds and hundreds of MB per
case again. Checked in a fresh interpreter, so nothing this test process imported counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What the readers load and a flow run must not (each costs seconds or tens of MB to import).
HEAVY = ("cv2", "numpy", "onnxruntime", "rapidocr_onnxruntime", "pandas", "pdfplumber", "PIL", "reportlab")

PROBE = """
import json, sys
sys.path.insert(0, "flows")  # as the worker's flow-run process loads the entrypoint: `process_case`
import process_case  # noqa: F401
print(json.dumps(sorted(name for name in sys.modules)))
"""


def test_the_flow_module_imports_no_reading_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "process_case" in loaded and "tasks.reader" in loaded
    assert sorted(loaded.intersection(HEAVY)) == []


def test_the_reader_task_is_the_same_for_the_flow_and_the_reader() -> None:
    """Prefect routes a background task run to the readers by the task's key (its name and a hash of
    its code): the flow and tasks/serve_reader.py must import the very same function."""
    from tasks import serve_reader
    from tasks.reader import read_and_check_documents

    assert serve_reader.read_and_check_documents is read_and_check_documents
    assert read_and_check_documents.task_key.startswith("read_and_check_documents-")
