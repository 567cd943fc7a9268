"""Fault injection for the exactly-once tests: die like a killed worker at a named step boundary.

`RONGJU_FAULT_KILL_AT=spool_card:after_write` makes the first process that reaches that point kill
itself with SIGKILL — no cleanup, no exception handler, no Prefect state change — exactly what a
worker killed by the OOM killer or a power cut leaves behind. It fires once per data folder (a
marker file remembers it), like a real one-off crash, so the replay or Retry that follows runs
through. Unset (always, in production) it does nothing.

A test hook, not a setting: it is read here from the environment, never through config.settings, so
production settings hold no switch that kills the process (README, Settings: test hooks).
"""

from __future__ import annotations

import os
import signal

from config.settings import get_settings

FAULT_ENV = "RONGJU_FAULT_KILL_AT"


def fault_point(name: str) -> None:
    """Die here, once, if the fault switch names this point."""
    if os.environ.get(FAULT_ENV) != name:
        return
    marker = get_settings().data_dir / "faults" / name.replace(":", "-")
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        marker.touch(exist_ok=False)
    except FileExistsError:
        return
    os.kill(os.getpid(), signal.SIGKILL)
