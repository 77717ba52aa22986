"""Webhook events as LINE builds them, and their signature: the page says what the user did,
the server turns it into the signed body LINE would have POSTed to /callback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
from typing import Any

_ids = itertools.count(1)


def sign(body: bytes, secret: str) -> str:
    """X-Line-Signature: base64(HMAC-SHA256(channel secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def message_id() -> str:
    return str(600000000000000000 + next(_ids))


def _base(kind: str, user: str, timestamp_ms: int) -> dict[str, Any]:
    return {
        "type": kind,
        "mode": "active",
        "timestamp": timestamp_ms,
        "source": {"type": "user", "userId": user},
        "webhookEventId": "01SIM" + secrets.token_hex(11).upper(),
        "deliveryContext": {"isRedelivery": False},
    }


def text_event(user: str, text: str, ts: int, reply_token: str) -> dict[str, Any]:
    ev = _base("message", user, ts)
    ev["replyToken"] = reply_token
    ev["message"] = {"type": "text", "id": message_id(), "text": text,
                     "quoteToken": secrets.token_urlsafe(16)}  # fmt: skip
    return ev


def postback_event(user: str, data: str, params: dict[str, str], ts: int,
                   reply_token: str) -> dict[str, Any]:  # fmt: skip
    ev = _base("postback", user, ts)
    ev["replyToken"] = reply_token
    ev["postback"] = {"data": data, **({"params": params} if params else {})}
    return ev


def follow_event(user: str, ts: int, reply_token: str) -> dict[str, Any]:
    ev = _base("follow", user, ts)
    ev["replyToken"] = reply_token
    ev["follow"] = {"isUnblocked": False}
    return ev


def unfollow_event(user: str, ts: int) -> dict[str, Any]:
    return _base("unfollow", user, ts)


def unsend_event(user: str, unsent_id: str, ts: int) -> dict[str, Any]:
    ev = _base("unsend", user, ts)
    ev["unsend"] = {"messageId": unsent_id}
    return ev


def body(event: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "Usim", "events": [event]}, ensure_ascii=False).encode()
