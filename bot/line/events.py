"""line-bot-sdk webhook events → engine inputs. Only 1:1 chats with a user are handled."""

from __future__ import annotations

import re

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from bot.conversation import Inbound
from bot.dialogue.types import FollowIn, Incoming, NonTextIn, PostbackIn, TextIn

_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Drop what no store or LINE can carry: NUL (PostgreSQL rejects it) and lone surrogates
    (valid JSON escapes, but not text)."""
    return _UNSAFE.sub("", text)


def event_type(event: Event) -> str:
    return str(getattr(event, "type", None) or "unknown")


def to_inbound(event: Event) -> Inbound | None:
    """None for events the bot ignores (groups, rooms, unknown types, joins, ...)."""
    source = getattr(event, "source", None)
    if not isinstance(source, UserSource) or not source.user_id:
        return None
    incoming: Incoming | None
    if isinstance(event, MessageEvent):
        message = event.message
        if isinstance(message, TextMessageContent):
            incoming = TextIn(clean_text(message.text))
        else:
            incoming = NonTextIn(str(getattr(message, "type", "other")))
    elif isinstance(event, PostbackEvent):
        params = {k: str(v) for k, v in (event.postback.params or {}).items() if v is not None}
        incoming = PostbackIn(clean_text(event.postback.data), params)
    elif isinstance(event, FollowEvent):
        incoming = FollowIn()
    elif isinstance(event, UnfollowEvent):
        incoming = None
    else:
        return None
    return Inbound(
        user_id=source.user_id,
        event_id=event.webhook_event_id,
        timestamp_ms=event.timestamp,
        reply_token=getattr(event, "reply_token", None),
        incoming=incoming,
    )
