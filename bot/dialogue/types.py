"""What goes into the engine and what comes out. Plain data, nothing LINE-specific:
the webhook, the terminal chat and the tests all drive the engine with these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# ---- input ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextIn:
    text: str


@dataclass(frozen=True, slots=True)
class PostbackIn:
    data: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FollowIn:
    pass


@dataclass(frozen=True, slots=True)
class NonTextIn:
    kind: str  # sticker, image, video, audio, file, location


Incoming = TextIn | PostbackIn | FollowIn | NonTextIn


@dataclass(frozen=True, slots=True)
class Held:
    """A held draft still to come back, as the store has it: what 預けた下書き lists and what
    a per-draft cancel names (the engine's state keeps only the latest)."""

    draft_id: int
    text: str
    due_at: datetime


# ---- output --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    """A quick-reply (or card) button. Exactly one of `text` (sends that message when tapped)
    or `data` (a postback) is set; `pick_datetime` opens LINE's date-time picker, which starts
    at `initial` and allows `min`..`max` (local times, LINE's `YYYY-MM-DDTHH:mm`), so a time the
    bot would refuse cannot be picked. `fill_in_text` makes a postback open the keyboard with
    that text in it (LINE's `inputOption: openKeyboard`): a draft to edit, not to retype."""

    label: str
    text: str | None = None
    data: str | None = None
    display_text: str | None = None
    pick_datetime: bool = False
    initial: str | None = None
    min: str | None = None
    max: str | None = None
    fill_in_text: str | None = None


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    quote_token: str | None = None  # LINE quotes the user's message with it (pushes only)


@dataclass(frozen=True, slots=True)
class Card:
    """An advice card: rendered as a flex bubble in LINE, as a boxed block in the terminal."""

    title: str
    body: str
    buttons: tuple[Choice, ...] = ()


Reply = Text | Card

# ---- effects: what the service must do in the store, in the same transaction ----------------


@dataclass(frozen=True, slots=True)
class HoldDraft:
    """Keep a draft and give it back at `remind_at`. `intro` and `reread`: the bubbles before
    and after it in that push, chosen now, when the register, the night it was and the length
    of the hold are known (None: the store's defaults)."""

    text: str
    reasons: tuple[str, ...]
    remind_at: datetime
    intro: str | None = None
    reread: str | None = None


@dataclass(frozen=True, slots=True)
class CancelHeld:
    draft_id: int | None = None  # None: every held draft and reminder


@dataclass(frozen=True, slots=True)
class ResolveDraft:
    draft_id: int
    outcome: str  # sent | rewrite | dropped


@dataclass(frozen=True, slots=True)
class ScheduleCheckin:
    due_at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class EraseUser:
    pass


Effect = HoldDraft | CancelHeld | ResolveDraft | ScheduleCheckin | EraseUser
