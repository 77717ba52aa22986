"""Which card answers the question: character 2–3-grams (TF-IDF, cosine) between the user's ask
and each card's own example questions (`asks:` in content/advice.yaml), its title and body,
blended with a linear classifier trained on all of each card's asks (when one is given).
Characters alone do not know that インスタ and SNS are one thing: each topic of
content/understanding.yaml (`topics:`) found in a text adds a token of its own, on both sides.

The situation filters, the intent is a prior, cards already shown are penalised. An operator who
adds a card with its asks makes it findable with no code change. Built once at start; a query
costs a few hundred dictionary look-ups."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.content import AdviceCard, CardAnswer
from bot.dialogue.state import DialogueState
from bot.nlu.lexicon import Patterns, any_match
from bot.nlu.normalize import fold_kana, normalize

_NOISE = re.compile(r"[\s、。,.!?!?~ー…「」『』()（）・]+")
TITLE_WEIGHT = 0.6  # a title is a question's topic, not a question
BODY_WEIGHT = 0.35
INTENT_PRIOR = 0.09  # the card is for the intent the reader derived
FIRST_INTENT = 0.03  # …and it is the card's main intent
SHOWN = 0.15  # shown before in this conversation
POINT_CHARS = 12  # 「ほっとしたね。」 greets; a point said again is a sentence with content
ANSWERED = 0.45  # a direct answer's questions are this close to the ask: it is what was asked
ANSWER_NEAR = 0.15  # …and one of them at least this close by itself
OWN_STORY = 0.15  # an answer written for the user's story outranks the general one this much
FOLLOW_UP = (0.3, 0.2)  # the same, asked about the card just shown: its topic is settled already
COLLIDE = 0.8  # check-content warns when two cards' asks are this alike
MODEL_WEIGHT = 0.4  # the card classifier's share of a card's similarity
TOPIC = 4  # a topic token counts as this many grams: one word can carry a question
KANA_ONLY = (
    0.4  # a gram of kana alone is mostly grammar and dialect endings (んだがや): it weighs less
)
_KANA = re.compile(r"[ぁ-ゖー]+")


def grams(text: str, topics: Mapping[str, Patterns] | None = None) -> Counter[str]:
    norm = normalize(text)
    folded = fold_kana(norm)
    out: Counter[str] = Counter()
    for part in _NOISE.sub(" ", folded).split():
        for n in (2, 3):
            out.update(part[i : i + n] for i in range(len(part) - n + 1))
        if len(part) == 1:
            out[part] += 1
    for name, patterns in (topics or {}).items():
        if any_match(patterns, norm, folded):
            out[f"#{name}"] += TOPIC
    return out


@dataclass(frozen=True)
class Match:
    card: AdviceCard
    score: float  # similarity plus priors and penalties
    similarity: float  # how well the card's own questions match the ask (0–1)


class CardModel(Protocol):
    """A classifier trained on the cards' own questions (bot.nlu.model.IntentModel)."""

    def proba(self, normalized: str) -> dict[str, float]: ...


