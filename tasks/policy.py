"""How every step of the case flow runs: retried on transient failures only, nothing cached or
persisted by Prefect (the case DB is the source of truth, and results could hold personal data).

Bad input is never an exception here: it becomes a reason code inside the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from prefect.cache_policies import NO_CACHE, CachePolicy

from storage.db import DBAPIError, OperationalError


def is_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    """Retry a step only when it failed on a transient infrastructure error (a locked or unreachable
    database, a dropped connection)."""
    try:
        state.result()
    except OperationalError:
        return True
    except DBAPIError as exc:
        return bool(exc.connection_invalidated)
    except (ConnectionError, TimeoutError, httpx.TransportError):
        return True
    except Exception:
        return False
    return False


@dataclass
class NeverCached(CachePolicy):
    """Prefect's NO_CACHE under a name of its own, so that it survives Prefect's task worker.

    The task worker that serves background tasks (the document readers, tasks/reader.py) swaps
    NO_CACHE for its DEFAULT policy: inputs + task source + flow run id. A case checked a second
    time in the same flow run (after a correction) then came back "Cached" without being read, and
    the flow asked again and again. This policy computes no key: nothing is cached, and with no
    key Prefect writes no result record either.
    """

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> None:
        return None


STEP: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": [2, 10, 30],
    "retry_condition_fn": is_transient,
    "cache_policy": NO_CACHE,
    "persist_result": False,
}

# A step served by Prefect's task worker (`task.delay()`). persist_result stays unset: Prefect turns
# any cache policy into NO_CACHE when it is False, and its task worker turns NO_CACHE into DEFAULT.
BACKGROUND_STEP: dict[str, Any] = STEP | {"cache_policy": NeverCached(), "persist_result": None}
