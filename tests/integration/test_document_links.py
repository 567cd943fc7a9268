"""Short-lived signed document links, served by the real API from the real case DB and document store."""

from __future__ import annotations

import logging
import socket
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from factories import jpeg_bytes, make_package, pdf_bytes, png_bytes
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.app import RedactDocumentTokens, create_app
from config.settings import get_settings
from models.tables import Document
from services.document_links import (
    LinkExpired,
    LinkInvalid,
    document_links,
    link_secret,
    make_document_url,
    make_token,
    verify_token,
)
from services.intake import submit_folder
from storage.db import unit_of_work

ID_FRONT = jpeg_bytes((201, 180, 150))
PHOTO = png_bytes()
LEASE = pdf_bytes("lease of the test case")


@dataclass(frozen=True)
class Submitted:
    case_id: str
    documents: dict[str, Document]  # by kind


def _submit(tmp_path: Path, name: str, id_front: bytes = ID_FRONT) -> Submitted:
    # Original filenames carrying the applicant's name: they must never reach the browser.
    folder = make_package(
        tmp_path / name,
        submission_id=f"TFSMY-LINK-{name}",
        documents=[
            {"kind": "id_front", "file": "王小明身份证正面.jpg"},
            {"kind": "id_back", "file": "id_back.jpg"},
            {"kind": "photo", "file": "王小明照片.png"},
            {"kind": "lease_contract", "file": "王小明租房合同.pdf"},
        ],
        files={"王小明身份证正面.jpg": id_front, "王小明照片.png": PHOTO, "王小明租房合同.pdf": LEASE},
    )
    case_id = submit_folder(folder).case_id
    with unit_of_work() as uow:
        rows = uow.session.exec(select(Document).where(Document.case_id == case_id)).all()
    return Submitted(case_id, {row.kind: row for row in rows})


@pytest.fixture
def case(engine: Engine, tmp_path: Path) -> Submitted:
    return _submit(tmp_path, "a")


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def _path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8765")


def test_a_valid_link_serves_the_exact_stored_bytes(client: TestClient, case: Submitted) -> None:
    for kind, data, mime, ext in (
        ("id_front", ID_FRONT, "image/jpeg", "jpg"),
        ("photo", PHOTO, "image/png", "png"),
        ("lease_contract", LEASE, "application/pdf", "pdf"),
    ):
        document = case.documents[kind]
        url = make_document_url(case.case_id, document.id or 0)
        assert url.startswith("http://127.0.0.1:8765/documents/")
        response = client.get(_path(url))
        assert response.status_code == 200, response.text
        assert response.content == data
        assert response.headers["content-type"] == mime
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        disposition = response.headers["content-disposition"]
        assert disposition == f'inline; filename="{kind}-{document.id}.{ext}"'
        assert "王" not in response.headers.get("content-disposition", "")


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_an_expired_link_is_refused(client: TestClient, case: Submitted) -> None:
    document_id = case.documents["id_front"].id or 0
    issued = datetime.now(UTC) - timedelta(hours=2)
    url = make_document_url(case.case_id, document_id, ttl_seconds=3600, now=issued)
    response = client.get(_path(url))
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "link_expired" and "过期" in body["zh"] and "expired" in body["en"]
    assert response.headers["cache-control"] == "no-store"


def test_expiry_is_exact(case: Submitted) -> None:
    issued = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    token = make_token(case.case_id, 7, ttl_seconds=60, now=issued)
    assert verify_token(token, now=issued + timedelta(seconds=59)) == (case.case_id, 7)
    with pytest.raises(LinkExpired):
        verify_token(token, now=issued + timedelta(seconds=60))


def _flip(text: str, index: int) -> str:
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


def test_tampered_links_are_refused(client: TestClient, case: Submitted) -> None:
    document_id = case.documents["id_front"].id or 0
    token = make_token(case.case_id, document_id)
    payload, signature = token.split(".")
    forged = [
        _flip(payload, 5) + "." + signature,
        payload + "." + _flip(signature, 3),
        payload + "." + signature[:-2],
        payload + ".",
        payload,
        token + ".x",
        "not-a-token",
    ]
    for bad in forged:
        response = client.get(f"/documents/{bad}")
        assert response.status_code == 403, bad
        assert response.json()["error"] == "link_invalid"
        assert "无效" in response.json()["zh"]


