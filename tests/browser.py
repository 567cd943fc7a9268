"""A real browser for the end-to-end tests: Debian's chromium driven by Playwright, and the Prefect
UI's resume form as a reviewer meets it.

Never `playwright install`: the pip package brings its own driver, the browser is the distribution's
/usr/bin/chromium (Debian package `chromium`). The selectors are those of the Prefect 3.9.1 UI:
the resume modal is `.p-modal__card`, its description is the first `article.markdown-renderer` in
the modal body, a field is the `.schema-form-property` whose `.schema-form-property__label` has the
field's title, text fields are textareas, a select opens on Space while its
`button.p-select-button__control` has the focus.

The server demands basic auth (`rongju up` sets PREFECT_SERVER_API_AUTH_STRING), so the UI first
shows its login page: one password field (placeholder `admin:pass`) that takes the whole
`user:password` credential, and a Login button; the UI keeps it in the page's localStorage and sends
it with every API call. `sign_in` does that once per page (each test has its own context).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# A laptop screen: what the modal leaves for the description depends on the window's height.
VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}
UI_TIMEOUT_MS = 30_000


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless chromium, closed on exit."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (make setup does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_page(browser: Browser) -> Iterator[Page]:
    """A fresh page (own context: no cookies or storage shared between tests)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(UI_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, ui_url: str, credential: str) -> None:
    """Sign in to the Prefect UI with the shared `user:password` credential, as station staff do."""
    page.goto(f"{ui_url.rstrip('/')}/runs")
    password = page.locator("input[type=password][placeholder='admin:pass']")
    password.fill(credential)
    page.get_by_role("button", name="Login", exact=True).click()
    # A refused credential leaves the login page in place (with an "Authentication failed." toast).
    page.wait_for_url(lambda url: "/login" not in url)


class ResumeForm:
    """The "Resume Flow Run" modal of a suspended flow run, opened from the run's page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.card = page.locator(".p-modal__card")

    @classmethod
    def open(cls, page: Page, ui_url: str, flow_run_id: str) -> ResumeForm:
        """Go to the flow run's page and click Resume; returns once the form is shown."""
        page.goto(f"{ui_url.rstrip('/')}/runs/flow-run/{flow_run_id}")
        resume = page.get_by_role("button", name="Resume", exact=True)
        resume.click()
        form = cls(page)
        expect(form.card.locator(".p-modal__title")).to_have_text("Resume Flow Run")
        expect(form.field("审核决定 Decision")).to_be_visible()
        return form

    @property
    def description(self) -> Locator:
        """The markdown rendered above the form (the field descriptions are articles too, later)."""
        return self.card.locator(".p-modal__body > article.markdown-renderer").first

    def field(self, title: str) -> Locator:
        label = self.page.locator(".schema-form-property__label", has_text=title)
        return self.card.locator(".schema-form-property").filter(has=label)

    def choose(self, title: str, option: str) -> None:
        """Pick one option of a select (or one more of a multi-select)."""
        self.field(title).locator("button.p-select-button__control").focus()
        self.page.keyboard.press("Space")
        self.page.get_by_role("option", name=option, exact=True).click()

    def fill(self, title: str, text: str) -> None:
        self.field(title).locator("textarea").fill(text)

    def submit(self) -> None:
        """Click Submit and wait until the modal has closed (Prefect accepted the input)."""
        submit = self.card.get_by_role("button", name="Submit", exact=True)
        submit.click()
        # The server validates and stores the input before the modal closes; on a loaded 2-core
        # machine (the whole suite, OCR next door) that has taken longer than the default 5 s.
        # Pressed once: a Submit the server does not take is a lost decision, not something to
        # press again (the reviewers' browser tests run Prefect on PostgreSQL, as stations do).
        expect(self.card).to_be_hidden(timeout=30_000)
