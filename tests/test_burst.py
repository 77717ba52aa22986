"""The morning burst: many held drafts due in the same second, sent concurrently under a rate
limit, in batches, by one or several dispatchers, against the stand-in LINE API (which adds a
latency and answers LINE's two kinds of 429). Speed is measured by `make bench`; these tests
hold what a user would notice: each draft comes back once, none is lost to a crash or a 429."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from bot.config import Settings
from bot.content import load_content
from bot.dispatcher import Dispatcher, Round
from bot.line import ratelimit
from bot.line.client import Messenger, SendResult
from bot.sim.standin import PUSH, LineStandIn
from bot.store import repo
from bot.store.db import Database
from bot.store.models import Draft, Reminder
from tests.conftest import make_settings
from tests.helpers import REPO, SECRET, TOKEN, ServeProcess, seed_held_drafts

JST = ZoneInfo("Asia/Tokyo")
MORNING = datetime(2026, 11, 21, 8, 0, tzinfo=JST)


def texts(n: int) -> list[str]:
    return [f"ごめん、もう一度だけ話したい({k})" for k in range(n)]


def dispatch(settings: Settings, now: datetime, commits: list[int] | None = None,
             start: threading.Barrier | None = None) -> Round:  # fmt: skip
    """One in-process round, like `dispatch --now`; `commits` counts its transactions;
    `start` makes dispatchers in several threads begin together."""

    async def run() -> Round:
        messenger = Messenger(settings.line_api_base_url, TOKEN, settings.dispatch_concurrency)
        await messenger.start()
        db = Database(settings.database_url)
        if commits is not None:
            event.listen(db.engine, "commit", lambda _conn: commits.append(1))
        try:
            dispatcher = Dispatcher(db, load_content(settings.content_dir), messenger, settings)
            if start is not None:
                await asyncio.to_thread(start.wait, 30)
            return await dispatcher.run_round(now)
        finally:
            await messenger.close()
            db.dispose()

    return asyncio.run(run())


def reminders(database_url: str) -> list[Reminder]:
    db = Database(database_url)
    with db.session() as s:
        rows = list(s.execute(select(Reminder)).scalars())
    db.dispose()
    return rows


def assert_each_delivered_once(line: LineStandIn, n: int) -> None:
    """N pushes accepted, to N different users, each with its own retry key."""
    pushes = line.pushes()
    assert len(pushes) == n
    assert len({p.json["to"] for p in pushes}) == n
    assert len({p.headers["x-line-retry-key"] for p in pushes}) == n


def test_a_burst_goes_out_concurrently_in_batches_each_draft_once(database_url, line) -> None:
    n, bound = 120, 12
    seed_held_drafts(database_url, MORNING, texts(n))
    line.set_latency(0.02)
    settings = make_settings(line, database_url, dispatch_concurrency=bound)
    commits: list[int] = []
    assert dispatch(settings, MORNING, commits).delivered == n
    assert_each_delivered_once(line, n)
    assert 1 < line.peak_in_flight(PUSH) <= bound  # concurrent, and never over the bound
    # claims of `bound` a transaction, results gathered 20 ms at a time (~22 here in all):
    # far from two transactions per push, or even one
    assert len(commits) <= n // 2, len(commits)
    rows = reminders(database_url)
    assert all(r.status == "sent" and r.attempts == 1 for r in rows)
    db = Database(database_url)
    with db.session() as s:
        assert {d.status for d in s.execute(select(Draft)).scalars()} == {"returned"}
    db.dispose()
    assert dispatch(settings, MORNING + timedelta(minutes=5)).delivered == 0
    assert len(line.pushes()) == n


def test_checkins_in_a_burst_keep_quiet_hours(settings, line) -> None:
    """At 23:00 a draft the user timed goes out; a check-in they did not time waits for 8:00."""
    late = datetime(2026, 11, 20, 23, 0, tzinfo=JST)
    seed_held_drafts(settings.database_url, late, texts(10))
    db = Database(settings.database_url)
    with db.session() as s:
        for k in range(5):
            user = repo.lock_user(s, f"Ucheck{k}", late)
            repo.schedule_checkin(s, user, late, "冷却期間の半分まで来たよ", late)
    db.dispose()
    assert dispatch(settings, late).delivered == 10
    assert all(p.json["to"].startswith("Uburst") for p in line.pushes())
    assert dispatch(settings, datetime(2026, 11, 21, 8, 0, tzinfo=JST)).delivered == 5
    assert sum(p.texts() == ["冷却期間の半分まで来たよ"] for p in line.pushes()) == 5


def test_the_two_429s_are_told_apart(line) -> None:
    async def push_twice() -> list[SendResult]:
        messenger = Messenger(line.base_url, TOKEN)
        await messenger.start()
        try:
            msg = [{"type": "text", "text": "x"}]
            return [await messenger.push("Ua", msg, str(uuid.uuid4())) for _ in range(2)]
        finally:
            await messenger.close()

    line.rate_limit(1, burst=1)
    assert asyncio.run(push_twice()) == [SendResult.OK, SendResult.RATE_LIMITED]
    line.rate_limit(None)
    line.monthly_limit(True)
    assert asyncio.run(push_twice()) == [SendResult.QUOTA, SendResult.QUOTA]


def test_rate_limited_pushes_are_retried_soon_and_each_delivered_once(settings, line) -> None:
    """The stand-in allows 100 pushes/s, the bot tries 2,000/s: LINE's rate-limit 429s come
    back, and every refused push is retried with its key within the same round (not after the
    30 s backoff of a LINE error), so the whole burst is delivered by that one round."""
    n = 40
    seed_held_drafts(settings.database_url, MORNING, texts(n))
    line.rate_limit(100, burst=5)
    fast = settings.model_copy(update={"dispatch_pushes_per_second": 2000.0})
    round_ = dispatch(fast, MORNING)
    assert round_.delivered == n and round_.rate_limited > 0
    assert_each_delivered_once(line, n)
    limited = [r for r in line.requests if r.path == PUSH and r.rate_limited]
    assert len(limited) == round_.rate_limited
    delivered_keys = {p.headers["x-line-retry-key"] for p in line.pushes()}
    assert {r.headers["x-line-retry-key"] for r in limited} <= delivered_keys  # retried
    assert all(r.status == "sent" and r.attempts == 1 for r in reminders(settings.database_url))


def test_the_monthly_quota_stops_the_burst(settings, line) -> None:
    """Once LINE says the month's quota is spent, the round asks no more: the reminders it
    claimed are failed (`quota`, as a single one is), the rest are left for later rounds."""
    n, bound = 40, 4
    seed_held_drafts(settings.database_url, MORNING, texts(n))
    line.monthly_limit(True)
    quota = settings.model_copy(update={"dispatch_concurrency": bound})
    assert dispatch(quota, MORNING).delivered == 0
    asked = [r for r in line.requests if r.path == PUSH]
    assert 1 <= len(asked) <= bound  # the pushes in flight when the first answer came
    rows = reminders(settings.database_url)
    failed = [r for r in rows if r.status == "failed"]
    assert failed and all(r.last_error == "quota" for r in failed)
    # what was claimed by then: the pushes in flight, a batch waiting, one being handed over
    assert len(failed) <= 3 * bound
    assert {r.status for r in rows} == {"failed", "pending"}
    assert line.pushes() == []


def test_rate_limiter_spaces_slots_slows_down_once_per_overshoot_and_recovers() -> None:
    now = [100.0]
    limiter = ratelimit.RateLimiter(100, burst=3, clock=lambda: now[0])
    assert [limiter.reserve() for _ in range(6)] == pytest.approx([0, 0, 0, 0.01, 0.02, 0.03])
    now[0] += 1.0  # idle: the burst is back
    for _ in range(20):  # twenty pushes in flight refused together: one overshoot
        limiter.slow_down(0.3)
    assert limiter.rate == 50
    assert limiter.reserve() == pytest.approx(0.3)  # nothing during the pause
    now[0] += 0.3 + 1.0  # a second after the pause
    limiter.reserve()
    assert limiter.rate == pytest.approx(50 + 100 * ratelimit.RECOVERY)
    now[0] += 10.0
    limiter.reserve()
    assert limiter.rate == 100  # never over the ceiling
    for _ in range(20):
        limiter.slow_down(0.3)
        now[0] += 0.31  # an overshoot after every pause: down to the floor, not to zero
    assert limiter.rate == 100 * ratelimit.FLOOR
    assert ratelimit.shared(123.0) is ratelimit.shared(123.0)  # one per process and rate


@pytest.mark.postgres
def test_two_dispatchers_on_postgresql_share_a_burst_and_send_nothing_twice(
    postgres_url, line
) -> None:
    """Each dispatcher may have 10 pushes in flight; LINE is 50 ms away. Run together, they
    split the burst (each sends a fair share) and LINE sees more in flight than one could
    have: that is why two finish sooner (the time is measured by `make bench`)."""
    n, bound = 200, 10
    seed_held_drafts(postgres_url, MORNING, texts(n))
    line.set_latency(0.05)
    settings = make_settings(line, postgres_url, dispatch_concurrency=bound)
    rounds: list[Round] = []
    start = threading.Barrier(2)
    threads = [threading.Thread(target=lambda: rounds.append(dispatch(settings, MORNING, None, start)))
               for _ in range(2)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.delivered for r in rounds)[0] >= n // 5  # both took part
    assert sum(r.delivered for r in rounds) == n
    assert_each_delivered_once(line, n)
    assert not [r for r in line.requests if r.status == 409]  # no row claimed twice
    assert bound < line.peak_in_flight(PUSH) <= 2 * bound


@pytest.mark.postgres
def test_serve_workers_on_postgresql_all_dispatch(postgres_url, line) -> None:
    """`serve --workers 2` on PostgreSQL: both workers send the burst (more in flight than
    one worker's bound), each draft once."""
    n, bound = 150, 8
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.base_url, "DATABASE_URL": postgres_url,
           "DISPATCH_CONCURRENCY": str(bound), "DISPATCH_INTERVAL_SECONDS": "0.5",
           "LOG_LEVEL": "WARNING"}  # fmt: skip
    line.set_latency(0.05)
    proc = ServeProcess(env, "--workers", "2").start(timeout=180)  # two workers load models at once
    try:
        seed_held_drafts(postgres_url, datetime.now(JST) - timedelta(seconds=1), texts(n))
        assert line.wait_for(lambda s: len(s.pushes()) >= n, timeout=30)
        assert line.wait_for(lambda s: s.in_flight(PUSH) == 0)  # (a push twice would be seen)
    finally:
        proc.stop()
    assert_each_delivered_once(line, n)
    assert bound < line.peak_in_flight(PUSH) <= 2 * bound


