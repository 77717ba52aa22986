"""The stand-in must reject what LINE rejects, as seen through the real line-bot-sdk v3 client.

Cases the SDK already refuses client-side (6 messages, 14 quick reply items) go over raw aiohttp,
because the bot may build requests the SDK's models do not check, and the stand-in must catch them.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    MessageAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)

from bot.sim.standin import LineStandIn

TOKEN = "test-token"


@pytest.fixture
def line() -> Iterator[LineStandIn]:
    with LineStandIn(TOKEN) as standin:
        yield standin


@asynccontextmanager
async def messaging(line: LineStandIn, token: str = TOKEN) -> AsyncIterator[AsyncMessagingApi]:
    """The SDK client, created inside the running loop as the bot must create it."""
    async with AsyncApiClient(Configuration(host=line.base_url, access_token=token)) as client:
        yield AsyncMessagingApi(client)


async def post_raw(line: LineStandIn, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    """POST a body the SDK's models would refuse to build."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(line.base_url + path, json=body, headers=headers) as resp,
    ):
        return resp.status, await resp.json()


def text(s: str) -> TextMessage:
    return TextMessage(text=s)


def reply(token: str, *messages: TextMessage | str) -> ReplyMessageRequest:
    msgs = [text(m) if isinstance(m, str) else m for m in messages]
    return ReplyMessageRequest(reply_token=token, messages=msgs)


def push(s: str = "おはよう") -> PushMessageRequest:
    return PushMessageRequest(to="U1", messages=[text(s)])


def loading(seconds: int) -> ShowLoadingAnimationRequest:
    return ShowLoadingAnimationRequest(chat_id="U1", loading_seconds=seconds)


async def api_error(awaitable: Any) -> ApiException:
    with pytest.raises(ApiException) as info:
        await awaitable
    return info.value


@pytest.mark.asyncio
async def test_reply_is_accepted_and_recorded(line: LineStandIn) -> None:
    async with messaging(line) as api:
        resp = await api.reply_message_with_http_info(reply("rt1", "a", "b"))
    assert resp.status_code == 200
    assert resp.headers["x-line-request-id"]
    assert [m.id.isdigit() for m in resp.data.sent_messages] == [True, True]
    [sent] = line.replies()
    assert sent.texts() == ["a", "b"]
    assert sent.json["replyToken"] == "rt1"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.asyncio
async def test_reply_token_is_single_use(line: LineStandIn) -> None:
    async with messaging(line) as api:
        await api.reply_message(reply("rt", "once"))
        err = await api_error(api.reply_message(reply("rt", "twice")))
    assert err.status == 400
    assert json.loads(err.body)["message"] == "Invalid reply token"
    assert len(line.replies()) == 1 and len(line.requests) == 2


@pytest.mark.asyncio
async def test_an_expired_reply_token_is_refused_as_used_ones_are(line: LineStandIn) -> None:
    fresh = line.issue_reply_token()
    stale = line.issue_reply_token(issued_at=time.time() - 90)  # past LINE's minute
    async with messaging(line) as api:
        await api.reply_message(reply(fresh, "in time"))
        err = await api_error(api.reply_message(reply(stale, "too late")))
    assert err.status == 400
    assert json.loads(err.body)["message"] == "Invalid reply token"
    assert [r.json["replyToken"] for r in line.replies()] == [fresh]


@pytest.mark.asyncio
async def test_six_messages_are_rejected(line: LineStandIn) -> None:
    messages = [{"type": "text", "text": str(i)} for i in range(6)]
    status, body = await post_raw(
        line, "/v2/bot/message/reply", {"replyToken": "rt", "messages": messages}
    )
    assert status == 400
    assert body["details"] == [{"message": "Size must be between 1 and 5", "property": "messages"}]
    assert line.replies() == []


@pytest.mark.asyncio
async def test_text_length_counts_utf16_units(line: LineStandIn) -> None:
    fits = "😀" * 2500  # 2500 characters, 5000 UTF-16 units
    assert len(fits) == 2500
    async with messaging(line) as api:
        await api.reply_message(reply("ok", fits))
        err = await api_error(api.reply_message(reply("long", fits + "a")))
    assert err.status == 400
    assert json.loads(err.body)["details"][0]["property"] == "messages[0].text"
    assert [r.json["replyToken"] for r in line.replies()] == ["ok"]


