"""The review pages on the real API, case DB (SQLite and PostgreSQL) and document store: a case's
documents only for a signed-in reviewer of its station (or 分局 supervisor), re-encoded, audited."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import make_package, pdf_bytes
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from api.app import create_app
from api.review_pages import COOKIE_NAME
from config.settings import get_settings
from models.tables import (
    Case,
    Document,
    ReviewAccess,
    ReviewerCodeFailure,
    ReviewerCodeUse,
    ReviewLock,
    ReviewSession,
)
from services.intake import submit_folder
from services.review import review_description
from services.review_sessions import revoke_sessions, session_of
from services.reviewers import current_code
from storage.db import UnitOfWork
from storage.documents import get_document_store

STATION = "wuhou-jitou"
OTHER_STATION = "wuhou-cuqiao"
BUREAU = "成都市公安局武侯区分局"
REVIEWER = "r-wuhou-jitou-1"
OTHER_STATION_REVIEWER = "r-wuhou-cuqiao-1"
SUPERVISOR = "s-wuhou"
OTHER_SUPERVISOR = "s-jinjiang"
NAME, ID_NUMBER, PHONE = "王小明", "511302199003154418", "13812345678"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """The roster's demo secrets: codes come from services.reviewers.current_code."""
    monkeypatch.setenv("RONGJU_DEMO", "1")
    get_settings.cache_clear()


def _submit(tmp_path: Path, name: str, station: str) -> str:
    result = submit_folder(make_package(tmp_path / name), UnitOfWork())
    with UnitOfWork() as uow:
        case = uow.session.get(Case, result.case_id)
        assert case is not None
        case.station_id, case.bureau = station, BUREAU
        uow.add(case)
        uow.commit()
    return result.case_id


@pytest.fixture
def case_id(engine: Engine, tmp_path: Path) -> str:
    """A real case from intake (ID card sides, photo, one-page lease PDF), routed to wuhou-jitou."""
    # The conftest's PostgreSQL cleanup predates reviewer_code_use: start without spent codes.
    with engine.begin() as connection:
        connection.execute(delete(ReviewerCodeUse))
    return _submit(tmp_path, "a", STATION)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def code(reviewer_id: str, offset_s: int = 0) -> str:
    """The reviewer's code now (offset ±30 s: the neighbouring step, also accepted once)."""
    return current_code(reviewer_id, datetime.now(UTC) + timedelta(seconds=offset_s))


def sign_in(client: TestClient, case_id: str, reviewer_id: str, one_time_code: str | None = None) -> Response:
    form = {"reviewer_id": reviewer_id, "one_time_code": one_time_code or code(reviewer_id)}
    return client.post(f"/review/{case_id}/sign-in", data=form, follow_redirects=False)