def test_kill_9_mid_burst_loses_nothing_and_sends_nothing_twice(database_url, line) -> None:
    """`dispatch` is killed with SIGKILL while pushes are in flight. Some LINE accepted and
    the process never recorded: they stay `sending` and after the lease are sent again with
    their keys, so LINE answers 409 and they are marked sent. Nobody gets a draft twice."""
    n = 300
    seed_held_drafts(database_url, MORNING, texts(n))
    line.set_latency(0.1)
    env = {**os.environ, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE_URL": line.base_url,
           "DATABASE_URL": database_url, "DISPATCH_CONCURRENCY": "20",
           "DISPATCH_PUSHES_PER_SECOND": "150"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "bot", "dispatch", "--now", MORNING.isoformat()],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        assert line.wait_for(lambda s: len(s.pushes()) >= n // 3, timeout=30)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert line.wait_for(lambda s: s.in_flight(PUSH) == 0)  # those in flight at the kill too
    before = len(line.pushes())
    assert n // 3 <= before < n
    states = Counter(r.status for r in reminders(database_url))
    assert states["sending"] > 0 and states["sent"] < before  # accepted, never recorded
    settings = make_settings(line, database_url)
    after_lease = dispatch(settings, MORNING + timedelta(minutes=3))
    assert after_lease.delivered == n - states["sent"]
    assert_each_delivered_once(line, n)
    assert sum(r.status == 409 for r in line.requests) == before - states["sent"]
    assert all(r.status == "sent" for r in reminders(database_url))
