"""What becomes of an answer whose reply token no longer works. LINE's reply tokens are single-use
and expire about a minute after the event; an event the sweep took over from a dead replica, or
one LINE redelivered, can come back to the bot after that. The reply fails with 400 "Invalid
reply token", and a push (which counts against the channel's monthly quota) is the only way
left to answer:

- a safety answer (one that names a line to call or chat, as every crisis answer does) is
  pushed, however late and whatever it costs: it may be the one message that matters;
- any other answer is pushed while the user's message is at most `PUSH_WINDOW` old (they are
  likely still in the chat, waiting), and dropped after that: an answer out of nowhere hours
  later is more confusing than helpful, and the user can ask again.

Either way it is counted (`hitoban_late_answers_total{kind, result}`) and logged without
content, so no answer vanishes without a trace."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.dialogue.turn import Outcome
from bot.dialogue.types import Text

PUSH_WINDOW = timedelta(minutes=5)


def kind_of(outcome: Outcome, crisis_contacts: Iterable[str]) -> str:
    """`crisis` for a safety answer, else `ordinary` (a metric label too)."""
    if outcome.intent == "crisis":
        return "crisis"
    said = "\n".join(r.text if isinstance(r, Text) else r.body for r in outcome.replies)
    return "crisis" if any(contact in said for contact in crisis_contacts) else "ordinary"


def push_late(kind: str, event_at: datetime, now: datetime) -> bool:
    """Whether an answer the reply token could not carry is pushed instead."""
    return kind == "crisis" or now - event_at <= PUSH_WINDOW
