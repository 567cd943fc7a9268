"""Human review in the real Prefect UI, in a real browser (Debian's chromium driven by Playwright).

A reviewer signs in to the Prefect UI with the stack's shared credential (an outsider without it
sees only the login page), opens a suspended case's flow run, clicks Resume, reads the masked case
summary above the form (with one link to the case's documents on rongju's own signed-in review
page), fills the form and submits; the case moves on. A wrong one-time code is refused by the
flow, which asks again with the reason at the top of the new form. Screenshots go to the test's
output folder, and a copy to /tmp/review-ui-*.png for people to look at.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import pytest
from browser import ResumeForm, chromium, new_page, sign_in
from playwright.sync_api import Browser, Page, expect
from stackfixture import Stack, wait_until

from models.masking import mask_id_number, mask_name, mask_phone
from models.review import ReviewChoice
from models.review_form import form_option
from models.status import CaseStatus
from services.dispatch import start_case_flow
from services.intake import submit_folder
from services.processing import read_case_state
from services.reviewers import current_code
from services.stack import prefect_connection
from storage.db import UnitOfWork

pytestmark = pytest.mark.e2e

# The reviewers' UI on the Prefect server as production runs it, on PostgreSQL (tests/e2e/conftest.py):
# Prefect's embedded SQLite has failed a Submit with "database is locked" under the suite's load, and
# the second press came after the one-time code had expired.
PREFECT_ON_POSTGRES = True

DECISION = "审核决定 Decision"
COMMENT = "备注 Comment"
REVIEWER_ID = "审核人编号 Reviewer id"
ONE_TIME_CODE = "动态验证码 One-time code"
WRONG_CODE = "000000"

T = TypeVar("T")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, on_stack: Stack) -> Iterator[Page]:
    """A page signed in to the Prefect UI with the stack's credential."""
    with new_page(browser) as opened:
        sign_in(opened, on_stack.state.ui_url, on_stack.auth_string)
        yield opened


def _submit_until_suspended(stack: Stack, scenario: str) -> tuple[str, str, dict[str, str]]:
    """Submit a sample-city package; returns (case id, flow run id, applicant) once the run waits."""
    package = stack.package(scenario)
    result = submit_folder(package, UnitOfWork())
    _off_the_event_loop(lambda: start_case_flow(result.case_id, result.business_type))
    wait_until(
        f"{scenario} to wait for a review",
        lambda: read_case_state(result.case_id, UnitOfWork()).awaits_review,
    )
    flow_run_id = read_case_state(result.case_id, UnitOfWork()).flow_run_id
    assert flow_run_id
    wait_until("the flow run to suspend", lambda: _suspended(stack, flow_run_id))
    applicant = json.loads((package / "application.json").read_text(encoding="utf-8"))["applicant"]
    return result.case_id, flow_run_id, applicant


def _suspended(stack: Stack, flow_run_id: str) -> bool:
    from prefect import get_client

    def read() -> bool:
        with prefect_connection(stack.state.api_url), get_client(sync_client=True) as client:
            state = client.read_flow_run(UUID(flow_run_id)).state
        return bool(state and state.is_paused())

    return _off_the_event_loop(read)


def _off_the_event_loop(call: Callable[[], T]) -> T:
    """Run a Prefect call in another thread.

    Playwright's sync API keeps an asyncio loop running in the test's thread, and Prefect's
    sync-or-async functions (run_deployment …) then return a coroutine instead of running.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def _screenshot(page: Page, folder: Path, name: str) -> Path:
    """The resume modal as the reviewer sees it, saved in `folder` and copied to /tmp for people."""
    path = folder / f"review-ui-{name}.png"
    page.screenshot(path=path)
    shutil.copyfile(path, Path("/tmp") / path.name)
    return path


def _check_documents_link(form: ResumeForm, case_id: str) -> None:
    """The form carries one link to the case's review page on rongju and no document itself: the
    documents are behind the reviewer's own sign-in there, not behind the shared Prefect login."""
    links = form.description.locator("a[href*='/review/']")
    expect(links).to_have_count(1)
    href = links.first.get_attribute("href") or ""
    assert href.endswith(f"/review/{case_id}"), href
    expect(form.description.locator("img")).to_have_count(0)
    response = form.page.request.get(href)
    assert response.ok and response.headers["content-type"].startswith("text/html")
    page = response.text()
    assert "One-time code" in page and "<img" not in page  # rongju's sign-in page, no document


def _shown(masked: str) -> str:
    return masked.replace("*", "＊")


