"""LINE webhook events → engine inputs, one event at a time. Only 1:1 chats with a user are handled.

Events are read from their own JSON, not through line-bot-sdk's models: a model refuses a whole
event for a field the bot never reads (a text before `quoteToken`, a sticker with newer fields,
a follow before `isUnblocked`, a message type the SDK does not know), and the parser then
dropped the good events of the same body with it. The few fields the bot uses are checked here
one by one; an event it cannot act on is skipped with a reason the webhook counts."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from bot.conversation import Inbound, Unsend
from bot.dialogue.types import FollowIn, Incoming, NonTextIn, PostbackIn, TextIn

_UNSAFE = re.compile("[\x00\ud800-\udfff]")
MAX_ID = 64  # the store's column width for user, event and message ids
MAX_TOKEN = 255
MAX_TIMESTAMP = 2**53  # past any real time in ms; keeps the column a plain BIGINT

EVENT_TYPES = frozenset({
    "accountLink", "activated", "beacon", "botResumed", "botSuspended", "deactivated",
    "delivery", "follow", "join", "leave", "memberJoined", "memberLeft", "membership",
    "message", "messageEdited", "module", "postback", "unfollow", "unsend", "videoPlayComplete",
})  # fmt: skip
MESSAGE_TYPES = frozenset({"text", "image", "video", "audio", "file", "location", "sticker"})
# Removals the user asked for are honoured in standby too (another channel then owns the chat,
# but the data is still ours to erase); they never send anything.
REMOVALS = frozenset({"unfollow", "unsend"})


@dataclass(frozen=True, slots=True)
class Skipped:
    """An event accepted with the body's 200 but not acted on. `reason` is a metric label:
    malformed, standby, not_one_to_one, no_reply_token, unhandled_type."""

    reason: str


def clean_text(text: str) -> str:
    """Drop what no store or LINE can carry: NUL (PostgreSQL rejects it) and lone surrogates
    (valid JSON escapes, but not text)."""
    return _UNSAFE.sub("", text)


def event_type(raw: object) -> str:
    """The event's type as a metric label (a bounded set: types LINE documents, or "other")."""
    kind = raw.get("type") if isinstance(raw, dict) else None
    return kind if isinstance(kind, str) and kind in EVENT_TYPES else "other"


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _ident(value: object, limit: int = MAX_ID) -> str | None:
    """An id the store can keep as it is, or None."""
    if isinstance(value, str) and 0 < len(value) <= limit and value.isprintable():
        return value
    return None


def read_event(raw: object) -> Inbound | Skipped:
    """What the bot does with one event of a verified body."""
    if not isinstance(raw, dict):
        return Skipped("malformed")
    kind = _text_or_none(raw.get("type"))
    mode = raw.get("mode") or "active"  # bodies from before `mode` existed were active
    if mode == "standby" and kind not in REMOVALS:
        return Skipped("standby")
    if mode not in ("active", "standby"):
        return Skipped("malformed")
    source = raw.get("source")
    if not isinstance(source, dict) or source.get("type") != "user":
        return Skipped("not_one_to_one")
    user_id = _ident(source.get("userId"))
    timestamp = raw.get("timestamp")
    if (user_id is None or not isinstance(timestamp, int) or isinstance(timestamp, bool)
            or not 0 <= timestamp < MAX_TIMESTAMP):  # fmt: skip
        return Skipped("malformed")
    incoming = _incoming(kind, raw)
    if isinstance(incoming, Skipped):
        return incoming
    reply_token = _ident(raw.get("replyToken"), MAX_TOKEN)
    message_id = quote_token = None
    if kind == "message":
        if reply_token is None:
            return Skipped("no_reply_token")
        message_id = _ident(raw["message"].get("id"))
        quote_token = _ident(raw["message"].get("quoteToken"), MAX_TOKEN)
    event_id = _ident(raw.get("webhookEventId")) or _derived_id(kind, user_id, timestamp,
                                                                reply_token)  # fmt: skip
    return Inbound(user_id, event_id, timestamp, reply_token, incoming, message_id, quote_token)


def _incoming(kind: str | None, raw: dict[str, Any]) -> Incoming | Unsend | Skipped | None:
    """The engine's input for the event (None: unfollow, which erases)."""
    match kind:
        case "message":
            message = raw.get("message")
            if not isinstance(message, dict):
                return Skipped("malformed")
            text, mtype = message.get("text"), _text_or_none(message.get("type"))
            if mtype == "text" and isinstance(text, str):
                return TextIn(clean_text(text))
            # Anything else the user sent (a sticker, a photo, a type LINE added since): a kind
            # request for words.
            return NonTextIn(mtype if mtype in MESSAGE_TYPES and mtype != "text" else "other")
        case "postback":
            postback = raw.get("postback")
            data = postback.get("data") if isinstance(postback, dict) else None
            if not isinstance(data, str):
                return Skipped("malformed")
            params = postback.get("params")
            params = params if isinstance(params, dict) else {}
            kept = {clean_text(k): clean_text(v) for k, v in params.items() if isinstance(v, str)}
            return PostbackIn(clean_text(data), kept)
        case "follow":
            return FollowIn()
        case "unfollow":
            return None
        case "unsend":
            unsend = raw.get("unsend")
            message_id = _ident(unsend.get("messageId")) if isinstance(unsend, dict) else None
            return Unsend(message_id) if message_id else Skipped("malformed")
    return Skipped("unhandled_type")


def _derived_id(kind: str | None, user_id: str, timestamp: int, reply_token: str | None) -> str:
    """An id for events from before `webhookEventId` existed (LINE sends it on every event
    today). Stable for the same event, so a second delivery is still dropped; built from no
    content, since it is stored in the clear."""
    key = f"{kind}\n{user_id}\n{timestamp}\n{reply_token or ''}"
    return "derived-" + hashlib.sha256(key.encode()).hexdigest()[:40]
