"""FastAPI app factory and lifespan (FastAPI's "bigger applications" layout).

The SDK's aiohttp-based client must be created inside the running loop, so it is built in the
lifespan, not at import."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import struct
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta

import anyio
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from linebot.v3.webhook import SignatureValidator
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import text

from bot import metrics
from bot.config import Settings
from bot.conversation import Drained, Inbound
from bot.dialogue.turn import Outcome
from bot.dispatcher import Dispatcher
from bot.line.client import Messenger, SendResult
from bot.line.render import to_messages, to_payload
from bot.logs import user_ref
from bot.store import repo
from bot.web import late
from bot.web.batch import Batcher
from bot.web.inbox import UserDrains
from bot.web.webhook import router as webhook_router
from bot.wiring import Core, build_core

log = logging.getLogger(__name__)


class Runtime:
    """What the webhook needs while the app runs: the core, the LINE client, the drains."""

    def __init__(self, core: Core, secret: str, messenger: Messenger) -> None:
        self.core = core
        self.settings: Settings = core.settings
        self.signatures = SignatureValidator(secret)  # X-Line-Signature, on the raw body
        self.messenger = messenger
        self.drains = UserDrains(self._drain_one, core.settings.order_window_seconds)
        self.inserts: Batcher[list[Inbound], None] = Batcher(self._store)
        self.drained: Batcher[str, Drained | None] = Batcher(core.conversations.drain)
        self.loading: set[asyncio.Task[None]] = set()  # typing indicators being sent
        # Events this process accepted and has not yet drained, per user: a slow drain shows
        # the typing indicator only when a reply is owed (not for the last "anything left?").
        self._owed: Counter[str] = Counter()

    def _store(self, requests: list[list[Inbound]]) -> list[None]:
        self.core.conversations.enqueue([e for events in requests for e in events],
                                        datetime.now(UTC))  # fmt: skip
        return [None] * len(requests)

    async def accept(self, events: list[Inbound]) -> None:
        """Persist the events (before the webhook answers), then wake their users' drains."""
        if not events:
            return
        await self.inserts.submit(events)
        self._owed.update(e.user_id for e in events)
        for user_id in dict.fromkeys(e.user_id for e in events):
            self.drains.notify(user_id)

    async def _drain_one(self, user_id: str) -> bool:
        """Handle the user's earliest pending event and reply; False when none is pending.
        If handling fails, the transaction rolls back and the event waits for the sweep."""
        loading = None
        if self._owed[user_id] > 0:
            loading = asyncio.get_running_loop().call_later(
                self.settings.loading_indicator_after_seconds, self._show_loading, user_id
            )
        try:
            drained = await self.drained.submit(user_id)
        finally:
            if loading is not None:
                loading.cancel()
        if drained is None:
            self._owed.pop(user_id, None)  # (whatever is left went to another replica)
            return False
        self._owed[user_id] -= 1
        if self._owed[user_id] <= 0:
            del self._owed[user_id]
        outcome = drained.outcome
        if outcome is not None and drained.reply_token and outcome.replies:
            result = await self.messenger.reply(
                drained.reply_token, to_payload(outcome.replies, outcome.choices)
            )
            if result is SendResult.EXPIRED:
                await self._answer_late(drained, outcome)
        waited = (datetime.now(UTC) - drained.received_at).total_seconds()
        metrics.HANDLING.observe(max(0.0, waited))
        return True

    async def _answer_late(self, drained: Drained, outcome: Outcome) -> None:
        """The reply token no longer worked: push the answer or drop it (see bot/web/late.py).
        Pushed here, before the user's next event is drained, so answers keep their order."""
        contacts = (line.contact for line in self.core.content.crisis_lines)
        kind = late.kind_of(outcome, contacts)
        event_at = drained.event_at or drained.received_at
        if not late.push_late(kind, event_at, datetime.now(UTC)):
            metrics.LATE_ANSWERS.labels(kind, "dropped").inc()
            log.info("late answer dropped", extra={"user": user_ref(drained.user_id),
                                                   "kind": kind})  # fmt: skip
            return
        result = await self.messenger.push(
            drained.user_id, to_messages(outcome.replies, outcome.choices), str(uuid.uuid4())
        )
        pushed = result in (SendResult.OK, SendResult.DUPLICATE)
        metrics.LATE_ANSWERS.labels(kind, "pushed" if pushed else "failed").inc()
        log.info("late answer pushed" if pushed else "late answer lost",
                 extra={"user": user_ref(drained.user_id), "kind": kind,
                        "result": result.value})  # fmt: skip

    async def sweep(self) -> None:
        """Drain what nobody is draining: events of a replica that died after its 200, or of
        a user whose handling failed. Runs at start and then every few seconds."""

        every = self.settings.inbox_sweep_seconds

        def stale() -> list[str]:
            cutoff = datetime.now(UTC) - timedelta(seconds=every)
            with self.core.db.session() as session:
                return repo.stale_inbox_users(session, cutoff)

        while True:
            try:
                for user_id in await anyio.to_thread.run_sync(stale):
                    self.drains.notify(user_id)
            except Exception:
                log.exception("inbox sweep failed")
            await asyncio.sleep(every)

    def _show_loading(self, user_id: str) -> None:
        """LINE's typing indicator, for a reply slow in coming. A timer, not a task per
        message: most replies beat it, and a cancelled timer costs next to nothing."""
        task = asyncio.create_task(self.messenger.show_loading(user_id, 20))
        self.loading.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self.loading.discard)

    async def prune_seen_events(self) -> None:
        keep = timedelta(days=self.settings.seen_event_retention_days)

        def prune() -> int:
            with self.core.db.session() as session:
                return repo.prune_seen_events(session, datetime.now(UTC) - keep)

        while True:
            try:
                removed = await anyio.to_thread.run_sync(prune)
                if removed:
                    log.info("pruned seen events", extra={"count": removed})
            except Exception:
                log.exception("pruning seen events failed")
            await asyncio.sleep(3600)


