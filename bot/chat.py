"""`python -m bot chat`: the same engine in the terminal, no LINE account needed.

Quick replies are shown numbered; typing the number chooses it. With stdin not a terminal it
reads line by line and prints only the bot's replies, so it can be scripted."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TextIO

from bot.dialogue.types import Card, Choice, FollowIn, Incoming, PostbackIn, Reply, Text, TextIn
from bot.reminders import compose
from bot.store import repo
from bot.wiring import Core

EXIT_WORDS = {"/quit", "/exit", "/q"}


def render(replies: Sequence[Reply], choices: Sequence[Choice]) -> str:
    lines: list[str] = []
    for reply in replies:
        if isinstance(reply, Text):
            lines.append(reply.text)
        elif isinstance(reply, Card):
            lines.append(f"┌─ {reply.title}")
            lines += [f"│ {line}" for line in reply.body.splitlines()]
            for n, button in enumerate(reply.buttons, 1):
                lines.append(f"│ ({chr(ord('a') + n - 1)}) {button.label}")
            lines.append("└─")
        lines.append("")
    if choices:
        lines.append("  ".join(f"[{n}] {c.label}" for n, c in enumerate(choices, 1)))
    return "\n".join(lines).rstrip() + "\n"


def _choice_input(choice: Choice, now: datetime) -> Incoming:
    if choice.data is not None:
        params = {"datetime": now.strftime("%Y-%m-%dT%H:%M")} if choice.pick_datetime else {}
        return PostbackIn(choice.data, params)
    return TextIn(choice.text or choice.label)


def run_chat(core: Core, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    interactive = stdin.isatty()
    user_id = f"terminal:{getpass.getuser()}"
    with core.db.session() as session:
        user = repo.find_user(session, user_id)
        is_new = user is None or repo.load_state(session, user.id) is None
    choices: list[Choice] = []
    buttons: list[Choice] = []

    def send(incoming: Incoming) -> None:
        nonlocal choices, buttons
        outcome = core.conversations.handle(user_id, incoming, datetime.now(UTC))
        if outcome is None:
            return
        stdout.write(render(outcome.replies, outcome.choices))
        stdout.flush()
        choices = list(outcome.choices)
        buttons = [b for r in outcome.replies if isinstance(r, Card) for b in r.buttons]

    def deliver_reminders() -> None:
        """The terminal has no push: held drafts come back here when they are due."""
        now = datetime.now(UTC)
        with core.db.session() as session:
            due = repo.claim_due(session, now, timedelta(0), terminal=True, line_user_id=user_id)
            for item in due:
                hour = now.astimezone(core.settings.tz).hour
                replies, item_choices = compose(core.content, item, hour)
                stdout.write(render(replies, item_choices))
                repo.finish_reminder(session, item.id, "sent", now)
                choices[:] = item_choices

    if interactive:
        stdout.write("一晩 (ひとばん) — 終わるときは /quit か Ctrl-D\n\n")
    if is_new:
        send(FollowIn())
    while True:
        deliver_reminders()
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if text in EXIT_WORDS:
            break
        now = datetime.now(UTC)
        if text.isdigit() and 1 <= int(text) <= len(choices):
            send(_choice_input(choices[int(text) - 1], now))
        elif len(text) == 1 and "a" <= text <= "z" and ord(text) - ord("a") < len(buttons):
            send(_choice_input(buttons[ord(text) - ord("a")], now))
        else:
            send(TextIn(text))
    if interactive:
        stdout.write("\nまたいつでも来てね。\n")
    return 0
