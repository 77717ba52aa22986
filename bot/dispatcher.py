"""Sends the reminders users asked for, exactly once, like a JobQueue backed by the database.

Each round: claim due rows (committed), push each with its stable X-Line-Retry-Key, record
the result (committed). A crash between claim and result leaves a `sending` row that is
claimed again after a lease; the retry reuses the key, so LINE answers 409 if the first push
got through, and the reminder is marked sent without a second message."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta

import anyio

from bot import metrics
from bot.config import Settings
from bot.content import Content
from bot.line.client import Messenger, SendResult
from bot.line.render import to_messages
from bot.logs import user_ref
from bot.reminders import compose
from bot.store import repo
from bot.store.db import Database
from bot.store.repo import DueReminder

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)  # a claim older than this was abandoned by a crashed process
MAX_ATTEMPTS = 8
BATCH = 10  # small claims: short locks, and several dispatchers share the work


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


class Dispatcher:
    def __init__(self, db: Database, content: Content, messenger: Messenger,
                 settings: Settings) -> None:  # fmt: skip
        self.db = db
        self.content = content
        self.messenger = messenger
        self.settings = settings

    async def run_once(self, now: datetime | None = None) -> int:
        """Send everything due at `now`; return how many reminders were delivered."""
        now = now or datetime.now(UTC)
        delivered = 0
        while True:
            batch = await anyio.to_thread.run_sync(self._claim, now)
            if not batch:
                break
            for due in batch:
                delivered += await self._send(due, now)
            if len(batch) < BATCH:
                break
        await anyio.to_thread.run_sync(self._prune, now)
        return delivered

    async def run_forever(self, interval: float | None = None) -> None:
        interval = interval or self.settings.dispatch_interval_seconds
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("dispatch round failed")
            await asyncio.sleep(interval)

    def _claim(self, now: datetime) -> list[DueReminder]:
        with self.db.session() as session:
            return repo.claim_due(session, now, LEASE, limit=BATCH)

    def _finish(self, reminder_id: int, status: str, now: datetime, error: str | None = None,
                retry_at: datetime | None = None) -> None:  # fmt: skip
        with self.db.session() as session:
            repo.finish_reminder(session, reminder_id, status, now, error, retry_at)

    def _prune(self, now: datetime) -> None:
        with self.db.session() as session:
            repo.prune_drafts(session, now - timedelta(days=self.settings.draft_retention_days))

    def _quiet_until(self, now: datetime) -> datetime | None:
        """For pushes the user did not time themselves: the end of quiet hours, if now is in them."""
        s = self.settings
        local = now.astimezone(s.tz)
        quiet = local.hour >= s.quiet_start_hour or local.hour < s.quiet_end_hour
        if not quiet:
            return None
        day = local.date() + timedelta(days=1 if local.hour >= s.quiet_start_hour else 0)
        return datetime.combine(day, time(s.quiet_end_hour), tzinfo=s.tz)

    async def _send(self, due: DueReminder, now: datetime) -> int:
        if due.kind == "checkin" and (until := self._quiet_until(now)):
            await anyio.to_thread.run_sync(self._finish, due.id, "pending", now, None, until)
            return 0
        replies, choices = compose(self.content, due)
        result = await self.messenger.push(
            due.line_user_id, to_messages(replies, choices), due.retry_key
        )
        status, retry_at = "sent", None
        if result in (SendResult.OK, SendResult.DUPLICATE):
            status = "sent"
        elif result is SendResult.RETRY and due.attempts < MAX_ATTEMPTS:
            status, retry_at = "pending", now + backoff(due.attempts)
        else:
            status = "failed"  # monthly quota, a rejected request, or too many attempts
        error = None if status == "sent" else result.value
        await anyio.to_thread.run_sync(self._finish, due.id, status, now, error, retry_at)
        metrics.REMINDERS.labels(result.value if status != "sent" else "sent").inc()
        log.info("reminder", extra={"user": user_ref(due.line_user_id), "kind": due.kind,
                                    "result": result.value, "status": status})  # fmt: skip
        return int(status == "sent")
