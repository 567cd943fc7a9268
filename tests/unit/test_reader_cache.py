"""A document reader reads a case every time it is asked, never from Prefect's cache.

Prefect's task worker (what `serve()` runs in each reader) prepares the tasks it serves: it turns a
task without a cache policy, or with NO_CACHE, into one with Prefect's DEFAULT policy (inputs, task
source, flow run id) and persists results. A case checked a second time in the same flow run (after
a correction) was then answered "Cached" and never read. This builds Prefect's own TaskWorker with
the reader's task and looks at what it will run. The end-to-end proof is
tests/e2e/test_case_flow.py::test_a_correction_the_reviewer_asked_for_is_read_again_in_the_same_run.
"""

from __future__ import annotations

import asyncio

import pytest
from prefect.cache_policies import DEFAULT, NO_CACHE
from prefect.task_worker import TaskWorker

from tasks.reader import read_and_check_documents


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker builds a client (it connects only when it starts): an address nothing listens on
    # keeps Prefect from starting a temporary server of its own.
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")


async def _served() -> object:
    return TaskWorker(read_and_check_documents).tasks[0]


def test_the_task_worker_keeps_a_policy_that_computes_no_key(no_server: None) -> None:
    served = asyncio.run(_served())
    policy = served.cache_policy  # type: ignore[attr-defined]
    assert policy not in (None, NO_CACHE, DEFAULT)
    inputs = {"case_id": "RJ20261127AAAAAAAAAA"}
    assert policy.compute_key(task_ctx=None, inputs=inputs, flow_parameters={}) is None


def test_the_reader_task_is_not_turned_into_no_cache_by_prefect() -> None:
    # With persist_result=False Prefect replaces any policy by NO_CACHE, which the worker then
    # replaces by DEFAULT: the policy must reach the worker as it was given.
    assert read_and_check_documents.cache_policy is not NO_CACHE
    assert (
        read_and_check_documents.cache_policy.compute_key(  # type: ignore[union-attr]
            task_ctx=None, inputs={"case_id": "RJ20261127AAAAAAAAAA"}, flow_parameters={}
        )
        is None
    )