def test_a_link_signed_with_another_secret_is_refused(
    client: TestClient, case: Submitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    document_id = case.documents["id_front"].id or 0
    monkeypatch.setenv("RONGJU_LINK_SECRET", "another-deployment-secret-" + "x" * 20)
    foreign = make_token(case.case_id, document_id)
    monkeypatch.delenv("RONGJU_LINK_SECRET")
    assert client.get(f"/documents/{foreign}").status_code == 403


def test_a_link_cannot_be_made_to_serve_another_cases_document(
    client: TestClient, case: Submitted, tmp_path: Path
) -> None:
    other = _submit(tmp_path, "b", id_front=jpeg_bytes((10, 20, 30)))
    own_id = case.documents["id_front"].id or 0
    foreign_id = other.documents["id_front"].id or 0
    # Rewriting the payload to name the other case's document breaks the signature.
    token = make_token(case.case_id, own_id)
    payload, signature = token.split(".")
    import base64
    import json

    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded["d"] = foreign_id
    rewritten = base64.urlsafe_b64encode(json.dumps(decoded, separators=(",", ":")).encode()).rstrip(b"=")
    assert client.get(f"/documents/{rewritten.decode()}.{signature}").status_code == 403
    # Even a genuinely signed link pairing this case with the other case's document serves nothing.
    mixed = make_document_url(case.case_id, foreign_id)
    response = client.get(_path(mixed))
    assert response.status_code == 404 and response.json()["error"] == "document_not_found"
    # Each case's own link serves its own bytes.
    assert client.get(_path(make_document_url(other.case_id, foreign_id))).content == jpeg_bytes((10, 20, 30))
    assert client.get(_path(make_document_url(case.case_id, own_id))).content == ID_FRONT


def test_a_superseded_document_is_gone(client: TestClient, case: Submitted, engine: Engine) -> None:
    document = case.documents["id_front"]
    url = make_document_url(case.case_id, document.id or 0)
    assert client.get(_path(url)).status_code == 200
    with Session(engine) as session:
        row = session.get(Document, document.id)
        assert row is not None
        row.superseded = True
        session.add(row)
        session.commit()
    response = client.get(_path(url))
    assert response.status_code == 404
    assert response.json()["en"] == "no such current document"
    assert client.get(_path(make_document_url(case.case_id, 999_999))).status_code == 404
    kinds = [link.kind for link in document_links(case.case_id)]
    assert "id_front" not in kinds and sorted(kinds) == ["id_back", "lease_contract", "photo"]


def test_document_links_for_the_review_form(case: Submitted) -> None:
    links = {link.kind: link for link in document_links(case.case_id, ttl_seconds=600)}
    assert links["photo"].as_markdown("证件照").startswith("![证件照](http://127.0.0.1:8765/documents/")
    assert links["lease_contract"].as_markdown().startswith("[lease_contract (PDF)](http://")
    case_id, document_id = verify_token(links["photo"].url.rsplit("/", 1)[1])
    assert (case_id, document_id) == (case.case_id, case.documents["photo"].id)
    # The payload is readable by anyone holding the link: it must carry nothing personal.
    assert all("王" not in link.url and "4418" not in link.url for link in links.values())


def test_the_generated_secret_is_private_and_stable(isolated_settings: Path) -> None:
    first = link_secret()
    path = isolated_settings.resolve() / "secrets" / "link-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and link_secret() == first


def test_a_configured_secret_wins_and_must_be_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RONGJU_LINK_SECRET", "s" * 40)
    assert link_secret() == b"s" * 40
    monkeypatch.setenv("RONGJU_LINK_SECRET", "short")
    with pytest.raises(ValueError, match="at least 32"):
        link_secret()


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=400)
    | st.from_regex(r"[A-Za-z0-9_-]{0,80}\.[A-Za-z0-9_-]{0,60}", fullmatch=True)
    # Any characters around exactly one dot, where a naive parser trips over non-ASCII or padding.
    | st.tuples(
        st.text(max_size=60), st.text(max_size=60) | st.from_regex(r"[A-Za-z0-9_-]{1,60}", fullmatch=True)
    ).map(lambda parts: ".".join(parts))
)
def test_garbage_is_refused_as_invalid_and_nothing_else(token: str) -> None:
    with pytest.raises(LinkInvalid):
        verify_token(token)


def test_tokens_stay_out_of_the_access_log() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None
    )
    record.args = ("127.0.0.1:5000", "GET", "/documents/eyJjIjoiUkoi.c2lnbmF0dXJl", "1.1", 200)
    RedactDocumentTokens().filter(record)
    assert "eyJj" not in record.getMessage() and "/documents/[token]" in record.getMessage()


def test_a_browser_fetches_the_image_from_the_running_api(
    engine: Engine, case: Submitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    monkeypatch.setenv("RONGJU_API_URL", f"http://127.0.0.1:{port}/")
    get_settings.cache_clear()
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "API did not start"
            time.sleep(0.02)
        url = make_document_url(case.case_id, case.documents["id_front"].id or 0, ttl_seconds=60)
        assert url.startswith(f"http://127.0.0.1:{port}/documents/")
        response = httpx.get(url, timeout=5)
        assert response.status_code == 200 and response.content == ID_FRONT
        assert response.headers["content-type"] == "image/jpeg"
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert not thread.is_alive()
