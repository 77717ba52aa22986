"""Engine replies → line-bot-sdk message models, within LINE's limits.

The SDK does not enforce all of LINE's limits, and a request LINE rejects loses the reply
token, so every limit is applied here: ≤ 5 messages, text ≤ 5000 UTF-16 units (split, never
cut), ≤ 13 quick-reply items, labels ≤ 20 characters, postback data ≤ 300 characters."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from linebot.v3.messaging import (
    DatetimePickerAction,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexText,
    Message,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from bot.dialogue.types import Card, Choice, Reply, Text

log = logging.getLogger(__name__)

MAX_MESSAGES = 5
MAX_TEXT_UTF16 = 5000
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20
MAX_DATA = 300
MAX_ALT_TEXT = 400
MAX_CARD_BUTTONS = 3
MAX_FILL_IN = 300  # postback fillInText
PICKER_FORMAT = "%Y-%m-%dT%H:%M"  # the datetime picker's initial/min/max, local time


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT_UTF16) -> list[str]:
    """Split into chunks of ≤ `limit` UTF-16 units, at a line break when one is near,
    never inside a surrogate pair."""
    chunks: list[str] = []
    while utf16_len(text) > limit:
        units, cut = 0, 0
        for i, ch in enumerate(text):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                cut = i
                break
        newline = text.rfind("\n", 0, cut)
        if newline > cut // 2:
            cut = newline + 1
        chunks.append(text[:cut])
        text = text[cut:]
    if text:
        chunks.append(text)
    return chunks


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _action(choice: Choice, label_limit: int = MAX_LABEL) -> object | None:
    label = clip(choice.label, label_limit)
    if choice.data is not None:
        if len(choice.data) > MAX_DATA:
            log.error("postback data over LINE's limit dropped", extra={"length": len(choice.data)})
            return None
        if choice.pick_datetime:
            return DatetimePickerAction(label=label, data=choice.data, mode="datetime",
                                        initial=choice.initial, min=choice.min, max=choice.max)  # fmt: skip
        display = clip(choice.display_text, MAX_DATA) if choice.display_text else None
        if (fill := _fill_in(choice)) is not None:
            return PostbackAction(label=label, data=choice.data, display_text=display,
                                  input_option="openKeyboard", fill_in_text=fill)  # fmt: skip
        return PostbackAction(label=label, data=choice.data, display_text=display)
    return MessageAction(label=label, text=clip(choice.text or choice.label, MAX_DATA))


def quick_reply(choices: Sequence[Choice]) -> QuickReply | None:
    return _quick_reply(tuple(choices))


# Menus and cards come from content, so the same few recur: building (validating) their SDK
# models once instead of on every reply is most of the render cost. The cached models are
# shared between replies and never modified.
@lru_cache(maxsize=1024)
def _quick_reply(choices: tuple[Choice, ...]) -> QuickReply | None:
    items = []
    for choice in choices[:MAX_QUICK_REPLIES]:
        action = _action(choice)
        if action is not None:
            items.append(QuickReplyItem(action=action))
    return QuickReply(items=items) if items else None


@lru_cache(maxsize=1024)
def _card(card: Card) -> FlexMessage:
    buttons = []
    for choice in card.buttons[:MAX_CARD_BUTTONS]:
        action = _action(choice, label_limit=40)
        if action is not None:
            buttons.append(FlexButton(action=action, style="link", height="sm"))
    bubble = FlexBubble(
        size="kilo",
        body=FlexBox(
            layout="vertical",
            spacing="md",
            contents=[
                FlexText(text=card.title, weight="bold", size="md", wrap=True),
                FlexText(text=card.body, size="sm", wrap=True, color="#444444"),
            ],
        ),
        footer=FlexBox(layout="vertical", contents=buttons) if buttons else None,
    )
    alt = clip(f"{card.title}\n{card.body}", MAX_ALT_TEXT)
    return FlexMessage(alt_text=alt, contents=bubble)


def _parts(replies: Sequence[Reply]) -> list[str | Text | Card]:
    """Each LINE message to send, in order (texts split at the limit), at most 5. A text that
    quotes the user's message is kept as a Text, its quote on the first part."""
    parts: list[str | Text | Card] = []
    for reply in replies:
        if isinstance(reply, Text):
            chunks: list[str | Text] = [chunk for chunk in split_text(reply.text) if chunk]
            if reply.quote_token and chunks:
                chunks[0] = Text(reply.text[: len(chunks[0])], reply.quote_token)
            parts += chunks
        elif isinstance(reply, Card):
            parts.append(reply)
    if len(parts) > MAX_MESSAGES:
        log.warning("reply trimmed to LINE's 5 messages", extra={"messages": len(parts)})
        parts = parts[:MAX_MESSAGES]
    return parts


