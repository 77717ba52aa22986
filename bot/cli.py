"""`python -m bot <command>`: the command line in DESIGN.md's contract."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, Settings, load_settings
from bot.content import ContentError, load_content
from bot.logs import setup_logging

log = logging.getLogger("bot")


def _die(message: str) -> int:
    print(f"hitoban: error: {message}", file=sys.stderr)
    return 2


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
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


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """`make run`: the webhook server when LINE credentials are set, otherwise the chat."""
    if settings.has_line_credentials:
        return cmd_serve(settings, args)
    print(
        "LINE の認証情報がないので、ターミナルで会話します (serve には .env を設定)。",
        file=sys.stderr,
    )
    return cmd_chat(settings, args)


def cmd_classify(settings: Settings, args: argparse.Namespace) -> int:
    from bot.wiring import build_classifier

    classifier = build_classifier(load_content(settings.content_dir))
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        p = classifier.classify(text)
        out = {"text": text, "intent": p.intent, "confidence": round(p.confidence, 4)}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


def cmd_check_content(settings: Settings, args: argparse.Namespace) -> int:
    import bot.dialogue.engine  # noqa: F401  (registers the phrase ids the engine uses)

    content = load_content(settings.content_dir)
    print(
        f"content OK: {len(content.phrases)} phrases, {len(content.cards)} advice cards, "
        f"{len(content.crisis_lines)} crisis lines, "
        f"{sum(map(len, content.examples.values()))} training examples"
    )
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

    server_options(sub.add_parser("serve", help="run the LINE webhook server"))
    server_options(sub.add_parser("run", help="serve with LINE credentials, else chat"))
    sub.add_parser("chat", help="talk to the bot in the terminal (no LINE account needed)")
    sub.add_parser("classify", help="stdin lines → JSON lines {text, intent, confidence}")
    sub.add_parser("check-content", help="validate content/ and exit")
    return parser


COMMANDS = {
    "serve": cmd_serve,
    "run": cmd_run,
    "chat": cmd_chat,
    "classify": cmd_classify,
    "check-content": cmd_check_content,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        setup_logging(settings.log_level)
        return COMMANDS[args.command](settings, args)
    except ConfigError as exc:
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
