"""The link from the Prefect review form to rongju, and the signing secret and signed values behind
the review-session cookie: no bearer capability anywhere, one spelling per token."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.app import create_app
from config.settings import get_settings
from services.document_links import (
    SignatureInvalid,
    b64decode,
    b64encode,
    link_secret,
    review_url,
    sign,
    unsign,
)

PURPOSE = b"rongju.test.v1"


def test_the_review_form_links_to_the_case_page_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert review_url("RJ20261127ABCDEF0123") == "http://127.0.0.1:8765/review/RJ20261127ABCDEF0123"
    monkeypatch.setenv("RONGJU_API_URL", "https://rongju.station.example/")
    get_settings.cache_clear()
    assert review_url("RJ1") == "https://rongju.station.example/review/RJ1"
    assert review_url("a/b?c") == "https://rongju.station.example/review/a%2Fb%3Fc"


def test_the_bearer_document_endpoint_is_gone() -> None:
    with TestClient(create_app()) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        response = client.get("/documents/eyJjIjoiUkoxIiwiZCI6MSwiZSI6OTk5OTk5OTk5OX0.c2lnbmF0dXJl")
        assert response.status_code == 404


def test_docs_and_openapi_only_in_demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app()) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404, path
    monkeypatch.setenv("RONGJU_DEMO", "1")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert client.get("/docs").status_code == 200
        assert "/review/{case_id}" in client.get("/openapi.json").json()["paths"]


def test_a_signed_value_round_trips_and_is_bound_to_its_purpose() -> None:
    token = sign("c2Vzc2lvbi1pZA", purpose=PURPOSE)
    assert unsign(token, purpose=PURPOSE) == "c2Vzc2lvbi1pZA"
    with pytest.raises(SignatureInvalid):
        unsign(token, purpose=b"rongju.other.v1")


def _flip(text: str, index: int) -> str:
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


def test_tampered_tokens_are_refused() -> None:
    token = sign("c2Vzc2lvbi1pZA", purpose=PURPOSE)
    value, signature = token.split(".")
    for bad in [
        _flip(value, 3) + "." + signature,
        value + "." + _flip(signature, 3),
        value + "." + signature[:-2],
        value + ".",
        value,
        token + ".x",
        token + "=",
        value + "." + signature + "==",
        "not-a-token",
    ]:
        with pytest.raises(SignatureInvalid):
            unsign(bad, purpose=PURPOSE)


def test_a_token_signed_with_another_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RONGJU_LINK_SECRET", "another-deployment-secret-" + "x" * 20)
    get_settings.cache_clear()
    foreign = sign("c2Vzc2lvbi1pZA", purpose=PURPOSE)
    monkeypatch.delenv("RONGJU_LINK_SECRET")
    get_settings.cache_clear()
    with pytest.raises(SignatureInvalid):
        unsign(foreign, purpose=PURPOSE)


def _non_canonical(text: str) -> str:
    """The same bytes spelled differently: the lowest (unused) bit of the last character flipped."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert len(text) % 4 in (2, 3), "the last character carries spare (unused) low bits"
    last = alphabet.index(text[-1])
    return text[:-1] + alphabet[last ^ 1]


def test_non_canonical_base64_is_refused_although_it_decodes_to_the_same_bytes() -> None:
    token = sign("c2Vzc2lvbi1pZA", purpose=PURPOSE)
    value, signature = token.split(".")
    assert len(signature) % 4 != 0, "an HMAC-SHA256 in unpadded base64 has spare bits"
    other_spelling = _non_canonical(signature)
    assert other_spelling != signature
    # Python's decoder accepts both spellings as the same 32 bytes…
    padded = other_spelling + "=" * (-len(other_spelling) % 4)
    assert base64.urlsafe_b64decode(padded) == base64.urlsafe_b64decode(signature + "=")
    # …rongju accepts one.
    with pytest.raises(SignatureInvalid):
        unsign(f"{value}.{other_spelling}", purpose=PURPOSE)
    with pytest.raises(SignatureInvalid):
        b64decode(other_spelling)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=64))
def test_b64_round_trips_and_has_one_spelling(data: bytes) -> None:
    text = b64encode(data)
    assert b64decode(text) == data
    if len(text) % 4:
        with pytest.raises(SignatureInvalid):
            b64decode(_non_canonical(text))
    with pytest.raises(SignatureInvalid):
        b64decode(text + "=")  # padding is another spelling too


def test_the_generated_secret_is_private_and_stable(isolated_settings: Path) -> None:
    first = link_secret()
    path = isolated_settings.resolve() / "secrets" / "link-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and link_secret() == first


def test_a_configured_secret_wins_and_must_be_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RONGJU_LINK_SECRET", "s" * 40)
    get_settings.cache_clear()
    assert link_secret() == b"s" * 40
    monkeypatch.setenv("RONGJU_LINK_SECRET", "short")
    get_settings.cache_clear()
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
    with pytest.raises(SignatureInvalid):
        unsign(token, purpose=PURPOSE)
