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
import threading
import time
from pathlib import Path

from prefect.task_worker import serve

from tasks.reader import read_and_check_documents

log = logging.getLogger("rongju.reader")

# How often a reader clears old task-parameter files (every reader on every host does: deleting a
# file another reader deleted first is harmless).
SWEEP_SECONDS = 3600.0


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


def sweep_task_parameters() -> int:
    """Delete the readers' task-parameter files older than Prefect's own retention; how many.

    Prefect writes one small file per reading (the case id, the run context) to a folder every host
    shares and never deletes it (~22 KB per case, bench/city_day.py). A file is read once, when a
    reader takes the reading; after RONGJU_PREFECT_RETENTION_DAYS the task run it belongs to is
    gone from Prefect as well.
    """
    from config.settings import get_settings
    from services.stack import task_parameters_dir
    from storage.files import delete_files_older_than

    settings = get_settings()
    return delete_files_older_than(task_parameters_dir(settings), settings.prefect_retention_days * 86400)


def _keep_sweeping() -> None:
    while True:
        try:
            deleted = sweep_task_parameters()
        except OSError as exc:  # a shared folder briefly unreachable: try again next time
            log.warning("task-parameter sweep failed: %s", exc)
        else:
            if deleted:
                log.info("deleted %d task-parameter files past the retention", deleted)
        time.sleep(SWEEP_SECONDS)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # A flow run hands over its run context with the task (Prefect pickles it with the parameters);
    # it names the flow by the module Prefect loaded it as from the deployment's entrypoint,
    # `process_case` (flows/process_case.py), which this process must be able to import.
    sys.path.append(str(Path(__file__).resolve().parent.parent / "flows"))
    seconds = warm_up()
    log.info("document reader ready: OCR engines loaded in %.1f s", seconds)
    threading.Thread(target=_keep_sweeping, name="sweep", daemon=True).start()
    # One case at a time: a reader is one core's worth of OCR; more cases at once would only
    # share that core (run more readers instead).
    serve(read_and_check_documents, limit=1)


if __name__ == "__main__":
    main()