@pytest.mark.asyncio
async def test_fourteen_quick_reply_items_are_rejected(line: LineStandIn) -> None:
    item = {"type": "action", "action": {"type": "message", "label": "はい", "text": "はい"}}
    message = {"type": "text", "text": "選んで", "quickReply": {"items": [item] * 14}}
    status, body = await post_raw(
        line, "/v2/bot/message/reply", {"replyToken": "rt", "messages": [message]}
    )
    assert status == 400
    assert body["details"][0]["property"] == "messages[0].quickReply.items"


@pytest.mark.asyncio
async def test_quick_reply_label_over_20_chars_is_rejected(line: LineStandIn) -> None:
    def with_label(label: str) -> TextMessage:
        action = MessageAction(label=label, text="ok")
        return TextMessage(
            text="選んで", quick_reply=QuickReply(items=[QuickReplyItem(action=action)])
        )

    async with messaging(line) as api:
        await api.reply_message(reply("20", with_label("あ" * 20)))
        err = await api_error(api.reply_message(reply("21", with_label("あ" * 21))))
    assert err.status == 400
    [detail] = json.loads(err.body)["details"]
    assert detail["property"] == "messages[0].quickReply.items[0].action.label"


@pytest.mark.asyncio
async def test_flex_button_postback_data_is_checked(line: LineStandIn) -> None:
    button = {"type": "button", "action": {"type": "postback", "label": "朝に", "data": "x" * 301}}
    footer = {"type": "box", "layout": "vertical", "contents": [button]}
    flex = {"type": "flex", "altText": "下書き", "contents": {"type": "bubble", "footer": footer}}
    status, body = await post_raw(line, "/v2/bot/message/push", {"to": "U1", "messages": [flex]})
    assert status == 400
    assert body["details"][0]["property"] == "messages[0].contents.footer.contents[0].action.data"


@pytest.mark.asyncio
async def test_push_retry_key_is_accepted_once(line: LineStandIn) -> None:
    key = str(uuid.uuid4())
    request = push()
    async with messaging(line) as api:
        first = await api.push_message_with_http_info(request, x_line_retry_key=key)
        err = await api_error(api.push_message(request, x_line_retry_key=key))
    assert err.status == 409
    assert json.loads(err.body)["message"] == "The retry key is already accepted"
    assert err.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    [sent] = line.pushes()
    assert sent.headers["x-line-retry-key"] == key and sent.texts() == ["おはよう"]


@pytest.mark.asyncio
async def test_failed_push_does_not_consume_retry_key(line: LineStandIn) -> None:
    key = str(uuid.uuid4())
    line.fail_next("/v2/bot/message/push", 500)
    request = push()
    async with messaging(line) as api:
        err = await api_error(api.push_message(request, x_line_retry_key=key))
        await api.push_message(request, x_line_retry_key=key)
    assert err.status == 500 and json.loads(err.body) == {"message": "injected"}
    assert [r.status for r in line.requests] == [500, 200]
    assert len(line.pushes()) == 1


@pytest.mark.asyncio
async def test_push_retry_key_must_be_a_uuid(line: LineStandIn) -> None:
    async with messaging(line) as api:
        err = await api_error(api.push_message(push(), x_line_retry_key="not-a-uuid"))
    assert err.status == 400


@pytest.mark.asyncio
async def test_monthly_limit_answers_429(line: LineStandIn) -> None:
    line.monthly_limit()
    async with messaging(line) as api:
        err = await api_error(api.push_message(push(), x_line_retry_key=str(uuid.uuid4())))
    assert err.status == 429
    assert json.loads(err.body)["message"] == "You have reached your monthly limit."
    assert line.pushes() == []


@pytest.mark.asyncio
async def test_loading_seconds_must_be_a_multiple_of_5(line: LineStandIn) -> None:
    async with messaging(line) as api:
        err = await api_error(api.show_loading_animation(loading(7)))
        ok = await api.show_loading_animation_with_http_info(loading(20))
    assert err.status == 400
    assert ok.status_code == 202
    assert [r.json["loadingSeconds"] for r in line.loadings()] == [20]


@pytest.mark.asyncio
async def test_wrong_bearer_is_401(line: LineStandIn) -> None:
    async with messaging(line, token="wrong") as api:
        err = await api_error(api.reply_message(reply("rt", "x")))
    assert err.status == 401
    assert line.replies() == [] and line.requests[0].status == 401


