"""`make bench`, the morning burst: N held drafts due at the same second, sent by the real
`serve` process (its dispatcher) to the stand-in LINE API in a process of its own, which adds
a latency to every answer and refuses pushes over a rate with LINE's rate-limit 429.

Measured from the second they come due to the last push LINE accepted, against the limit
max(N / rate, latency): SQLite in one process, PostgreSQL with one dispatcher, PostgreSQL
with two (`serve --workers 2`: one each); then the same two with LINE further away (where one
dispatcher's pushes in flight bound it), and SQLite against a channel that allows fewer
pushes than the bot's rate (as when another sender shares it), where 429s are met. The
stand-in's records check that each reminder was delivered exactly once (N accepted pushes, to
N users), and count the 429s met and the pushes retried after one; the database, that every
reminder is marked sent."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bot.store.db import Database
from bot.store.models import Reminder
from tests.bench import DATA, POSTGRES, StandIn, database, processes
from tests.helpers import REPO, SECRET, TOKEN, free_port, postgres_problem, seed_held_drafts

LEAD = 3.0  # seconds from seeding to the due time: the dispatcher's next poll sees it coming
INTERVAL = "1"  # DISPATCH_INTERVAL_SECONDS of the run (then it sleeps until the due second)


@dataclass(frozen=True)
class Case:
    name: str
    postgres: bool = False
    workers: int = 1
    line_rate: float | None = None  # the channel's limit, when not --line-rate
    latency: float | None = None  # LINE's, when not --latency


def drafts(n: int) -> list[str]:
    """Real-sized drafts: the held-out set's, over and over."""
    texts = [line.split("\t")[2] for line in (DATA / "drafts_heldout.tsv").read_text().splitlines()]
    return [texts[i % len(texts)] for i in range(n)]


def sent(url: str) -> int:
    db = Database(url)
    with db.session() as session:
        count = session.execute(
            select(func.count()).select_from(Reminder).where(Reminder.status == "sent")
        ).scalar_one()
    db.dispose()
    return count


def line_rate(case: Case, args: argparse.Namespace) -> float:
    return case.line_rate or args.line_rate


def latency(case: Case, args: argparse.Namespace) -> float:
    return case.latency or args.latency


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time these processes have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def serve(case: Case, line: StandIn, url: str, rate: float) -> subprocess.Popen[bytes]:
    port = free_port()
    env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.base_url, "DATABASE_URL": url, "LOG_LEVEL": "WARNING",
           "DISPATCH_INTERVAL_SECONDS": INTERVAL,
           "DISPATCH_PUSHES_PER_SECOND": str(rate)}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port),
                             "--workers", str(case.workers)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    began = time.monotonic()
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() - began > 60:
            raise RuntimeError(f"{case.name}: serve did not start")
        time.sleep(0.02)


