"""Replies rendered as SDK models stay inside LINE's limits: checked by the stand-in, which
rejects what LINE rejects, through the real SDK client."""

from __future__ import annotations

import asyncio
import itertools

from bot.dialogue.types import Card, Choice, Text
from bot.line.client import Messenger, SendResult
from bot.line.render import split_text, to_messages, to_payload, utf16_len
from bot.sim.standin import LineStandIn
from tests.helpers import TOKEN

TOKENS = itertools.count()


def send(line: LineStandIn, messages: list) -> SendResult:
    async def go() -> SendResult:
        messenger = Messenger(line.base_url, TOKEN)
        await messenger.start()
        try:
            return await messenger.reply(f"tok-{next(TOKENS)}", messages)
        finally:
            await messenger.close()

    return asyncio.run(go())


def test_long_text_is_split_at_5000_utf16_units_without_breaking_emoji() -> None:
    text = "あ" * 4999 + "😭" + "い" * 10
    chunks = split_text(text)
    assert "".join(chunks) == text
    assert all(utf16_len(c) <= 5000 for c in chunks)
    assert chunks[0].endswith("あ") and chunks[1].startswith("😭")


def test_split_prefers_a_line_break() -> None:
    text = "a" * 3000 + "\n" + "b" * 3000
    assert split_text(text) == ["a" * 3000 + "\n", "b" * 3000]


def test_oversized_reply_is_accepted_by_line(line: LineStandIn) -> None:
    choices = [
        Choice(label=f"とても長いボタンのラベルです番号{n}", text=f"選択{n}") for n in range(20)
    ]
    replies = [
        Text("😭" * 6000),
        Card("見出し", "本文", (Choice("朝", data="x" * 10),)),
        Text("おわり"),
    ]
    messages = to_messages(replies, choices)
    assert len(messages) == 5
    assert send(line, messages) is SendResult.OK
    sent = line.replies()[0].json["messages"]
    items = sent[-1]["quickReply"]["items"]
    assert len(items) == 13 and all(len(i["action"]["label"]) <= 20 for i in items)


def test_postback_data_over_300_is_dropped_not_sent(line: LineStandIn) -> None:
    messages = to_messages([Text("hi")], [Choice("ok", data="d" * 301), Choice("fine", data="d")])
    items = messages[0].quick_reply.items
    assert [i.action.label for i in items] == ["fine"]
    assert send(line, messages) is SendResult.OK


def test_card_is_a_flex_bubble_with_alt_text(line: LineStandIn) -> None:
    messages = to_messages([Card("冷却期間", "最低でも1ヶ月。", (Choice("次へ", data="card:x"),))])
    assert send(line, messages) is SendResult.OK
    sent = line.replies()[0].json["messages"][0]
    assert sent["type"] == "flex" and "冷却期間" in sent["altText"]


def test_expired_token_is_rejected_not_raised(line: LineStandIn) -> None:
    line.fail_next("/v2/bot/message/reply", 400, message="Invalid reply token")
    assert send(line, to_messages([Text("hi")])) is SendResult.EXPIRED


def test_cached_card_is_not_changed_by_a_reply_that_adds_quick_replies() -> None:
    """Cards are rendered once and shared: one reply's menu must not stick to the next one."""
    card = Card("冷却期間", "まずは距離を置こう。", ())
    with_menu = to_messages([card], [Choice("もっと知りたい", text="もっと")])
    without = to_messages([card])
    assert with_menu[-1].quick_reply is not None
    assert without[-1].quick_reply is None


def test_payload_is_what_the_sdk_models_serialize_to_and_line_accepts(line: LineStandIn) -> None:
    """The reply path sends `to_payload` (cached JSON); it must equal the SDK's own to_dict()
    of `to_messages`, for every shape of reply, and pass LINE's checks."""
    card = Card("見出し", "本文", (Choice("朝", data="hold:morning"), Choice("次", text="次")))
    cases = [
        ([Text("こんにちは")], []),
        ([Text("こんにちは")], [Choice("使い方", text="使い方"), Choice("朝", data="a=1")]),
        ([card], []),
        ([Text("まず"), card], [Choice("日時", data="pick", pick_datetime=True)]),
        ([Text("😭" * 6000), card, Text("a"), Text("b"), Text("c")], [Choice("x" * 30)]),
        (
            [Text("返すね")],  # a returned draft's menu, and labels and texts over the limits
            [
                Choice("送った", data="outcome:7:sent", display_text="送った"),
                Choice("長" * 25, data="y", display_text="表" * 400),
                Choice("消える", data="d" * 301),
                Choice("空", data="z", display_text=""),
            ],
        ),
        ([Text("多い")], [Choice(f"選択{n}", text=f"選択{n}") for n in range(20)]),
    ]
    for replies, choices in cases * 2:  # twice: the second time from the caches
        payload = to_payload(replies, choices)
        assert payload == [m.to_dict() for m in to_messages(replies, choices)]
        assert send(line, payload) is SendResult.OK
    assert to_payload([card]) == [to_messages([card])[0].to_dict()]  # no menu left behind
    assert len(line.replies()) == len(cases) * 2


def test_replies_go_through_the_proxy_the_environment_names(line: LineStandIn, monkeypatch) -> None:
    """The proxy is read once at start (not per request): an operator's HTTPS_PROXY/HTTP_PROXY
    still carries every call, and NO_PROXY still exempts a host."""
    monkeypatch.setenv("HTTP_PROXY", line.base_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    unreachable = "http://api.line.invalid"  # resolvable only by going through the proxy

    async def go() -> SendResult:
        messenger = Messenger(unreachable, TOKEN)
        await messenger.start()
        try:
            return await messenger.reply("tok-proxy", to_messages([Text("届いた")]))
        finally:
            await messenger.close()

    assert asyncio.run(go()) is SendResult.OK
    assert line.replies()[0].texts() == ["届いた"]

    monkeypatch.setenv("NO_PROXY", "api.line.invalid")
    assert asyncio.run(go()) is SendResult.RETRY  # no proxy: the host does not resolve
    assert len(line.replies()) == 1
