"""Prefect closed to outsiders (issue 12): the stack's server demands the generated credential,
refuses state-changing requests without a CSRF token, allows cross-origin calls only from its own
UI, and every rongju process and command carries the credential."""

from __future__ import annotations

import base64
import json
import re
import stat
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from stackfixture import Stack, wait_until

from services.stack import ensure_auth_string, prefect_connection

pytestmark = pytest.mark.e2e

STACK_CASES = 1  # no case is processed here: the smallest sample city the fixture makes


def _call(
    url: str,
    *,
    method: str = "GET",
    auth: str | None = None,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> tuple[int, dict[str, str], str]:
    """One plain HTTP request, as an outsider's script (or a browser's preflight) sends it."""
    request = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    if body is not None:
        request.add_header("Content-Type", "application/json")
        request.data = json.dumps(body).encode()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def test_an_api_call_without_the_credential_is_refused(stack: Stack) -> None:
    pool = f"{stack.state.api_url}/work_pools/rongju"
    assert _call(pool)[0] == 401
    assert _call(pool, auth="admin:" + "x" * 43)[0] == 401
    status, _headers, text = _call(pool, auth=stack.auth_string)
    assert status == 200 and json.loads(text)["name"] == "rongju"
    # Health probes stay open (they reveal nothing): `rongju up` and monitoring use them.
    assert _call(f"{stack.state.api_url}/health")[0] == 200


def test_only_the_ui_origin_may_call_the_api_from_a_browser(stack: Stack) -> None:
    url = f"{stack.state.api_url}/flow_runs/filter"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    status, headers, _text = _call(
        url, method="OPTIONS", headers={"Origin": "http://evil.example", **preflight}
    )
    assert status == 400
    assert "access-control-allow-origin" not in {name.lower() for name in headers}
    status, headers, _text = _call(url, method="OPTIONS", headers={"Origin": stack.state.ui_url, **preflight})
    assert status == 200
    assert {k.lower(): v for k, v in headers.items()}["access-control-allow-origin"] == stack.state.ui_url


def test_a_state_changing_call_needs_a_csrf_token_besides_the_credential(stack: Stack) -> None:
    url = f"{stack.state.api_url}/flow_runs/filter"
    status, _headers, text = _call(url, method="POST", auth=stack.auth_string, body={})
    assert status == 403 and "CSRF" in text
    client = str(uuid4())
    status, _headers, text = _call(
        f"{stack.state.api_url}/csrf-token?client={client}", auth=stack.auth_string
    )
    assert status == 200
    token = {"Prefect-Csrf-Token": json.loads(text)["token"], "Prefect-Csrf-Client": client}
    assert _call(url, method="POST", auth=stack.auth_string, body={}, headers=token)[0] == 200
    # A token without the credential does not get in.
    assert _call(url, method="POST", body={}, headers=token)[0] == 401


def test_the_credential_is_a_private_file_generated_once(on_stack: Stack) -> None:
    secret = on_stack.data_dir / "secrets" / "prefect-auth"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
    user, _colon, password = on_stack.auth_string.partition(":")
    assert user == "admin" and len(password) >= 40
    assert ensure_auth_string() == on_stack.auth_string  # reused, not regenerated
    # Where it is may be said; the secret itself is in no log and not in stack.json.
    run = on_stack.data_dir / "run"
    for path in run.iterdir():
        assert password not in path.read_text(encoding="utf-8", errors="replace"), path.name
    # What the stack's processes write is theirs only (they run with umask 077).
    database = on_stack.data_dir / "prefect-home" / "prefect.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_rongju_commands_and_the_worker_carry_the_credential(
    on_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rongju command finds the credential by itself (not from the environment the fixture set)."""
    from prefect import get_client

    from services.replay import failed_cases
    from storage.db import UnitOfWork

    monkeypatch.delenv("PREFECT_API_AUTH_STRING")
    assert failed_cases(UnitOfWork()) == []  # POST /flow_runs/filter: credential and CSRF token both sent

    def worker_online() -> bool:
        with prefect_connection(on_stack.state.api_url), get_client(sync_client=True) as client:
            workers = client.read_workers_for_work_pool("rongju")
        return bool(workers) and all(worker.status.value == "ONLINE" for worker in workers)

    # The worker got in: it registers itself with the pool (its first poll may come some seconds
    # after the stack is up on a loaded machine) and keeps sending heartbeats.
    wait_until("the worker to register with the pool", worker_online, timeout=120)
    worker_log = Path(on_stack.state.logs["worker"]).read_text(encoding="utf-8", errors="replace")
    # As a word: a run or worker id (hex) may well contain the digits 401.
    assert re.search(r"\b401\b", worker_log) is None and "Unauthorized" not in worker_log
