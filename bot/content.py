"""Load and validate what an operator edits in `content/`: phrases, crisis lines, advice cards,
intents and their training examples. Errors name the file and the entry, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

INTENT_IDS = (
    "greeting", "help", "thanks", "refused", "ghosted", "why", "chance", "what_to_do",
    "cooling", "self_improvement", "ng_actions", "want_contact", "draft", "got_reply",
    "new_partner", "blocked", "stalking_risk", "vent", "crisis", "cancel", "delete_data",
    "other",
)  # fmt: skip
SITUATIONS = ("refused", "ghosted", "paused", "ended", "any")

# Phrase ids the code asks for; check-content fails if one is missing.
REQUIRED_PHRASES: set[str] = set()


def require_phrases(*ids: str) -> None:
    """Modules declare the phrase ids they use at import, so validation knows them all."""
    REQUIRED_PHRASES.update(ids)


class ContentError(Exception):
    """content/ is not valid; `problems` lists each one as `file: where: what`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CrisisLine(_Strict):
    name: str = Field(min_length=1)
    contact: str = Field(min_length=1)  # a phone number or a URL
    kind: str = Field(pattern="^(phone|chat|sns)$")
    hours: str = Field(min_length=1)
    note: str = ""


def _short_asks(v: tuple[str, ...]) -> tuple[str, ...]:
    bad = [a for a in v if not a.strip() or len(a) > 120]
    if bad:
        raise ValueError(f"asks must be 1–120 characters: {bad}")
    return v


ANSWER_ASKS = 3  # an answer's own questions, at least


class CardAnswer(_Strict):
    """A direct answer to one question a card answers (「ストーリー見るのはあり?」 → 「見るのも、今は
    お休みがおすすめ。…」): said before the card, so a yes/no question gets its yes or no."""

    # that question, as people ask it: three at least, for the answer model learns each answer
    # from its own questions (three-fold calibration)
    asks: tuple[str, ...] = Field(min_length=ANSWER_ASKS)
    say: str = Field(min_length=1, max_length=120)
    say_polite: str | None = Field(default=None, max_length=120)  # from advice_polite.yaml
    suggests_contact: bool = False  # never said after a block or a boundary risk
    # said only in these stories, and first in them (「距離置き中の誕生日」 is not a refusal's)
    situations: tuple[str, ...] = ()
    alone: bool = False  # said without the card: its body would say otherwise (誘われたら)

    @field_validator("situations")
    @classmethod
    def _situations(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in v if s not in SITUATIONS or s == "any"]
        if bad:
            raise ValueError(f"unknown situation(s) {bad}; use {list(SITUATIONS[:-1])}")
        return v

    _asks = field_validator("asks")(classmethod(lambda cls, v: _short_asks(v)))


