"""The staff console in a real browser (Debian's Chromium, headless, Playwright) beside a patient
using the website widget, all against the real servers on loopback: sign in, acknowledge a red
flag, open the transcript, export CSV, take over the chat and reply (the patient's widget shows
it live), hand back to the bot. Screenshots go to artefacts/."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from assistant.records.db import connect
from assistant.staff import accounts
from tests.conftest import ARTEFACTS
from tools import servers

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.model]
PASSWORD = "staff browser test password"
STAFF_REPLY = "Hello, this is Maria from the front desk. How can I help?"


@pytest.fixture(scope="module")
def admin(browser_stack: servers.Stack) -> str:
    accounts.add_user(connect(browser_stack.database_url), "maria", PASSWORD, "admin")
    return "maria"


@pytest.fixture
def patient(widget_page: Page) -> Page:
    return widget_page


@pytest.fixture
def staff(browser: Browser, browser_stack: servers.Stack) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def ask(page: Page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")


def test_staff_acknowledge_review_export_and_take_over(
    patient: Page, staff: Page, browser_stack: servers.Stack, admin: str
) -> None:
    # The patient reports an emergency, then asks for a person.
    patient.get_by_role("button", name="Chat with us").click()
    expect(patient.locator(".cc-status")).to_be_hidden(timeout=15_000)
    ask(patient, "I wet myself this morning and didn't notice")
    expect(patient.locator(".cc-emergency")).to_be_visible(timeout=15_000)
    ask(patient, "can I talk to a real person?")
    patient.get_by_role("button", name="Yes, please").click(timeout=15_000)
    expect(patient.locator(".cc-log")).to_contain_text("I've asked our staff to join this chat", timeout=15_000)
    conversation = patient.evaluate(
        "JSON.parse(Object.entries(localStorage).find(e => e[0].startsWith('clinicChat:'))[1]).sessionId"
    )
    transcript_link = f'a[href="/conversations/{conversation}"]'

    # Sign in; wrong password first.
    staff.goto(browser_stack.staff_url + "/")
    expect(staff).to_have_url(browser_stack.staff_url + "/login?next=/")
    staff.get_by_label("User name").fill(admin)
    staff.get_by_label("Password").fill("not the password")
    staff.get_by_role("button", name="Sign in").click()
    expect(staff.get_by_role("alert")).to_contain_text("Wrong user name or password")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    expect(staff.get_by_role("heading", name="Needs attention")).to_be_visible()

    # Home: the red flag first; acknowledge it.
    flags = staff.locator("section[aria-labelledby=flags]")
    row = flags.locator("tr", has=staff.locator(transcript_link))
    expect(row).to_contain_text("I wet myself this morning")
    expect(row.locator(".badge.emergency")).to_be_visible()
    staff.screenshot(path=str(ARTEFACTS / "staff-home-1280.png"), full_page=True)
    row.get_by_role("button", name="Acknowledge").click()
    expect(staff.get_by_role("status")).to_contain_text("Red flag acknowledged")
    expect(flags.locator(transcript_link)).to_have_count(0)

    # The conversation list and the transcript (the index follows within seconds).
    staff.goto(browser_stack.staff_url + "/conversations?escalation=1")
    link = staff.locator(f"table.conversations {transcript_link}")
    for _ in range(30):
        if link.count():
            break
        staff.wait_for_timeout(1000)
        staff.reload()
    link.click()
    expect(staff.locator("ol.transcript")).to_contain_text("I wet myself this morning")
    expect(staff.locator("ol.transcript")).to_contain_text("socketio · human_handoff")
    expect(staff.locator(".flag")).to_contain_text("acknowledged by maria")
    staff.screenshot(path=str(ARTEFACTS / "staff-transcript-1280.png"), full_page=True)

    # Export as CSV.
    with staff.expect_download() as download:
        staff.get_by_role("link", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert rows[0].keys() >= {"conversation", "time_utc", "speaker", "text", "intent", "confidence"}
    assert "I wet myself this morning and didn't notice" in [row["text"] for row in rows if row["speaker"] == "patient"]

    # Take over: reply, and the patient's widget shows it at once.
    for _ in range(30):
        if staff.get_by_label("Message (sent to the patient's channel as staff)").count():
            break
        staff.wait_for_timeout(1000)
        staff.reload()
    staff.get_by_label("Message (sent to the patient's channel as staff)").fill(STAFF_REPLY)
    staff.get_by_role("button", name="Send reply").click()
    expect(staff.get_by_role("status")).to_contain_text("Reply sent")
    expect(patient.locator(".cc-log")).to_contain_text(STAFF_REPLY, timeout=15_000)
    patient.screenshot(path=str(ARTEFACTS / "widget-staff-reply-1280.png"))
    expect(staff.locator("ol.transcript")).to_contain_text(STAFF_REPLY)

    # Hand back to the assistant, which answers again.
    staff.get_by_role("button", name="Let the assistant answer again").click()
    expect(staff.get_by_role("status")).to_contain_text("The assistant answers this patient again")
    ask(patient, "does acupuncture hurt?")
    expect(patient.locator(".cc-msg.cc-bot").last).to_contain_text("Most people feel very little", timeout=15_000)

    # Everything above is in the audit log.
    staff.get_by_role("link", name="Audit log").click()
    log = staff.locator("table")
    for action in ("login_failed", "login", "acknowledge", "view_transcript", "export", "reply", "resume"):
        expect(log).to_contain_text(action)
    staff.screenshot(path=str(ARTEFACTS / "staff-audit-1280.png"), full_page=True)


def test_console_at_360_pixels_has_no_sideways_scroll(
    browser: Browser, browser_stack: servers.Stack, admin: str
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(browser_stack.staff_url + "/login")
    page.get_by_label("User name").fill(admin)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(browser_stack.staff_url + "/analytics")
    expect(page.locator("svg.chart")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # wide tables scroll in their box
    page.screenshot(path=str(ARTEFACTS / "staff-analytics-360.png"), full_page=True)
    context.close()