def test_sync_use_raw_errors_delay_and_wait_for(line: LineStandIn) -> None:
    """Sync callers (and bot subprocesses) can use it too: it runs on its own thread."""

    def post(path: str, data: bytes) -> int:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        req = urllib.request.Request(line.base_url + path, data=data, headers=auth)
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as e:
            return e.code

    assert post("/v2/bot/unknown", b"{}") == 404
    assert post("/v2/bot/message/reply", b"not json") == 400
    line.set_delay("/v2/bot/chat/loading/start", 0.3)
    started = time.monotonic()
    assert post("/v2/bot/chat/loading/start", b'{"chatId": "U1"}') == 202
    assert time.monotonic() - started >= 0.3
    assert line.wait_for(lambda s: len(s.loadings()) == 1, timeout=1)
    assert not line.wait_for(lambda s: len(s.pushes()) == 1, timeout=0.1)
    line.reset()
    assert line.requests == []


def test_quota_endpoints_count_accepted_pushes(line: LineStandIn) -> None:
    import httpx

    auth = {"authorization": f"Bearer {TOKEN}"}
    body = {"to": "U1", "messages": [{"type": "text", "text": "hi"}]}
    assert httpx.post(line.base_url + "/v2/bot/message/push", json=body, headers=auth).is_success
    quota = httpx.get(line.base_url + "/v2/bot/message/quota", headers=auth).json()
    used = httpx.get(line.base_url + "/v2/bot/message/quota/consumption", headers=auth).json()
    assert quota == {"type": "limited", "value": 200}
    assert used == {"totalUsage": 1}


def picker_reply(token: str, **bounds: str) -> dict[str, Any]:
    action = {"type": "datetimepicker", "label": "日時", "data": "pick", "mode": "datetime",
              **bounds}  # fmt: skip
    item = {"type": "action", "action": action}
    return {"replyToken": token, "messages": [{"type": "text", "text": "いつ?",
                                               "quickReply": {"items": [item]}}]}  # fmt: skip


@pytest.mark.asyncio
async def test_picker_bounds_are_checked_as_line_does(line: LineStandIn) -> None:
    good = {"initial": "2026-11-21T08:00", "min": "2026-11-20T01:41", "max": "2026-12-20T01:40"}
    assert (await post_raw(line, "/v2/bot/message/reply", picker_reply("p1", **good)))[0] == 200
    bad = [
        {**good, "initial": "2026-11-21 08:00"},  # not LINE's format
        {**good, "min": "2026-11-21T08:00:00"},
        {**good, "initial": "2026-11-20T01:00"},  # before min
        {**good, "max": "2026-11-20T01:00", "initial": "2026-11-20T01:00"},  # max before min
    ]
    for n, bounds in enumerate(bad):
        status, body = await post_raw(
            line, "/v2/bot/message/reply", picker_reply(f"b{n}", **bounds)
        )
        assert status == 400, bounds
        assert "quickReply.items[0].action" in body["details"][0]["property"]


@pytest.mark.asyncio
async def test_keyboard_fill_in_text_is_limited_to_300(line: LineStandIn) -> None:
    def body(token: str, option: str, fill: str) -> dict[str, Any]:
        action = {"type": "postback", "label": "書き直す", "data": "draft:rewrite",
                  "inputOption": option, "fillInText": fill}  # fmt: skip
        return {"replyToken": token, "messages": [{"type": "text", "text": "どうする?",
                "quickReply": {"items": [{"type": "action", "action": action}]}}]}  # fmt: skip

    assert (await post_raw(line, "/v2/bot/message/reply", body("k1", "openKeyboard", "あ" * 300)))[
        0
    ] == 200
    assert (await post_raw(line, "/v2/bot/message/reply", body("k2", "openKeyboard", "あ" * 301)))[
        0
    ] == 400
    assert (await post_raw(line, "/v2/bot/message/reply", body("k3", "openKeypad", "あ")))[0] == 400


@pytest.mark.asyncio
async def test_quote_tokens_only_on_text_and_sticker_messages(line: LineStandIn) -> None:
    text_msg = {"type": "text", "text": "これ", "quoteToken": "q-1"}
    assert (await post_raw(line, "/v2/bot/message/push", {"to": "U1", "messages": [text_msg]}))[
        0
    ] == 200
    flex = {"type": "flex", "altText": "a", "contents": {"type": "bubble"}, "quoteToken": "q-1"}
    for bad in (flex, {**text_msg, "quoteToken": ""}, {**text_msg, "quoteToken": 7}):
        status, body = await post_raw(line, "/v2/bot/message/push", {"to": "U1", "messages": [bad]})
        assert status == 400 and body["details"][0]["property"] == "messages[0].quoteToken"
