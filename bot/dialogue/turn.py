"""What one action sees and returns, and the numbers the handlers share. Plain data: the
engine, its handlers and the tests all use these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.dialogue.state import DialogueState
from bot.dialogue.types import Choice, Effect, Held, Reply
from bot.nlu.frame import Frame

LOW_CONFIDENCE = 0.30  # below this the model's guess is not acted on: we ask instead
GENTLE_FOR = timedelta(hours=24)  # after a crisis message, stay gentle at least this long
BACK_AFTER = timedelta(hours=4)  # a message after this long is a return (a night slept, or not)
MAX_HOLD = timedelta(days=30)  # a held draft comes back within a month at the latest
EVENING_HOUR = 20
COOLING_DAYS = {"refused": 30, "ghosted": 14}  # the articles' minimums
MAX_GIVEN = 40


class FrameReader(Protocol):
    """What the engine needs of the reader (bot.nlu): a message read into its frame."""

    def read(self, text: str) -> Frame: ...


@dataclass
class Outcome:
    state: DialogueState
    replies: list[Reply] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)  # quick replies under the last bubble
    effects: list[Effect] = field(default_factory=list)
    intent: str | None = None


@dataclass(frozen=True, slots=True)
class DraftEdit:
    """A part of the draft shown, asked to go (「返事待ってるねは消す」): what went, what is left."""

    removed: str
    draft: str
    hold: bool = False  # 「…消したやつ預かって」: held as it is now


@dataclass
class Turn:
    """What one action sees: the state it may change, the input text and its frame, `now`."""

    state: DialogueState
    now: datetime
    text: str = ""
    intent: str = "other"
    frame: Frame | None = None
    previous_action: str | None = None  # what the bot did the turn before
    ranked: list[Any] | None = None  # the cards ranked for this message (computed once)
    held: tuple[Held, ...] | None = None  # the store's held drafts (None: not looked up)
    known: str | None = None  # the situation known before this message told its story
    about_draft: bool = False  # the message asks about words of the draft shown (a quote of it)
    edit: DraftEdit | None = None  # a part of the draft shown asked to go
    moved_on: bool = False  # this message first said no reunion is wanted
    agreed_days: int | None = None  # 「ほな16日な」: the wait they agreed to
    away: timedelta | None = None  # since their last message (None: the first one)
    retime_at: str | None = None  # the new time asked for a held draft (the picker's format)
    out: Outcome = field(init=False)

    def __post_init__(self) -> None:
        self.out = Outcome(self.state)
