"""The dialogue engine: `(state, incoming, now) -> Outcome`. Pure: no I/O, no LINE, no clock.

Text is read into a frame (`bot.nlu.frame`); its facts update the story, its request or intent
picks a row of the transition table (`table.py`), and the action composes replies from
content/. Postbacks (buttons) name their action directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.content import AdviceCard, Content, require_phrases
from bot.dialogue import advice
from bot.dialogue.state import DialogueState, Phase
from bot.dialogue.table import home_phase, lookup
from bot.dialogue.types import (
    CancelHeld,
    Card,
    Choice,
    Effect,
    EraseUser,
    FollowIn,
    HoldDraft,
    Incoming,
    NonTextIn,
    PostbackIn,
    Reply,
    ResolveDraft,
    ScheduleCheckin,
    Text,
    TextIn,
)
from bot.nlu.drafts import draft_or_whole
from bot.nlu.durations import is_bare_duration
from bot.nlu.frame import Frame
from bot.nlu.normalize import normalize
from bot.nlu.safety import SAFETY_INTENTS
from bot.nudge.review import Context, Nudge, morning_after

require_phrases(
    "welcome", "welcome_ask", "greeting", "help", "thanks", "fallback", "non_text",
    "menu_refused", "menu_ghosted", "menu_draft", "menu_help", "menu_vent", "menu_contact",
    "ask_situation", "ask_situation_first", "clarify",
    "refused_ack", "ghosted_ack", "refused_since_early", "refused_since_mid", "refused_since_late",
    "ghosted_since_early", "ghosted_since_late",
    "crisis_intro", "crisis_more", "crisis_lines_again", "crisis_listen", "check_in",
    "gentle", "gentle_goodbye", "gentle_no_tactics",
    "boundary", "blocked", "no_contact", "no_contact_reply", "own_days",
    "vent", "other", "nothing_held", "already_said", "want_contact", "draft_ask",
    "erase_ask", "erase_yes", "erase_no", "erase_done", "erase_kept",
    "nudge_wait", "nudge_offer", "nudge_pass", "hold_morning", "hold_evening", "hold_3d",
    "hold_pick", "rewrite", "dont_send", "held", "held_nothing", "hold_bad_time", "rewrite_ask",
    "dropped", "cancelled", "draft_not_held", "outcome_sent", "outcome_rewrite", "outcome_dropped",
    "cooling_start", "cooling_started", "cooling_checkins", "cooling_no_checkins",
    "checkins_set", "checkin_half", "checkin_end", "cooling_left",
    "btn_more_lines", "btn_listen", "btn_lines_again",
    "about_bot", "listen_start", "held_show", "keep_nothing_to_keep", "blocked_lifted",
    "btn_cancel_held", "crisis_chat_first", "crisis_again",
)  # fmt: skip

# While a draft waits for hold / rewrite / drop, typed answers mean the buttons: the button's
# label, or one of the phrase's variants. Otherwise 「朝」 went to the classifier (→ cancel).
TYPED_CHOICES = {
    "hold_morning": "hold:morning", "hold_evening": "hold:evening", "hold_3d": "hold:3d",
    "rewrite": "draft:rewrite", "dont_send": "draft:drop",
}  # fmt: skip
require_phrases(*(f"typed_{key}" for key in TYPED_CHOICES))

LOW_CONFIDENCE = 0.30  # below this the model's guess is not acted on: we ask instead
GENTLE_FOR = timedelta(hours=24)  # after a crisis message, stay gentle at least this long
MAX_HOLD = timedelta(days=30)  # a held draft comes back within a month at the latest
EVENING_HOUR = 20
COOLING_DAYS = {"refused": 30, "ghosted": 14}  # the articles' minimums
MAX_GIVEN = 40


class Reader(Protocol):
    def read(self, text: str) -> Frame: ...


@dataclass
class Outcome:
    state: DialogueState
    replies: list[Reply] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)  # quick replies under the last bubble
    effects: list[Effect] = field(default_factory=list)
    intent: str | None = None


@dataclass
class Turn:
    """What one action sees: the state it may change, the input text, and `now`."""

    state: DialogueState
    now: datetime
    text: str = ""
    intent: str = "other"
    frame: Frame | None = None
    out: Outcome = field(init=False)

    def __post_init__(self) -> None:
        self.out = Outcome(self.state)


class Engine:
    def __init__(self, content: Content, classifier: Reader, nudge: Nudge) -> None:
        self.content = content
        self.classifier = classifier
        self.nudge = nudge
        self.tz = nudge.tz
        self._typed = {  # normalised typed answer → the button's postback data
            normalize(word): data
            for key, data in TYPED_CHOICES.items()
            for word in (content.phrase(key), *content.phrases[f"typed_{key}"])
        }
        self._actions: dict[str, Callable[[Turn], None]] = {
            name.removeprefix("do_"): getattr(self, name)
            for name in dir(self)
            if name.startswith("do_")
        }

    # -- entry point --------------------------------------------------------------------------

    def handle(self, state: DialogueState, incoming: Incoming, now: datetime) -> Outcome:
        state = state.copy_for_turn()
        if state.phase is Phase.GENTLE and state.crisis_at and now - state.crisis_at > GENTLE_FOR:
            state.phase = home_phase(state)
        turn = Turn(state, now)
        match incoming:
            case FollowIn():
                self.do_welcome(turn)
            case NonTextIn():
                self._say(turn, "non_text")
                turn.out.choices = self._menu(turn)
            case PostbackIn(data=data, params=params):
                self._postback(turn, data, params)
            case TextIn(text=text):
                self._text(turn, text)
        turn.out.choices = _once_each(turn.out.choices)
        return turn.out

    def _text(self, turn: Turn, text: str) -> None:
        turn.text = text
        frame = turn.frame = self.classifier.read(text)
        intent = frame.intent
        if frame.source == "model" and frame.confidence < LOW_CONFIDENCE:
            intent = "unclear"
        turn.out.intent = frame.intent
        if intent not in SAFETY_INTENTS:
            if turn.state.phase is Phase.REVIEWING_DRAFT and (data := self._typed_choice(text)):
                self._postback(turn, data, {})
                return
            if turn.state.situation and is_bare_duration(normalize(text)):
                intent = turn.state.situation  # 「2週間前」 answers "since when", in that story
        self._learn_story(turn, frame)
        if intent not in SAFETY_INTENTS and frame.risk == "concern" and not self._asked_lately(turn):
            turn.state.concern_at = turn.now
            turn.intent = intent
            self.do_check_in(turn)
            return
        if frame.request and intent not in SAFETY_INTENTS:
            intent = f"request:{frame.request}"
        self._run(turn, intent)

    def _asked_lately(self, turn: Turn) -> bool:
        """Ask "is it that hard?" once, not on every sad message that follows."""
        at = turn.state.concern_at or turn.state.crisis_at
        return at is not None and turn.now - at < GENTLE_FOR

    def _learn_story(self, turn: Turn, frame: Frame) -> None:
        """Facts update the story even when the message is about something else: the situation,
        how long ago, and a block stated false (「ブロックはされてない」) lifts what a block set."""
        s = turn.state
        for situation in ("refused", "ghosted"):
            if frame.fact(situation) is True and frame.intent not in ("refused", "ghosted"):
                s.situation = s.situation or situation
        if frame.fact("blocked") is False and s.no_contact and s.no_contact_by == "blocked":
            s.no_contact, s.no_contact_by = False, None
            self._say(turn, "blocked_lifted")
        if frame.days_ago is not None and (s.situation or frame.intent in ("refused", "ghosted")):
            s.since_days, s.since_told_at = frame.days_ago, turn.now

    def _typed_choice(self, text: str) -> str | None:
        """The whole message, or its last sentence (「…図星。送らない」), as a button's label."""
        norm = normalize(text)
        last = re.split(r"[。!?\s…]+", norm.strip(" 。.!！…"))[-1]
        return self._typed.get(norm.strip(" 。.!！")) or self._typed.get(last)

    def _run(self, turn: Turn, intent: str) -> None:
        step = lookup(turn.state.phase, intent)
        turn.intent = intent
        before = turn.state.phase
        self._actions[step.action](turn)
        if turn.state.phase == before:  # the action did not move the conversation itself
            turn.state.phase = step.to or home_phase(turn.state)

    def _postback(self, turn: Turn, data: str, params: dict[str, str]) -> None:
        kind, _, arg = data.partition(":")
        turn.out.intent = f"postback:{kind}"
        match kind:
            case "situation" if arg in ("refused", "ghosted"):
                self._run(turn, arg)
            case "intent" if arg:
                self._run(turn, arg)
            case "card" if arg in self.content.cards:
                turn.intent = "card"
                self._show_card(turn, self.content.cards[arg])
                turn.state.phase = home_phase(turn.state)
            case "crisis" if arg == "lines":
                self._say(turn, "crisis_lines_again")
                turn.out.replies.append(Text(self._crisis_lines(all_lines=True)))
            case "crisis" if arg == "listen":
                self._say(turn, "crisis_listen")
            case "erase" if turn.state.phase is Phase.CONFIRM_ERASE:
                self.do_erase(turn, confirmed=arg == "yes")
            case "draft" if arg == "start":
                self.do_draft_ask(turn)
            case "draft" if arg in ("rewrite", "drop"):
                self._draft_choice_made(turn, arg)
            case "hold" if arg in ("morning", "evening", "3d", "pick"):
                self._hold(turn, arg, params)
            case "outcome":
                self._outcome(turn, arg)
            case "cooling" if arg in ("start", "checkins", "none"):
                self._cooling(turn, arg)
            case "held" if arg == "cancel":
                self.do_cancel(turn)
            case _:
                self.do_fallback(turn)

    # -- actions (named in table.py) ------------------------------------------------------------

    def do_welcome(self, turn: Turn) -> None:
        self._say(turn, "welcome")
        self._say(turn, "welcome_ask")
        turn.out.choices = self._situation_choices()
        turn.state.phase = Phase.ASKED_SITUATION

    def do_greeting(self, turn: Turn) -> None:
        self._say(turn, "greeting")
        if turn.state.situation is None and not turn.state.no_contact:
            turn.out.choices = self._situation_choices()
            turn.state.phase = Phase.ASKED_SITUATION
        else:
            turn.out.choices = self._menu(turn)

    def do_help(self, turn: Turn) -> None:
        self._say(turn, "help")
        turn.out.choices = self._menu(turn)

    def do_thanks(self, turn: Turn) -> None:
        self._say(turn, "thanks")

    def do_fallback(self, turn: Turn) -> None:
        self._say(turn, "fallback")
        turn.out.choices = self._menu(turn)

    def do_clarify(self, turn: Turn) -> None:
        self._say(turn, "clarify")
        turn.out.choices = [*self._situation_choices(), *self._menu(turn, situation=False)]

    def do_other(self, turn: Turn) -> None:
        self._say(turn, "other")
        turn.out.choices = self._menu(turn)

    def do_vent(self, turn: Turn) -> None:
        self._say(turn, "vent")
        turn.out.choices = [
            self._intent_choice("どうしたらいい？", "what_to_do"),
            self._intent_choice("連絡したくなる", "want_contact"),
            Choice(label="聞いてくれてありがとう", text="聞いてくれてありがとう"),
        ]

    def do_situation(self, turn: Turn) -> None:
        """The user told us (or chose) their situation: acknowledge, then the cooling advice
        with its period, or the question they asked before we knew."""
        s = turn.state
        s.situation = turn.intent
        self._say(turn, f"{turn.intent}_ack")
        since = self._since_line(turn)
        if since:
            turn.out.replies.append(Text(since))
        pending, s.pending_intent = s.pending_intent, None
        intent = pending or "cooling"
        if s.no_contact and intent == "cooling":
            intent = "what_to_do"
        card = advice.pick(self.content.cards, intent, s)
        if card:
            self._show_card(turn, card)

    def do_advice(self, turn: Turn) -> None:
        card = advice.pick(self.content.cards, turn.intent, turn.state)
        if card is None:
            self.do_fallback(turn)
            return
        if card.id == turn.state.last_card:  # nothing new to say: do not repeat the bubble
            self._say(turn, "already_said", title=card.title)
            turn.out.choices = self._menu(turn)
            return
        since = self._since_line(turn) if turn.intent in ("cooling", "what_to_do") else None
        if since:
            turn.out.replies.append(Text(since))
        self._show_card(turn, card)

    def do_advice_or_ask(self, turn: Turn) -> None:
        """Before the situation is known: answer with a general card when there is one,
        otherwise ask first and keep the question for after."""
        if advice.needs_situation(self.content.cards, turn.intent):
            turn.state.pending_intent = turn.intent
            self._say(turn, "ask_situation_first")
            turn.out.choices = self._situation_choices()
            turn.state.phase = Phase.ASKED_SITUATION
            return
        self.do_advice(turn)

    def do_want_contact(self, turn: Turn) -> None:
        self._say(turn, "want_contact")
        left = turn.state.cooling_days_left(turn.now)
        if left:
            self._say(turn, "cooling_left", days=left)
        card = self._card_for(turn, "ng_actions", prefer="ng_persistent_contact")
        if card:
            self._show_card(turn, card)
        turn.out.choices = [self._draft_choice(), *turn.out.choices][:13]

    def do_draft_ask(self, turn: Turn) -> None:
        if turn.state.no_contact:
            self.do_no_contact(turn)
            return
        self._say(turn, "draft_ask")
        turn.state.phase = Phase.AWAITING_DRAFT

    def do_draft(self, turn: Turn) -> None:
        """A message meant for the ex: review it, say why to wait (quoting it), and offer to
        hold it until morning. The bot never sends anything to the ex."""
        s = turn.state
        if s.no_contact:
            self.do_no_contact(turn)
            return
        marked = turn.frame.draft if turn.frame else None
        draft = draft_or_whole(turn.text) if s.phase is Phase.AWAITING_DRAFT else marked
        if not draft:  # asked about a draft without showing one
            self.do_draft_ask(turn)
            return
        recent = tuple(t for t in s.draft_times if turn.now - t <= timedelta(hours=12))
        verdict = self.nudge.review(
            draft,
            turn.now,
            Context(recent_drafts=recent, cooling_days_left=self._wait_left(s, turn.now)),
        )
        s.draft_times = [*recent, turn.now][-10:]
        if verdict.block:
            s.no_contact, s.no_contact_by = True, s.no_contact_by or "blocked"
            self.do_no_contact(turn)
            return
        s.draft_text, s.draft_reasons = draft, list(verdict.reasons)
        s.phase = Phase.REVIEWING_DRAFT
        if verdict.wait:
            reasons = "\n".join(f"・{r}" for r in verdict.reasons)
            self._say(turn, "nudge_wait", reasons=reasons)
            assert verdict.remind_at is not None
            self._say(turn, "nudge_offer", time=_when(verdict.remind_at))
        else:
            self._say(turn, "nudge_pass", tip=verdict.tip or "")
        turn.out.choices = self._hold_choices(turn.state)

    # requests to the bot itself

    def do_hold_request(self, turn: Turn) -> None:
        """「朝まで預かって」: hold the draft under review (or the one in this message) until
        the morning; with nothing to hold yet, ask for it."""
        s = turn.state
        if s.no_contact:
            self.do_no_contact(turn)
            return
        draft = turn.frame.draft if turn.frame else None
        if draft and draft != s.draft_text:
            verdict = self.nudge.review(draft, turn.now, Context(
                cooling_days_left=self._wait_left(s, turn.now)))  # fmt: skip
            if verdict.block:
                s.no_contact, s.no_contact_by = True, "blocked"
                self.do_no_contact(turn)
                return
            s.draft_text, s.draft_reasons = draft, list(verdict.reasons)
        if s.draft_text is None:
            self.do_draft_ask(turn)
            return
        self._hold(turn, "morning", {})

    def do_show_held(self, turn: Turn) -> None:
        s = turn.state
        if s.held_until is not None and turn.now < s.held_until:
            self._say(turn, "held_show", time=_when(s.held_until.astimezone(self.tz)))
            turn.out.choices = [Choice(label=self.content.phrase("btn_cancel_held"),
                                       data="held:cancel",
                                       display_text=self.content.phrase("btn_cancel_held"))]  # fmt: skip
        else:
            self._say(turn, "nothing_held")

    def do_keep_data(self, turn: Turn) -> None:
        """「やっぱり消さないで」: during the erase question it keeps everything."""
        if turn.state.phase is Phase.CONFIRM_ERASE:
            self.do_erase(turn, confirmed=False)
        else:
            self._say(turn, "keep_nothing_to_keep")

    def do_listen(self, turn: Turn) -> None:
        self._say(turn, "listen_start")

    def do_about_bot(self, turn: Turn) -> None:
        self._say(turn, "about_bot")
        turn.out.choices = self._menu(turn)

    def do_cancel(self, turn: Turn) -> None:
        s = turn.state
        if s.draft_text is not None:
            s.draft_text = None
            self._say(turn, "draft_not_held")
        elif s.held_until is not None and turn.now < s.held_until:
            turn.out.effects.append(CancelHeld())
            s.held_until = None
            self._say(turn, "cancelled")
        else:
            self._say(turn, "nothing_held")

    # safety

    def do_crisis(self, turn: Turn) -> None:
        """Warm, short, a line to call or chat with in the very first bubble (the chat line
        first for someone who says they cannot phone)."""
        again = turn.state.crisis_at is not None and turn.now - turn.state.crisis_at < GENTLE_FOR
        turn.state.crisis_at = turn.now
        chat_first = self._cannot_phone(turn)
        if again:  # stay with them: ask directly, one line, never the same block twice
            self._say(turn, "crisis_again")
            turn.out.replies.append(Text(self._crisis_lines(chat_first=chat_first,
                                                            only_chat=chat_first)))  # fmt: skip
            turn.out.choices = [self._button("btn_more_lines", "crisis:lines"),
                                self._button("btn_listen", "crisis:listen")]  # fmt: skip
            return
        intro = self.content.phrase("crisis_intro", turn.state.turn)
        lines = self._crisis_lines(chat_first=chat_first)
        turn.out.replies.append(Text(f"{intro}\n\n{lines}"))
        self._say(turn, "crisis_more")
        turn.out.choices = [
            self._button("btn_more_lines", "crisis:lines"),
            self._button("btn_listen", "crisis:listen"),
        ]

    def do_check_in(self, turn: Turn) -> None:
        """The model leaned to crisis without confidence: ask gently, with one line named."""
        self._say_with_line(turn, "check_in")
        turn.out.choices = [
            self._button("btn_more_lines", "crisis:lines"),
            *self._situation_choices(),
        ]

    def do_gentle(self, turn: Turn) -> None:
        if self._cannot_phone(turn):  # 「電話とかはちょっと無理…」: a line to write to instead
            self._say(turn, "crisis_chat_first")
            turn.out.replies.append(Text(self._crisis_lines(chat_first=True, only_chat=True)))
        else:
            self._say(turn, "gentle")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    @staticmethod
    def _cannot_phone(turn: Turn) -> bool:
        """Said now or earlier in this conversation: the chat lines come first from then on."""
        if turn.frame is not None and "phone_averse" in turn.frame.feelings:
            turn.state.no_phone = True
        return turn.state.no_phone

    def do_gentle_goodbye(self, turn: Turn) -> None:
        self._say_with_line(turn, "gentle_goodbye")

    def do_gentle_no_tactics(self, turn: Turn) -> None:
        self._say(turn, "gentle_no_tactics")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_boundary(self, turn: Turn) -> None:
        turn.state.no_contact, turn.state.no_contact_by = True, "boundary"
        self._say(turn, "boundary")
        self._own_days(turn)

    def do_blocked(self, turn: Turn) -> None:
        turn.state.no_contact = True
        turn.state.no_contact_by = turn.state.no_contact_by or "blocked"
        self._say(turn, "blocked")
        self._own_days(turn)

    def do_no_contact(self, turn: Turn) -> None:
        self._say(turn, "no_contact")
        self._own_days(turn)

    def do_no_contact_reply(self, turn: Turn) -> None:
        self._say(turn, "no_contact_reply")
        turn.out.choices = self._own_days_choices()

    # erasure

    def do_ask_erase(self, turn: Turn) -> None:
        self._say(turn, "erase_ask")
        turn.out.choices = [
            Choice(label=self.content.phrase("erase_yes"), data="erase:yes",
                   display_text=self.content.phrase("erase_yes")),
            Choice(label=self.content.phrase("erase_no"), data="erase:no",
                   display_text=self.content.phrase("erase_no")),
        ]  # fmt: skip

    def do_erase(self, turn: Turn, confirmed: bool) -> None:
        if confirmed:
            self._say(turn, "erase_done")
            turn.out.effects.append(EraseUser())
            turn.out.state = DialogueState()
            return
        self._say(turn, "erase_kept")
        turn.state.phase = home_phase(turn.state)

    # drafts held overnight

    def _hold_choices(self, state: DialogueState) -> list[Choice]:
        p = self.content.phrase
        return [
            Choice(label=p("hold_morning"), data="hold:morning", display_text=p("hold_morning")),
            Choice(label=p("hold_evening"), data="hold:evening", display_text=p("hold_evening")),
            Choice(label=p("hold_3d"), data="hold:3d", display_text=p("hold_3d")),
            Choice(label=p("hold_pick"), data="hold:pick", pick_datetime=True),
            Choice(label=p("rewrite"), data="draft:rewrite", display_text=p("rewrite")),
            Choice(label=p("dont_send"), data="draft:drop", display_text=p("dont_send")),
        ]

    def _hold(self, turn: Turn, when: str, params: dict[str, str]) -> None:
        s = turn.state
        if s.draft_text is None:
            self._say(turn, "held_nothing")
            s.phase = home_phase(s)
            return
        local = turn.now.astimezone(self.tz)
        rules = self.nudge.rules
        if when == "morning":
            at = morning_after(local, rules.morning_hour, rules.min_gap)
        elif when == "evening":
            at = morning_after(local, EVENING_HOUR, timedelta(hours=2))
        elif when == "3d":
            at = datetime.combine(
                (local + timedelta(days=3)).date(), time(rules.morning_hour), tzinfo=self.tz
            )
        else:
            at = _picked(params.get("datetime", ""), self.tz)
            if at is None or not timedelta(minutes=1) <= at - local <= MAX_HOLD:
                self._say(turn, "hold_bad_time")
                turn.out.choices = self._hold_choices(s)
                return
        turn.out.effects.append(HoldDraft(s.draft_text, tuple(s.draft_reasons), at))
        s.held_until = max(filter(None, (s.held_until, at)))
        s.draft_text, s.draft_reasons = None, []
        self._say(turn, "held", time=_when(at))
        s.phase = home_phase(s)

    def _draft_choice_made(self, turn: Turn, choice: str) -> None:
        s = turn.state
        s.draft_text, s.draft_reasons = None, []
        if choice == "rewrite":
            self._say(turn, "rewrite_ask")
            s.phase = Phase.AWAITING_DRAFT
        else:
            self._say(turn, "dropped")
            s.phase = home_phase(s)

    def _outcome(self, turn: Turn, arg: str) -> None:
        """The user's answer to a draft given back in the morning."""
        draft_id, _, outcome = arg.partition(":")
        if not draft_id.isdigit() or outcome not in ("sent", "rewrite", "dropped"):
            self.do_fallback(turn)
            return
        turn.out.effects.append(ResolveDraft(int(draft_id), outcome))
        self._say(turn, f"outcome_{outcome}")
        turn.state.phase = Phase.AWAITING_DRAFT if outcome == "rewrite" else home_phase(turn.state)

    def _cooling(self, turn: Turn, arg: str) -> None:
        s = turn.state
        if arg == "start":
            s.cooling_started = turn.now
            s.cooling_days = COOLING_DAYS.get(s.situation or "", 30)
            until = (turn.now + timedelta(days=s.cooling_days)).astimezone(self.tz)
            self._say(turn, "cooling_started", days=s.cooling_days, until=f"{until:%-m月%-d日}")
            p = self.content.phrase
            turn.out.choices = [
                Choice(label=p("cooling_checkins"), data="cooling:checkins",
                       display_text=p("cooling_checkins")),
                Choice(label=p("cooling_no_checkins"), data="cooling:none",
                       display_text=p("cooling_no_checkins")),
            ]  # fmt: skip
        elif arg == "checkins" and s.cooling_started and s.cooling_days:
            rules = self.nudge.rules
            for fraction, key in ((0.5, "checkin_half"), (1.0, "checkin_end")):
                day = s.cooling_started + timedelta(days=round(s.cooling_days * fraction))
                due = datetime.combine(day.astimezone(self.tz).date(), time(rules.morning_hour),
                                       tzinfo=self.tz)  # fmt: skip
                if due > turn.now:
                    text = self.content.phrase(key).format(days=s.cooling_days)
                    turn.out.effects.append(ScheduleCheckin(due, text))
            self._say(turn, "checkins_set")
        else:
            self._say(turn, "thanks")
        s.phase = home_phase(s)

    # -- helpers ------------------------------------------------------------------------------

    def _say(self, turn: Turn, key: str, **values: object) -> None:
        text = self.content.phrase(key, turn.state.turn)
        turn.out.replies.append(Text(text.format(**values) if values else text))

    def _say_with_line(self, turn: Turn, key: str) -> None:
        """A phrase followed by the first crisis line, in one bubble."""
        first = self.content.crisis_lines[0]
        text = self.content.phrase(key, turn.state.turn)
        turn.out.replies.append(Text(f"{text}\n{first.name} {first.contact}({first.hours})"))

    def _button(self, key: str, data: str) -> Choice:
        """A postback quick reply whose label (a phrase) also shows as the user's message."""
        label = self.content.phrase(key)
        return Choice(label=label, data=data, display_text=label)

    def _show_card(self, turn: Turn, card: AdviceCard) -> None:
        s = turn.state
        turn.out.replies.append(Card(card.title, card.body))
        s.last_card = card.id
        s.given = [*[c for c in s.given if c != card.id][-MAX_GIVEN + 1 :], card.id]
        nexts = [self.content.cards[n] for n in card.next if n in self.content.cards]
        nexts = [n for n in nexts if not (s.no_contact and n.suggests_contact)]
        turn.out.choices = [
            Choice(label=n.label, data=f"card:{n.id}", display_text=n.title) for n in nexts
        ] + self._menu(turn, situation=False)
        if "cooling" in card.intents and s.situation and s.cooling_started is None:
            label = self.content.phrase("cooling_start")
            turn.out.choices.insert(
                0, Choice(label=label, data="cooling:start", display_text=label)
            )

    def _card_for(self, turn: Turn, intent: str, prefer: str | None = None) -> AdviceCard | None:
        if prefer and prefer in self.content.cards and turn.state.last_card != prefer:
            return self.content.cards[prefer]
        return advice.pick(self.content.cards, intent, turn.state)

    def _own_days(self, turn: Turn) -> None:
        self._say(turn, "own_days")
        turn.out.choices = self._own_days_choices()

    def _own_days_choices(self) -> list[Choice]:
        return [
            self._intent_choice("自分磨きのこと", "self_improvement"),
            self._intent_choice("気持ちを聞いて", "vent"),
            Choice(label="選択肢のひとつとして", data="card:refused_one_option",
                   display_text="選択肢のひとつとして"),
        ]  # fmt: skip

    @staticmethod
    def _wait_left(s: DialogueState, now: datetime) -> int | None:
        """Days left of the wait: the cooling period started, or else the articles' minimum
        counted from when it happened (a light 「元気?」 three days into a silence is still a
        追いLINE)."""
        started = s.cooling_days_left(now)
        if started:
            return started
        days = s.days_since(now)
        minimum = COOLING_DAYS.get(s.situation or "")
        if days is None or minimum is None or days >= minimum:
            return None
        return minimum - days

    def _since_line(self, turn: Turn) -> str | None:
        s = turn.state
        days = s.days_since(turn.now)
        if days is None or s.situation is None:
            return None
        if s.situation == "refused":
            if days < 30:
                return self.content.phrase("refused_since_early").format(days=days, left=30 - days)
            if days < 90:
                return self.content.phrase("refused_since_mid").format(days=days)
            return self.content.phrase("refused_since_late").format(months=days // 30)
        if days < 14:
            return self.content.phrase("ghosted_since_early").format(days=days)
        return self.content.phrase("ghosted_since_late").format(days=days)

    def _crisis_lines(self, all_lines: bool = False, chat_first: bool = False,
                      only_chat: bool = False) -> str:  # fmt: skip
        lines = list(self.content.crisis_lines)
        if chat_first:
            lines.sort(key=lambda line: line.kind == "phone")  # stable: the file's order otherwise
        if only_chat:
            lines = [line for line in lines if line.kind != "phone"] or lines
        lines = lines if all_lines else lines[:2]
        out = []
        for line in lines:
            mark = "📞" if line.kind == "phone" else "💬"
            note = f"・{line.note}" if line.note else ""
            out.append(f"{mark} {line.name} {line.contact}({line.hours}{note})")
        return "\n".join(out)

    def _situation_choices(self) -> list[Choice]:
        p = self.content.phrase
        return [
            Choice(
                label=p("menu_refused"), data="situation:refused", display_text=p("menu_refused")
            ),
            Choice(
                label=p("menu_ghosted"), data="situation:ghosted", display_text=p("menu_ghosted")
            ),
        ]

    def _intent_choice(self, label: str, intent: str) -> Choice:
        return Choice(label=label, data=f"intent:{intent}", display_text=label)

    def _draft_choice(self) -> Choice:
        label = self.content.phrase("menu_draft")
        return Choice(label=label, data="draft:start", display_text=label)

    def _menu(self, turn: Turn, situation: bool = True) -> list[Choice]:
        p = self.content.phrase
        items: list[Choice] = []
        if situation and turn.state.situation is None:
            items += self._situation_choices()
        if not turn.state.no_contact:
            items.append(self._draft_choice())
        items += [
            self._intent_choice(p("menu_vent"), "vent"),
            Choice(label=p("menu_help"), data="intent:help", display_text=p("menu_help")),
        ]
        return items


def _once_each(choices: list[Choice]) -> list[Choice]:
    """A menu is put together from several places (card follow-ups, the standing menu, a
    lead choice): show each label once, where it first appears."""
    seen: set[str] = set()
    unique = []
    for choice in choices:
        if choice.label not in seen:
            seen.add(choice.label)
            unique.append(choice)
    return unique


def _when(at: datetime) -> str:
    days = "月火水木金土日"
    return f"{at:%-m月%-d日}({days[at.weekday()]}) {at:%-H:%M}"


def _picked(value: str, tz: ZoneInfo) -> datetime | None:
    """LINE's datetime picker sends local time as 2026-11-22T08:00."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at.replace(tzinfo=tz) if at.tzinfo is None else at.astimezone(tz)
