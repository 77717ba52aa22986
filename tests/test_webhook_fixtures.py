"""Every webhook body LINE's own SDKs test with, replayed through the real app over HTTP against
the stand-in LINE API: each body is accepted, every 1:1 message is answered, nothing else is."""

from __future__ import annotations

import json

import pytest
from linebot.v3.webhooks import Event
from sqlalchemy import select

from bot.sim.standin import LineStandIn
from bot.store.models import ConversationState, User
from tests.helpers import AppServer, follow_event, metric, payload, postback_event, text_event
from tests.webhook_fixtures import FIXTURES, fixture_files, freshen, line_user_id


def replay(
    server: AppServer, line: LineStandIn, names: list[str] | None = None
) -> list[tuple[str, int, list]]:
    """Post each body with reply tokens the stand-in issued now (they expire as LINE's do)."""
    files = fixture_files() if names is None else [FIXTURES / n for n in names]
    replayed = []
    for path in files:
        body, sent = freshen(json.loads(path.read_text()), line.issue_reply_token)
        replayed.append((path.name, server.post(body).status_code, sent))
    server.settle(timeout=120)
    return replayed


def test_every_fixture_body_is_accepted_and_every_1to1_message_answered(
    server: AppServer, line: LineStandIn
) -> None:
    replayed = replay(server, line)
    assert [name for name, status, _ in replayed if status != 200] == []
    answered = {r.json["replyToken"] for r in line.replies()}
    owed = [(name, e) for name, _, sent in replayed for e in sent if e.owed_an_answer]
    assert len(owed) >= 70, "the fixtures hold 77 one-to-one messages in active mode"
    assert [name for name, e in owed if e.reply_token not in answered] == []
    # Groups, rooms and standby get nothing, and LINE refused nothing the bot sent.
    silent = {e.reply_token for _, _, sent in replayed for e in sent
              if e.reply_token and (not e.one_to_one or e.mode == "standby")}  # fmt: skip
    assert silent and not silent & answered
    assert [(r.path, r.status) for r in line.requests if r.status >= 400] == []


def test_a_good_event_beside_one_the_sdk_rejects_is_answered(
    server: AppServer, line: LineStandIn
) -> None:
    """The body the old parser refused whole: a follow in its pre-2024 shape (no `follow`
    detail) beside a text message in today's shape."""
    follow = json.loads((FIXTURES / "go__12_follow.json").read_text())["events"][0]
    text = json.loads((FIXTURES / "rb__minimum_text_MessageEvent.json").read_text())["events"][0]
    Event.from_dict(text)  # the SDK models the text, and rejects the follow:
    with pytest.raises(ValueError):  # (pydantic v1's validation errors are ValueErrors)
        Event.from_dict(follow)
    body, _ = freshen(
        {"destination": "Ubot", "events": [text, follow]}, iter(["t1", "f1"]).__next__
    )
    assert server.post(body).status_code == 200
    assert line.wait_for(lambda s: {r.json["replyToken"] for r in s.replies()} == {"t1", "f1"})


def test_standby_events_get_no_message_and_change_nothing(
    server: AppServer, line: LineStandIn, core
) -> None:
    """In standby another channel owns the chat: the bot reads along but says nothing and
    keeps no state of it."""
    user = line_user_id()
    server.post(payload(text_event(user, "こんにちは")))
    server.settle()
    state = saved_state(core, user)
    sent_before = len(line.requests)
    skipped = metric(server.url, "hitoban_events_skipped_total", reason="standby")
    standby = [{**e, "mode": "standby"} for e in (
        text_event(user, "もう死にたい"), text_event(user, "下書き：会いたい"),
        postback_event(user, "hold:morning"), follow_event(user),
    )]  # fmt: skip
    for event in standby:
        event.pop("replyToken", None)  # (LINE sends none in standby)
    assert server.post(payload(*standby)).status_code == 200
    fixture = replay(server, line, ["go__27_message_text.json"])  # one with a token all the same
    assert fixture[0][1] == 200
    server.settle()
    assert len(line.requests) == sent_before
    assert saved_state(core, user) == state
    after = metric(server.url, "hitoban_events_skipped_total", reason="standby")
    assert after == skipped + 5


def saved_state(core, user: str) -> tuple[str, int]:
    with core.db.session() as s:
        row = s.execute(
            select(ConversationState.data, ConversationState.version)
            .join(User, User.id == ConversationState.user_id)
            .where(User.line_user_id == user)
        ).one()
    return row.data, row.version