class AdviceCard(_Strict):
    id: str = Field(pattern="^[a-z0-9_]+$")
    situations: tuple[str, ...] = Field(min_length=1)
    intents: tuple[str, ...] = Field(min_length=1)
    title: str = Field(min_length=1, max_length=40)
    body: str = Field(min_length=1, max_length=400)
    source: str = Field(min_length=1)
    label: str = Field(min_length=1, max_length=20)
    next: tuple[str, ...] = ()
    suggests_contact: bool = False  # never shown after a block or a boundary risk
    after_block: bool = False  # only shown after a block or 「連絡しないで」
    after_new_partner: bool = False  # only once someone new is told of: never invented
    after_breakup: bool = False  # never to a couple still together (「別れてないってば」)
    # Topics (understanding.yaml topics:) that, told in a story, bring this card first: a worry
    # for their health (「倒れてないか」) outranks the cooling card the silence would get.
    first_for: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()  # questions this card answers, as people ask them (for ranking)
    answers: tuple[CardAnswer, ...] = ()  # direct answers to some of them, said before the card
    # The card in です・ます (content/advice_polite.yaml), for someone who writes politely.
    title_polite: str | None = Field(default=None, max_length=40)
    body_polite: str | None = Field(default=None, max_length=400)

    def view(self, polite: bool) -> tuple[str, str]:
        """Title and body, in the polite voice when asked for and written."""
        if polite and self.body_polite:
            return self.title_polite or self.title, self.body_polite
        return self.title, self.body

    @property
    def all_asks(self) -> tuple[str, ...]:
        """Every question the card answers: its own asks and its answers' asks."""
        return (*self.asks, *(a for answer in self.answers for a in answer.asks))

    _asks = field_validator("asks")(classmethod(lambda cls, v: _short_asks(v)))

    @field_validator("situations")
    @classmethod
    def _situations(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in v if s not in SITUATIONS]
        if bad:
            raise ValueError(f"unknown situation(s) {bad}; use {list(SITUATIONS)}")
        return v

    @field_validator("intents")
    @classmethod
    def _intents(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [i for i in v if i not in INTENT_IDS]
        if bad:
            raise ValueError(f"unknown intent(s) {bad}")
        return v


class FeelingQuestion(_Strict):
    """An open question, left out when the message already told what it asks (`unless`:
    names in understanding.yaml `already_said`, e.g. 「いつ頃から?」 after 「今日知った」)."""

    ask: str = Field(min_length=1, max_length=80)
    unless: tuple[str, ...] = ()


class FeelingLines(_Strict):
    """What the bot says to a feeling: a line that names it, then an open question."""

    lines: tuple[str, ...] = Field(min_length=1)
    questions: tuple[FeelingQuestion, ...] = Field(min_length=1)
    # The same in です・ます (content/feelings_polite.yaml), one for one, for polite writers.
    lines_polite: tuple[str, ...] = ()
    questions_polite: tuple[str, ...] = ()

    def line(self, n: int, polite: bool) -> str:
        lines = self.lines_polite if polite and self.lines_polite else self.lines
        return lines[n % len(lines)]

    def ask(self, question: FeelingQuestion, polite: bool) -> str:
        """The question's words, in the polite voice when asked for and written."""
        if polite and self.questions_polite:
            return self.questions_polite[self.questions.index(question)]
        return question.ask

    @field_validator("lines")
    @classmethod
    def _short(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [x for x in v if not x.strip() or len(x) > 80]
        if bad:
            raise ValueError(f"1–80 characters each: {bad}")
        return v

    @field_validator("questions", mode="before")
    @classmethod
    def _plain(cls, v: Any) -> Any:
        """A question is a plain string, or `{ask: …, unless: [names]}`."""
        if isinstance(v, list | tuple):
            return [{"ask": q} if isinstance(q, str) else q for q in v]
        return v


@dataclass(frozen=True)
class Content:
    phrases: dict[str, tuple[str, ...]]
    crisis_lines: tuple[CrisisLine, ...] = ()
    cards: dict[str, AdviceCard] = field(default_factory=dict)
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    safety: dict[str, list[str]] = field(default_factory=dict)
    nudge: dict[str, Any] = field(default_factory=dict)  # nudge/signals.yaml as loaded
    drafts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # nudge/{risky,light}.txt
    understanding: dict[str, Any] = field(default_factory=dict)  # understanding.yaml as loaded
    feelings: dict[str, FeelingLines] = field(default_factory=dict)  # feelings.yaml

    def phrase(self, key: str, turn: int = 0) -> str:
        """The phrase `key`; with variants, the one for this turn (so repeats vary)."""
        variants = self.phrases[key]
        return variants[turn % len(variants)]


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built in: 10× faster


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_LOADER)
    except FileNotFoundError:
        problems.append(f"{path.name}: missing")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        problems.append(f"{path.name}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})")
    return None


def _pydantic_problem(file: str, where: str, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        out.append(f"{file}: {where}{'.' + loc if loc else ''}: {err['msg']}")
    return out


def _load_phrases(root: Path, problems: list[str]) -> dict[str, tuple[str, ...]]:
    data = _read_yaml(root / "phrases.yaml", problems)
    phrases: dict[str, tuple[str, ...]] = {}
    if data is None:
        return phrases
    raw = data.get("phrases") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        problems.append("phrases.yaml: expected a mapping under `phrases:`")
        return phrases
    for key, value in raw.items():
        variants = [value] if isinstance(value, str) else value
        if (
            not isinstance(variants, list)
            or not variants
            or not all(isinstance(v, str) and v.strip() for v in variants)
        ):
            problems.append(f"phrases.yaml: {key}: must be a non-empty text or list of texts")
            continue
        phrases[str(key)] = tuple(v.strip() for v in variants)
    return phrases


def _load_crisis_lines(root: Path, problems: list[str]) -> tuple[CrisisLine, ...]:
    data = _read_yaml(root / "crisis_lines.yaml", problems)
    if data is None:
        return ()
    items = data.get("lines") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        problems.append("crisis_lines.yaml: expected a non-empty list under `lines:`")
        return ()
    out = []
    for n, item in enumerate(items, 1):
        try:
            out.append(CrisisLine.model_validate(item))
        except ValidationError as exc:
            problems += _pydantic_problem("crisis_lines.yaml", f"line #{n}", exc)
    return tuple(out)


def _load_cards(root: Path, problems: list[str]) -> dict[str, AdviceCard]:
    data = _read_yaml(root / "advice.yaml", problems)
    items = data.get("cards") if isinstance(data, dict) else None
    if not isinstance(items, list):
        problems.append("advice.yaml: expected a list under `cards:`")
        return {}
    cards: dict[str, AdviceCard] = {}
    labels: dict[str, str] = {}
    for n, item in enumerate(items, 1):
        where = f"card #{n} ({item.get('id', '?')})" if isinstance(item, dict) else f"card #{n}"
        try:
            card = AdviceCard.model_validate(item)
        except ValidationError as exc:
            problems += _pydantic_problem("advice.yaml", where, exc)
            continue
        if card.id in cards:
            problems.append(f"advice.yaml: {where}: duplicate id")
        if card.label in labels:
            problems.append(f"advice.yaml: {where}: label also used by {labels[card.label]}")
        cards[card.id] = card
        labels[card.label] = card.id
    for card in cards.values():
        for nxt in card.next:
            if nxt not in cards:
                problems.append(f"advice.yaml: {card.id}: next names unknown card {nxt!r}")
    return _with_polite(root, cards, problems)


class _PoliteCard(_Strict):
    title: str = Field(min_length=1, max_length=40)
    body: str = Field(min_length=1, max_length=400)
    answers: tuple[str, ...] = ()


def _polite_file(root: Path, name: str, key: str, problems: list[str]) -> dict[str, Any]:
    """The mapping under `key` in an optional polite-voice file (empty when there is none)."""
    path = root / name
    if not path.exists():
        return {}
    data = _read_yaml(path, problems)
    raw = data.get(key) if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        problems.append(f"{name}: expected a mapping under `{key}:`")
        return {}
    return raw


def _with_polite(root: Path, cards: dict[str, AdviceCard],
                 problems: list[str]) -> dict[str, AdviceCard]:  # fmt: skip
    """The cards with their polite voice (content/advice_polite.yaml; optional): each entry names
    a card, and has as many answers as the card, in its order."""
    raw = _polite_file(root, "advice_polite.yaml", "cards", problems)
    out = dict(cards)
    for card_id, item in raw.items():
        card = cards.get(card_id)
        if card is None:
            problems.append(f"advice_polite.yaml: {card_id}: no such card in advice.yaml")
            continue
        try:
            polite = _PoliteCard.model_validate(item)
        except ValidationError as exc:
            problems += _pydantic_problem("advice_polite.yaml", card_id, exc)
            continue
        if len(polite.answers) != len(card.answers):
            problems.append(f"advice_polite.yaml: {card_id}: {len(polite.answers)} answers, the "
                            f"card has {len(card.answers)} (one each, in its order)")  # fmt: skip
            continue
        answers = tuple(a.model_copy(update={"say_polite": p})
                        for a, p in zip(card.answers, polite.answers, strict=True))  # fmt: skip
        out[card_id] = card.model_copy(update={
            "title_polite": polite.title, "body_polite": polite.body, "answers": answers})  # fmt: skip
    return out


def _load_examples(root: Path, problems: list[str]) -> dict[str, tuple[str, ...]]:
    folder = root / "examples"
    examples: dict[str, tuple[str, ...]] = {}
    if not folder.is_dir():
        return examples
    for path in sorted(folder.glob("*.txt")):
        if path.stem not in INTENT_IDS:
            problems.append(f"examples/{path.name}: not an intent id (see intents.yaml)")
            continue
        examples[path.stem] = _read_lines(path)
    return examples


def _load_safety(root: Path, problems: list[str]) -> dict[str, list[str]]:
    from bot.nlu.safety import ORDER, SafetyRules

    data = _read_yaml(root / "rules.yaml", problems)
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), list) and data[k] and all(isinstance(p, str) for p in data[k])
        for k in ORDER
    ):
        problems.append(f"rules.yaml: expected non-empty lists of patterns under {list(ORDER)}")
        return {}
    try:
        SafetyRules.from_content(data)
    except ValueError as exc:
        problems.append(f"rules.yaml: {exc}")
    return {k: data[k] for k in ORDER}


