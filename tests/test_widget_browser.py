"""The website widget in a real browser (Debian's Chromium, headless, driven by Playwright)
against the real servers on loopback. Screenshots go to artefacts/ (git-ignored)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ARTEFACTS, ROOT, clinic_stack
from tools import servers

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.model]


@pytest.fixture
def page(widget_page: Page) -> Page:
    return widget_page


def ask(page: Page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")


def test_a_question_is_answered_and_survives_reload_and_navigation(page: Page, answers: dict[str, str]) -> None:
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".cc-status")).to_be_hidden(timeout=15_000)  # connected
    ask(page, "what is sciatica exactly?")
    first_part = answers["utter_sciatica_definition"].split("\n\n")[0][:60]
    expect(page.locator(".cc-log")).to_contain_text(first_part, timeout=15_000)
    page.screenshot(path=str(ARTEFACTS / "widget-1280.png"))
    page.reload()
    expect(page.locator(".cc-log")).to_contain_text("what is sciatica exactly?")
    expect(page.locator(".cc-log")).to_contain_text(first_part)
    page.get_by_role("link", name="Acupuncture for sciatica").click()
    expect(page.locator(".cc-log")).to_contain_text(first_part)


def test_a_quick_reply_is_clicked(page: Page, answers: dict[str, str]) -> None:
    page.get_by_role("button", name="Chat with us").click()
    ask(page, "hello")
    page.get_by_role("button", name="What is sciatica?").click(timeout=15_000)
    expect(page.locator(".cc-log")).to_contain_text(answers["utter_sciatica_definition"][:60], timeout=15_000)


def test_an_emergency_is_unmistakable_with_a_tap_to_call_link(page: Page) -> None:
    page.get_by_role("button", name="Chat with us").click()
    ask(page, "I wet myself this morning and didn't notice")
    alert = page.locator(".cc-emergency")
    expect(alert).to_be_visible(timeout=15_000)
    expect(alert.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    assert alert.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(165, 0, 0)"
    page.screenshot(path=str(ARTEFACTS / "widget-emergency-1280.png"))


def test_keyboard_only_at_360_pixels(browser: Browser, browser_stack: servers.Stack, answers: dict[str, str]) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(browser_stack.web_url + "/")
    launcher = page.get_by_role("button", name="Chat with us")
    for _ in range(10):  # Tab through the page until the launcher has the focus
        page.keyboard.press("Tab")
        if launcher.evaluate("e => e === document.activeElement"):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your message")).to_be_focused()
    page.keyboard.type("does acupuncture hurt?")
    page.keyboard.press("Enter")
    expect(page.locator(".cc-log")).to_contain_text(answers["utter_acupuncture_pain"][:60], timeout=15_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    page.screenshot(path=str(ARTEFACTS / "widget-360.png"))
    context.close()


def test_an_overlong_message_is_refused_with_a_note(page: Page) -> None:
    page.get_by_role("button", name="Chat with us").click()
    page.get_by_label("Your message").fill("x" * 2001)
    expect(page.locator(".cc-count")).to_contain_text("keep it under 2000")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()


def test_with_the_server_unreachable_the_widget_says_so_and_keeps_the_message(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The website alone, its widget pointed at a port nothing listens on.
    offline = servers.loopback_stack(ROOT / "models", tmp_path_factory.mktemp("offline"))
    offline.rasa_port = servers.free_port()
    try:
        servers.start_website_ready(offline)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(offline.web_url + "/")
        page.get_by_role("button", name="Chat with us").click()
        expect(page.locator(".cc-status")).to_contain_text("Can't reach the clinic assistant right now", timeout=15_000)
        expect(page.locator(".cc-status")).to_contain_text("call 911")
        ask(page, "what is sciatica?")
        expect(page.locator(".cc-unsent")).to_contain_text("Not sent yet")
        page.reload()  # still kept, still marked
        expect(page.locator(".cc-unsent")).to_contain_text("Not sent yet")
        context.close()
    finally:
        servers.stop(offline)


def test_a_message_typed_offline_is_sent_when_the_server_is_back(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory, answers: dict[str, str]
) -> None:
    later = clinic_stack(tmp_path_factory, "later")
    try:
        servers.start_website_ready(later)  # the Rasa server is not up yet
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(later.web_url + "/")
        page.get_by_role("button", name="Chat with us").click()
        ask(page, "does acupuncture hurt?")
        expect(page.locator(".cc-unsent")).to_be_visible(timeout=15_000)
        servers.start_actions_ready(later)
        servers.start_rasa_ready(later)
        expect(page.locator(".cc-log")).to_contain_text(answers["utter_acupuncture_pain"][:60], timeout=60_000)
        expect(page.locator(".cc-unsent")).to_have_count(0)
        context.close()
    finally:
        servers.stop(later)


def test_delete_my_conversation_erases_it_at_the_clinic(
    page: Page, browser_stack: servers.Stack, answers: dict[str, str]
) -> None:
    import sqlite3

    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".cc-status")).to_be_hidden(timeout=15_000)
    ask(page, "does acupuncture hurt?")
    expect(page.locator(".cc-log")).to_contain_text(answers["utter_acupuncture_pain"][:60], timeout=15_000)
    session_id = page.evaluate(
        "JSON.parse(Object.entries(localStorage).find(e => e[0].startsWith('clinicChat:'))[1]).sessionId"
    )
    database = browser_stack.database_url.removeprefix("sqlite:///")

    def stored() -> int:
        with sqlite3.connect(database) as connection:
            return connection.execute("SELECT count(*) FROM events WHERE sender_id = ?", (session_id,)).fetchone()[0]

    assert stored() > 0
    page.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("group", name="Delete this conversation")
    expect(confirm).to_contain_text("cannot be undone")
    expect(confirm.get_by_role("button", name="Keep it")).to_be_focused()
    confirm.get_by_role("button", name="Delete for good").click()
    expect(page.locator(".cc-log")).to_contain_text("Your conversation was deleted", timeout=15_000)
    expect(page.locator(".cc-log")).not_to_contain_text("does acupuncture hurt?")
    assert stored() == 0
    new_id = page.evaluate(
        "JSON.parse(Object.entries(localStorage).find(e => e[0].startsWith('clinicChat:'))[1]).sessionId"
    )
    assert new_id != session_id
    page.screenshot(path=str(ARTEFACTS / "widget-deleted-1280.png"))
