"""Is the reply about what was asked? Conversations as data, each labelled turn naming every
answer that would count (`about: [card ids and/or action names]`), run through the real engine.

A reply counts when it shows one of the named cards (or names it again, or says one of its
direct answers), or its action is one of the named actions
(`crisis` also counts when the crisis flow started, or the lines were given when asked for). `tests/data/real/conversations_final.yaml`
was written apart from the cards' asks and never tuned on; `tests/conversations/` (the scripts
the tests hold) is the development set."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue.engine import Engine
from bot.dialogue.state import DialogueState
from bot.dialogue.types import PostbackIn, Text, TextIn

LISTENED = {"vent", "reflect"}
# Rows that are one row of the labels' vocabulary, said for a narrower case (table.py): a maybe
# to the check-in is the check-in still; the pull to go again is the boundary again; 「浮気されても
# 仕方ないの?」 answered is the answer to a self-judgement
SAME_ROW = {"gentle_goodbye": "thanks", "concern_no": "crisis_no", "check_in_unsure": "check_in",
            "urge_back": "stalking_risk", "not_your_fault": "normalize"}  # fmt: skip
NIGHT = datetime(2026, 11, 20, 16, 40, tzinfo=UTC)  # 01:40 in Tokyo


@dataclass
class OnTopic:
    labelled: int = 0
    about: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.about / self.labelled if self.labelled else 0.0


def load(path: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def score(engine: Engine, conversations: list[dict[str, Any]]) -> OnTopic:
    result = OnTopic()
    titles = {card.title: card.id for card in engine.content.cards.values()}
    titles |= {a.say: card.id for card in engine.content.cards.values() for a in card.answers}
    titles |= {t: card.id for card in engine.content.cards.values()  # the polite voice too
               for t in (card.title_polite, *(a.say_polite for a in card.answers)) if t}  # fmt: skip
    for conv in conversations:
        state, now = DialogueState(), NIGHT
        for turn in conv["turns"]:
            now += timedelta(hours=turn.get("wait", 0))  # hours pass (a script's morning after)
            if "say" not in turn and "tap" not in turn:
                continue
            incoming = TextIn(turn["say"]) if "say" in turn else PostbackIn(turn["tap"])
            crisis_before = state.crisis_at
            out = engine.handle(state, incoming, now)
            state, now = out.state, now + timedelta(minutes=1)
            wanted = turn.get("about") or ([turn["card"]] if "card" in turn else [])
            if not wanted:
                continue
            said = "\n".join(r.text if isinstance(r, Text) else r.title for r in out.replies)
            shown = {card_id for title, card_id in titles.items() if title in said}  # or said again
            done = {state.last_action}
            done |= {SAME_ROW[a] for a in done if a in SAME_ROW}
            if done & LISTENED:
                done |= LISTENED  # one behaviour: the feeling named, then a question
            if (state.crisis_at and state.crisis_at != crisis_before) or "lines" in done:
                done.add("crisis")  # the crisis flow, or the lines asked for
            result.labelled += 1
            if shown & set(wanted) or done & set(wanted):
                result.about += 1
            else:
                short = " / ".join(
                    (r.text if isinstance(r, Text) else r.title)[:40].replace("\n", " ")
                    for r in out.replies
                )
                result.misses.append(
                    f"{conv['name']}: {turn.get('say', turn.get('tap'))[:60]!r} wanted {wanted}, "
                    f"got {state.last_action} {sorted(shown)}: {short}"
                )
    return result
