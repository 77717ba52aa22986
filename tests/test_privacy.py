"""People's most private words: encrypted at rest with BOT_DATA_KEY, erased on request on
both databases, never in logs."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import func, select, text

from bot.config import Settings
from bot.conversation import Conversations, Inbound
from bot.dialogue.types import PostbackIn, TextIn
from bot.store import repo
from bot.store.db import Database
from bot.store.models import ConversationState, Draft, Reminder, SeenEvent, User
from bot.wiring import build_core
from tests.helpers import REPO

SECRET_DRAFT = "なんで返事くれないの？ずっと待ってる。ひみつのことば"
NIGHT = datetime(2026, 11, 19, 16, 40, tzinfo=UTC)  # 01:40 in Tokyo


def hold(conversations: Conversations, user: str = "Upriv") -> None:
    conversations.handle(user, TextIn(f"下書き：{SECRET_DRAFT}"), NIGHT, f"01{user}-1")
    conversations.handle(
        user, PostbackIn("hold:morning"), NIGHT + timedelta(minutes=1), f"01{user}-2"
    )


def raw(db: Database, sql: str) -> list:
    with db.engine.connect() as conn:
        return [r[0] for r in conn.execute(text(sql))]


def core_for(database_url: str, key: str | None):
    return build_core(Settings(database_url=database_url, bot_data_key=key, _env_file=None))


def test_drafts_and_state_are_encrypted_at_rest(database_url: str) -> None:
    core = core_for(database_url, Fernet.generate_key().decode())
    hold(core.conversations)
    stored = raw(core.db, "SELECT text FROM drafts") + raw(
        core.db, "SELECT data FROM conversation_states"
    )
    assert stored and all(v.startswith("fernet:") for v in stored)
    assert not any("ひみつのことば" in v for v in stored)
    with core.db.session() as s:
        assert s.execute(select(Draft.text)).scalar_one() == SECRET_DRAFT
        due = repo.claim_due(s, NIGHT + timedelta(days=1), timedelta(minutes=2))
    assert due[0].draft_text == SECRET_DRAFT
    core.close()


def test_the_webhook_path_stores_events_and_state_encrypted(database_url: str) -> None:
    """The inbox row waits encrypted until drained, and the drain saves the state encrypted."""
    core = core_for(database_url, Fernet.generate_key().decode())
    event = Inbound("Uinbox", "01INBOX", int(NIGHT.timestamp() * 1000), "token",
                    TextIn(f"下書き：{SECRET_DRAFT}"))  # fmt: skip
    core.conversations.enqueue([event], NIGHT)
    [payload] = raw(core.db, "SELECT payload FROM inbox")
    assert payload.startswith("fernet:") and "ひみつのことば" not in payload
    [drained] = core.conversations.drain(["Uinbox"])
    assert drained is not None and drained.outcome is not None
    assert drained.outcome.state.draft_text == SECRET_DRAFT  # read back through the key
    [state] = raw(core.db, "SELECT data FROM conversation_states")
    assert state.startswith("fernet:") and "ひみつのことば" not in state
    assert raw(core.db, "SELECT payload FROM inbox") == []
    core.close()


def test_without_a_key_nothing_is_encrypted_and_a_key_can_be_added_later(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    core = core_for(url, None)
    hold(core.conversations)
    assert raw(core.db, "SELECT text FROM drafts") == [SECRET_DRAFT]
    core.close()
    key = Fernet.generate_key().decode()
    db = Database(url, key)
    with db.session() as s:  # old plaintext rows still read with a key set...
        assert s.execute(select(Draft.text)).scalar_one() == SECRET_DRAFT
        repo.reencrypt_all(s)  # ...and rotate-key encrypts them
    assert raw(db, "SELECT text FROM drafts")[0].startswith("fernet:")
    db.dispose()


def test_key_rotation_with_the_command_line(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'rotate.db'}"
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    core = core_for(url, old)
    hold(core.conversations)
    core.close()
    env = {**os.environ, "DATABASE_URL": url, "BOT_DATA_KEY": f"{new},{old}"}
    r = subprocess.run([sys.executable, "-m", "bot", "rotate-key"], env=env, cwd=REPO,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 0, r.stderr
    only_new = Database(url, new)
    with only_new.session() as s:
        assert s.execute(select(Draft.text)).scalar_one() == SECRET_DRAFT
    only_new.dispose()
    only_old = Database(url, old)
    with pytest.raises(InvalidToken), only_old.session() as s:
        s.execute(select(Draft.text)).scalar_one()
    only_old.dispose()


def test_a_bad_key_is_one_clear_line(tmp_path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}", "BOT_DATA_KEY": "nope"}
    r = subprocess.run([sys.executable, "-m", "bot", "chat"], env=env, cwd=REPO, input="",
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 2 and "BOT_DATA_KEY" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("how", ["delete_data", "unfollow"])
def test_erasure_removes_everything_about_the_user(database_url: str, how: str) -> None:
    core = core_for(database_url, None)
    hold(core.conversations, "Ugone")
    hold(core.conversations, "Ukeep")
    if how == "unfollow":
        unfollow = Inbound("Ugone", "01GONE", int(NIGHT.timestamp() * 1000) + 3_600_000, None, None)
        core.conversations.enqueue([unfollow], NIGHT + timedelta(hours=1))
        assert core.conversations.drain(["Ugone"]) != [None]
    else:
        core.conversations.handle("Ugone", TextIn("データを全部消して"), NIGHT + timedelta(hours=1))
        core.conversations.handle("Ugone", PostbackIn("erase:yes"), NIGHT + timedelta(hours=1))
    with core.db.session() as s:
        assert repo.find_user(s, "Ugone") is None
        for model in (User, ConversationState, Draft):
            assert s.execute(select(func.count()).select_from(model)).scalar_one() >= 1
        assert s.execute(select(func.count()).select_from(Reminder)).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(SeenEvent)).scalar_one() >= 1
    core.close()


def test_reminder_path_logs_no_draft_text_or_user_id(settings, line, caplog) -> None:
    from tests.test_wait_a_night import dispatch

    caplog.set_level(logging.DEBUG)
    core = build_core(settings)
    hold(core.conversations, "Ulogsecret0123456789")
    core.close()
    line.fail_next("/v2/bot/message/push", 500)
    dispatch(settings, NIGHT + timedelta(days=1))
    dispatch(settings, NIGHT + timedelta(days=1, minutes=5))
    assert len(line.pushes()) == 1
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "reminder" in logged
    assert "ひみつのことば" not in logged and "Ulogsecret0123456789" not in logged
