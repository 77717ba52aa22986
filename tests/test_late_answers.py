"""Answers whose reply token no longer works (an event redelivered, or taken over late by the
sweep): a crisis answer is pushed however late, another answer only while the message is
recent, and nothing vanishes without being counted. Against the stand-in, which refuses an
expired token with LINE's 400 "Invalid reply token"."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from bot.conversation import Inbound
from bot.dialogue.types import TextIn
from bot.sim.standin import REPLY, LineStandIn
from bot.web.app import create_app
from bot.web.late import PUSH_WINDOW
from bot.wiring import build_core
from tests.conftest import make_settings
from tests.helpers import AppServer, metric, payload, text_event
from tests.webhook_fixtures import line_user_id, webhook_event_id

LATE = PUSH_WINDOW + timedelta(minutes=5)


def late_event(line: LineStandIn, user: str, text: str, ago: timedelta) -> dict:
    """A redelivery of a message sent `ago`, with the reply token LINE gave it then."""
    sent_at = time.time() - ago.total_seconds()
    return text_event(user, text, ts=int(sent_at * 1000), redelivery=True,
                      reply_token=line.issue_reply_token(issued_at=sent_at))  # fmt: skip


def refused_replies(line: LineStandIn) -> list[int]:
    return [r.status for r in line.requests if r.path == REPLY and r.status != 200]


def test_a_crisis_answer_is_pushed_however_late(server: AppServer, line: LineStandIn) -> None:
    pushed = metric(server.url, "hitoban_late_answers_total", kind="crisis", result="pushed")
    user = line_user_id()
    assert server.post(payload(late_event(line, user, "もう死にたい", LATE))).status_code == 200
    assert line.wait_for(lambda s: len(s.pushes()) == 1)
    [push] = line.pushes()
    assert push.json["to"] == user
    assert any("0120-279-338" in t for t in push.texts())
    assert refused_replies(line) == [400]  # the token was tried first
    after = metric(server.url, "hitoban_late_answers_total", kind="crisis", result="pushed")
    assert after == pushed + 1


def test_an_ordinary_answer_past_the_window_is_dropped_and_counted(
    server: AppServer, line: LineStandIn
) -> None:
    dropped = metric(server.url, "hitoban_late_answers_total", kind="ordinary", result="dropped")
    assert server.post(payload(late_event(line, line_user_id(), "使い方", LATE))).status_code == 200
    assert line.wait_for(lambda s: refused_replies(s) == [400])
    server.settle()
    assert line.pushes() == []
    after = metric(server.url, "hitoban_late_answers_total", kind="ordinary", result="dropped")
    assert after == dropped + 1


def test_a_redelivery_whose_token_still_works_is_answered_by_reply(
    server: AppServer, line: LineStandIn
) -> None:
    event = late_event(line, line_user_id(), "使い方", timedelta(seconds=5))
    assert server.post(payload(event)).status_code == 200
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    assert line.replies()[0].json["replyToken"] == event["replyToken"]
    server.settle()
    assert line.pushes() == [] and refused_replies(line) == []


def test_an_event_the_sweep_takes_over_late_is_answered_by_push(
    line: LineStandIn, tmp_path
) -> None:
    """A replica stored the event, answered LINE 200 and died; another replica's sweep takes it
    over two minutes on, after its token expired, within the window: the answer is pushed."""
    settings = make_settings(line, f"sqlite:///{tmp_path / 'sweep.db'}", inbox_sweep_seconds=0.2)
    core = build_core(settings)
    user, ago = line_user_id(), timedelta(minutes=2)
    then = datetime.now(UTC) - ago
    token = line.issue_reply_token(issued_at=then.timestamp())
    orphan = Inbound(
        user, webhook_event_id(), int(then.timestamp() * 1000), token, TextIn("使い方")
    )
    core.conversations.enqueue([orphan], then)
    labels = {"kind": "ordinary", "result": "pushed"}
    pushed = REGISTRY.get_sample_value("hitoban_late_answers_total", labels) or 0.0
    server = AppServer(create_app(settings, core=core, dispatcher=False)).start()
    try:
        assert line.wait_for(lambda s: len(s.pushes()) == 1, timeout=10)
        [push] = line.pushes()
        assert push.json["to"] == user and "できること" in push.texts()[0]
        assert refused_replies(line) == [400]
        assert metric(server.url, "hitoban_late_answers_total", **labels) == pushed + 1
    finally:
        server.stop()
        core.close()
