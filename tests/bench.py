"""`make bench`: Hitoban's whole pipeline against the floor of its stack.

Both bots run as real processes against the same stand-in LINE API, alternately, with the
same load: signed webhook events (one per request), 32 in flight, hundreds of users, a mix
of questions, vents and drafts taken from the held-out test sets. Measured per run:
events answered per second (until the reply reaches the stand-in), webhook latency p50/p99,
peak RSS of the server process, cold start to the first /healthz. Plus the classifier's
time per message in-process. Prints a Markdown table for the README."""

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
from pathlib import Path

import aiohttp
import httpx

from tests.helpers import REPO, SECRET, TOKEN, free_port, payload, sign, text_event

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

    def __enter__(self) -> StandIn:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.line_standin", TOKEN], cwd=REPO,
                                     stdout=subprocess.PIPE)  # fmt: skip
        assert self.proc.stdout is not None
        self.base_url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)

    async def stats(self, client: aiohttp.ClientSession) -> dict[str, int]:
        async with client.get(self.base_url + "/_standin/stats") as r:
            return await r.json()


def start(kind: str, line: StandIn, workdir: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.base_url, "LOG_LEVEL": "WARNING",
           "DATABASE_URL": f"sqlite:///{workdir / f'bench-{port}.db'}"}  # fmt: skip
    if kind == "hitoban":
        args = [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-dispatcher"]
    else:
        args = [sys.executable, "-m", "tests.echo_bot", str(port)]
    began = time.perf_counter()
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url, time.perf_counter() - began
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.perf_counter() - began > 60:
            raise RuntimeError(f"{kind} did not start")
        time.sleep(0.01)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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


def run_once(kind: str, events: int, in_flight: int, users: int, rate: float,
             workdir: Path) -> dict:  # fmt: skip
    with StandIn() as line:
        proc, url, cold = start(kind, line, workdir)
        try:
            asyncio.run(load(url, line, 64, in_flight, users))  # warm-up
            result = asyncio.run(load(url, line, events, in_flight, users))
            steady = asyncio.run(load(url, line, events, in_flight, users, rate=rate))
            result["steady_p50"], result["steady_p99"] = steady["p50"], steady["p99"]
            result["rss"] = peak_rss_mb(proc.pid)
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
    for text in texts:
        clf.classify(text)
    return (time.perf_counter() - began) / len(texts) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--in-flight", type=int, default=32)
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument(
        "--rate",
        type=float,
        default=200,
        help="events/s of the open-loop run (webhook latency below saturation)",
    )
    args = ap.parse_args()
    runs: dict[str, list[dict]] = {"echo": [], "hitoban": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for kind in ("echo", "hitoban"):  # alternating, so drift hits both alike
                runs[kind].append(
                    run_once(kind, args.events, args.in_flight, args.users, args.rate, Path(tmp))
                )
                print(f"  {kind}: {runs[kind][-1]}", file=sys.stderr)

    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[kind])

    ratio = med("hitoban", "eps") / med("echo", "eps")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    print(f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
          f"SQLite; {args.events} events, {args.in_flight} in flight, {args.users} users, "
          f"median of {args.rounds} alternating rounds.\n")  # fmt: skip
    print(f"| | events/s (until reply) | webhook p50 / p99, {args.in_flight} in flight | "
          f"webhook p50 / p99 at {args.rate:.0f} events/s | peak RSS | cold start |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for kind, name in (("echo", "echo bot (floor)"), ("hitoban", "Hitoban")):
        print(
            f"| {name} | {med(kind, 'eps'):.0f} | {med(kind, 'p50'):.1f} / "
            f"{med(kind, 'p99'):.1f} ms | {med(kind, 'steady_p50'):.1f} / "
            f"{med(kind, 'steady_p99'):.1f} ms | {med(kind, 'rss'):.0f} MB | "
            f"{med(kind, 'cold'):.2f} s |"
        )
    print(
        f"\nThroughput ratio Hitoban / echo bot: {ratio:.2f}. "
        f"Classifier: {classify_ms():.2f} ms per message."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
