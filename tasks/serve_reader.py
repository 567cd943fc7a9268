"""One document reader process: `python -m tasks.serve_reader` (started by `rongju up` and
`rongju worker`, one per RONGJU_READERS).

It loads the OCR engines the configuration names and imports the checks once, then serves
the read-and-check task (tasks/reader.py) through Prefect's task worker, one case at a time: the
readers are the place where a host's cores go, so each reads with one onnxruntime thread
(config/ocr.yaml) and a host runs one reader per core.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from prefect.task_worker import serve

from tasks.reader import read_and_check_documents

log = logging.getLogger("rongju.reader")


def warm_up() -> float:
    """Load what reading needs before the first case arrives; the seconds it took."""
    from documents.ocr.config import load_ocr_settings
    from documents.ocr.engines import get_engine
    from services import reading  # noqa: F401  (the readers and the checks; the index opens per case)

    started = time.monotonic()
    settings = load_ocr_settings()
    settings.check_engines()
    for name in settings.engine_names():
        get_engine(name).load()
    return time.monotonic() - started


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # A flow run hands over its run context with the task (Prefect pickles it with the parameters);
    # it names the flow by the module Prefect loaded it as from the deployment's entrypoint,
    # `process_case` (flows/process_case.py), which this process must be able to import.
    sys.path.append(str(Path(__file__).resolve().parent.parent / "flows"))
    seconds = warm_up()
    log.info("document reader ready: OCR engines loaded in %.1f s", seconds)
    # One case at a time: a reader is one core's worth of OCR; more cases at once would only
    # share that core (run more readers instead).
    serve(read_and_check_documents, limit=1)


if __name__ == "__main__":
    main()
