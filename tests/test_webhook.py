"""The webhook over real HTTP against the stand-in LINE API: what LINE (and an attacker) sends."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
from sqlalchemy import func, select

from bot.sim.standin import LineStandIn
from bot.store.models import ConversationState, SeenEvent, User
from bot.web.app import create_app
from tests.conftest import make_settings
from tests.helpers import (
    AppServer,
    follow_event,
    gather_posts,
    metric,
    now_ms,
    payload,
    sign,
    sticker_event,
    text_event,
    unfollow_event,
)


def count(core, model) -> int:
    with core.db.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_missing_signature_is_400_with_reason(server: AppServer, line: LineStandIn) -> None:
    r = server.post(payload(text_event("U1", "こんにちは")), signature=None)
    assert r.status_code == 400
    assert "X-Line-Signature" in r.json()["error"]
    assert line.requests == []


def test_wrong_signature_is_400_and_nothing_happens(server: AppServer, line, core) -> None:
    body = payload(text_event("U1", "こんにちは"))
    r = server.post(body, signature=sign(body, "another-secret"))
    assert r.status_code == 400
    assert "signature" in r.json()["error"]
    r = server.post(body + b" ", signature=sign(body))  # body changed after signing
    assert r.status_code == 400
    server.settle()
    assert line.requests == [] and count(core, User) == 0


def test_signed_garbage_is_400(server: AppServer) -> None:
    for body in (b"{not json", b"[]", b'{"events": 5}', b'{"destination": "U"}',
                 "\udcff".encode("utf-8", "surrogatepass")):  # fmt: skip
        r = server.post(body)
        assert r.status_code == 400, body
        assert r.json()["error"]


def test_unreadable_events_in_a_payload_are_200_skipped_and_counted(server: AppServer,
                                                                     line: LineStandIn) -> None:  # fmt: skip
    """A payload is answered 200 whatever its events: LINE would only send a 400'd body again.
    What cannot be read is skipped and counted by reason."""
    before = metric(server.url, "hitoban_events_skipped_total", reason="malformed")
    bodies = (b'{"events": [{"type": "message"}]}', b'{"destination": "U", "events": [42]}',
              payload({**text_event("U1", "x"), "timestamp": "yesterday"}))  # fmt: skip
    for body in bodies:
        assert server.post(body).status_code == 200, body
    server.settle()
    assert line.requests == []
    after = metric(server.url, "hitoban_events_skipped_total", reason="malformed")
    assert after == before + 2  # ({"type": "message"} has no source: not one-to-one)


def test_body_over_1_mib_is_413(server: AppServer) -> None:
    body = payload(text_event("U1", "あ" * 400_000))
    assert len(body) > 1024 * 1024
    assert server.post(body).status_code == 413


def test_verify_button_empty_events_is_200(server: AppServer, line: LineStandIn) -> None:
    r = server.post(b'{"destination":"Ubot","events":[]}')
    assert r.status_code == 200
    assert server.post(b'{"events": []}').status_code == 200
    assert line.requests == []


def test_unknown_event_type_is_200_and_ignored(server: AppServer, line: LineStandIn) -> None:
    event = text_event("U1", "x")
    event["type"] = "somethingNew"
    del event["message"]
    join = {**text_event("U1", "x"), "type": "join", "source": {"type": "group", "groupId": "G1"}}
    del join["message"]
    assert server.post(payload(event, join)).status_code == 200
    server.settle()
    assert line.requests == []


def test_follow_gets_welcome_with_quick_replies(server: AppServer, line: LineStandIn) -> None:
    assert server.post(payload(follow_event("Ufollow"))).status_code == 200
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    reply = line.replies()[0]
    assert "一晩" in reply.texts()[0]
    items = reply.json["messages"][-1]["quickReply"]["items"]
    assert 2 <= len(items) <= 13
    assert any("断られた" in i["action"]["label"] for i in items)


def test_unfollow_erases_the_user(server: AppServer, line: LineStandIn, core) -> None:
    server.post(payload(text_event("Ugone", "こんにちは")))
    server.settle()
    assert count(core, User) == 1 and count(core, ConversationState) == 1
    assert server.post(payload(unfollow_event("Ugone"))).status_code == 200
    server.settle()
    assert count(core, User) == 0 and count(core, ConversationState) == 0


def test_sticker_gets_kind_request_for_words(server: AppServer, line: LineStandIn) -> None:
    server.post(payload(sticker_event("Usticker")))
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    assert "文字" in line.replies()[0].texts()[0]


def test_5000_character_message_is_answered(server: AppServer, line: LineStandIn) -> None:
    r = server.post(payload(text_event("Ulong", "つらい" * 1666 + "ね")))
    assert r.status_code == 200
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    assert all(req.status == 200 for req in line.requests)


def test_same_event_twice_is_handled_once(server: AppServer, line: LineStandIn, core) -> None:
    dups_before = metric(server.url, "hitoban_duplicate_events_total")
    first = text_event("Udup", "こんにちは", event_id="01DUPLICATEEVENT000000000001")
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    assert server.post(payload(first)).status_code == 200
    server.settle()
    assert server.post(payload(again)).status_code == 200
    server.settle()
    assert len(line.replies()) == 1
    assert count(core, SeenEvent) == 1
    assert metric(server.url, "hitoban_duplicate_events_total") == dups_before + 1


def test_twenty_messages_at_once_all_answered_in_order(server: AppServer, line, core) -> None:
    base = now_ms()
    events = [text_event("Uburst", f"メッセージ{n}", ts=base + n, reply_token=f"burst-{n:02d}")
              for n in range(20)]  # fmt: skip
    statuses = asyncio.run(gather_posts(server.url, [payload(e) for e in events]))
    assert statuses == [200] * 20
    assert line.wait_for(lambda s: len(s.replies()) == 20, timeout=15)
    tokens = [r.json["replyToken"] for r in line.replies()]
    assert tokens == [f"burst-{n:02d}" for n in range(20)]
    assert all(r.status == 200 for r in line.requests)  # no reply token used twice
    with core.db.session() as s:
        state = s.execute(select(ConversationState)).scalar_one()
    assert json.loads(state.data)["turn"] == 20


def test_failed_reply_is_counted_and_the_next_one_goes_out(server: AppServer, line) -> None:
    failed = {"kind": "reply", "reason": "retry"}
    before = metric(server.url, "hitoban_messages_failed_total", **failed)
    line.fail_next("/v2/bot/message/reply", 500)
    server.post(payload(text_event("Ufail", "こんにちは")))
    assert line.wait_for(lambda s: len(s.requests) == 1)
    server.settle()
    server.post(payload(text_event("Ufail", "使い方")))
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    assert metric(server.url, "hitoban_messages_failed_total", **failed) == before + 1


def test_expired_reply_token_does_not_stop_the_worker(server: AppServer, line) -> None:
    line.fail_next("/v2/bot/message/reply", 400, message="Invalid reply token")
    server.post(payload(text_event("Uexp", "こんにちは"), text_event("Uexp", "使い方")))
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    assert "できること" in line.replies()[0].texts()[0]


def test_typing_indicator_only_when_a_reply_is_slow(line: LineStandIn, tmp_path) -> None:
    """A reply that beats the threshold comes alone; a slower one is preceded by LINE's
    loading animation for that user."""
    for after, user in ((5.0, "Ufast"), (0.0, "Uslow")):  # 0 s: every reply is "slow"
        settings = make_settings(line, f"sqlite:///{tmp_path / user}.db",
                                 loading_indicator_after_seconds=after)  # fmt: skip
        srv = AppServer(create_app(settings, dispatcher=False)).start()
        try:
            event = text_event(user, "もう一度やり直したい", reply_token=f"rt-{user}")
            assert srv.post(payload(event)).status_code == 200
            assert line.wait_for(lambda s, t=f"rt-{user}": t in {r.json["replyToken"]
                                                                for r in s.replies()})  # fmt: skip
        finally:
            srv.stop()
    assert [r.json for r in line.loadings()] == [{"chatId": "Uslow", "loadingSeconds": 20}]
    slow = [r.path for r in line.requests if r.path != "/v2/bot/message/reply"
            or r.json["replyToken"] == "rt-Uslow"]  # fmt: skip
    assert slow == ["/v2/bot/chat/loading/start", "/v2/bot/message/reply"]


def test_health_and_metrics(server: AppServer) -> None:
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    events = metric(server.url, "hitoban_events_total", type="message")
    handled = metric(server.url, "hitoban_event_handling_seconds_count")
    server.post(payload(text_event("Um", "やっほー")))
    server.settle()
    assert metric(server.url, "hitoban_events_total", type="message") == events + 1
    assert metric(server.url, "hitoban_event_handling_seconds_count") == handled + 1


def test_logs_carry_no_message_text_or_user_id(server: AppServer, line, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    line.fail_next("/v2/bot/message/reply", 500)
    secret_text = "ひみつのないしょばなし"
    server.post(payload(text_event("Uprivate0123456789", secret_text)))
    server.post(payload(follow_event("Uprivate0123456789")))
    server.settle()
    logged = "\n".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name.startswith("bot")
    )
    assert logged, "expected the failed reply to be logged"
    assert secret_text not in logged and "Uprivate0123456789" not in logged


def test_refusal_over_the_webhook_gets_a_flex_card_and_quick_replies(
    server: AppServer, line
) -> None:
    server.post(payload(text_event("Ucard", "復縁を申し込んだけど、元カノに断られた")))
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    messages = line.replies()[0].json["messages"]
    flex = [m for m in messages if m["type"] == "flex"]
    assert flex and "1ヶ月" in flex[0]["altText"]
    assert messages[-1]["quickReply"]["items"]
    assert any("1ヶ月" in t for t in line.replies()[0].texts())


def test_crisis_over_the_webhook_names_a_line_first(server: AppServer, line) -> None:
    server.post(payload(text_event("Ucrisis", "もう死にたい")))
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    assert "0120-279-338" in line.replies()[0].texts()[0]


def test_an_event_that_cannot_be_handled_fails_alone(server: AppServer, line, core) -> None:
    """One user's stored event that the engine cannot read (written by a newer version, say)
    must not hold up the others drained in the same batch, nor erase or lose anything."""
    from datetime import UTC, datetime

    from bot.store import repo
    from bot.store.models import InboxEvent

    with core.db.session() as s:
        repo.enqueue(s, [{"event_id": "01FUTUREKIND", "line_user_id": "Ufuture",
                          "timestamp_ms": now_ms(), "reply_token": "tok-future",
                          "payload": '{"kind": "voice-note"}'}], datetime.now(UTC))  # fmt: skip
    users = [f"Ubatch{n}" for n in range(8)]
    bodies = [payload(text_event(u, "こんにちは")) for u in users]
    bodies.insert(4, payload(text_event("Ufuture", "使い方")))
    assert asyncio.run(gather_posts(server.url, bodies)) == [200] * 9
    assert line.wait_for(lambda s: len(s.replies()) == 8, timeout=10)
    runtime = server.app.state.hitoban
    assert line.wait_for(lambda s: runtime.drains.busy == 0, timeout=10)
    answered = {r.json["replyToken"] for r in line.replies()}
    assert "tok-future" not in answered
    with core.db.session() as s:
        waiting = s.execute(select(InboxEvent.event_id, InboxEvent.line_user_id)).all()
    # Both of Ufuture's events wait (the later one behind the earlier, in order); nothing lost.
    assert sorted(w.line_user_id for w in waiting) == ["Ufuture", "Ufuture"]
    assert count(core, User) == 8  # Ufuture: rolled back whole, nothing half-written
