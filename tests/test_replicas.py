"""Two `serve` processes on one PostgreSQL database behind the same webhook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from bot.sim.standin import LineStandIn
from bot.store.db import Database
from bot.store.models import InboxEvent, SeenEvent
from tests.helpers import SECRET, TOKEN, ServeProcess, payload, sign, text_event

pytestmark = pytest.mark.postgres
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@pytest.fixture
def replicas(postgres_url: str, line: LineStandIn) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.base_url, "DATABASE_URL": postgres_url}  # fmt: skip
    a = ServeProcess(env, "--no-dispatcher").start()
    b = ServeProcess(env, "--no-dispatcher").start()
    yield a, b
    a.stop()
    b.stop()


def post(replica: ServeProcess, body: bytes) -> int:
    return httpx.post(replica.url + "/callback", content=body,
                      headers={"x-line-signature": sign(body)}, timeout=10).status_code  # fmt: skip


def count(url: str, model: type) -> int:
    db = Database(url)
    with db.session() as s:
        n = s.execute(select(func.count()).select_from(model)).scalar_one()
    db.dispose()
    return n


def test_redelivery_on_the_other_replica_is_handled_once(replicas, line, postgres_url) -> None:
    a, b = replicas
    event = text_event("Urepl", "こんにちは", event_id="01REPLICAREDELIVERY00000001")
    assert post(a, payload(event)) == 200
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    again = {**event, "deliveryContext": {"isRedelivery": True}}
    assert post(b, payload(again)) == 200
    time.sleep(0.5)
    assert len(line.replies()) == 1
    assert count(postgres_url, SeenEvent) == 1 and count(postgres_url, InboxEvent) == 0


def test_the_same_event_on_both_replicas_at_once(replicas, line) -> None:
    a, b = replicas
    body = payload(text_event("Urace", "使い方", event_id="01REPLICARACE0000000000001"))

    async def both() -> list[int]:
        async with httpx.AsyncClient(timeout=10) as client:

            async def go(r: ServeProcess) -> int:
                resp = await client.post(r.url + "/callback", content=body,
                                         headers={"x-line-signature": sign(body)})  # fmt: skip
                return resp.status_code

            return list(await asyncio.gather(go(a), go(b)))

    for _ in range(3):
        assert asyncio.run(both()) == [200, 200]
    assert line.wait_for(lambda s: len(s.replies()) >= 1)
    time.sleep(0.5)
    assert len(line.replies()) == 1


def test_one_users_messages_split_across_replicas_are_handled_in_order(replicas, line) -> None:
    """Eight light drafts, alternating replicas, sent as fast as they go. The nudge counts
    drafts in the last half day, so the k-th handled says 「k回目」: the count in each reply
    proves the order the database handled them in, whatever order the replies arrive in."""
    a, b = replicas
    for k in range(1, 9):
        event = text_event("Usplit", f"下書き：傘返すね{k}", ts=ms(NOON) + k * 1000,
                           reply_token=f"split-{k}")  # fmt: skip
        assert post(a if k % 2 else b, payload(event)) == 200
    assert line.wait_for(lambda s: len(s.replies()) == 8, timeout=20)
    by_token = {r.json["replyToken"]: "\n".join(r.texts()) for r in line.replies()}
    for k in range(3, 9):
        assert f"{k}回目" in by_token[f"split-{k}"], (k, by_token[f"split-{k}"])


def test_events_of_a_replica_killed_after_its_200_are_handled_by_the_other(
    postgres_url: str, line: LineStandIn
) -> None:
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.base_url, "DATABASE_URL": postgres_url}  # fmt: skip
    slow = ServeProcess({**env, "ORDER_WINDOW_SECONDS": "30"}, "--no-dispatcher").start()
    try:
        assert post(slow, payload(text_event("Uorphan", "使い方"))) == 200
    finally:
        slow.kill()  # SIGKILL after the 200, before it handled anything
    assert line.replies() == [] and count(postgres_url, InboxEvent) == 1
    other = ServeProcess({**env, "INBOX_SWEEP_SECONDS": "0.5"}, "--no-dispatcher").start()
    try:
        assert line.wait_for(lambda s: len(s.replies()) == 1, timeout=15)
    finally:
        other.stop()
    assert "できること" in line.replies()[0].texts()[0]