class CardIndex:
    def __init__(self, cards: Mapping[str, AdviceCard],
                 topics: Mapping[str, Patterns] | None = None,
                 model: CardModel | None = None,
                 answer_model: CardModel | None = None) -> None:  # fmt: skip
        self.cards = cards
        self.topics = dict(topics or {})
        self.model = model
        self.answer_model = answer_model  # classes: `card_id#k`, the card's k-th answer
        docs: list[tuple[str, float, Counter[str]]] = []
        for card in cards.values():
            docs += [(card.id, 1.0, self._grams(a)) for a in card.all_asks]
            docs.append((card.id, TITLE_WEIGHT, self._grams(card.title)))
            docs.append((card.id, BODY_WEIGHT, self._grams(card.body)))
        df: Counter[str] = Counter(g for _, _, c in docs for g in c)
        self.idf = {g: math.log((1 + len(docs)) / (1 + n)) + 1 for g, n in df.items()}
        # A word no card knows still says what the question is about (「火星に住む…」): it weighs
        # in the query's length, so 「のってありかな」 alone is not a close match.
        self.unseen = math.log(1 + len(docs)) + 1
        lists: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for i, (_, _, counts) in enumerate(docs):
            for g, w in self._vector(counts).items():
                lists[g][0].append(i)
                lists[g][1].append(w)
        # Postings as arrays: a query adds a few dozen slices instead of walking thousands of
        # pairs in Python (the ranking was the costliest part of a reply).
        self.postings = {
            g: (np.array(ix, dtype=np.intp), np.array(ws)) for g, (ix, ws) in lists.items()
        }
        self.card_ids = list(cards)
        position = {card_id: k for k, card_id in enumerate(self.card_ids)}
        self.doc_card = np.array([position[card_id] for card_id, _, _ in docs], dtype=np.intp)
        self.doc_weight = np.array([weight for _, weight, _ in docs])
        self.answers = {  # each direct answer's questions, as vectors
            card.id: [(answer, [self._vector(self._grams(a)) for a in answer.asks])
                      for answer in card.answers]
            for card in cards.values() if card.answers
        }  # fmt: skip

    def topics_in(self, text: str) -> list[str]:
        """The topics of content/understanding.yaml a text speaks of, in their file order."""
        norm = normalize(text)
        folded = fold_kana(norm)
        return [name for name, pats in self.topics.items() if any_match(pats, norm, folded)]

    def _grams(self, text: str) -> Counter[str]:
        return grams(text, self.topics)

    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        vec = {
            g: (1 + math.log(n))
            * self.idf.get(g, self.unseen)
            * (KANA_ONLY if _KANA.fullmatch(g) else 1)
            for g, n in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {g: w / norm for g, w in vec.items()}

    def similarity(self, text: str, with_model: bool = True) -> dict[str, float]:
        """Each card's best match: the closest of its asks, or its title or body (weighted).
        Without the model: the words alone (the classifier always leans to some card)."""
        query = self._vector(self._grams(text))
        dots = np.zeros(len(self.doc_card))
        for g, w in query.items():
            if (posting := self.postings.get(g)) is not None:
                dots[posting[0]] += w * posting[1]
        scores = np.zeros(len(self.card_ids))
        np.maximum.at(scores, self.doc_card, dots * self.doc_weight)
        best = {self.card_ids[k]: float(v) for k, v in enumerate(scores) if v > 0}
        if self.model is None or not with_model:
            return best
        # The nearest question alone is brittle; a classifier over all of a card's questions
        # generalises to words none of them used (measured: the scripts' cards 94% → 100%).
        probs = self.model.proba(normalize(text))
        return {c: (1 - MODEL_WEIGHT) * best.get(c, 0.0) + MODEL_WEIGHT * probs.get(c, 0.0)
                for c in best.keys() | probs.keys()}  # fmt: skip

    def rank(self, text: str, state: DialogueState, intents: Iterable[str] = (),
             also: Iterable[str] = ()) -> list[Match]:  # fmt: skip
        """Cards that may be shown now, best first. `also`: narrower readings of the same ask
        (its last clause); a card's similarity is its best over all of them."""
        sims = self.similarity(text)
        for other in also:
            for card_id, sim in self.similarity(other).items():
                sims[card_id] = max(sims.get(card_id, 0.0), sim)
        wanted = [i for i in intents if i]
        out = []
        for card in allowed(self.cards, state):
            sim = sims.get(card.id, 0.0)
            score = sim
            if any(i in card.intents for i in wanted):
                score += INTENT_PRIOR + (FIRST_INTENT if card.intents[0] in wanted else 0.0)
            if state.no_contact and card.after_block:
                score += INTENT_PRIOR  # after a block, what holds after a block comes first
            elif state.no_contact and "what_to_do" in wanted and "self_improvement" in card.intents:
                score += INTENT_PRIOR  # 「俺なにしたらいいん」 after a block: for themselves
            if card.id in state.given:
                score -= SHOWN
            if card.id == state.last_card:
                score -= 1.0
            out.append(Match(card, score, sim))
        return sorted(out, key=lambda m: m.score, reverse=True)

    def best_answer(
        self, card: AdviceCard, texts: Iterable[str], follow_up: bool = False,
        situation: str | None = None,
    ) -> CardAnswer | None:  # fmt: skip
        """The card's direct answer to the question (one of `texts`: the ask and its narrower
        readings): half the closest of each answer's own questions, half the answer model's
        share among the card's answers. None when no answer is near enough: only the topic is.
        A follow-up on the card just shown (「インスタ見るのはあり?」) needs less: the card is
        already what they asked about, only which of its answers is open."""
        answers = self.answers.get(card.id, [])
        top, least_near = FOLLOW_UP if follow_up else (ANSWERED, ANSWER_NEAR)
        best = None
        for text in texts:
            query = self._vector(self._grams(text))
            probs = self.answer_model.proba(normalize(text)) if self.answer_model else {}
            mine = [probs.get(answer_key(card.id, k), 0.0) for k in range(len(answers))]
            total = sum(mine) or 1.0
            for k, (answer, vecs) in enumerate(answers):
                if answer.situations and situation not in answer.situations:
                    continue  # another story's answer
                near = max(sum(w * vec.get(g, 0.0) for g, w in query.items()) for vec in vecs)
                score = (near + mine[k] / total) / 2 if self.answer_model else near
                if answer.situations:
                    score += OWN_STORY  # 「誕生日は送っていい?」 while apart: the answer for that
                if score > top and near >= least_near:  # a share of nothing is not a match
                    best, top = answer, score
        return best

    def best_sentence(self, card: AdviceCard, text: str) -> str:
        """The sentence of the card's body that answers the question best (its point for it)."""
        sentences = [x.strip() for x in _sentences(card.body) if x.strip()]
        sentences = [x for x in sentences if len(x) >= POINT_CHARS] or sentences
        if not sentences:
            return card.title
        query = self._vector(self._grams(text))

        def score(sentence: str) -> float:
            vec = self._vector(self._grams(sentence))
            return sum(w * vec.get(g, 0.0) for g, w in query.items())

        best = max(sentences, key=score)
        return (best if score(best) >= 0.03 else sentences[0]).rstrip("。")  # else: its first rule

    def collisions(self) -> list[tuple[str, str, str]]:
        """Asks of two cards that are nearly the same question (ask, card, other card)."""
        found = []
        for card in self.cards.values():
            for ask in card.all_asks:
                sims = self.similarity(ask)
                for other, sim in sims.items():
                    if (
                        other != card.id
                        and sim >= COLLIDE
                        and ask not in self.cards[other].all_asks
                    ):
                        found.append((ask, card.id, other))
        return found


def answer_key(card_id: str, k: int) -> str:
    """The answer model's class for a card's k-th answer."""
    return f"{card_id}#{k}"


def answer_examples(cards: Mapping[str, AdviceCard]) -> dict[str, list[str]]:
    """The answer model's training set: each answer's own questions."""
    return {answer_key(c.id, k): list(a.asks) for c in cards.values()
            for k, a in enumerate(c.answers)}  # fmt: skip


def allowed(cards: Mapping[str, AdviceCard], state: DialogueState) -> list[AdviceCard]:
    """The situation filters (its own cards and `any`; all when it is not known yet); after a
    block or a boundary risk, cards that suggest contact are left out."""
    out = []
    for card in cards.values():
        if (state.no_contact or state.new_partner) and card.suggests_contact:
            continue  # after a block, or with someone new: no path back through contact
        if card.after_block and not state.no_contact:
            continue
        if card.after_new_partner and not state.new_partner:
            continue  # 「もう完全に嫌われてんのかな」: no new partner invented
        if card.after_breakup and state.together:
            continue  # 「別れてないってば」: no 「久しぶり」, no reunion, to a couple still together
        if state.moving_on and "any" not in card.situations:
            continue  # 「戻りたいわけじゃない」: no reunion drill
        if (
            state.situation
            and state.situation not in card.situations
            and "any" not in card.situations
        ):
            continue
        out.append(card)
    return out


def _sentences(body: str) -> list[str]:
    """The body's sentences, split at 。 and at lines, but never inside 「」 (「誕生日おめでとう。
    いい一年になりますように」 is one example, not two sentences)."""
    out, start, depth = [], 0, 0
    for i, ch in enumerate(body):
        depth += (ch in "「『") - (ch in "」』")
        if ch == "\n" or (ch == "。" and depth <= 0):
            out.append(body[start : i + (ch == "。")])
            start = i + 1
    out.append(body[start:])
    return out
