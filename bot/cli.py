"""`python -m bot <command>`: the command line in DESIGN.md's contract."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import anyio
from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, Settings, load_settings, require_token
from bot.content import ContentError, load_content
from bot.logs import setup_logging
from bot.store.db import Database

if TYPE_CHECKING:
    from bot.dispatcher import Dispatcher

log = logging.getLogger("bot")


def _die(message: str) -> int:
    print(f"hitoban: error: {message}", file=sys.stderr)
    return 2


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    count = settings.bot_workers if args.workers is None else args.workers
    if count < 1:
        raise ConfigError("--workers must be at least 1")
    if count > 1:
        from bot.web import workers

        return workers.serve(settings, args.host, args.port, count, not args.no_dispatcher)

    import uvicorn

    from bot.web.app import create_app

    app = create_app(settings, dispatcher=not args.no_dispatcher)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return 0


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.chat import run_chat
    from bot.wiring import build_core

    core = build_core(settings)
    try:
        return run_chat(core)
    except KeyboardInterrupt:
        print()
        return 0
    finally:
        core.close()


def cmd_sim(settings: Settings, args: argparse.Namespace) -> int:
    """The browser simulator: the real app, a stand-in LINE API and a chat page."""
    from bot.sim.app import run

    return run(settings, args.host, args.port)


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """`make run`: the webhook server when LINE credentials are set, otherwise the simulator."""
    if settings.has_line_credentials:
        return cmd_serve(settings, args)
    print(
        "LINE の認証情報がないので、ブラウザのシミュレーターを起動します "
        "(ターミナルで話すには python -m bot chat、serve には .env を設定)。",
        file=sys.stderr,
    )
    return cmd_sim(settings, args)


def _each_line(settings: Settings, answer: Callable[[Any, str], dict[str, object]]) -> int:
    """One JSON object per non-empty stdin line, from the classifier built once."""
    from bot.wiring import build_classifier

    classifier = build_classifier(load_content(settings.content_dir), settings.model_cache_dir)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        sys.stdout.write(json.dumps(answer(classifier, text), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


def cmd_classify(settings: Settings, args: argparse.Namespace) -> int:
    def answer(classifier: Any, text: str) -> dict[str, object]:
        p = classifier.classify(text)
        return {"text": text, "intent": p.intent, "confidence": round(p.confidence, 4)}

    return _each_line(settings, answer)


def cmd_read(settings: Settings, args: argparse.Namespace) -> int:
    """The whole frame of each line: what content editors check a lexicon change with."""

    def answer(classifier: Any, text: str) -> dict[str, object]:
        frame = dataclasses.asdict(classifier.read(text))
        frame["confidence"] = round(frame["confidence"], 4)
        return frame

    return _each_line(settings, answer)


def _parse_time(value: object, settings: Settings) -> datetime:
    if not isinstance(value, str):
        raise ValueError("sent_at must be an ISO 8601 string")
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"sent_at {value!r} is not ISO 8601") from None
    return at.replace(tzinfo=settings.tz) if at.tzinfo is None else at


def cmd_nudge(settings: Settings, args: argparse.Namespace) -> int:
    """JSON lines {"text", "sent_at"?} → {"wait", "reasons", "remind_at"}; a bad line gets
    {"error": ...} in its place (and exit status 1), the others are still answered."""
    from bot.wiring import build_nudge

    nudge = build_nudge(settings, load_content(settings.content_dir))
    errors = 0
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected an object {"text": "...", "sent_at": "ISO 8601"}')
            raw = item.get("sent_at")
            sent_at = datetime.now(settings.tz) if raw is None else _parse_time(raw, settings)
        except ValueError as exc:
            errors += 1
            message = (
                f"line {n}: {exc}"
                if not isinstance(exc, json.JSONDecodeError)
                else f"line {n}: not JSON"
            )
            print(message, file=sys.stderr)
            out: dict[str, object] = {"error": message}
        else:
            verdict = nudge.review(item["text"], sent_at)
            out = {
                "wait": verdict.wait,
                "reasons": list(verdict.reasons),
                "remind_at": verdict.remind_at.isoformat() if verdict.remind_at else None,
            }
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 1 if errors else 0


async def _with_dispatcher(settings: Settings, run: Callable[[Dispatcher], Awaitable[int]]) -> int:
    from bot.dispatcher import Dispatcher
    from bot.line.client import Messenger

    token = require_token(settings)
    content = load_content(settings.content_dir)
    db = Database(settings.database_url, settings.data_key)
    await anyio.to_thread.run_sync(db.migrate)
    messenger = Messenger(settings.line_api_base_url, token, settings.dispatch_concurrency)
    await messenger.start()
    try:
        return await run(Dispatcher(db, content, messenger, settings))
    finally:
        await messenger.close()
        db.dispose()


def cmd_dispatch(settings: Settings, args: argparse.Namespace) -> int:
    """Send every reminder due at --now (default: now), print how many, exit."""
    now = _parse_time(args.now, settings) if args.now else datetime.now(UTC)

    async def run(dispatcher: Dispatcher) -> int:
        await dispatcher.read_quota()  # pushes over the month's quota are not even tried
        print(await dispatcher.run_once(now))
        return 0

    return asyncio.run(_with_dispatcher(settings, run))


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Keep dispatching until SIGTERM/SIGINT (for deployments that run it apart from serve)."""

    async def run(dispatcher: Dispatcher) -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        task = asyncio.create_task(dispatcher.run_forever())
        await stop.wait()
        task.cancel()
        return 0

    return asyncio.run(_with_dispatcher(settings, run))


