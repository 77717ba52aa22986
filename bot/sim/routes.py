"""The simulator's HTTP API, used by its page: send what a user does as a signed webhook,
read what the bot sent to the stand-in LINE, move the clock, reload content."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import anyio
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from bot.dispatcher import Dispatcher
from bot.sim import events
from bot.sim.clock import SimClock
from bot.sim.reload import ContentReport, check, reload
from bot.sim.standin import LOADING, PUSH, REPLY, LineStandIn

if TYPE_CHECKING:
    from bot.web.app import Runtime

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
PATHS = {"reply": REPLY, "push": PUSH}
KINDS = {REPLY: "reply", PUSH: "push", LOADING: "loading"}


@dataclass
class Sim:
    """The simulator's own state: where /callback is, the channel secret, the stand-in, the
    clock, and which simulated user each issued reply token belongs to."""

    callback_url: str
    secret: str
    standin: LineStandIn
    clock: SimClock
    tokens: dict[str, str] = field(default_factory=dict)
    content: ContentReport | None = None
    dispatching: asyncio.Lock = field(default_factory=asyncio.Lock)


def _next_due(core: Any) -> datetime | None:
    """When the earliest pending reminder comes due (aware, UTC), or None."""
    from bot.store import repo

    with core.db.session() as session:
        due = repo.next_due(session)
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=UTC)  # SQLite gives naive UTC
    return due


def _bad(reason: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


def _str(body: dict[str, Any], key: str, limit: int = 5000) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def feed(sim: Sim, since: int) -> dict[str, Any]:
    """What the bot sent to LINE after record `since`, per user. Stops at a request still
    being answered, so it is read whole on a later poll."""
    items = []
    records = sim.standin.requests
    upto = len(records)
    for seq in range(since, len(records)):
        rec = records[seq]
        if rec.path not in KINDS:
            continue
        if rec.status == 0:
            upto = seq
            break
        body = rec.json if isinstance(rec.json, dict) else {}
        user = {REPLY: sim.tokens.get(str(body.get("replyToken"))), PUSH: body.get("to"),
                LOADING: body.get("chatId")}[rec.path]  # fmt: skip
        if not user:
            continue
        ok = 200 <= rec.status < 300
        items.append({
            "seq": seq, "user": user, "kind": KINDS[rec.path], "status": rec.status,
            "error": None if ok else (rec.answer or f"HTTP {rec.status}"),
            "messages": body.get("messages") if ok else None,
            "replyToken": body.get("replyToken"),
        })  # fmt: skip
    return {
        "next": upto,
        "items": items,
        "now": sim.clock.now().astimezone(sim.clock.tz).isoformat(),
    }


def build_router(sim: Sim) -> APIRouter:
    api = APIRouter()

    @api.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @api.post("/sim/api/send")
    async def send(request: Request) -> JSONResponse:
        """One user action → the webhook event LINE would send, signed, POSTed to /callback."""
        try:
            body = await request.json()
        except ValueError:
            return _bad("body is not JSON")
        if not isinstance(body, dict):
            return _bad("body must be a JSON object")
        user, kind = _str(body, "user", 64), body.get("type")
        if user is None or not user.startswith("U"):
            return _bad("user must be a LINE user id (U…)")
        ts = sim.clock.now_ms()
        token = sim.standin.issue_reply_token()
        out: dict[str, Any] = {"timestamp": ts}
        if kind == "text":
            if (text := _str(body, "text")) is None:
                return _bad("text must be 1–5000 characters")
            event = events.text_event(user, text, ts, token)
            out |= {
                "messageId": event["message"]["id"],
                "quoteToken": event["message"]["quoteToken"],
            }
        elif kind == "postback":
            params = body.get("params") or {}
            if (data := _str(body, "data", 300)) is None or not isinstance(params, dict):
                return _bad("postback needs data (≤ 300 characters) and params as an object")
            event = events.postback_event(user, data, {str(k): str(v) for k, v in params.items()},
                                          ts, token)  # fmt: skip
        elif kind == "follow":
            event = events.follow_event(user, ts, token)
        elif kind == "unfollow":
            event = events.unfollow_event(user, ts)
        elif kind == "unsend":
            if (unsent := _str(body, "messageId", 64)) is None:
                return _bad("unsend needs the messageId")
            event = events.unsend_event(user, unsent, ts)
        else:
            return _bad("type must be text, postback, follow, unfollow or unsend")
        if "replyToken" in event:
            sim.tokens[token] = user
            out["replyToken"] = token
        raw = events.body(event)
        headers = {"content-type": "application/json",
                   "x-line-signature": events.sign(raw, sim.secret)}  # fmt: skip
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.post(sim.callback_url, data=raw, headers=headers) as answer,
            ):
                out |= {"status": answer.status, "answer": await answer.text()}
        except aiohttp.ClientError as exc:
            return _bad(f"/callback unreachable: {type(exc).__name__}", 502)
        return JSONResponse(out)

    @api.get("/sim/api/feed")
    async def read_feed(since: int = 0) -> JSONResponse:
        return JSONResponse(feed(sim, max(0, since)))

    @api.get("/sim/api/clock")
    async def clock() -> JSONResponse:
        return JSONResponse({"now": sim.clock.now().astimezone(sim.clock.tz).isoformat()})

    @api.post("/sim/api/clock")
    async def move_clock(request: Request) -> JSONResponse:
        """Jump to `to` ("morning" or an ISO time, local when naive) and send what is due."""
        try:
            body = await request.json()
        except ValueError:
            return _bad("body is not JSON")
        to = body.get("to") if isinstance(body, dict) else None
        settings = request.app.state.hitoban.settings
        try:
            if to == "morning":
                target = sim.clock.next_morning(settings.morning_hour)
                due = await anyio.to_thread.run_sync(_next_due, request.app.state.hitoban.core)
                if (
                    due is not None
                    and target < due <= target + timedelta(days=1)
                    and due.astimezone(sim.clock.tz).hour == settings.morning_hour
                ):  # a draft held at 3 a.m. waits a night more (the min gap): its morning
                    target = due
            elif isinstance(to, str):
                target = datetime.fromisoformat(to)
            else:
                raise ValueError('to must be "morning" or an ISO 8601 time')
            now = sim.clock.jump(target)
        except ValueError as exc:
            return _bad(str(exc))
        delivered = await dispatch_at(request.app.state.hitoban, sim)
        return JSONResponse({"now": now.astimezone(sim.clock.tz).isoformat(),
                             "delivered": delivered})  # fmt: skip

    @api.post("/sim/api/fail")
    async def fail(request: Request) -> JSONResponse:
        """Make the stand-in refuse the bot's next reply or push (to see how errors look)."""
        try:
            body = await request.json()
        except ValueError:
            return _bad("body is not JSON")
        path = PATHS.get(body.get("path")) if isinstance(body, dict) else None
        status = body.get("status", 500) if isinstance(body, dict) else None
        if path is None or not isinstance(status, int) or not 400 <= status <= 599:
            return _bad('path must be "reply" or "push", status 400–599')
        sim.standin.fail_next(path, status, message=str(body.get("message") or "injected"))
        return JSONResponse({"ok": True})

    @api.get("/sim/api/content")
    async def content(request: Request) -> JSONResponse:
        if sim.content is None:
            sim.content = await anyio.to_thread.run_sync(check, request.app.state.hitoban.core)
        return JSONResponse(asdict(sim.content))

    @api.post("/sim/api/content/reload")
    async def reload_content(request: Request) -> JSONResponse:
        sim.content = await anyio.to_thread.run_sync(reload, request.app.state.hitoban.core)
        return JSONResponse(asdict(sim.content))

    return api


async def dispatch_at(runtime: Runtime, sim: Sim) -> int:
    """Send the reminders due at the simulated time (the real dispatcher, one round)."""
    async with sim.dispatching:
        core = runtime.core
        sender = Dispatcher(core.db, core.content, runtime.messenger, runtime.settings)
        return await sender.run_once(sim.clock.now())
