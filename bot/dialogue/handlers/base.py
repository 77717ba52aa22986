"""What every handler shares: saying a phrase, buttons, the standing menu. Handlers are
mixins of the engine (python-telegram-bot keeps its handlers apart from the
ConversationHandler table the same way: the table is `bot/dialogue/table.py`)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.content import Content
from bot.dialogue.echo import echo_words, story_words
from bot.dialogue.ranking import CardIndex
from bot.dialogue.table import SITUATIONS
from bot.dialogue.turn import Turn
from bot.dialogue.types import Choice, Reply, Text
from bot.nlu.frame import Frame
from bot.nudge.review import Nudge

LISTENING = ("reflect", "vent", "listen", "gentle", "crisis_no", "concern_no")


MORNING = range(5, 11)  # 「おはよう」
DAYTIME = range(5, 18)  # no 「今夜はゆっくり」, no 「こんばんは」, no 「おやすみ」
ASKED_KEPT = 8  # open questions remembered, so none is asked twice in a row of turns
_CLAUSE_SPLIT = re.compile(r"[、,]")
SAID_BACK_CHARS = 24  # a clause, not a paragraph, is kept to say back


def said_back(frame: Frame | None) -> str | None:
    """The user's words that can be said back: the feeling's clause, else the last statement's
    last clause (the same choice a reflection makes)."""
    if frame is None:
        return None
    if frame.felt_words and (words := echo_words(frame.felt_words)):
        return words
    last = next((t for t in reversed(frame.sentences) if t != frame.ask), None)
    words = echo_words(_CLAUSE_SPLIT.split(last)[-1]) if last else None
    return words if words and len(words) <= SAID_BACK_CHARS else None


def digest(reply: Reply) -> str:
    """A bubble's fingerprint (the state keeps last turn's: never the same bubble twice)."""
    text = reply.text if isinstance(reply, Text) else f"{reply.title}\n{reply.body}"
    return hashlib.blake2s(text.encode(), digest_size=8).hexdigest()


def _key(question: str) -> str:
    return hashlib.blake2s(question.encode(), digest_size=4).hexdigest()


class Base:
    """The engine's parts a handler may use."""

    content: Content
    nudge: Nudge
    tz: ZoneInfo
    index: CardIndex

    def _feeling(self, turn: Turn) -> str | None:
        """The feeling to name: the heaviest one the user wrote, else joy or relief."""
        felt = turn.frame.feelings if turn.frame else ()
        return next((f for f in felt if f not in ("phone_averse", "joy", "relief")), None) or next(
            (f for f in felt if f in ("joy", "relief")), None
        )

    def _reflect(self, turn: Turn, ask: bool = True, feeling: str | None = None) -> None:
        """Name the feeling (rotating lines), then an open question. A same-sex relationship
        named as what makes it hard to tell anyone is said back as that first, once."""
        f = turn.frame
        heard = bool(f and f.same_sex and not turn.state.same_sex_heard
                     and (f.alone or "loneliness" in f.feelings))  # fmt: skip
        if heard:  # said back as that, and the feeling's own line is not said on top of it
            turn.state.same_sex_heard = True
            self._say(turn, "same_sex_heard")
        name = feeling or self._feeling(turn) or "general"
        lines = self.content.feelings[name]
        n = turn.state.turn
        polite = turn.state.polite
        text = lines.line(n, polite)
        frame = turn.frame
        if frame and name != "general":
            words = echo_words(frame.felt_words, polite)
        else:  # no feeling named: what happened (「元彼が結婚するって知った」), else the last
            # thing they said (「なんかもうわからない」), when it can be said back cleanly
            last = frame.sentences[-1] if frame and frame.sentences and not frame.ask else None
            words = echo_words(frame.event, polite) if frame else None
            words = words or (echo_words(_CLAUSE_SPLIT.split(last)[-1], polite) if last else None)
        story = story_words(frame.text, polite) if frame else None
        words = story or words  # a long story: what happened, what they cannot do, the thought
        if words and name == "general":  # their words said back are the reflection itself
            text = self._phrase(turn, "echo").format(words=words)
        elif words:  # their words first, then the feeling named
            text = self._phrase(turn, "echo").format(words=words) + text
        if (
            turn.previous_action in LISTENING
        ):  # a question every turn starts to feel like an interview, but a bare 「そうだったんだね。」
            ask = n % 2 == 0 or (name == "general" and not words)  # feels like being left on read
        question = None
        if (
            ask
        ):  # never the same question twice in a conversation's stretch (「夜って言ったじゃん」)
            asked = set(turn.state.asked)
            order = [lines.questions[(n + k) % len(lines.questions)]
                     for k in range(len(lines.questions))]  # fmt: skip
            said = (frame.said if frame else frozenset()) | set(turn.state.told)
            chosen = next((q for q in order
                           if _key(q.ask) not in asked and not said & set(q.unless)), None)  # fmt: skip
            if chosen:  # remembered by its casual words, whichever voice says it
                question = lines.ask(chosen, polite)
                turn.state.asked = [*turn.state.asked[-(ASKED_KEPT - 1) :], _key(chosen.ask)]
        if heard:
            text = question or ""
        elif question:
            text = f"{text}\n{question}"
        if text:
            turn.out.replies.append(Text(text))

    def _say(self, turn: Turn, key: str, **values: object) -> None:
        turn.out.replies.append(Text(self._phrase(turn, key, **values)))

    def _phrase(self, turn: Turn, key: str, **values: object) -> str:
        """The phrase `key`: its daytime variant (`key_day`) between 5:00 and 18:00 (no 「声を聞き
        たい夜」 at 8 a.m.), and its polite variant (`…_polite`) to someone who writes politely."""
        if turn.now.astimezone(self.tz).hour in DAYTIME and f"{key}_day" in self.content.phrases:
            key = f"{key}_day"
        if turn.state.polite and f"{key}_polite" in self.content.phrases:
            key = f"{key}_polite"
        text = self.content.phrase(key, turn.state.turn)
        return text.format(**values) if values else text

    def _variant(self, turn: Turn, key: str, n: int) -> str:
        """The phrase's n-th variant, in です・ます to someone who writes politely."""
        return self.content.phrase(self._register(turn, key), n)

    def _register(self, turn: Turn, key: str) -> str:
        """The phrase id in the user's register: `key_polite` when they write politely."""
        polite = f"{key}_polite"
        return polite if turn.state.polite and polite in self.content.phrases else key

    def _say_with_line(self, turn: Turn, key: str, chat: bool = False) -> None:
        """A phrase followed by one crisis line, in one bubble: the first, or the first chat
        line for someone who said they cannot phone (or when the phrase names one)."""
        lines = self.content.crisis_lines
        first = next((x for x in lines if x.kind != "phone"), lines[0]) \
            if turn.state.no_phone or chat else lines[0]  # fmt: skip
        text = self._variant(turn, key, turn.state.turn)
        turn.out.replies.append(Text(f"{text}\n{first.name} {first.contact}({first.hours})"))

    def _button(self, key: str, data: str) -> Choice:
        """A postback quick reply whose label (a phrase) also shows as the user's message."""
        label = self.content.phrase(key)
        return Choice(label=label, data=data, display_text=label)

    def _situation_choices(self) -> list[Choice]:
        p = self.content.phrase
        return [
            Choice(label=p(f"menu_{s}"), data=f"situation:{s}", display_text=p(f"menu_{s}"))
            for s in SITUATIONS
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


def once_each(choices: list[Choice]) -> list[Choice]:
    """A menu is put together from several places (card follow-ups, the standing menu, a
    lead choice): show each label once, where it first appears."""
    seen: set[str] = set()
    unique = []
    for choice in choices:
        if choice.label not in seen:
            seen.add(choice.label)
            unique.append(choice)
    return unique


def format_when(at: datetime) -> str:
    days = "月火水木金土日"
    return f"{at:%-m月%-d日}({days[at.weekday()]}) {at:%-H:%M}"
