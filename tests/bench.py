"""`make bench`: Hitoban's whole pipeline against the floor of its stack.

The echo bot and Hitoban (on SQLite in one process, and on PostgreSQL with a worker per core
when PostgreSQL is reachable) run as real processes against the same stand-in LINE API,
alternately, with the same load: signed webhook events (one per request), 32 in flight,
hundreds of users, a mix of questions, vents and drafts taken from the held-out test sets.
Measured per run: events answered per second (until the reply reaches the stand-in), webhook
latency p50/p99 (saturated, and at a steady rate), memory, cold start to the first /healthz.
Plus the classifier's time per message in-process. Prints a Markdown table for the README.
Then the morning burst of reminders (`tests/bench_burst.py`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
from sqlalchemy import create_engine, text

from bot.store.db import make_url
from tests.helpers import (
    REPO,
    SECRET,
    TOKEN,
    child_pids,
    free_port,
    payload,
    postgres_problem,
    sign,
    text_event,
)

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"

DATA = REPO / "tests" / "data"


def messages() -> list[str]:
    texts = [
        line.split("\t")[1] for line in (DATA / "intents_heldout.tsv").read_text().splitlines()
    ]
    drafts = [
        line.split("\t")[2] for line in (DATA / "drafts_heldout.tsv").read_text().splitlines()
    ]
    texts = [t for t in texts if t.strip()] + [f"下書き：{d}" for d in drafts]
    random.Random(1).shuffle(texts)
    return texts


class StandIn:
    """The stand-in LINE API in a process of its own, so serving the bot's replies does not
    compete with the load generator for one interpreter lock."""

    def __init__(self, *options: str) -> None:
        self.options = options  # e.g. --latency 0.05 --push-rate 2000

    def __enter__(self) -> StandIn:
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.sim.standin", TOKEN,
                                      *self.options], cwd=REPO, stdout=subprocess.PIPE)  # fmt: skip
        assert self.proc.stdout is not None
        self.base_url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)

    async def stats(self, client: aiohttp.ClientSession) -> dict[str, int]:
        async with client.get(self.base_url + "/_standin/stats") as r:
            return await r.json()

    def stats_now(self) -> dict:
        return httpx.get(self.base_url + "/_standin/stats", timeout=10).json()


@dataclass(frozen=True)
class Target:
    """One server to measure: the echo bot, or Hitoban on a database with some workers."""

    name: str
    hitoban: bool = True
    workers: int = 1
    postgres: bool = False

    def command(self, port: int) -> list[str]:
        if not self.hitoban:
            return [sys.executable, "-m", "tests.echo_bot", str(port)]
        return [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-dispatcher",
                "--workers", str(self.workers)]  # fmt: skip


@contextmanager
def database(target: Target, workdir: Path, postgres: str) -> Iterator[str]:
    """A new SQLite file, or a new PostgreSQL database dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    if not target.postgres:
        yield f"sqlite:///{workdir / name}.db"
        return
    admin = create_engine(make_url(postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield str(make_url(postgres).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def start(
    target: Target, line: StandIn, database_url: str
) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.base_url, "LOG_LEVEL": "WARNING",
           "DATABASE_URL": database_url}  # fmt: skip
    began = time.perf_counter()
    proc = subprocess.Popen(target.command(port), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url, time.perf_counter() - began
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.perf_counter() - began > 60:
            raise RuntimeError(f"{target.name} did not start")
        time.sleep(0.01)


def processes(pid: int) -> list[int]:
    """The server and its workers."""
    return [pid, *(p for child in child_pids(pid) for p in processes(child))]


def memory_mb(pids: list[int]) -> tuple[float, float]:
    """Peak RSS of the largest process, and the proportional set size of all of them (the
    memory they use together, shared pages counted once)."""

    def field(path: str, name: str) -> float:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1]) / 1024
        return float("nan")

    peak = max(field(f"/proc/{p}/status", "VmHWM:") for p in pids)
    return peak, sum(field(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)


async def load(url: str, line: StandIn, events: int, in_flight: int, users: int,
               rate: float | None = None) -> dict:  # fmt: skip
    """Post `events` signed webhooks, `in_flight` at a time (or, given a `rate`, one every
    1/rate seconds whatever is in flight: an open loop), and wait for every reply. The
    client is aiohttp with bodies signed beforehand: the lightest load generator at hand, so
    that the floor measured is the bot's and not the harness's."""
    texts = messages()
    base = int(time.time() * 1000)
    bodies = [payload(text_event(f"Ubench{n % users:04d}", texts[n % len(texts)], ts=base + n))
              for n in range(events)]  # fmt: skip
    requests = iter([(body, {"x-line-signature": sign(body), "content-type": "application/json"})
                     for body in bodies])  # fmt: skip
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0 if rate else in_flight + 1)
    async with aiohttp.ClientSession(connector=connector) as client:
        before = await line.stats(client)

        async def post(body: bytes, headers: dict[str, str]) -> None:
            t0 = time.perf_counter()
            async with client.post(url + "/callback", data=body, headers=headers) as r:
                await r.read()
            latencies.append(time.perf_counter() - t0)
            assert r.status == 200, r.status

        async def worker() -> None:
            for body, headers in requests:
                await post(body, headers)

        async def paced() -> None:
            sent = []
            for n, (body, headers) in enumerate(requests):
                await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
                sent.append(asyncio.create_task(post(body, headers)))
            await asyncio.gather(*sent)

        began = time.perf_counter()
        if rate:
            await paced()
        else:
            await asyncio.gather(*(worker() for _ in range(in_flight)))
        while (now := await line.stats(client))["replies"] < before["replies"] + events:
            if time.perf_counter() - began > 300:
                raise TimeoutError(f"only {now['replies'] - before['replies']} of {events} replies")
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - began
    if now["rejected"]:
        raise RuntimeError(f"the stand-in rejected {now['rejected']} requests")
    latencies.sort()
    return {"eps": events / elapsed, "p50": latencies[len(latencies) // 2] * 1000,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000}  # fmt: skip


def run_once(target: Target, args: argparse.Namespace, workdir: Path) -> dict:
    with StandIn() as line, database(target, workdir, args.postgres) as url:
        proc, base, cold = start(target, line, url)
        try:
            asyncio.run(load(base, line, 64, args.in_flight, args.users))  # warm-up
            result = asyncio.run(load(base, line, args.events, args.in_flight, args.users))
            steady = asyncio.run(
                load(base, line, args.events, args.in_flight, args.users, rate=args.rate)
            )
            result["steady_p50"], result["steady_p99"] = steady["p50"], steady["p99"]
            result["rss"], result["pss"] = memory_mb(processes(proc.pid))
            result["cold"] = cold
        finally:
            proc.terminate()
            proc.wait(20)
    return result


def classify_ms() -> float:
    from bot.config import Settings
    from bot.content import load_content
    from bot.wiring import build_classifier

    clf = build_classifier(load_content(Settings(_env_file=None).content_dir))
    texts = messages()
    began = time.perf_counter()
    for message in texts:
        clf.classify(message)
    return (time.perf_counter() - began) / len(texts) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--in-flight", type=int, default=32)
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rate", type=float, default=200,
                    help="events/s of the open-loop run (webhook latency below saturation)")  # fmt: skip
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="workers of the PostgreSQL run (default: one per core)")  # fmt: skip
    ap.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES),
                    help="server to create a scratch database on; skipped if unreachable")  # fmt: skip
    ap.add_argument("--only", choices=("webhook", "burst"),
                    help="run one part (default both; the burst's options: tests.bench_burst)")  # fmt: skip
    args = ap.parse_args()
    if args.only != "burst":
        webhook(args)
    if args.only != "webhook":
        from tests import bench_burst

        return bench_burst.main([f"--postgres={args.postgres}", f"--rounds={args.rounds}"])
    return 0


