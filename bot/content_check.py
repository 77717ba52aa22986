"""What `check-content` warns about beyond hard errors: shared by the command and the
simulator's content panel, so editors see the same list in both."""

from __future__ import annotations

from bot.content import Content


def content_warnings(content: Content) -> list[str]:
    import bot.dialogue.engine  # noqa: F401  (registers the phrase ids the engine uses)
    from bot.dialogue.ranking import CardIndex
    from bot.nlu.lexicon import Lexicon

    lexicon = Lexicon.from_content(content.understanding)
    out = [
        f"advice.yaml: {card}: ask {ask!r} is nearly a question of {other}"
        for ask, card, other in CardIndex(content.cards, lexicon.topics).collisions()
    ]
    out += [
        f"understanding.yaml: boundary_kinds.{kind} has no phrase boundary_{kind} (phrases.yaml)"
        for kind in lexicon.boundary_kinds
        if f"boundary_{kind}" not in content.phrases
    ]
    out += [
        f"feelings.yaml: {name}: question {q.ask!r} names {u!r}, not in understanding.yaml "
        "already_said (so it is always asked)"
        for name, lines in content.feelings.items()
        for q in lines.questions
        for u in q.unless
        if u not in lexicon.already_said
    ]
    out += [
        f"advice.yaml: {card.id}: first_for names {t!r}, not a topic of understanding.yaml"
        for card in content.cards.values()
        for t in card.first_for
        if t not in lexicon.topics
    ]
    missing = [c.id for c in content.cards.values() if not c.all_asks]
    if missing:
        out.append(f"advice.yaml: cards without asks (only found by intent): {missing}")
    return out


def summary(content: Content) -> str:
    return (
        f"content OK: {len(content.phrases)} phrases, {len(content.cards)} advice cards, "
        f"{len(content.crisis_lines)} crisis lines, "
        f"{sum(map(len, content.examples.values()))} training examples"
    )