def image_sources(page: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', page)


def accesses(engine: Engine, case_id: str) -> list[ReviewAccess]:
    with Session(engine) as session:
        query = select(ReviewAccess).where(ReviewAccess.case_id == case_id).order_by(col(ReviewAccess.id))
        return list(session.exec(query).all())


def documents(engine: Engine, case_id: str) -> dict[str, Document]:
    with Session(engine) as session:
        return {d.kind: d for d in session.exec(select(Document).where(Document.case_id == case_id)).all()}


# --- signing in ---------------------------------------------------------------------------------


def test_without_a_session_the_case_page_is_a_bilingual_sign_in_form(
    client: TestClient, case_id: str
) -> None:
    response = client.get(f"/review/{case_id}")
    assert response.status_code == 200
    page = response.text
    assert '<form method="post"' in page and 'name="reviewer_id"' in page and 'name="one_time_code"' in page
    assert page.index("登录") < page.index("Sign in") and page.index("审核人编号") < page.index("Reviewer id")
    assert case_id in page and "<img" not in page and "<script" not in page
    assert NAME not in page and "王" not in page
    csp = response.headers["content-security-policy"]
    for directive in ("default-src 'none'", "img-src 'self'", "form-action 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "script-src" not in csp and "unsafe-inline" not in csp
    assert response.headers["cache-control"] == "no-store"


def test_a_station_reviewer_signs_in_and_sees_the_re_encoded_documents(
    client: TestClient, case_id: str, engine: Engine
) -> None:
    response = sign_in(client, case_id, REVIEWER)
    assert response.status_code == 303 and response.headers["location"] == f"../{case_id}"
    cookie = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "httponly" in attributes and attributes["samesite"].lower() == "samesite=strict"
    assert attributes["max-age"] == "Max-Age=28800" and attributes["path"] == "Path=/review"
    assert "secure" not in attributes  # plain HTTP here: a Secure cookie would never come back
    # The cookie holds a signed session id and nothing else.
    assert REVIEWER not in cookie and case_id not in cookie

    page = client.get(f"/review/{case_id}")
    assert page.status_code == 200 and "案件材料" in page.text and "Case documents" in page.text
    for raw in (NAME, ID_NUMBER, PHONE, "玉林北路"):
        assert raw not in page.text
    assert "王**" in page.text  # masked header only: the images are what the reviewer checks
    kinds = documents(engine, case_id)
    sources = image_sources(page.text)
    assert sorted(sources) == sorted(
        f"{case_id}/documents/{kinds[kind].id}/pages/1.png"
        for kind in ("id_front", "id_back", "photo", "lease_contract")
    )
    store = get_document_store()
    for source in sources:
        image = client.get(f"/review/{source}")
        assert image.status_code == 200, image.text
        assert image.headers["content-type"] == "image/png" and image.content.startswith(PNG_MAGIC)
        assert image.headers["content-security-policy"] == "sandbox; default-src 'none'"
        assert image.headers["cache-control"] == "no-store"
        assert image.headers["x-content-type-options"] == "nosniff"
        assert image.headers["referrer-policy"] == "no-referrer"
        assert "王" not in image.headers["content-disposition"]
        document_id = int(source.split("/")[2])
        stored = store.get(next(d for d in kinds.values() if d.id == document_id).content_hash)
        assert image.content != stored, "only our own re-encoded copy leaves the API"

    rows = accesses(engine, case_id)
    assert [(r.action, r.reviewer_id, r.allowed) for r in rows[:2]] == [
        ("sign_in", REVIEWER, True),
        ("case", REVIEWER, True),
    ]
    viewed = sorted((r.document_id, r.page) for r in rows if r.action == "document")
    assert viewed == sorted((d.id, 1) for d in kinds.values())
    assert all(r.allowed and r.at is not None for r in rows)


def test_behind_the_tls_proxy_the_cookie_is_secure(client: TestClient, case_id: str) -> None:
    response = client.post(
        f"/review/{case_id}/sign-in",
        data={"reviewer_id": REVIEWER, "one_time_code": code(REVIEWER)},
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()


def test_a_sign_in_code_is_spent_like_a_decision_code(
    client: TestClient, case_id: str, engine: Engine
) -> None:
    one_time_code = code(REVIEWER)
    assert sign_in(client, case_id, REVIEWER, one_time_code).status_code == 303
    with TestClient(create_app()) as other_browser:
        again = sign_in(other_browser, case_id, REVIEWER, one_time_code)
    assert again.status_code == 401 and "已使用" in again.text and "already used" in again.text
    assert "set-cookie" not in again.headers
    with Session(engine) as session:
        assert (
            len(session.exec(select(ReviewerCodeUse).where(ReviewerCodeUse.reviewer_id == REVIEWER)).all())
            == 1
        )


@pytest.mark.parametrize(("reviewer_id", "allowed"), [(SUPERVISOR, True), (OTHER_SUPERVISOR, False)])
def test_a_supervisor_sees_the_cases_of_their_bureau_only(
    client: TestClient, case_id: str, engine: Engine, reviewer_id: str, allowed: bool
) -> None:
    response = sign_in(client, case_id, reviewer_id)
    assert response.status_code == (303 if allowed else 403)
    assert accesses(engine, case_id)[-1].allowed is allowed


def test_a_reviewer_of_another_station_gets_403_and_an_audit_row(
    client: TestClient, case_id: str, engine: Engine
) -> None:
    response = sign_in(client, case_id, OTHER_STATION_REVIEWER)
    assert response.status_code == 403
    text = html.unescape(response.text)
    assert "无权" in text and "not a reviewer of this case's station" in text
    assert text.index("无权") < text.index("may not see")
    assert "set-cookie" not in response.headers and "<img" not in response.text
    (row,) = accesses(engine, case_id)
    assert (row.action, row.reviewer_id, row.allowed) == ("sign_in", OTHER_STATION_REVIEWER, False)
    assert row.note is not None and "派出所" in row.note
    with Session(engine) as session:
        assert session.exec(select(ReviewSession)).all() == []
        # The valid code was spent all the same: it was typed into a page, like a decision's code.
        spent = session.exec(
            select(ReviewerCodeUse).where(ReviewerCodeUse.reviewer_id == OTHER_STATION_REVIEWER)
        )
        assert len(spent.all()) == 1


def test_a_signed_in_reviewer_cannot_open_another_stations_case(
    client: TestClient, case_id: str, engine: Engine, tmp_path: Path
) -> None:
    foreign = _submit(tmp_path, "b", OTHER_STATION)
    assert sign_in(client, case_id, REVIEWER).status_code == 303
    page = client.get(f"/review/{foreign}")
    assert page.status_code == 403 and "无权查看" in page.text and "<img" not in page.text
    document = documents(engine, foreign)["id_front"]
    image = client.get(f"/review/{foreign}/documents/{document.id}/pages/1.png")
    assert image.status_code == 403 and not image.content.startswith(PNG_MAGIC)
    # Nor through the own case's path: the document must belong to the case named.
    assert client.get(f"/review/{case_id}/documents/{document.id}/pages/1.png").status_code == 404
    refused = [(r.action, r.document_id, r.allowed) for r in accesses(engine, foreign)]
    assert refused == [("case", None, False), ("document", document.id, False)]


def test_wrong_codes_count_towards_the_same_lockout(client: TestClient, case_id: str, engine: Engine) -> None:
    right = code(REVIEWER)
    wrong = [f"{(int(right) + n) % 1_000_000:06d}" for n in range(500_000, 500_005)]
    for one_time_code in wrong:
        response = sign_in(client, case_id, REVIEWER, one_time_code)
        assert response.status_code == 401 and "错误" in response.text
    with Session(engine) as session:
        assert len(session.exec(select(ReviewerCodeFailure)).all()) == len(wrong)
        assert session.exec(select(ReviewLock).where(ReviewLock.reviewer_id == REVIEWER)).first() is not None
    locked = sign_in(client, case_id, REVIEWER, right)
    assert locked.status_code == 401 and "锁定" in locked.text and "locked" in locked.text
    assert "set-cookie" not in locked.headers


# --- the session --------------------------------------------------------------------------------


def test_documents_need_a_session(client: TestClient, case_id: str, engine: Engine) -> None:
    document = documents(engine, case_id)["id_front"]
    response = client.get(f"/review/{case_id}/documents/{document.id}/pages/1.png")
    assert response.status_code == 401 and response.json()["error"] == "not_signed_in"
    assert accesses(engine, case_id) == []


def test_sign_out_ends_the_session_on_the_server(client: TestClient, case_id: str, engine: Engine) -> None:
    assert sign_in(client, case_id, REVIEWER).status_code == 303
    copied = client.cookies[COOKIE_NAME]
    response = client.post("/review/sign-out")
    assert response.status_code == 200 and "已退出" in response.text
    assert (
        f'{COOKIE_NAME}=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    )
    # A copy of the cookie taken before sign-out opens nothing.
    with TestClient(create_app(), cookies={COOKIE_NAME: copied}) as thief:
        page = thief.get(f"/review/{case_id}")
        assert "<form" in page.text and "<img" not in page.text and "已过期或已退出" in page.text
        document = documents(engine, case_id)["photo"]
        assert thief.get(f"/review/{case_id}/documents/{document.id}/pages/1.png").status_code == 401
    assert [r.action for r in accesses(engine, case_id)] == ["sign_in", "sign_out"]


def test_a_session_expires_after_8_hours_on_the_server(
    client: TestClient, case_id: str, engine: Engine
) -> None:
    assert sign_in(client, case_id, REVIEWER).status_code == 303
    cookie = client.cookies[COOKIE_NAME]
    with Session(engine) as session:
        row = session.exec(select(ReviewSession)).one()
        created, expires = row.created_at, row.expires_at
    assert expires - created == timedelta(hours=8)
    assert session_of(cookie, UnitOfWork(), at=expires - timedelta(seconds=1)) is not None
    assert session_of(cookie, UnitOfWork(), at=expires) is None
    with Session(engine) as session:
        row = session.exec(select(ReviewSession)).one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(row)
        session.commit()
    assert "<img" not in client.get(f"/review/{case_id}").text


def test_an_admin_revocation_ends_every_session_of_the_reviewer(client: TestClient, case_id: str) -> None:
    assert sign_in(client, case_id, REVIEWER).status_code == 303
    assert "<img" in client.get(f"/review/{case_id}").text
    assert revoke_sessions(REVIEWER, UnitOfWork()) == 1
    assert "<img" not in client.get(f"/review/{case_id}").text


def _non_canonical(text: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert len(text) % 4 in (2, 3), "the last character carries spare (unused) low bits"
    return text[:-1] + alphabet[alphabet.index(text[-1]) ^ 1]


def test_a_forged_or_respelled_cookie_opens_nothing(client: TestClient, case_id: str) -> None:
    assert sign_in(client, case_id, REVIEWER).status_code == 303
    genuine = client.cookies[COOKIE_NAME]
    session_id, signature = genuine.split(".")
    respelled = [
        f"{session_id}.{_non_canonical(signature)}",
        f"{_non_canonical(session_id)}.{signature}",
        f"{session_id}.{signature}=",
    ]
    forged = [f"{session_id}.{'A' * len(signature)}", f"{'A' * len(session_id)}.{signature}", "x", ""]
    for cookie in respelled + forged:
        assert session_of(cookie, UnitOfWork()) is None, cookie
        with TestClient(create_app(), cookies={COOKIE_NAME: cookie}) as other:
            assert "<img" not in other.get(f"/review/{case_id}").text
    assert session_of(genuine, UnitOfWork()) is not None


# --- what is served -----------------------------------------------------------------------------


def test_only_current_pages_of_the_cases_own_documents_are_served(
    client: TestClient, case_id: str, engine: Engine
) -> None:
    kinds = documents(engine, case_id)
    assert sign_in(client, case_id, REVIEWER).status_code == 303
    base = f"/review/{case_id}/documents"
    assert client.get(f"{base}/{kinds['lease_contract'].id}/pages/1.png").status_code == 200
    assert client.get(f"{base}/{kinds['lease_contract'].id}/pages/2.png").status_code == 404
    assert client.get(f"{base}/{kinds['photo'].id}/pages/2.png").status_code == 404
    assert client.get(f"{base}/999999/pages/1.png").status_code == 404
    with Session(engine) as session:
        row = session.get(Document, kinds["id_front"].id)
        assert row is not None
        row.superseded = True
        session.add(row)
        session.commit()
    assert client.get(f"{base}/{kinds['id_front'].id}/pages/1.png").status_code == 404
    assert f"/documents/{kinds['id_front'].id}/" not in client.get(f"/review/{case_id}").text


def test_every_page_of_a_pdf_is_rendered_to_an_image(
    client: TestClient, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "three.pdf"
    pdf = canvas.Canvas(str(path))
    for n in range(3):
        pdf.drawString(72, 720, f"lease page {n + 1}")
        pdf.showPage()
    pdf.save()
    folder = make_package(tmp_path / "c", files={"lease.pdf": path.read_bytes()})
    with engine.begin() as connection:
        connection.execute(delete(ReviewerCodeUse))
    result = submit_folder(folder, UnitOfWork())
    with UnitOfWork() as uow:
        case = uow.session.get(Case, result.case_id)
        assert case is not None
        case.station_id, case.bureau = STATION, BUREAU
        uow.add(case)
        uow.commit()
    assert sign_in(client, result.case_id, REVIEWER).status_code == 303
    lease = documents(engine, result.case_id)["lease_contract"]
    sources = [s for s in image_sources(client.get(f"/review/{result.case_id}").text) if f"/{lease.id}/" in s]
    assert sources == [f"{result.case_id}/documents/{lease.id}/pages/{n}.png" for n in (1, 2, 3)]
    pages = [client.get(f"/review/{source}").content for source in sources]
    assert all(p.startswith(PNG_MAGIC) for p in pages) and len(set(pages)) == 3
    assert pdf_bytes() not in pages


def test_the_prefect_description_links_to_the_review_page_and_holds_no_capability(case_id: str) -> None:
    description = review_description(case_id, UnitOfWork())
    assert f"](http://127.0.0.1:8765/review/{case_id})" in description
    assert "查看材料（需登录）" in description
    assert "/documents/" not in description and "![" not in description and "?" not in description


def test_a_cross_site_arrival_without_the_cookie_reloads_once_then_asks_to_sign_in(
    client: TestClient, case_id: str
) -> None:
    cross_site = {"Sec-Fetch-Site": "cross-site"}
    first = client.get(f"/review/{case_id}", headers=cross_site)
    assert first.status_code == 200 and "<form" not in first.text
    assert f'http-equiv="refresh" content="0;url={case_id}?again=1"' in first.text
    again = client.get(f"/review/{case_id}?again=1", headers=cross_site)
    assert 'name="one_time_code"' in again.text and "refresh" not in again.text


def test_out_of_range_ids_and_pages_are_refused_before_any_lookup(client: TestClient, case_id: str) -> None:
    assert sign_in(client, case_id, REVIEWER).status_code == 303
    for path in ("99999999999999999999/pages/1.png", "1/pages/0.png", "1/pages/21.png", "x/pages/1.png"):
        assert client.get(f"/review/{case_id}/documents/{path}").status_code == 422, path
    assert client.get("/review/RJ1%20OR%201=1").status_code == 404
