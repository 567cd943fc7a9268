"""How every step of the case flow runs: retried on transient failures only, nothing cached or
persisted by Prefect (the case DB is the source of truth, and results could hold personal data).

Bad input is never an exception here: it becomes a reason code inside the step.
"""

from __future__ import annotations

from typing import Any

import httpx
from prefect.cache_policies import NO_CACHE

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


STEP: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": [2, 10, 30],
    "retry_condition_fn": is_transient,
    "cache_policy": NO_CACHE,
    "persist_result": False,
}
