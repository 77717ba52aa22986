"""GET /insights: the operator's view. Aggregate, anonymous counts only (no text, no user ids):
what the bot is doing for people, at a glance. In `serve` it exists only when BOT_ADMIN_TOKEN
is set (a bearer token); the simulator always has it."""

from __future__ import annotations

import hmac
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func, select

from bot import metrics
from bot.store.models import Draft, User
from bot.web.insights_page import render

if TYPE_CHECKING:
    from prometheus_client import Counter as Metric

    from bot.store.db import Database
    from bot.web.app import Runtime

log = logging.getLogger(__name__)
OUTCOMES = ("sent", "rewrite", "dropped", "none")  # what the user chose when it came back


@dataclass
class Figures:
    users: int = 0
    intents: dict[str, int] = field(default_factory=dict)  # this process, since it started
    nudges: int = 0
    drafts_held: int = 0  # ever held (and not erased)
    waiting: int = 0  # held, not yet back
    outcomes: dict[str, int] = field(default_factory=dict)  # of the drafts given back
    by_day: list[dict[str, object]] = field(default_factory=list)  # {"day", *OUTCOMES}
    crisis_replies: int = 0
    pushes_used: int | None = None  # this month, as LINE counts them
    push_quota: int | None = None  # None: unknown, or no limit


def _counter(counter: Metric, label: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for family in counter.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                values[sample.labels.get(label, "")] = int(sample.value)
    return values


def _from_db(db: Database, tz: tzinfo) -> Figures:
    figures = Figures()
    with db.session() as session:
        figures.users = session.execute(
            select(func.count()).select_from(User).where(~User.line_user_id.like("terminal:%"))
        ).scalar_one()
        rows = session.execute(select(Draft.status, Draft.outcome, Draft.resolved_at)).all()
    days: dict[str, Counter[str]] = {}
    outcomes: Counter[str] = Counter()
    for status, outcome, resolved_at in rows:
        if status == "held":
            figures.waiting += 1
        elif status == "returned" and resolved_at is not None:
            key = outcome if outcome in OUTCOMES else "none"
            outcomes[key] += 1
            day = resolved_at.astimezone(tz).date().isoformat()
            days.setdefault(day, Counter())[key] += 1
    figures.drafts_held = len(rows)
    figures.outcomes = {k: outcomes[k] for k in OUTCOMES}
    figures.by_day = [{"day": d, **{k: days[d][k] for k in OUTCOMES}} for d in sorted(days)]
    return figures


async def gather(runtime: Runtime) -> Figures:
    core = runtime.core
    figures = await anyio.to_thread.run_sync(_from_db, core.db, core.settings.tz)
    intents = _counter(metrics.INTENTS, "intent")
    figures.intents = dict(sorted(intents.items(), key=lambda kv: -kv[1]))
    figures.crisis_replies = intents.get("crisis", 0)
    figures.nudges = int(sum(_counter(metrics.NUDGES, "").values()))
    try:
        api = runtime.messenger.api
        quota = await api.get_message_quota()
        figures.push_quota = quota.value if quota.type == "limited" else None
        figures.pushes_used = (await api.get_message_quota_consumption()).total_usage
    except Exception as exc:  # LINE unreachable: the page still shows the rest
        log.warning("push quota unavailable", extra={"error": type(exc).__name__})
    return figures


def router(token: str | None) -> APIRouter:
    """The routes; with `token`, every request must carry `Authorization: Bearer <token>`."""
    api = APIRouter()

    def refused(request: Request) -> Response | None:
        if token is None:
            return None
        given = request.headers.get("authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return None
        return JSONResponse({"error": "bearer token required"}, status_code=401,
                            headers={"www-authenticate": "Bearer"})  # fmt: skip

    @api.get("/insights", response_model=None)
    async def insights_page(request: Request) -> Response:
        if (no := refused(request)) is not None:
            return no
        figures = await gather(request.app.state.hitoban)
        return HTMLResponse(render(figures, datetime.now(UTC)))

    @api.get("/insights.json", response_model=None)
    async def insights_json(request: Request) -> Response:
        if (no := refused(request)) is not None:
            return no
        return JSONResponse(asdict(await gather(request.app.state.hitoban)))

    return api