def cmd_rotate_key(settings: Settings, args: argparse.Namespace) -> int:
    """Re-encrypt stored drafts and state with the first key in BOT_DATA_KEY."""
    from bot.store import repo

    if not settings.data_key:
        raise ConfigError("BOT_DATA_KEY must be set to encrypt (see README, Privacy)")
    db = Database(settings.database_url, settings.data_key)
    db.migrate()
    with db.session() as session:
        print(f"re-encrypted {repo.reencrypt_all(session)} rows")
    db.dispose()
    return 0


def cmd_richmenu(settings: Settings, args: argparse.Namespace) -> int:
    """Create the default rich menu from content/richmenu.yaml (with its image), set it, and
    delete the menus this command made before: run twice, one menu is left."""
    import urllib3
    from linebot.v3.messaging.exceptions import ApiException

    from bot.richmenu import install, load_spec

    token = require_token(settings)
    spec = load_spec(settings.content_dir)
    try:
        menu_id = install(spec, settings.line_api_base_url, settings.line_api_data_base_url, token)
    except ApiException as exc:
        body = exc.body.decode(errors="replace") if isinstance(exc.body, bytes) else exc.body
        return _die(f"LINE refused the rich menu ({exc.status}): {body}")
    except urllib3.exceptions.HTTPError as exc:
        return _die(f"LINE unreachable: {type(exc).__name__}")
    print(menu_id)
    return 0


def cmd_check_content(settings: Settings, args: argparse.Namespace) -> int:
    from bot.content_check import content_warnings, summary

    content = load_content(settings.content_dir)
    for warning in content_warnings(content):
        print(f"warning: {warning}")
    print(summary(content))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    def server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument(
            "--no-dispatcher", action="store_true", help="do not send due reminders here"
        )
        p.add_argument(
            "--workers", type=int, default=None,
            help="processes answering the port (default: BOT_WORKERS, else 1); one per core",
        )  # fmt: skip

    server_options(sub.add_parser("serve", help="run the LINE webhook server"))
    server_options(sub.add_parser("run", help="serve with LINE credentials, else sim"))
    sim = sub.add_parser("sim", help="the browser simulator: a LINE-like chat page, no LINE")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8000, help="0: any free port")
    sub.add_parser("chat", help="talk to the bot in the terminal (no LINE account needed)")
    sub.add_parser("classify", help="stdin lines → JSON lines {text, intent, confidence}")
    sub.add_parser("read", help="stdin lines → JSON lines of the whole frame (facts, request…)")
    sub.add_parser("nudge", help="JSON lines {text, sent_at?} → {wait, reasons, remind_at}")
    dispatch = sub.add_parser("dispatch", help="send the reminders due now, print how many")
    dispatch.add_argument("--now", help="ISO 8601 time to dispatch at (default: now)")
    sub.add_parser("worker", help="keep sending due reminders (apart from serve)")
    sub.add_parser("rotate-key", help="re-encrypt stored data with the first BOT_DATA_KEY key")
    sub.add_parser("check-content", help="validate content/ and exit")
    sub.add_parser("richmenu", help="create and set the default rich menu, replacing ours")
    return parser


COMMANDS = {
    "serve": cmd_serve,
    "run": cmd_run,
    "chat": cmd_chat,
    "sim": cmd_sim,
    "classify": cmd_classify,
    "read": cmd_read,
    "nudge": cmd_nudge,
    "dispatch": cmd_dispatch,
    "worker": cmd_worker,
    "rotate-key": cmd_rotate_key,
    "check-content": cmd_check_content,
    "richmenu": cmd_richmenu,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        setup_logging(settings.log_level)
        return COMMANDS[args.command](settings, args)
    except ConfigError as exc:
        return _die(str(exc))
    except ValueError as exc:  # e.g. --now that is not a time
        return _die(str(exc))
    except ContentError as exc:
        print("hitoban: content/ has problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        return _die(f"database {type(exc).__name__}: {str(exc.orig or exc).splitlines()[0]}")
    except OSError as exc:
        return _die(f"{exc.strerror or exc} ({getattr(exc, 'filename', '') or ''})")
