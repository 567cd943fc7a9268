"""Fixtures of the end-to-end tests: a real local Prefect stack (server, work pool, deployment,
process worker), started once per test module on free ports with its own data folder and a small
rendered sample city whose shared-data snapshot is indexed; `on_stack` points a test at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from pgdatabase import fresh_database
from stackfixture import TODAY, Stack, free_port

from config.settings import get_settings
from samplecity.city import generate_city
from services.stack import ensure_auth_string, start_stack, stop_processes
from storage.shared_data import import_snapshot


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # A module that needs cases beyond the first 13 of the sample city's cycle (e.g. the clean ones
    # after the 26 reason cases) says how many with STACK_CASES.
    cases = getattr(request.module, "STACK_CASES", 13)
    data_dir = tmp_path_factory.mktemp("stack") / "var"
    # A module that runs its stack's Prefect server on PostgreSQL (the production path) says so with
    # PREFECT_ON_POSTGRES = True; the others run it on the embedded SQLite default.
    on_postgres = getattr(request.module, "PREFECT_ON_POSTGRES", False)
    with ExitStack() as cleanup, pytest.MonkeyPatch.context() as mp:
        prefect_database_url = None
        if on_postgres:
            prefect_database_url = cleanup.enter_context(fresh_database("rongju_prefect"))
            mp.setenv("RONGJU_PREFECT_DATABASE_URL", prefect_database_url)
        for name, value in {
            "RONGJU_DATA_DIR": str(data_dir),
            "RONGJU_TODAY": TODAY.isoformat(),
            "RONGJU_API_PORT": str(api_port := free_port()),
            "RONGJU_API_URL": f"http://127.0.0.1:{api_port}",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            # The scripted reviewers use the roster's demo secrets (services/reviewers.py).
            "RONGJU_DEMO": "1",
        }.items():
            mp.setenv(name, value)
        mp.delenv("PREFECT_API_URL", raising=False)
        get_settings.cache_clear()
        city = data_dir.parent / "city"
        generate_city(city, residents=300, cases=cases, seed=3, today=TODAY, workers=2)
        import_snapshot(city / "shared-data")
        (data_dir / "shared-data").symlink_to(city / "shared-data")
        state = start_stack(port=free_port(), progress=lambda _line: None)
        # The server demands the stack's credential. rongju's own calls find it through
        # services.stack.prefect_connection; tests that call Prefect's client directly with only
        # PREFECT_API_URL get it from the environment, as a flow run does.
        mp.setenv("PREFECT_API_AUTH_STRING", ensure_auth_string())
        try:
            yield Stack(data_dir, state, city, prefect_database_url)
        finally:
            stop_processes(state)
            get_settings.cache_clear()


@pytest.fixture
def on_stack(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """Point this test's settings at the stack's data folder."""
    monkeypatch.setenv("RONGJU_DATA_DIR", str(stack.data_dir))
    monkeypatch.setenv("RONGJU_TODAY", TODAY.isoformat())
    monkeypatch.setenv("RONGJU_DEMO", "1")
    get_settings.cache_clear()
    return stack
