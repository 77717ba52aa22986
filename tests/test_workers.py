"""`serve --workers N`: several processes on one port and one SQLite file, supervised."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.sim.standin import LineStandIn
from tests.helpers import (
    REPO,
    SECRET,
    TOKEN,
    ServeProcess,
    child_pids,
    metric,
    payload,
    sign,
    text_event,
)

NOON_MS = int(datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo")).timestamp() * 1000)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def wait_until(check, timeout: float = 15) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def served(line: LineStandIn, tmp_path: Path) -> Iterator[ServeProcess]:
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.base_url, "DATABASE_URL": f"sqlite:///{tmp_path}/w.db"}  # fmt: skip
    proc = ServeProcess(env, "--no-dispatcher", "--workers", "2").start()
    assert proc.proc is not None
    assert wait_until(lambda: len(child_pids(proc.proc.pid)) == 2)
    yield proc
    proc.stop()


def test_two_workers_answer_every_event_once_and_each_user_in_order(served, line) -> None:
    """Three users send eight light drafts each; each round goes out at once over three
    connections, so both workers take some. The nudge counts drafts in the last half day, so
    the k-th handled says 「k回目」: each reply proves the order the database handled that
    user's drafts in, whichever worker received them."""
    users = ["Uwa", "Uwb", "Uwc"]

    async def post_all() -> list[int]:
        statuses = []
        async with httpx.AsyncClient(timeout=10) as client:

            async def post(user: str, k: int) -> int:
                body = payload(text_event(user, f"下書き：傘返すね{k}", ts=NOON_MS + k * 1000,
                                          reply_token=f"{user}-{k}"))  # fmt: skip
                r = await client.post(served.url + "/callback", content=body,
                                      headers={"x-line-signature": sign(body)})  # fmt: skip
                return r.status_code

            for k in range(1, 9):
                statuses += await asyncio.gather(*(post(u, k) for u in users))
        return statuses

    assert asyncio.run(post_all()) == [200] * 24
    assert line.wait_for(lambda s: len(s.replies()) == 24, timeout=20)
    time.sleep(0.3)
    assert len(line.replies()) == 24  # none twice
    by_token = {r.json["replyToken"]: "\n".join(r.texts()) for r in line.replies()}
    for u in users:
        for k in range(3, 9):
            assert f"{k}回目" in by_token[f"{u}-{k}"], (u, k, by_token[f"{u}-{k}"])
    # /metrics adds up every worker's counts, whichever worker answers the scrape
    for _ in range(4):
        assert metric(served.url, "hitoban_messages_sent_total", kind="reply") == 24


def test_a_worker_that_dies_is_replaced(served, line) -> None:
    assert served.proc is not None
    first, second = child_pids(served.proc.pid)
    os.kill(first, signal.SIGKILL)
    assert wait_until(lambda: len(child_pids(served.proc.pid)) == 2
                      and first not in child_pids(served.proc.pid))  # fmt: skip
    assert alive(second)
    for n in range(4):  # whichever worker takes them, every message is answered
        body = payload(text_event("Urevive", "使い方", reply_token=f"revive-{n}"))
        r = httpx.post(served.url + "/callback", content=body,
                       headers={"x-line-signature": sign(body)}, timeout=10)  # fmt: skip
        assert r.status_code == 200
    assert line.wait_for(lambda s: len(s.replies()) == 4, timeout=15)


def test_sigterm_stops_every_worker_and_sigkill_of_the_parent_too(line, tmp_path) -> None:
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.base_url, "DATABASE_URL": f"sqlite:///{tmp_path}/w.db"}  # fmt: skip
    proc = ServeProcess(env, "--no-dispatcher", "--workers", "2").start()
    assert proc.proc is not None and wait_until(lambda: len(child_pids(proc.proc.pid)) == 2)
    children = child_pids(proc.proc.pid)
    proc.proc.terminate()
    assert proc.proc.wait(15) == 0
    assert not any(alive(c) for c in children)

    proc = ServeProcess({**env, "BOT_WORKERS": "2"}, "--no-dispatcher").start()  # env, no flag
    assert proc.proc is not None and wait_until(lambda: len(child_pids(proc.proc.pid)) == 2)
    children = child_pids(proc.proc.pid)
    proc.kill()  # SIGKILL: the parent cannot forward anything
    assert wait_until(lambda: not any(alive(c) for c in children))
    with pytest.raises(httpx.HTTPError):
        httpx.get(proc.url + "/healthz", timeout=1)


@pytest.mark.parametrize(
    ("database", "workers", "message"),
    [
        ("sqlite:///:memory:", "2", "not sqlite :memory:"),
        ("sqlite:///{tmp}/w.db", "0", "--workers must be at least 1"),
    ],
)
def test_impossible_worker_settings_are_refused_with_a_reason(
    tmp_path, database: str, workers: str, message: str
) -> None:
    env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "DATABASE_URL": database.format(tmp=tmp_path)}  # fmt: skip
    r = subprocess.run([sys.executable, "-m", "bot", "serve", "--workers", workers], cwd=REPO,
                       env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