def webhook(args: argparse.Namespace) -> None:
    """The webhook under load: events/s against the echo bot's, latency, memory, cold start."""
    targets = [Target("echo bot (floor)", hitoban=False), Target("Hitoban, SQLite, 1 process")]
    if postgres_problem(args.postgres) is None:
        targets.append(Target(f"Hitoban, PostgreSQL, {args.workers} workers",
                              workers=args.workers, postgres=True))  # fmt: skip
    else:
        print(f"PostgreSQL unreachable at {args.postgres}: its run is skipped", file=sys.stderr)
    runs: dict[Target, list[dict]] = {t: [] for t in targets}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for target in targets:  # alternating, so drift hits all alike
                runs[target].append(run_once(target, args, Path(tmp)))
                print(f"  {target.name}: {runs[target][-1]}", file=sys.stderr)

    def med(target: Target, key: str) -> float:
        return statistics.median(r[key] for r in runs[target])

    floor = med(targets[0], "eps")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    print(f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}; "
          f"{args.events} events, {args.in_flight} in flight, {args.users} users, "
          f"median of {args.rounds} alternating rounds.\n")  # fmt: skip
    print(f"| | events/s (until reply) | ratio to floor | webhook p50 / p99, {args.in_flight} "
          f"in flight | webhook p50 / p99 at {args.rate:.0f} events/s | peak RSS (largest "
          f"process) | memory of all processes (PSS) | cold start |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for t in targets:
        print(
            f"| {t.name} | {med(t, 'eps'):.0f} | {med(t, 'eps') / floor:.2f} | "
            f"{med(t, 'p50'):.1f} / {med(t, 'p99'):.1f} ms | {med(t, 'steady_p50'):.1f} / "
            f"{med(t, 'steady_p99'):.1f} ms | {med(t, 'rss'):.0f} MB | {med(t, 'pss'):.0f} MB | "
            f"{med(t, 'cold'):.2f} s |"
        )
    print(f"\nClassifier: {classify_ms():.2f} ms per message.")


if __name__ == "__main__":
    raise SystemExit(main())
