"""POST /callback: verify, parse, enqueue, answer. The handling happens after the answer, so
LINE gets its 200 within milliseconds whatever the engine or the database are doing."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import Event

from bot import metrics
from bot.line.events import event_type, to_inbound

log = logging.getLogger(__name__)
router = APIRouter()

# Event types the SDK parses into a class of its own; anything else is new to us and ignored.
KNOWN_TYPES = {
    "accountLink", "activated", "beacon", "botResumed", "botSuspended", "deactivated",
    "delivery", "follow", "join", "leave", "memberJoined", "memberLeft", "membership",
    "message", "messageEdited", "module", "postback", "unfollow", "unsend", "videoPlayComplete",
}  # fmt: skip


class BodyTooLarge(Exception):
    pass


def _error(status: int, reason: str) -> JSONResponse:
    metrics.WEBHOOK_REQUESTS.labels(str(status)).inc()
    return JSONResponse({"error": reason}, status_code=status)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def parse_events(parser: WebhookParser, body: str, signature: str) -> list[Event]:
    """Verify and parse; raise ValueError with a reason for anything LINE would not send."""
    try:
        payload = parser.parse(body, signature, as_payload=True)
    except InvalidSignatureError:
        raise ValueError("invalid signature") from None
    except Exception as exc:  # json errors, KeyError, TypeError, pydantic errors...
        raise ValueError("not a valid webhook payload") from exc
    events = payload.events or []
    for event in events:
        kind = getattr(event, "type", None)
        # A known type that did not validate is a broken event, not a new kind of event
        # (except messages: LINE adds message types, and those we answer as non-text).
        if type(event).__name__ == "UnknownEvent" and kind in KNOWN_TYPES and kind != "message":
            raise ValueError(f"malformed {kind} event")
    return events


async def callback(request: Request) -> JSONResponse:
    app = request.app.state.hitoban
    signature = request.headers.get("x-line-signature")
    if not signature:
        return _error(400, "missing X-Line-Signature header")
    try:
        raw = await _read_body(request, app.settings.max_body_bytes)
    except BodyTooLarge:
        return _error(413, "request body over 1 MiB")
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _error(400, "body is not UTF-8")
    try:
        events = parse_events(app.parser, body, signature)
    except ValueError as exc:
        return _error(400, str(exc))

    accepted = []
    for event in events:
        metrics.EVENTS.labels(event_type(event)).inc()
        inbound = to_inbound(event)
        if inbound is not None:
            accepted.append(inbound)
    try:
        await app.accept(accepted)
    except Exception:
        # Not stored: answer 500 so LINE redelivers (with redelivery on) rather than lose it.
        log.exception("could not store webhook events")
        return _error(500, "could not store the events; please redeliver")
    metrics.WEBHOOK_REQUESTS.labels("200").inc()
    return JSONResponse({})


# A plain Starlette route: the handler reads the raw body itself (the signature covers the
# bytes), so FastAPI's per-request dependency solving had nothing to do but cost ~20 µs.
router.add_route("/callback", callback, methods=["POST"])
