"""The simulator in a real browser: what a newcomer sees and taps, end to end (page →
signed webhook → real app → stand-in LINE → page)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.browser import chromium, wait
from tests.helpers import AppServer

RISKY = "なんで急に冷たくなったの？最後に一回だけ会って話したい。お願いだから返事して"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def page(browser: Any, sim: AppServer) -> Any:
    """The page freshly loaded: a new simulated user who has just added the bot."""
    browser.get(sim.url + "/")
    wait(browser, lambda d: bot_bubbles(d))  # the welcome, answering the follow event
    return browser


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def texts(driver: Any, selector: str) -> list[str]:
    """What the user reads in the matching elements, read at once (the page redraws)."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((e) => e.innerText)", selector
    )


def bot_bubbles(driver: Any) -> list[str]:
    return texts(driver, "#talk .msg.bot .bubble, #talk .msg.bot .flex")


def tap(driver: Any, selector: str, text: str = "") -> str:
    """Click the first element matching `selector` whose text contains `text`; its text.
    (Found again if the page redrew it meanwhile.)"""
    from selenium.common.exceptions import StaleElementReferenceException

    def click(d: Any) -> str | None:
        try:
            for e in css(d, selector):
                if text in e.text:
                    label = e.text
                    e.click()
                    return label
        except StaleElementReferenceException:
            return None
        return None

    return wait(driver, click)


def say(driver: Any, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = css(driver, "#input")[0]
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def answered(driver: Any, before: int) -> list[str]:
    """Wait for new bot messages after `before` of them, and for the typing dots to go."""
    wait(driver, lambda d: len(bot_bubbles(d)) > before and not css(d, "#talk .typing"))
    return bot_bubbles(driver)[before:]


def test_advice_is_drawn_as_a_card_and_enter_sends(page: Any) -> None:
    before = len(bot_bubbles(page))
    say(page, "元カノに復縁を断られた。もう一度連絡してもいい？")
    assert texts(page, "#talk .msg.user")[-1].startswith("元カノに復縁を断られた")
    answered(page, before)
    wait(page, lambda d: css(d, "#talk .flex .fx-title"))  # the card, drawn after its bubble
    titles = texts(page, "#talk .flex .fx-title")
    assert titles and all(titles), "the advice card has a bold title"
    card = texts(page, "#talk .flex")[-1]
    assert len(card) > len(titles[-1]), "and a body under it"
    assert css(page, "#input")[0].get_attribute("value") == ""


def test_a_quick_reply_is_tapped(page: Any) -> None:
    before = len(bot_bubbles(page))
    say(page, "使い方を教えて")
    answered(page, before)
    before = len(bot_bubbles(page))
    label = tap(page, "#quick button")
    answered(page, before)
    mine = texts(page, "#talk .msg.user .bubble")
    assert mine[-1] == label, "the tapped button's text shows as the user's message"


def test_a_held_draft_comes_back_at_the_simulated_morning_and_shows_in_insights(
    page: Any, sim: AppServer
) -> None:
    before = len(bot_bubbles(page))
    say(page, f"これ送っていい？「{RISKY}」")
    answered(page, before)
    # the review's bubbles arrive one after another: its hold buttons come with the last
    wait(page, lambda d: any("朝" in b.text for b in css(d, "#quick button")))
    before = len(bot_bubbles(page))
    tap(page, "#quick button", "朝")
    wait(page, lambda d: any("預か" in t for t in bot_bubbles(d)[before:]))
    assert RISKY not in "\n".join(bot_bubbles(page)[before:])

    before = len(bot_bubbles(page))
    tap(page, "#morning")
    back = answered(page, before)
    assert any(RISKY in text for text in back), back
    assert "08:00" in texts(page, "#clock")[0]
    assert "1 件" in texts(page, "#clock-note")[0]
    assert wait(page, lambda d: css(d, "#quick button")), "what became of it: quick replies"

    page.get(sim.url + "/insights")
    held = int(css(page, "[data-figure=drafts_held]")[0].text)
    assert held >= 1
    assert int(css(page, "[data-figure=pushes]")[0].text) >= 1
    assert RISKY not in page.page_source  # figures only, never the text


def test_the_date_time_picker_opens_only_when_tapped_and_holds_the_draft(page: Any) -> None:
    assert not css(page, "#picker")[0].is_displayed()
    before = len(bot_bubbles(page))
    say(page, f"これ送っていい？「{RISKY}」")
    answered(page, before)
    tap(page, "#quick button[data-action=datetimepicker]")
    wait(page, lambda d: css(d, "#picker")[0].is_displayed())
    now = datetime.fromisoformat(css(page, "#picker-input")[0].get_attribute("value"))
    day = (now + timedelta(days=2)).date().isoformat()  # (the simulated clock's day, opened at)
    page.execute_script(f"document.getElementById('picker-input').value = '{day}T09:30'")
    before = len(bot_bubbles(page))
    tap(page, "#picker-ok")
    reply = "\n".join(answered(page, before))
    assert "9:30" in reply or "09:30" in reply, reply
    assert not css(page, "#picker")[0].is_displayed()


def test_a_refused_reply_shows_as_an_error(page: Any) -> None:
    tap(page, "#fail-reply")
    say(page, "こんにちは")
    error = wait(page, lambda d: texts(d, "#talk .msg.error"))
    assert "LINE が返信を拒否しました (500)" in error[-1]
    assert not css(page, "#talk .typing")


def test_unsend_marks_the_message_taken_back(page: Any) -> None:
    say(page, "やっぱり今のなし")
    wait(page, lambda d: "やっぱり今のなし" in texts(d, "#talk")[0])
    wait(page, lambda d: not css(d, "#talk .typing"))
    tap(page, "#unsend")
    wait(page, lambda d: "メッセージの送信を取り消しました" in texts(d, "#talk")[0])
    assert "やっぱり今のなし" not in texts(page, "#talk .msg.user")


def test_users_switch_and_each_has_their_own_talk(page: Any) -> None:
    say(page, "ユーザー1です")
    tap(page, "#add-user")
    wait(page, lambda d: len(css(d, "#users option")) == 2 and bot_bubbles(d))
    assert "ユーザー1です" not in texts(page, "#talk")[0]
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import Select

    def first_user(d: Any) -> bool:
        try:
            Select(css(d, "#users")[0]).select_by_index(0)
        except StaleElementReferenceException:
            return False
        return True

    wait(page, first_user)
    assert "ユーザー1です" in texts(page, "#talk")[0]
