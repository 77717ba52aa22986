"""Choosing the advice card for an intent and situation without repeating the last one."""

from __future__ import annotations

from collections.abc import Mapping

from bot.content import AdviceCard
from bot.dialogue.state import DialogueState


def candidates(
    cards: Mapping[str, AdviceCard], intent: str, situation: str | None, no_contact: bool,
    new_partner: bool = False, together: bool = False,
) -> list[AdviceCard]:  # fmt: skip
    """Cards for the intent: the situation's own first, then `any` ones; within each, cards
    whose main (first) intent it is come first, then file order.
    After a block or a boundary risk (or with a new partner), cards that suggest contacting the
    ex are left out."""
    fitting = [
        c
        for c in cards.values()
        if intent in c.intents
        and not (no_contact and c.suggests_contact)
        and not (c.after_block and not no_contact)
        and not (c.after_new_partner and not new_partner)
        and not (c.after_breakup and together)
    ]
    fitting.sort(key=lambda c: c.intents.index(intent))  # stable: file order within a rank
    own = [c for c in fitting if situation and situation in c.situations]
    general = [c for c in fitting if "any" in c.situations and c not in own]
    return own + general


def needs_situation(cards: Mapping[str, AdviceCard], intent: str) -> bool:
    """True when no `any` card answers the intent, so the situation must be known first."""
    return not any(intent in c.intents and "any" in c.situations for c in cards.values())


def pick(cards: Mapping[str, AdviceCard], intent: str, state: DialogueState) -> AdviceCard | None:
    """The first candidate not shown yet; else the least recently shown one. Never the card
    shown just before, when there is another."""
    options = candidates(cards, intent, state.situation, state.no_contact or state.new_partner,
                         state.new_partner, state.together)  # fmt: skip
    if not options:
        return None
    fresh = [c for c in options if c.id not in state.given]
    if fresh:
        return fresh[0]
    others = [c for c in options if c.id != state.last_card]
    if not others and state.last_card in cards:
        # The only card for this is the one just shown: move on to what follows it.
        last = cards[state.last_card]
        others = [
            cards[n]
            for n in last.next
            if n in cards and not (state.no_contact and cards[n].suggests_contact)
        ]
    if not others:
        return None
    return min(others, key=lambda c: state.given.index(c.id) if c.id in state.given else -1)
