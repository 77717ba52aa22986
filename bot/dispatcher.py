"""Sends the reminders users asked for, exactly once, like a JobQueue backed by the database.

Held drafts all come back at the same morning hour, so a round is a burst: claims are taken
in batches (one committed transaction each), pushed by a bounded pool of senders under the
process's shared rate limit, each with its own stable X-Line-Retry-Key, and their results
recorded in batches (one transaction for whatever finished meanwhile, as a group commit).

A crash between claim and result leaves `sending` rows that are claimed again after a lease;
the retry reuses the key, so LINE answers 409 if the first push got through, and the
reminder is marked sent without a second message. Nothing else lives only in memory: a
round holds at most two batches claimed and not yet pushed."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from bot import metrics
from bot.config import Settings
from bot.content import Content
from bot.line import ratelimit
from bot.line.client import Messenger, Quota, SendResult
from bot.line.render import to_payload
from bot.logs import user_ref
from bot.reminders import compose
from bot.store import repo
from bot.store.db import Database
from bot.store.repo import DueReminder, Outcome

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)  # a claim older than this was abandoned by a crashed process
MAX_ATTEMPTS = 8
RATE_LIMIT_RETRIES = 8  # a push refused for the rate is retried this often within the round
RATE_LIMIT_PAUSE = 0.25  # seconds every sender of the process holds off after such a refusal
RATE_LIMITED_AGAIN = timedelta(seconds=10)  # then it waits for a later round, this soon
RECORD_WINDOW = 0.02  # seconds outcomes gather before they are written together
MIN_WAIT = 0.1  # seconds before the next round when something is due already
WAKE_MARGIN = 0.005  # seconds after the due time the dispatcher wakes
QUOTA_EVERY = timedelta(hours=1)  # LINE's quota endpoints are read at start, then this often
QUOTA_WARN = 0.10  # a warning is logged when less than this share of the quota is left


def backoff(attempts: int) -> timedelta:
    """Before retrying a push that failed (LINE 5xx, the network): 30 s, 1 min, … 1 h."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def rate_backoff(tries: int) -> float:
    """Before retrying a push refused for the rate: a fraction of a second, growing, with
    jitter so that the refused do not all come back in the same instant (the limiter, slowed
    down meanwhile, then spaces them)."""
    return min(0.1 * 2 ** (tries - 1), 2.0) * random.uniform(0.5, 1.0)


def _ready(stream: MemoryObjectReceiveStream[Outcome]) -> list[Outcome]:
    """What the stream holds now, without waiting."""
    items = []
    while True:
        try:
            items.append(stream.receive_nowait())
        except (anyio.WouldBlock, anyio.EndOfStream):
            return items


@dataclass
class Round:
    """One round's counts, and whether LINE said the month's quota is spent."""

    now: datetime
    delivered: int = 0
    rate_limited: int = 0  # rate-limit 429s met (each retried, up to RATE_LIMIT_RETRIES)
    quota: bool = False
    quota_reread: bool = False  # the quota was read again this round (it looked spent)


