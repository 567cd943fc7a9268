"""The review pages as a reviewer meets them: Debian's chromium against the real API (uvicorn on a
free port) and the real case DB — sign in, see the document images load, sign out; a reviewer of
another station is refused. (A TestClient is not a browser: the cookie rules, the CSP and the
relative form and redirect targets are the browser's to apply.)"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from browser import chromium, new_page
from factories import make_package
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, delete
from sqlmodel import select

from api.app import create_app
from config.settings import get_settings
from models.tables import Case, ReviewAccess, ReviewerCodeUse
from services.intake import submit_folder
from services.reviewers import current_code
from storage.db import UnitOfWork, get_engine

STATION, OTHER_STATION = "wuhou-jitou", "wuhou-cuqiao"
BUREAU = "成都市公安局武侯区分局"
REVIEWER, OTHER_STATION_REVIEWER = "r-wuhou-jitou-1", "r-wuhou-cuqiao-1"


@pytest.fixture
def demo_db(monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The SQLite case DB of this test's data folder, in demo mode (the roster's demo secrets)."""
    monkeypatch.setenv("RONGJU_DEMO", "1")
    get_settings.cache_clear()
    return get_engine()


def _case(tmp_path: Path, name: str, station: str) -> str:
    case_id = submit_folder(make_package(tmp_path / name), UnitOfWork()).case_id
    with UnitOfWork() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        case.station_id, case.bureau = station, BUREAU
        uow.add(case)
        uow.commit()
    return case_id


@pytest.fixture
def api(demo_db: Engine) -> Iterator[str]:
    """The API served by uvicorn in a thread on a free port; its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with new_page(browser) as fresh:
        yield fresh


def _sign_in(page: Page, url: str, reviewer_id: str) -> int:
    """Fill the sign-in form shown at `url` and submit it; the HTTP status of the answer."""
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("审核材料登录")
    page.get_by_label("审核人编号").fill(reviewer_id)
    page.get_by_label("动态验证码").fill(current_code(reviewer_id))
    with page.expect_response(lambda response: response.url.endswith("/sign-in")) as answer:
        page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return answer.value.status


def _wait_for_images(page: Page) -> int:
    """Every image on the page drawn (scrolled to: they load lazily); how many there are."""
    images = page.locator("main img")
    count = images.count()
    for i in range(count):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=20_000
        )
    return count


def test_a_station_reviewer_signs_in_and_sees_the_documents(
    api: str, page: Page, demo_db: Engine, tmp_path: Path
) -> None:
    with demo_db.begin() as connection:
        connection.execute(delete(ReviewerCodeUse))
    case_id = _case(tmp_path, "own", STATION)
    foreign = _case(tmp_path, "foreign", OTHER_STATION)

    assert _sign_in(page, f"{api}/review/{case_id}", REVIEWER) == 303
    expect(page).to_have_url(f"{api}/review/{case_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("案件材料")
    assert _wait_for_images(page) == 4, "ID card sides, photo and the lease's page"
    assert "王小明" not in page.content()

    (cookie,) = page.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/review"
    assert 8 * 3600 - 120 < cookie["expires"] - time.time() <= 8 * 3600

    # Signed in, but another station's case stays closed.
    response = page.goto(f"{api}/review/{foreign}")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text("无权查看本案件材料")
    assert page.locator("img").count() == 0

    page.goto(f"{api}/review/{case_id}")
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("已退出登录")
    page.goto(f"{api}/review/{case_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("审核材料登录")

    with UnitOfWork() as uow:
        rows = uow.session.exec(select(ReviewAccess)).all()
    actions = [(row.case_id, row.action, row.allowed) for row in rows]
    # Every image the browser loaded is one row (the second visit before signing out loads again).
    viewed = {(row.document_id, row.page) for row in rows if row.action == "document" and row.allowed}
    assert len(viewed) == 4 and actions.count((case_id, "document", True)) >= 4
    assert (foreign, "case", False) in actions and (case_id, "sign_out", True) in actions


def test_a_reviewer_of_another_station_is_refused(
    api: str, page: Page, demo_db: Engine, tmp_path: Path
) -> None:
    with demo_db.begin() as connection:
        connection.execute(delete(ReviewerCodeUse))
    case_id = _case(tmp_path, "own", STATION)
    assert _sign_in(page, f"{api}/review/{case_id}", OTHER_STATION_REVIEWER) == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text("无权查看本案件材料")
    expect(page.locator("body")).to_contain_text("You are not a reviewer of this case's station")
    assert page.context.cookies() == [] and page.locator("img").count() == 0


def test_a_signed_in_reviewer_arriving_by_a_link_from_another_site_is_not_asked_again(
    api: str, page: Page, demo_db: Engine, tmp_path: Path
) -> None:
    """The Prefect UI may live on another site: the SameSite=Strict cookie is withheld from that one
    navigation, and the page loads itself once more (same-site, with the cookie)."""
    with demo_db.begin() as connection:
        connection.execute(delete(ReviewerCodeUse))
    case_id = _case(tmp_path, "own", STATION)
    assert _sign_in(page, f"{api}/review/{case_id}", REVIEWER) == 303
    # localhost and 127.0.0.1 are different sites: a link followed from there is cross-site.
    other_site = api.replace("127.0.0.1", "localhost")
    page.goto(f"{other_site}/healthz")
    with page.expect_response(lambda r: r.url == f"{api}/review/{case_id}") as first:
        page.evaluate("url => { window.location.href = url; }", f"{api}/review/{case_id}")
    assert first.value.request.headers.get("cookie") is None, "the browser withholds a Strict cookie"
    expect(page).to_have_url(f"{api}/review/{case_id}?again=1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("案件材料")
    assert _wait_for_images(page) == 4
