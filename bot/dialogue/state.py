"""Per-user conversation state, persisted as JSON. Unknown keys are ignored and missing keys
take defaults, so a state written by an older version still loads after an upgrade."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Phase(enum.StrEnum):
    """Where the conversation is; the transition table in `table.py` is keyed by it."""

    START = "start"  # situation not known yet
    ASKED_SITUATION = "asked_situation"  # we asked: refused or silence?
    ADVISING = "advising"  # situation known, normal advice
    NO_CONTACT = "no_contact"  # blocked, or a plan crossing the other's boundary
    GENTLE = "gentle"  # after a crisis message: no tactics until the user moves on
    CONFIRM_ERASE = "confirm_erase"  # asked whether to erase everything
    AWAITING_DRAFT = "awaiting_draft"  # asked the user to paste the draft
    REVIEWING_DRAFT = "reviewing_draft"  # gave a nudge, waiting for hold / rewrite / drop


class DialogueState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    turn: int = 0  # inputs handled; rotates phrase variants
    phase: Phase = Phase.START
    situation: str | None = None  # refused | ghosted | ended (they ended it themselves)
    since_days: int | None = None  # how long ago it happened, as told
    since_told_at: datetime | None = None  # when they told us (since_days counts from here)
    since_said: int | None = None  # the days last counted aloud (not said again unasked)
    no_contact: bool = False  # blocked / told not to contact / boundary risk: never help write
    dumped: bool = False  # 「振られた」: told of the breakup before a refusal or a silence
    no_contact_by: str | None = None  # blocked | boundary: only a block stated false lifts it
    pending_intent: str | None = None  # a question to answer once the situation is known
    last_card: str | None = None
    given: list[str] = Field(default_factory=list)  # cards already shown, oldest first
    crisis_at: datetime | None = None
    seen_at: datetime | None = None  # their last message (a return after a night is greeted)
    body_worry_at: datetime | None = None  # told a doctor and a line for not eating/sleeping
    drinking_at: datetime | None = None  # said they are drinking (driving soon is then a worry)
    means_at: datetime | None = None  # a means at hand answered (put it out of reach tonight)
    lawyer: bool = False  # lawyers in the story: contact goes by them first
    morning_asked_at: datetime | None = None  # offered a word in the morning after a hard night
    concern_at: datetime | None = None  # when we last asked gently whether it is that hard
    no_phone: bool = False  # said they cannot phone: chat lines first
    replied: bool = False  # the ex wrote or replied: the wait is over, answering is fine
    they_want_back: bool = False  # the ex asked to get back together: the user decides
    together: bool = False  # still a couple (「別れてはない」): no breakup's cards
    moving_on: bool = False  # no reunion wanted: only the cards that hold for anyone, no countdown
    new_partner: bool = False  # the ex has someone new (a prior for which card answers)
    ex_woman: bool | None = None  # the ex is a woman (元カノ): a survey of men is said to be one
    boundary_said: int = 0  # times the boundary was explained (the law once, then shorter)
    boundary_told: list[str] = Field(default_factory=list)  # plans answered (boundary_kinds)
    asked: list[str] = Field(default_factory=list)  # open questions asked lately (not twice)
    told: list[str] = Field(default_factory=list)  # already_said names told (「夜」): not asked
    listening: bool = False  # "just listen": reflections and questions, no cards, until asked
    listen_asked: bool = False  # asked to just listen before: asked again, a sorry
    night_passed_at: datetime | None = None  # a held draft came back and they chose to rewrite it
    answered_at: datetime | None = None  # when they answered the direct question (not asked again)
    asked_at: datetime | None = None  # when the bot last asked 「自分を傷つけることを考えてる?」
    asked_twice: bool = False  # asked it again after no answer: not a third time
    same_sex_heard: bool = False  # 「女同士だから言えない」 said back once, with where to talk
    alone_said: bool = False  # told they are alone tonight: not asked again
    again_card: str | None = None  # the card whose point was just said again (not a third time)
    polite: bool = False  # they write in です・ます: the polite variants of the phrases
    last_words: str | None = None  # the user's last clause that can be said back (a repair)
    # their message before, when long: 「今のは彼に送るやつ」 makes it the draft to review
    prev_text: str | None = None
    unsent: bool = False  # 「送らないからここに書いていい?」: the next letter is not for sending
    last_action: str | None = None  # what the bot did last turn (「うん」 answers it)
    last_bubbles: list[str] = Field(default_factory=list)  # last turn's bubbles, as digests
    cooling_started: datetime | None = None
    cooling_days: int | None = None
    draft_times: list[datetime] = Field(default_factory=list)  # recent drafts, for "repeated"
    draft_text: str | None = None  # the draft under review (not yet held)
    draft_reasons: list[str] = Field(default_factory=list)
    held_until: datetime | None = None  # the latest time a held draft comes back
    held_text: str | None = None  # the draft held last (shown on 「預けたの見せて」)
    # The messages draft_text and held_text came from (opaque ids, LINE's message ids), so an
    # unsend can forget them. Kept by bot/unsend.py around the engine; the engine ignores them.
    draft_source: str | None = None
    draft_quote: str | None = None  # the quote token of draft_source's message
    held_source: str | None = None

    def copy_for_turn(self) -> DialogueState:
        """A copy the engine may change. Every field holds an immutable value or a list of
        them, so copying the lists is a deep copy (pydantic's deep copy took a tenth of a turn)."""
        return self.model_copy(
            update={"turn": self.turn + 1} | {k: list(v) for k, v in self if isinstance(v, list)}
        )

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, raw: str | None) -> DialogueState:
        if not raw:
            return cls()
        try:
            return cls.model_validate_json(raw)
        except ValueError:
            return cls()

    def holding(self, now: datetime) -> bool:
        """A held draft has not come back yet."""
        return self.held_until is not None and now < self.held_until

    def cooling_days_left(self, now: datetime) -> int | None:
        if self.cooling_started is None or self.cooling_days is None:
            return None
        left = self.cooling_days - (now - self.cooling_started).days
        return left if left > 0 else None

    def days_since(self, now: datetime) -> int | None:
        """How long ago it happened, as of `now` (the told figure plus the days since telling)."""
        if self.since_days is None or self.since_told_at is None:
            return None
        return self.since_days + max(0, (now - self.since_told_at).days)
