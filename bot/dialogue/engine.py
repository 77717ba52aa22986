"""The dialogue engine: `(state, incoming, now) -> Outcome`. Pure: no I/O, no LINE, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.content import Content, require_phrases
from bot.dialogue.state import DialogueState
from bot.dialogue.types import (
    Choice,
    Effect,
    FollowIn,
    Incoming,
    NonTextIn,
    PostbackIn,
    Reply,
    Text,
    TextIn,
)
from bot.nlu.types import Prediction

require_phrases(
    "welcome", "welcome_ask", "greeting", "help", "thanks", "fallback", "non_text",
    "menu_refused", "menu_ghosted", "menu_draft", "menu_help",
)  # fmt: skip


class Classifier(Protocol):
    def classify(self, text: str) -> Prediction: ...


@dataclass
class Outcome:
    state: DialogueState
    replies: list[Reply] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)  # quick replies under the last bubble
    effects: list[Effect] = field(default_factory=list)
    intent: str | None = None


class Engine:
    def __init__(self, content: Content, classifier: Classifier) -> None:
        self.content = content
        self.classifier = classifier

    def handle(self, state: DialogueState, incoming: Incoming, now: datetime) -> Outcome:
        state = state.model_copy(update={"turn": state.turn + 1})
        match incoming:
            case FollowIn():
                return self._welcome(state)
            case NonTextIn():
                return Outcome(state, [self._say("non_text", state)], self._menu())
            case PostbackIn():
                return self._fallback(state)
            case TextIn(text=text):
                prediction = self.classifier.classify(text)
                return self._on_intent(state, prediction)
        raise TypeError(f"unknown input {incoming!r}")

    # -- handlers -----------------------------------------------------------------------------

    def _on_intent(self, state: DialogueState, prediction: Prediction) -> Outcome:
        intent = prediction.intent
        if intent in ("greeting", "help", "thanks"):
            choices = [] if intent == "thanks" else self._menu()
            return Outcome(state, [self._say(intent, state)], choices, intent=intent)
        outcome = self._fallback(state)
        outcome.intent = intent
        return outcome

    def _welcome(self, state: DialogueState) -> Outcome:
        replies: list[Reply] = [self._say("welcome", state), self._say("welcome_ask", state)]
        return Outcome(state, replies, self._menu())

    def _fallback(self, state: DialogueState) -> Outcome:
        return Outcome(state, [self._say("fallback", state)], self._menu())

    # -- helpers ------------------------------------------------------------------------------

    def _say(self, key: str, state: DialogueState) -> Text:
        return Text(self.content.phrase(key, state.turn))

    def _menu(self) -> list[Choice]:
        p = self.content.phrase
        return [
            Choice(label=p("menu_refused"), text=p("menu_refused")),
            Choice(label=p("menu_ghosted"), text=p("menu_ghosted")),
            Choice(label=p("menu_draft"), text=p("menu_draft")),
            Choice(label=p("menu_help"), text=p("menu_help")),
        ]