class Dispatcher:
    def __init__(self, db: Database, content: Content, messenger: Messenger,
                 settings: Settings) -> None:  # fmt: skip
        self.db = db
        self.content = content
        self.messenger = messenger
        self.settings = settings
        self.concurrency = settings.dispatch_concurrency
        self.batch = settings.dispatch_concurrency  # claims per transaction
        self.limiter = ratelimit.shared(settings.dispatch_pushes_per_second)
        self.quota: Quota | None = None  # as LINE last said, counted on with each push
        self.quota_read_at: datetime | None = None
        self._quota_lock = anyio.Lock()
        self._in_flight = 0  # pushes counted here and not answered yet: not in LINE's count yet

    async def read_quota(self, now: datetime | None = None) -> Quota | None:
        """Ask LINE for the month's quota and use: into the metrics, with a warning when less
        than 10% is left. Kept as it was when LINE cannot be asked."""
        self.quota_read_at = now or datetime.now(UTC)
        quota = await self.messenger.quota()
        if quota is None:
            return self.quota
        # Pushes on their way are not in LINE's count yet: a re-read mid-burst must not give
        # their share of the quota out a second time.
        self.quota = Quota(quota.limit, quota.used + self._in_flight)
        metrics.PUSH_QUOTA_LIMIT.set(float("inf") if quota.limit is None else quota.limit)
        metrics.PUSH_QUOTA_USED.set(quota.used)
        if quota.limit is not None and quota.used > quota.limit * (1 - QUOTA_WARN):
            log.warning("push quota nearly spent: reminders will fail when it is",
                        extra={"limit": quota.limit, "used": quota.used, "left": quota.left})  # fmt: skip
        return quota

    async def _take_quota(self, round_: Round) -> bool:
        """Count one push against the quota as LINE last gave it; False when none is left.
        Taken before the push (the senders run at once) and given back if it fails. Read
        again once a round before saying no: a new month, or a raised plan, frees it."""
        if self.quota is not None and self.quota.left == 0:
            async with self._quota_lock:
                if not round_.quota_reread:
                    round_.quota_reread = True
                    await self.read_quota(round_.now)
        quota = self.quota
        if quota is not None and quota.left == 0:
            return False
        if quota is not None and quota.left is not None:
            self.quota = Quota(quota.limit, quota.used + 1)
        self._in_flight += 1
        return True

    def _give_back_quota(self) -> None:
        if self.quota is not None and self.quota.limit is not None:
            self.quota = Quota(self.quota.limit, max(self.quota.used - 1, 0))

    async def run_once(self, now: datetime | None = None) -> int:
        """Send everything due at `now`; return how many reminders were delivered."""
        return (await self.run_round(now)).delivered

    async def run_round(self, now: datetime | None = None) -> Round:
        """Send everything due at `now`: claimer, `concurrency` senders and recorder, joined
        by bounded streams (so at most two batches are claimed ahead of the pushes)."""
        now = now or datetime.now(UTC)
        round_ = Round(now)
        first = await anyio.to_thread.run_sync(self._claim, now)
        if first:
            claimed_tx, claimed_rx = anyio.create_memory_object_stream[DueReminder](self.batch)
            done_tx, done_rx = anyio.create_memory_object_stream[Outcome](4 * self.batch)
            more = len(first) == self.batch
            senders = self.concurrency if more else min(self.concurrency, len(first))
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._claim_all, round_, first, more, claimed_tx)
                for _ in range(senders):
                    tg.start_soon(self._send_all, round_, claimed_rx.clone(), done_tx.clone())
                tg.start_soon(self._record_all, round_, done_rx)
                claimed_rx.close()
                done_tx.close()
        await anyio.to_thread.run_sync(self._prune, now)
        return round_

    async def run_forever(self, interval: float | None = None) -> None:
        """A round, then sleep until the next reminder comes due (at most `interval`): the
        morning's drafts go out at the morning's first second, not up to a poll later."""
        interval = interval or self.settings.dispatch_interval_seconds
        while True:
            wait = interval
            try:
                now = datetime.now(UTC)
                if self.quota_read_at is None or now - self.quota_read_at >= QUOTA_EVERY:
                    await self.read_quota(now)
                if not (await self.run_round()).quota:
                    wait = await anyio.to_thread.run_sync(self._until_next, interval)
            except Exception:
                log.exception("dispatch round failed")
            await asyncio.sleep(wait)

    # ---- the three stages of a round ---------------------------------------------------------

    async def _claim_all(self, round_: Round, first: list[DueReminder], more: bool,
                         out: MemoryObjectSendStream[DueReminder]) -> None:  # fmt: skip
        """Hand the claimed to the senders, claiming the next batch when there is room (the
        stream holds one batch), until nothing is due or the quota is spent."""
        async with out:
            batch = first
            while True:
                for due in batch:
                    await out.send(due)
                if not more or round_.quota:
                    return
                batch = await anyio.to_thread.run_sync(self._claim, round_.now)
                more = len(batch) == self.batch

    async def _send_all(self, round_: Round, claimed: MemoryObjectReceiveStream[DueReminder],
                        done: MemoryObjectSendStream[Outcome]) -> None:  # fmt: skip
        async with claimed, done:
            async for due in claimed:
                await done.send(await self._deliver(round_, due))

    async def _record_all(self, round_: Round, done: MemoryObjectReceiveStream[Outcome]) -> None:
        """Write outcomes in batches: what finished while the last write ran, or else within
        a short window, goes in one transaction. A transaction per push cost more than the
        push; a slow write only makes the next batch larger (the stream holds four)."""
        async with done:
            async for outcome in done:
                outcomes = [outcome, *_ready(done)]
                if len(outcomes) < self.batch:
                    await anyio.sleep(RECORD_WINDOW)
                    outcomes += _ready(done)
                await anyio.to_thread.run_sync(self._finish, outcomes, round_.now)
                round_.delivered += sum(o.status == "sent" for o in outcomes)

    async def _deliver(self, round_: Round, due: DueReminder) -> Outcome:
        if due.kind == "checkin" and (until := self._quiet_until(round_.now)):
            return Outcome(due.id, "pending", retry_at=until)
        hour = round_.now.astimezone(self.settings.tz).hour
        messages = to_payload(*compose(self.content, due, hour))
        result = SendResult.QUOTA
        if round_.quota or not await self._take_quota(round_):
            round_.quota = True  # LINE refuses every push this month: no use asking
            quota = self.quota or Quota(None, 0)
            log.warning("reminder not sent: this month's push quota is spent; kept as a failure "
                        "(quota)", extra={"user": user_ref(due.line_user_id), "limit": quota.limit,
                                          "used": quota.used})  # fmt: skip
            return self._outcome(due, SendResult.QUOTA, round_.now)
        for tries in itertools.count(1):
            await self.limiter.acquire()
            if round_.quota:
                break
            result = await self.messenger.push(due.line_user_id, messages, due.retry_key)
            if result is not SendResult.RATE_LIMITED:
                break
            round_.rate_limited += 1
            if tries > RATE_LIMIT_RETRIES:
                break
            self.limiter.slow_down(RATE_LIMIT_PAUSE)  # too fast for the channel: every sender
            await anyio.sleep(rate_backoff(tries))
        self._in_flight -= 1
        if result is SendResult.QUOTA:
            round_.quota = True
        if result is not SendResult.OK:
            self._give_back_quota()  # not counted by LINE (or counted before: 409)
        if self.quota is not None:
            metrics.PUSH_QUOTA_USED.set(self.quota.used)
        return self._outcome(due, result, round_.now)

    def _outcome(self, due: DueReminder, result: SendResult, now: datetime) -> Outcome:
        if result in (SendResult.OK, SendResult.DUPLICATE):
            outcome = Outcome(due.id, "sent")
        elif result is SendResult.RATE_LIMITED:
            outcome = Outcome(due.id, "pending", result.value, now + RATE_LIMITED_AGAIN, True)
        elif result is SendResult.RETRY and due.attempts < MAX_ATTEMPTS:
            outcome = Outcome(due.id, "pending", result.value, now + backoff(due.attempts))
        else:  # monthly quota, a rejected request, or too many attempts
            outcome = Outcome(due.id, "failed", result.value)
        metrics.REMINDERS.labels("sent" if outcome.status == "sent" else result.value).inc()
        log.info("reminder", extra={"user": user_ref(due.line_user_id), "kind": due.kind,
                                    "result": result.value, "status": outcome.status})  # fmt: skip
        return outcome

    # ---- the database, on worker threads ----------------------------------------------------

    def _claim(self, now: datetime) -> list[DueReminder]:
        with self.db.session() as session:
            return repo.claim_due(session, now, LEASE, limit=self.batch)

    def _finish(self, outcomes: list[Outcome], now: datetime) -> None:
        with self.db.session() as session:
            repo.finish_reminders(session, outcomes, now)

    def _prune(self, now: datetime) -> None:
        with self.db.session() as session:
            repo.prune_drafts(session, now - timedelta(days=self.settings.draft_retention_days))

    def _until_next(self, interval: float) -> float:
        with self.db.session() as session:
            due = repo.next_due(session)
        if due is None:
            return interval
        until = (due - datetime.now(UTC)).total_seconds()
        # a hair late rather than early (a claim a millisecond early finds nothing); already
        # due means it came in during the round: soon, but never in a tight loop
        return min(interval, until + WAKE_MARGIN) if until > 0 else MIN_WAIT

    def _quiet_until(self, now: datetime) -> datetime | None:
        """For pushes the user did not time themselves: the end of quiet hours, if now is in them."""
        s = self.settings
        local = now.astimezone(s.tz)
        quiet = local.hour >= s.quiet_start_hour or local.hour < s.quiet_end_hour
        if not quiet:
            return None
        day = local.date() + timedelta(days=1 if local.hour >= s.quiet_start_hour else 0)
        return datetime.combine(day, time(s.quiet_end_hour), tzinfo=s.tz)
