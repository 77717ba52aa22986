"""Multi-turn conversations as data (tests/conversations/*.yaml), run through the real engine
with the real content and reader. Each turn says or taps something; what follows it names what
the replies must and must not contain:

    - name: an ask after a refusal gets the card that answers it
      turns:
        - say: 先週、復縁を断られた
        - say: 冷却期間中に元カノのインスタ見るのはあり?
          card: refused_cooling        # this card (by id) is among the replies
          has: [SNS]                   # every one of these appears in the replies
          has_any: [SNS, インスタ]      # at least one appears
          not: [ストーカー]             # none appears
          choice: 預けた                # a quick reply's label contains this
          effect: HoldDraft             # an effect of this type is returned
          crisis: false                 # the crisis flow started (or not) on this turn
          no_card: true                 # no advice card (listening, crisis, privacy answers)
        - wait: 7                       # hours pass before the next message (the morning)

A conversation may carry `known_gap: why` (see _load).

Every conversation also holds what is true of all of them: never the same bubble twice in a
row, never a phrase the gatekeeper guidance warns against, never crisis lines unasked for."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.dialogue.engine import Engine
from bot.dialogue.types import Card
from tests.chat_driver import NIGHT, Chat, bubbles, texts

SCRIPTS = sorted((Path(__file__).parent / "conversations").glob("*.yaml"))
NEVER = ("頑張って", "がんばって", "命を粗末に", "考えすぎ", "元気出して")
KEYS = {"wait", "say", "tap", "card", "has", "has_any", "not", "choice", "effect", "crisis", "note",
        "no_card"}  # fmt: skip


def _load() -> list[Any]:
    """Each conversation a test. One marked `known_gap: why` is a reply the bot does not give
    yet: it must fail (strict xfail), so the day it passes the mark has to go."""
    out = []
    for path in SCRIPTS:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            gap = item.get("known_gap")
            marks = [pytest.mark.xfail(reason=gap, strict=True)] if gap else []
            out.append(pytest.param(item, id=f"{path.stem}: {item['name']}", marks=marks))
    return out


CONVERSATIONS = _load()


@pytest.fixture(scope="module")
def engine(content, classifier) -> Engine:
    from bot.config import Settings
    from bot.wiring import build_nudge

    return Engine(content, classifier, build_nudge(Settings(_env_file=None), content))


def test_there_are_enough_conversations() -> None:
    assert len(CONVERSATIONS) >= 80


@pytest.mark.parametrize("script", CONVERSATIONS)
def test_conversation(engine: Engine, content, script: dict[str, Any]) -> None:
    start = datetime.fromisoformat(script["at"]) if script.get("at") else NIGHT
    chat = Chat(engine, start)
    previous: list[str] = []
    for n, turn in enumerate(script["turns"], 1):
        unknown = set(turn) - KEYS
        assert not unknown, f"turn {n}: unknown keys {unknown}"
        if "wait" in turn:
            chat.now += timedelta(hours=turn["wait"])
            if set(turn) == {"wait"}:
                continue
        crisis_before = chat.state.crisis_at
        out = chat.say(turn["say"]) if "say" in turn else chat.tap(turn["tap"])
        said = texts(out)
        where = f"turn {n} ({turn.get('say') or turn.get('tap')!r}) got:\n{said}"
        assert out.replies, where
        if "card" in turn:
            card = content.cards[turn["card"]]  # the card, or one of its direct answers
            shown = (card.title, card.title_polite, *(a.say for a in card.answers),
                     *(a.say_polite for a in card.answers))  # fmt: skip
            assert any(t and t in said for t in shown), where
        if turn.get("no_card"):
            assert not [r for r in out.replies if isinstance(r, Card)], where
        for part in turn.get("has", []):
            assert part in said, f"missing {part!r} in {where}"
        if "has_any" in turn:
            assert any(p in said for p in turn["has_any"]), f"none of {turn['has_any']} in {where}"
        for part in turn.get("not", []):
            assert part not in said, f"unwanted {part!r} in {where}"
        if "choice" in turn:
            labels = [c.label for c in out.choices]
            assert any(turn["choice"] in label for label in labels), f"{labels} in {where}"
        if "effect" in turn:
            kinds = [type(e).__name__ for e in out.effects]
            assert turn["effect"] in kinds, f"{kinds} in {where}"
        if "crisis" in turn:
            started = chat.state.crisis_at is not None and chat.state.crisis_at != crisis_before
            assert started is turn["crisis"], where
        for phrase in NEVER:
            assert phrase not in said, f"{phrase!r} in {where}"
        repeated = set(bubbles(out)) & set(previous)
        assert not repeated, f"the same bubble twice in a row: {repeated} in {where}"
        previous = bubbles(out)