def create_app(settings: Settings, core: Core | None = None, dispatcher: bool = True) -> FastAPI:
    """The webhook app. Raises ConfigError if the LINE credentials are missing.
    `dispatcher=False` leaves due reminders to a separate `worker` process."""
    secret, token = settings.require_line_credentials()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime_core = core or await anyio.to_thread.run_sync(build_core, settings)
        # Content, models and vocabularies live as long as the process: move them out of the
        # collector's sight, so a full collection does not stall every request for ~100 ms.
        # (No gc.collect() first: it would add a tenth of a second to the cold start.)
        gc.freeze()
        # A message allocates thousands of short-lived containers (pydantic, SQLAlchemy,
        # aiohttp). At the default threshold (700) the young generation was collected a few
        # times per message, mostly while those objects were still alive; at 20,000 most are
        # gone by the time it runs. About 5% of the CPU per message, and no memory to speak of.
        gc.set_threshold(20_000)
        messenger = Messenger(settings.line_api_base_url, token,
                              settings.dispatch_concurrency if dispatcher else 0)  # fmt: skip
        await messenger.start()
        runtime = Runtime(runtime_core, secret, messenger)
        app.state.hitoban = runtime
        background = [
            asyncio.create_task(runtime.prune_seen_events()),
            asyncio.create_task(runtime.sweep()),
        ]
        if dispatcher:
            sender = Dispatcher(runtime_core.db, runtime_core.content, messenger, settings)
            background.append(asyncio.create_task(sender.run_forever()))
        try:
            yield
        finally:
            await runtime.drains.join(timeout=10)
            for task in [*background, *runtime.loading]:  # (a typing indicator on its way)
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            await messenger.close()
            if core is None:
                runtime_core.close()

    app = FastAPI(title="Hitoban", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(webhook_router)
    if settings.bot_admin_token is not None and settings.bot_admin_token.get_secret_value():
        from bot.web import insights

        app.include_router(insights.router(settings.bot_admin_token.get_secret_value()))

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        runtime: Runtime = app.state.hitoban

        def ping() -> None:
            with runtime.core.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await anyio.to_thread.run_sync(ping)
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/metrics")
    async def metrics_endpoint() -> Response:
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # serve --workers: every worker's counts
            # A worker may be creating its file while we read it (a short read): try again.
            for _ in range(3):
                try:
                    registry = CollectorRegistry()
                    MultiProcessCollector(registry)
                    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
                except (ValueError, OSError, struct.error):
                    log.warning("metrics: a worker's file was being written; reading again")
                    await asyncio.sleep(0.05)
            return PlainTextResponse("metrics are being written; try again", status_code=503)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
