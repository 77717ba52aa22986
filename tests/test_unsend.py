"""unsend: a message the user took back is forgotten wherever the bot kept its text (a held
draft, the draft under review, the copy of the held one), over the real webhook. No reply."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text

from bot.config import Settings
from bot.content import load_content
from bot.dialogue.state import DialogueState
from bot.dispatcher import Dispatcher
from bot.line.client import Messenger
from bot.sim.standin import LineStandIn
from bot.store.db import Database
from bot.store.models import ConversationState, Draft, Reminder
from bot.web.app import create_app
from tests.conftest import make_settings
from tests.helpers import TOKEN, AppServer, payload, postback_event, text_event, unsend_event
from tests.webhook_fixtures import line_user_id

SECRET = "ひみつのしたがき、ずっと待ってるから返事して"


@pytest.fixture
def keyed(line: LineStandIn, database_url: str) -> Iterator[tuple[AppServer, Settings]]:
    """The app on SQLite and on PostgreSQL, with stored text encrypted (BOT_DATA_KEY)."""
    settings = make_settings(line, database_url, bot_data_key=Fernet.generate_key().decode())
    server = AppServer(create_app(settings, dispatcher=False)).start()
    yield server, settings
    server.stop()


def dispatch_later(settings: Settings) -> int:
    """A dispatch round three days on: every held draft is due by then."""

    async def run() -> int:
        messenger = Messenger(settings.line_api_base_url, TOKEN)
        await messenger.start()
        db = Database(settings.database_url, settings.data_key)
        try:
            dispatcher = Dispatcher(db, load_content(settings.content_dir), messenger, settings)
            return await dispatcher.run_once(datetime.now(UTC) + timedelta(days=3))
        finally:
            await messenger.close()
            db.dispose()

    return asyncio.run(run())


def say(server: AppServer, line: LineStandIn, event: dict) -> None:
    """Post one event and wait for its reply."""
    count = len(line.replies())
    assert server.post(payload(event)).status_code == 200
    assert line.wait_for(lambda s: len(s.replies()) == count + 1)


def stored(server: AppServer) -> tuple[int, int, DialogueState]:
    """Drafts and reminders kept, and the (only) user's state, read through the key."""
    db = server.app.state.hitoban.core.db
    with db.session() as s:
        drafts = s.execute(select(func.count()).select_from(Draft)).scalar_one()
        reminders = s.execute(select(func.count()).select_from(Reminder)).scalar_one()
        state = s.execute(select(ConversationState.data)).scalar_one()
    return drafts, reminders, DialogueState.from_json(state)


def test_an_unsent_held_draft_is_never_pushed(keyed, line: LineStandIn) -> None:
    server, settings = keyed
    user = line_user_id()
    draft = text_event(user, f"下書き：{SECRET}")
    say(server, line, draft)
    say(server, line, postback_event(user, "hold:morning"))
    drafts, reminders, state = stored(server)
    assert (drafts, reminders, state.held_text) == (1, 1, SECRET)
    sent = len(line.requests)

    assert server.post(payload(unsend_event(user, draft["message"]["id"]))).status_code == 200
    server.settle()
    assert len(line.requests) == sent  # no reply to an unsend
    drafts, reminders, state = stored(server)
    assert (drafts, reminders, state.held_text, state.held_until) == (0, 0, None, None)
    with server.app.state.hitoban.core.db.engine.connect() as conn:  # the ciphertexts too
        assert conn.execute(text("SELECT count(*) FROM drafts")).scalar_one() == 0
    assert dispatch_later(settings) == 0
    assert line.pushes() == []
    say(server, line, text_event(user, "預けた下書き見せて"))
    assert SECRET not in "\n".join(line.replies()[-1].texts())


def test_an_unsent_draft_under_review_is_forgotten(server: AppServer, line: LineStandIn) -> None:
    user = line_user_id()
    draft = text_event(user, f"これ送っていい？「{SECRET}」")
    say(server, line, draft)
    assert stored(server)[2].draft_text == SECRET
    server.post(payload(unsend_event(user, draft["message"]["id"])))
    server.settle()
    state = stored(server)[2]
    assert (state.draft_text, state.draft_reasons) == (None, [])
    say(server, line, postback_event(user, "hold:morning"))  # the button under the old nudge
    assert stored(server)[:2] == (0, 0)  # nothing left to hold


def test_a_draft_held_in_the_message_that_gave_it_goes_even_in_standby(
    server: AppServer, line: LineStandIn, settings: Settings
) -> None:
    """Unsending is the user's wish about their own words: honoured while another channel owns
    the chat too, and still without a word."""
    user = line_user_id()
    draft = text_event(user, f"明日の朝これ送りたいから預かっといて「{SECRET}」")
    say(server, line, draft)
    assert stored(server)[:2] == (1, 1)
    sent = len(line.requests)
    unsend = {**unsend_event(user, draft["message"]["id"]), "mode": "standby"}
    assert server.post(payload(unsend)).status_code == 200
    server.settle()
    assert len(line.requests) == sent
    assert stored(server)[:2] == (0, 0) and stored(server)[2].held_text is None
    assert dispatch_later(settings) == 0


def test_unsending_another_message_keeps_the_held_draft(
    server: AppServer, line: LineStandIn, settings: Settings
) -> None:
    user = line_user_id()
    hello = text_event(user, "こんにちは")
    say(server, line, hello)
    say(server, line, text_event(user, f"下書き：{SECRET}"))
    say(server, line, postback_event(user, "hold:morning"))
    server.post(payload(unsend_event(user, hello["message"]["id"])))
    server.post(payload(unsend_event(line_user_id(), "123456789")))  # someone else's message
    server.settle()
    assert stored(server)[:2] == (1, 1)
    assert dispatch_later(settings) == 1
    assert SECRET in line.pushes()[0].texts()
