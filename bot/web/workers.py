"""`serve --workers N`: N processes answer one listening socket, forked from a parent that
loaded everything once (content, models, migrations), as gunicorn's `--preload` does.

One Python process keeps one core busy at most: the interpreter lock serializes the webhook,
the engine and the replies. Workers are replicas of one another on one database (the inbox's
per-user lock keeps each user's events in order whichever worker received them), so a spike
spreads over every core. The parent only supervises: it forwards SIGTERM/SIGINT, restarts a
worker that dies, and its death (even SIGKILL) stops the workers, which watch a pipe to it."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from types import FrameType

from bot.config import ConfigError, Settings
from bot.store.db import is_memory, make_url

log = logging.getLogger(__name__)
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
RESTART_PAUSE = 1.0  # seconds before restarting a worker that died young, so a crash loop idles


def prepare_metrics() -> str:
    """Workers count into one shared directory (prometheus-client's multiprocess mode), so
    `/metrics` on any worker reports the whole server. Must run before `bot.metrics` loads."""
    directory = tempfile.mkdtemp(prefix="hitoban-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    return directory


def serve(settings: Settings, host: str, port: int, workers: int, dispatcher: bool) -> int:
    if is_memory(make_url(settings.database_url)):
        raise ConfigError("--workers needs a database file or PostgreSQL, not sqlite :memory:")
    metrics_dir = prepare_metrics()
    try:
        return _Supervisor(settings, host, port, workers, dispatcher).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def dispatcher_count(sqlite: bool, workers: int) -> int:
    """Workers that send due reminders. On PostgreSQL every one: their claims skip each
    other's rows, so a morning burst is spread over every core (each with its share of the
    push rate, which is the channel's, not the process's). On SQLite the first only, as
    before: every claim and result goes through its one writer anyway."""
    return 1 if sqlite else workers


class _Supervisor:
    def __init__(
        self, settings: Settings, host: str, port: int, workers: int, dispatcher: bool
    ) -> None:
        from bot.web.app import create_app
        from bot.wiring import build_core

        self.core = build_core(settings)  # shared by every worker, copy-on-write
        self.core.db.dispose()  # no pooled connection may cross a fork
        dispatchers = dispatcher_count(self.core.db.is_sqlite, workers) if dispatcher else 0
        share = settings.model_copy(update={
            "dispatch_pushes_per_second": settings.dispatch_pushes_per_second / max(dispatchers, 1)
        })  # fmt: skip
        self.apps = [
            create_app(share, self.core, dispatcher=n < dispatchers) for n in range(workers)
        ]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.create_server((host, port), family=family, backlog=2048)
        self.host, self.port = host, port
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (worker index, started at)
        self.stopping = False
        self.alive_r, self.alive_w = os.pipe()

    def run(self) -> int:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._stop)
        log.info("serving", extra={"host": self.host, "port": self.port,
                                   "workers": len(self.apps)})  # fmt: skip
        for index in range(len(self.apps)):
            self._spawn(index)
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            index, started = self.children.pop(pid, (-1, 0.0))
            if index < 0 or self.stopping:
                continue
            log.error("worker exited; starting another",
                      extra={"status": os.waitstatus_to_exitcode(status)})  # fmt: skip
            if time.monotonic() - started < 5:
                time.sleep(RESTART_PAUSE)
            if not self.stopping:
                self._spawn(index)
        self.sock.close()
        return 0

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _spawn(self, index: int) -> None:
        # Signals wait until the new worker has dropped the parent's handlers (which would
        # signal its siblings) and the parent has recorded the worker's pid.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid:
            self.children[pid] = (index, time.monotonic())
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            return
        code = 1
        try:
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_DFL)  # uvicorn installs its own while it serves
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            code = self._worker(index)
        except BaseException:
            log.exception("worker failed")
        finally:
            os._exit(code)

    def _worker(self, index: int) -> int:
        import uvicorn

        os.close(self.alive_w)
        threading.Thread(target=self._exit_with_parent, daemon=True).start()
        config = uvicorn.Config(self.apps[index], log_config=None, access_log=False,
                                timeout_graceful_shutdown=10)  # fmt: skip
        try:
            uvicorn.Server(config).run(sockets=[self.sock])
        finally:
            self.core.db.dispose()
        return 0

    def _exit_with_parent(self) -> None:
        """The pipe's write end lives only in the parent: EOF means the parent is gone."""
        os.read(self.alive_r, 1)
        os.kill(os.getpid(), signal.SIGTERM)
