"""`python -m bot sim`: wires the real webhook app to a stand-in LINE API in this process and
adds the page, its API and /insights. `serve` never imports this."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from pydantic import SecretStr

from bot.config import DEFAULT_DATABASE_URL, ConfigError, Settings
from bot.sim.clock import SimClock
from bot.sim.routes import STATIC, Sim, build_router, dispatch_at
from bot.sim.standin import LineStandIn
from bot.web import insights
from bot.web.app import create_app

log = logging.getLogger(__name__)
SIM_DATABASE_URL = "sqlite:///./data/sim.db"  # apart from the terminal chat's and serve's data
DISPATCH_EVERY = 5.0  # seconds: reminders that come due as the simulated clock ticks on


def sim_settings(settings: Settings, standin: LineStandIn) -> Settings:
    """The settings with the stand-in's credentials; refuses real LINE credentials, which the
    simulator would never use (a newcomer would wonder why LINE stays silent)."""
    if settings.line_channel_secret or settings.line_channel_access_token:
        raise ConfigError(
            "sim talks to a stand-in LINE, never to LINE: unset LINE_CHANNEL_SECRET and "
            "LINE_CHANNEL_ACCESS_TOKEN (or run serve)"
        )
    update: dict[str, object] = {
        "line_channel_secret": SecretStr(secrets.token_hex(16)),
        "line_channel_access_token": SecretStr(standin.access_token),
        "line_api_base_url": standin.base_url,
    }
    if settings.database_url == DEFAULT_DATABASE_URL:
        update["database_url"] = SIM_DATABASE_URL
    return settings.model_copy(update=update)


def build_app(
    settings: Settings, standin: LineStandIn, callback_url: str, announce: str | None = None
) -> FastAPI:
    """The real app (as `serve` builds it, without its real-time dispatcher: the simulated
    clock drives reminders) plus the simulator's routes. `settings` come from sim_settings;
    `announce` is printed once the bot is ready to answer."""
    secret, _ = settings.require_line_credentials()
    app = create_app(settings, dispatcher=False)
    sim = Sim(callback_url, secret, standin, SimClock(settings.tz))
    app.state.sim = sim
    app.include_router(build_router(sim))
    if settings.bot_admin_token is None:  # (with a token, create_app added it, guarded)
        app.include_router(insights.router(None))
    app.mount("/sim/static", StaticFiles(directory=STATIC), name="sim-static")
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            if announce:
                print(announce, flush=True)
            task = asyncio.create_task(_keep_dispatching(a, sim))
            try:
                yield
            finally:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan
    return app


async def _keep_dispatching(app: FastAPI, sim: Sim) -> None:
    while True:
        await asyncio.sleep(DISPATCH_EVERY)
        try:
            await dispatch_at(app.state.hitoban, sim)
        except Exception:
            log.exception("simulated dispatch failed")


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def run(settings: Settings, host: str, port: int) -> int:
    import uvicorn

    standin = LineStandIn(access_token=secrets.token_hex(16)).start()
    try:
        settings = sim_settings(settings, standin)
        port = port or _free_port(host)
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        print("シミュレーターを準備しています…", flush=True)
        announce = (f"Hitoban シミュレーター: http://{local}:{port}/ をブラウザで開いてください "
                    "(Ctrl-C で終了)")  # fmt: skip
        app = build_app(settings, standin, f"http://{local}:{port}/callback", announce)
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False,
                    timeout_graceful_shutdown=5)  # fmt: skip
    finally:
        standin.stop()
    return 0