def to_messages(replies: Sequence[Reply], choices: Sequence[Choice] = ()) -> list[Message]:
    """Render replies; quick replies go under the last message, where LINE shows them."""
    messages: list[Message] = [
        TextMessage(text=part) if isinstance(part, str)
        else TextMessage(text=part.text, quote_token=part.quote_token) if isinstance(part, Text)
        else _card(part)
        for part in _parts(replies)
    ]  # fmt: skip
    if messages and choices:
        # A shallow copy: the last message may be a cached card shared with other replies.
        messages[-1] = messages[-1].copy(update={"quick_reply": quick_reply(choices)})
    return messages


def to_payload(replies: Sequence[Reply], choices: Sequence[Choice] = ()) -> list[dict[str, Any]]:
    """`to_messages` as the Messaging API's JSON (the SDK models' own `to_dict()`), with the
    cached menus and cards serialized once rather than on every reply: the SDK's request
    serialization was a fifth of the bot's CPU per event."""
    payload = [
        {"type": "text", "text": part} if isinstance(part, str)
        else {"type": "text", "text": part.text, "quoteToken": part.quote_token}
        if isinstance(part, Text)
        else _card_json(part)
        for part in _parts(replies)
    ]  # fmt: skip
    if payload and choices and (menu := _quick_reply_json(tuple(choices))) is not None:
        payload[-1] = {**payload[-1], "quickReply": menu}
    return payload


@lru_cache(maxsize=1024)
def _card_json(card: Card) -> dict[str, Any]:
    return _card(card).to_dict()


@lru_cache(maxsize=1024)
def _quick_reply_json(choices: tuple[Choice, ...]) -> dict[str, Any] | None:
    """`_quick_reply(choices).to_dict()`, built directly: a returned draft's menu is new each
    time (its postbacks name the draft), and the SDK models' validation and serialization cost
    more than the push that carries them (a morning burst sends thousands)."""
    items = []
    for choice in choices[:MAX_QUICK_REPLIES]:
        action = _action_json(choice)
        if action is not None:
            items.append({"type": "action", "action": action})
    return {"items": items} if items else None


def _action_json(choice: Choice) -> dict[str, Any] | None:
    """`_action(choice).to_dict()` (the test of `to_payload` holds the two equal)."""
    label = clip(choice.label, MAX_LABEL)
    if choice.data is None:
        return {
            "type": "message",
            "label": label,
            "text": clip(choice.text or choice.label, MAX_DATA),
        }
    if len(choice.data) > MAX_DATA:
        log.error("postback data over LINE's limit dropped", extra={"length": len(choice.data)})
        return None
    if choice.pick_datetime:
        picker = {"type": "datetimepicker", "label": label, "data": choice.data, "mode": "datetime"}
        bounds = {"initial": choice.initial, "max": choice.max, "min": choice.min}
        return {**picker, **{k: v for k, v in bounds.items() if v is not None}}
    action = {"type": "postback", "label": label, "data": choice.data}
    if choice.display_text:
        action["displayText"] = clip(choice.display_text, MAX_DATA)
    if (fill := _fill_in(choice)) is not None:
        action["inputOption"] = "openKeyboard"
        action["fillInText"] = fill
    return action


def _fill_in(choice: Choice) -> str | None:
    """The keyboard's text, or None when there is none or it is over LINE's limit (the button
    then stays a plain postback: the user is asked to type the draft again)."""
    fill = choice.fill_in_text
    return fill if fill and utf16_len(fill) <= MAX_FILL_IN else None
