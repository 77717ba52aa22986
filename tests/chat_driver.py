"""Drive the pure engine as a user would, keeping the state between turns: what the dialogue
tests and the conversation scripts (tests/conversations/) share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.dialogue.engine import Engine, Outcome
from bot.dialogue.state import DialogueState
from bot.dialogue.types import Card, Incoming, PostbackIn, Text, TextIn

NIGHT = datetime(2026, 11, 20, 16, 40, tzinfo=UTC)  # 01:40 in Tokyo


class Chat:
    def __init__(self, engine: Engine, now: datetime = NIGHT) -> None:
        self.engine = engine
        self.state = DialogueState()
        self.now = now

    def say(self, text: str) -> Outcome:
        return self._send(TextIn(text))

    def tap(self, data: str) -> Outcome:
        return self._send(PostbackIn(data))

    def _send(self, incoming: Incoming) -> Outcome:
        out = self.engine.handle(self.state, incoming, self.now)
        self.state = out.state
        self.now += timedelta(minutes=1)
        return out


def texts(out: Outcome) -> str:
    return "\n".join(r.text if isinstance(r, Text) else f"{r.title}\n{r.body}" for r in out.replies)


def cards(out: Outcome) -> list[str]:
    return [r.title for r in out.replies if isinstance(r, Card)]


def bubbles(out: Outcome) -> list[str]:
    return [r.text if isinstance(r, Text) else f"{r.title}\n{r.body}" for r in out.replies]