def _load_nudge(root: Path, problems: list[str]) -> dict[str, Any]:
    from bot.nudge.review import NudgeRules

    data = _read_yaml(root / "nudge" / "signals.yaml", problems)
    if not isinstance(data, dict):
        if data is not None:
            problems.append("nudge/signals.yaml: expected a mapping")
        return {}
    try:
        NudgeRules.from_content(data)
    except (ValueError, TypeError, AttributeError) as exc:
        problems.append(f"nudge/signals.yaml: {exc}")
    return data


def _load_understanding(root: Path, problems: list[str]) -> dict[str, Any]:
    from bot.nlu.lexicon import Lexicon

    data = _read_yaml(root / "understanding.yaml", problems)
    if data is None:
        return {}
    try:
        Lexicon.from_content(data)
    except ValueError as exc:
        problems.append(f"understanding.yaml: {exc}")
        return {}
    return data


def _load_feelings(root: Path, problems: list[str]) -> dict[str, FeelingLines]:
    from bot.nlu.lexicon import FEELINGS

    data = _read_yaml(root / "feelings.yaml", problems)
    raw = data.get("feelings") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        if data is not None:
            problems.append("feelings.yaml: expected a mapping under `feelings:`")
        return {}
    out = {}
    for name in (*FEELINGS, "general"):
        if name not in raw:
            problems.append(f"feelings.yaml: {name}: missing (understanding.yaml detects it)")
            continue
        try:
            out[name] = FeelingLines.model_validate(raw[name])
        except ValidationError as exc:
            problems += _pydantic_problem("feelings.yaml", name, exc)
    return _feelings_polite(root, out, problems)


