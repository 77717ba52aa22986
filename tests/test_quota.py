"""The push quota in sight: LINE's quota endpoints read by the dispatcher, into /metrics, a
warning when little is left, and reminders past the quota kept as `quota` failures without
asking LINE. Through the real SDK client against the stand-in, on a real database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import metrics
from bot.content import load_content
from bot.dispatcher import Dispatcher
from bot.line.client import Messenger
from bot.sim.standin import CONSUMPTION, PUSH, QUOTA
from bot.store.db import Database
from bot.store.models import Reminder
from bot.web.app import create_app
from tests.conftest import make_settings
from tests.helpers import SECRET, TOKEN, AppServer, ServeProcess, metric, seed_held_drafts

JST = ZoneInfo("Asia/Tokyo")
MORNING = datetime(2026, 11, 20, 8, 0, tzinfo=JST)


def run_dispatcher(settings, now: datetime, after_read: Callable[[], None] | None = None) -> int:
    """Like `dispatch --now`: read the quota, then one round (`after_read` runs between)."""

    async def run() -> int:
        messenger = Messenger(settings.line_api_base_url, TOKEN)
        await messenger.start()
        db = Database(settings.database_url)
        try:
            dispatcher = Dispatcher(db, load_content(settings.content_dir), messenger, settings)
            await dispatcher.read_quota()
            if after_read:
                after_read()
            return await dispatcher.run_once(now)
        finally:
            await messenger.close()
            db.dispose()

    return asyncio.run(run())


def statuses(database_url: str) -> list[tuple[str, str | None]]:
    db = Database(database_url)
    with db.session() as s:
        rows = [(r.status, r.last_error) for r in s.execute(select(Reminder)).scalars()]
    db.dispose()
    return sorted(rows, key=lambda r: r[0])


def test_reminders_past_the_quota_are_kept_as_quota_failures(line, tmp_path, caplog) -> None:
    """3 pushes left this month and 5 drafts due: 3 are given back, 2 are kept as `quota`
    failures, and LINE is not asked to push them (no 429 in its log)."""
    url = f"sqlite:///{tmp_path}/q.db"
    settings = make_settings(line, url)
    seed_held_drafts(url, MORNING, [f"ごめん、話したい({k})" for k in range(5)])
    line.quota, line.used_before = 100, 97
    with caplog.at_level(logging.WARNING):
        assert run_dispatcher(settings, MORNING) == 3
    assert len([r for r in line.requests if r.path == PUSH]) == 3  # none refused
    assert statuses(url) == [("failed", "quota")] * 2 + [("sent", None)] * 3
    spent = [r for r in caplog.records if "push quota is spent" in r.getMessage()]
    assert len(spent) == 2 and spent[0].limit == 100
    assert any("nearly spent" in r.getMessage() for r in caplog.records)  # 3% left at start
    assert metrics.PUSH_QUOTA_LIMIT._value.get() == 100
    assert metrics.PUSH_QUOTA_USED._value.get() == 100


def test_a_quota_that_looks_spent_is_read_again_before_failing(line, tmp_path) -> None:
    """Spent by the last reading, but the plan was raised since: the reminder goes out."""
    url = f"sqlite:///{tmp_path}/q.db"
    settings = make_settings(line, url)
    seed_held_drafts(url, MORNING, ["ごめん、話したい"])

    line.quota, line.used_before = 10, 10

    def raise_plan() -> None:
        line.quota = 1000  # the operator raised the plan

    assert run_dispatcher(settings, MORNING, after_read=raise_plan) == 1
    assert statuses(url) == [("sent", None)]


def test_no_limit_is_an_infinite_limit_and_nothing_is_held_back(line, tmp_path, caplog) -> None:
    url = f"sqlite:///{tmp_path}/q.db"
    settings = make_settings(line, url)
    seed_held_drafts(url, MORNING, ["ごめん、話したい"] * 2)
    line.quota, line.used_before = None, 10**6
    with caplog.at_level(logging.WARNING):
        assert run_dispatcher(settings, MORNING) == 2
    assert metrics.PUSH_QUOTA_LIMIT._value.get() == float("inf")
    assert not any("quota" in r.getMessage() for r in caplog.records)


def test_serve_reads_the_quota_at_start_into_metrics(line, tmp_path) -> None:
    line.used_before = 42
    settings = make_settings(line, f"sqlite:///{tmp_path}/q.db")
    server = AppServer(create_app(settings)).start()
    try:
        assert line.wait_for(lambda s: any(r.path == CONSUMPTION and r.status == 200
                                           for r in s.requests), timeout=10)  # fmt: skip
        assert line.wait_for(lambda _s: metric(server.url, "hitoban_push_quota_used") == 42)
        assert metric(server.url, "hitoban_push_quota_limit") == 200
    finally:
        server.stop()


@pytest.mark.postgres
def test_with_workers_the_quota_is_the_channels_not_a_sum(line, postgres_url) -> None:
    """On PostgreSQL every worker dispatches, and each reads the quota: /metrics shows the
    channel's figures once, not twice."""
    line.used_before = 30
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.base_url, "DATABASE_URL": postgres_url}  # fmt: skip
    proc = ServeProcess(env, "--workers", "2").start(timeout=180)  # two workers load models at once
    try:
        # Generous waits: two workers start on a loaded 2-core machine (a bound, not a timing)
        assert line.wait_for(lambda s: len([r for r in s.requests if r.path == QUOTA]) >= 2,
                             timeout=60)  # fmt: skip
        assert line.wait_for(lambda _s: metric(proc.url, "hitoban_push_quota_used") == 30,
                             timeout=60)  # fmt: skip
        assert metric(proc.url, "hitoban_push_quota_limit") == 200
    finally:
        proc.stop()