def test_reviewer_approves_a_case_in_the_prefect_ui(on_stack: Stack, page: Page, tmp_path: Path) -> None:
    case_id, flow_run_id, applicant = _submit_until_suspended(on_stack, "no_residence_registration")
    station_id = read_case_state(case_id, UnitOfWork()).station_id
    form = ResumeForm.open(page, on_stack.state.ui_url, flow_run_id)

    summary = form.description
    expect(summary, "the case id, unmasked (it holds no personal data)").to_contain_text(case_id)
    # Masks are shown with full-width asterisks (an ASCII * would be markdown emphasis).
    expect(summary).to_contain_text(_shown(mask_name(applicant["name"])))
    expect(summary).to_contain_text(_shown(mask_id_number(applicant["id_number"])))
    expect(summary).to_contain_text("NO_RESIDENCE_REGISTRATION")
    text = summary.inner_text()
    assert applicant["id_number"] not in form.card.inner_html()  # nor in a link or an attribute
    assert applicant["phone"] not in text and _shown(mask_phone(applicant["phone"])) in text
    if len(applicant["name"]) >= 3:  # a two-character name may occur as an ordinary word
        assert applicant["name"] not in text
    _check_documents_link(form, case_id)
    form.description.locator("a[href*='/review/']").last.scroll_into_view_if_needed()
    _screenshot(page, tmp_path, "description-documents")

    reviewer_id = f"r-{station_id}-1"
    form.choose(DECISION, form_option(ReviewChoice.APPROVE))
    form.fill(COMMENT, "已核实居住登记 residence registration verified")
    form.fill(REVIEWER_ID, reviewer_id)
    form.fill(ONE_TIME_CODE, current_code(reviewer_id))
    expect(form.field(DECISION).locator("button.p-select-button__control")).to_contain_text("批准 approve")
    form.description.evaluate("article => article.scrollTo(0, 0)")
    _screenshot(page, tmp_path, "form-filled")
    form.submit()

    wait_until("the case to go to card production", lambda: _status(case_id) is CaseStatus.IN_PRODUCTION)
    state = read_case_state(case_id, UnitOfWork())
    assert state.review_attempts == 1 and not state.awaits_review


def test_a_wrong_one_time_code_is_refused_and_the_form_says_why(
    on_stack: Stack, page: Page, tmp_path: Path
) -> None:
    case_id, flow_run_id, _applicant = _submit_until_suspended(on_stack, "name_mismatch")
    reviewer_id = f"r-{read_case_state(case_id, UnitOfWork()).station_id}-1"
    assert current_code(reviewer_id) != WRONG_CODE  # one chance in a million: rerun
    form = ResumeForm.open(page, on_stack.state.ui_url, flow_run_id)
    expect(form.description).not_to_contain_text("上次提交未被接受")
    form.choose(DECISION, form_option(ReviewChoice.APPROVE))
    form.fill(REVIEWER_ID, reviewer_id)
    form.fill(ONE_TIME_CODE, WRONG_CODE)
    form.submit()

    wait_until(
        "the refused review to be recorded",
        lambda: read_case_state(case_id, UnitOfWork()).review_attempts == 1,
    )
    state = read_case_state(case_id, UnitOfWork())
    assert state.awaits_review and state.status is CaseStatus.UNDER_REVIEW
    wait_until("the flow run to suspend again", lambda: _suspended(on_stack, flow_run_id))

    form = ResumeForm.open(page, on_stack.state.ui_url, flow_run_id)
    refusal = form.description.locator("blockquote").first
    expect(refusal).to_contain_text("⚠️ 上次提交未被接受")
    expect(refusal).to_contain_text("动态验证码错误或已过期")
    expect(form.description).to_contain_text(case_id)
    _screenshot(page, tmp_path, "form-refused")


def test_the_prefect_ui_asks_outsiders_to_sign_in(on_stack: Stack, browser: Browser) -> None:
    """Without the credential the UI shows its login page, not the runs; a wrong one is refused."""
    with new_page(browser) as outsider:
        outsider.goto(f"{on_stack.state.ui_url}/runs")
        expect(outsider).to_have_url(re.compile(r"/login\b"))
        expect(outsider.locator("input[type=password]")).to_be_visible()
        outsider.wait_for_load_state("networkidle")  # the page's own first (refused) calls are over
        outsider.locator("input[type=password]").fill("admin:" + "x" * 43)
        # The login page checks the credential with GET /api/admin/version.
        with outsider.expect_response(lambda r: r.url.endswith("/api/admin/version")) as check:
            outsider.get_by_role("button", name="Login", exact=True).click()
        assert check.value.status == 401
        expect(outsider.get_by_text("Authentication failed.").first).to_be_visible()
        expect(outsider).to_have_url(re.compile(r"/login\b"))
        # The API behind the page answers nothing without the credential either.
        assert outsider.request.get(f"{on_stack.state.api_url}/work_pools/rongju").status == 401
        signed = outsider.request.get(
            f"{on_stack.state.api_url}/work_pools/rongju",
            headers={"Authorization": "Basic " + base64.b64encode(on_stack.auth_string.encode()).decode()},
        )
        assert signed.status == 200


def _status(case_id: str) -> CaseStatus:
    return read_case_state(case_id, UnitOfWork()).status