def run_once(case: Case, args: argparse.Namespace, workdir: Path) -> dict:
    options = ("--latency", str(latency(case, args)), "--push-rate", str(line_rate(case, args)))
    with StandIn(*options) as line, database(case, workdir, args.postgres) as url:  # type: ignore[arg-type]
        proc = serve(case, line, url, args.rate)
        try:
            due = datetime.now(UTC) + timedelta(seconds=LEAD)
            seed_held_drafts(url, due, drafts(args.n))
            pids = processes(proc.pid)
            time.sleep(max(0.0, due.timestamp() - time.time()))
            bot_cpu, line_cpu = cpu_seconds(pids), cpu_seconds([line.proc.pid])
            deadline = time.monotonic() + LEAD + 120
            while (stats := line.stats_now())["pushes"] < args.n:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{case.name}: {stats['pushes']} of {args.n} delivered")
                time.sleep(0.1)
            time.sleep(0.5)  # anything sent twice would arrive now
            bot_cpu, line_cpu = cpu_seconds(pids) - bot_cpu, cpu_seconds([line.proc.pid]) - line_cpu
            stats = line.stats_now()
            marked = sent(url)
        finally:
            proc.terminate()
            proc.wait(20)
    elapsed = stats["last_push_at"] - due.timestamp()
    once = stats["pushes"] == args.n == stats["pushed_to"] == marked
    return {"time": elapsed, "first": stats["first_push_at"] - due.timestamp(),
            "pps": args.n / elapsed, "rate_limited": stats["rate_limited"],
            "retried": stats["rate_limited_then_delivered"], "duplicates": stats["duplicates"],
            "peak": stats["peak_in_flight"], "once": once, "rejected": stats["rejected"],
            "bot_cpu": bot_cpu / args.n * 1000, "line_cpu": line_cpu / args.n * 1000}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=2000, help="reminders due at once")
    ap.add_argument("--latency", type=float, default=0.05, help="the stand-in's, in seconds")
    ap.add_argument("--line-rate", type=float, default=2000, help="the stand-in's push limit /s")
    ap.add_argument("--rate", type=float, default=1800,
                    help="DISPATCH_PUSHES_PER_SECOND of the bot (its default)")  # fmt: skip
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--far", type=float, default=0.15,
                    help="also PostgreSQL with 1 and 2 dispatchers with LINE this many seconds "
                         "away, where one dispatcher's pushes in flight bound it; 0: skip")  # fmt: skip
    ap.add_argument("--shared-channel", type=float, default=1000,
                    help="also SQLite against a channel allowing only this many pushes/s (another "
                         "sender on it), so that LINE's rate-limit 429s are met; 0: skip")  # fmt: skip
    ap.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES))
    args = ap.parse_args(argv)
    cases = [Case("SQLite, 1 process")]
    if postgres_problem(args.postgres) is None:
        cases += [Case("PostgreSQL, 1 dispatcher", postgres=True),
                  Case("PostgreSQL, 2 dispatchers (`serve --workers 2`)", postgres=True, workers=2)]  # fmt: skip
        if args.far:
            far = f"; LINE {args.far * 1000:.0f} ms away"
            cases += [Case(f"PostgreSQL, 1 dispatcher{far}", postgres=True, latency=args.far),
                      Case(f"PostgreSQL, 2 dispatchers{far}", postgres=True, workers=2,
                           latency=args.far)]  # fmt: skip
    else:
        print(f"PostgreSQL unreachable at {args.postgres}: its runs are skipped", file=sys.stderr)
    if args.shared_channel:
        cases.append(Case(f"SQLite, 1 process; LINE allows {args.shared_channel:.0f}/s",
                          line_rate=args.shared_channel))  # fmt: skip
    runs: dict[Case, list[dict]] = {c: [] for c in cases}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for case in cases:  # alternating, so drift hits all alike
                runs[case].append(run_once(case, args, Path(tmp)))
                print(f"  {case.name}: {runs[case][-1]}", file=sys.stderr)
    print(f"\nMorning burst, on {os.cpu_count()} cores: {args.n} reminders due at once; the "
          f"stand-in answers after {args.latency * 1000:.0f} ms and refuses pushes over "
          f"{args.line_rate:.0f}/s (unless said otherwise) with "
          f"LINE's rate-limit 429; the bot at DISPATCH_PUSHES_PER_SECOND={args.rate:.0f}, "
          f"default concurrency; median of {args.rounds} alternating rounds.\n")  # fmt: skip
    print("| | time (due → last push accepted) | limit max(N / rate, latency) | ratio (limit / "
          "time) | pushes/s | first push accepted after | 429s met / retried | delivered exactly "
          "once | peak pushes in flight | CPU per push: bot / stand-in |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for case in cases:
        rs = runs[case]

        def med(key: str, rs: list[dict] = rs) -> float:
            return statistics.median(r[key] for r in rs)

        once = all(r["once"] and not r["rejected"] for r in rs)
        dups = sum(r["duplicates"] for r in rs)
        times = ", ".join(f"{r['time']:.2f}" for r in rs)
        limit = max(args.n / line_rate(case, args), latency(case, args))
        print(f"| {case.name} | {med('time'):.2f} s ({times}) | {limit:.2f} s | "
              f"{limit / med('time'):.2f} | "
              f"{med('pps'):.0f} | {med('first') * 1000:.0f} ms | "
              f"{sum(r['rate_limited'] for r in rs)} / {sum(r['retried'] for r in rs)} | "
              f"{'yes' if once else 'NO'} ({dups} answered 409) | {med('peak'):.0f} | "
              f"{med('bot_cpu'):.2f} / {med('line_cpu'):.2f} ms |")  # fmt: skip
    return 0 if all(r["once"] for rs in runs.values() for r in rs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