def _feelings_polite(root: Path, feelings: dict[str, FeelingLines],
                     problems: list[str]) -> dict[str, FeelingLines]:  # fmt: skip
    """Each feeling's lines and questions in です・ます (content/feelings_polite.yaml; optional),
    one for one with feelings.yaml."""
    raw = _polite_file(root, "feelings_polite.yaml", "feelings", problems)
    out = dict(feelings)
    for name, item in raw.items():
        casual = feelings.get(name)
        if casual is None or not isinstance(item, dict):
            problems.append(f"feelings_polite.yaml: {name}: no such feeling in feelings.yaml")
            continue
        lines, questions = tuple(item.get("lines") or ()), tuple(item.get("questions") or ())
        if len(lines) != len(casual.lines) or len(questions) != len(casual.questions):
            problems.append(f"feelings_polite.yaml: {name}: needs {len(casual.lines)} lines and "
                            f"{len(casual.questions)} questions, one for each in feelings.yaml")  # fmt: skip
            continue
        bad = [x for x in (*lines, *questions) if not isinstance(x, str) or not 0 < len(x) <= 80]
        if bad:
            problems.append(f"feelings_polite.yaml: {name}: 1–80 characters each: {bad}")
            continue
        out[name] = casual.model_copy(update={"lines_polite": lines, "questions_polite": questions})
    return out


def _read_lines(path: Path) -> tuple[str, ...]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(dict.fromkeys(x.strip() for x in lines if x.strip() and not x.startswith("#")))


def _load_drafts(root: Path, problems: list[str]) -> dict[str, tuple[str, ...]]:
    drafts = {}
    for kind in ("risky", "light"):
        path = root / "nudge" / f"{kind}.txt"
        if not path.exists():
            problems.append(f"nudge/{kind}.txt: missing")
            continue
        drafts[kind] = _read_lines(path)
        if len(drafts[kind]) < 20:
            problems.append(f"nudge/{kind}.txt: at least 20 drafts needed")
    both = set(drafts.get("risky", ())) & set(drafts.get("light", ()))
    for text in sorted(both):
        problems.append(f"nudge/: {text!r} is in both risky.txt and light.txt")
    return drafts


def _check_examples(examples: dict[str, tuple[str, ...]], problems: list[str]) -> None:
    seen: dict[str, str] = {}
    for intent in INTENT_IDS:
        if len(examples.get(intent, ())) < 10:
            problems.append(f"examples/{intent}.txt: at least 10 examples needed")
    for intent, lines in examples.items():
        for line in lines:
            if line in seen and seen[line] != intent:
                problems.append(f"examples/{intent}.txt: {line!r} is also in {seen[line]}.txt")
            seen[line] = intent


def load_content(root: Path) -> Content:
    """Load everything under `root`; raise ContentError listing every problem found."""
    problems: list[str] = []
    if not root.is_dir():
        raise ContentError([f"{root}: content folder not found (set CONTENT_DIR)"])
    phrases = _load_phrases(root, problems)
    for key in sorted(REQUIRED_PHRASES - phrases.keys()):
        problems.append(f"phrases.yaml: {key}: missing (the bot says it)")
    examples = _load_examples(root, problems)
    _check_examples(examples, problems)
    content = Content(
        phrases=phrases,
        crisis_lines=_load_crisis_lines(root, problems),
        cards=_load_cards(root, problems),
        examples=examples,
        safety=_load_safety(root, problems),
        nudge=_load_nudge(root, problems),
        drafts=_load_drafts(root, problems),
        understanding=_load_understanding(root, problems),
        feelings=_load_feelings(root, problems),
    )
    if problems:
        raise ContentError(problems)
    return content
