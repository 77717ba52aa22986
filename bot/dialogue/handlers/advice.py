"""Advice: the situation told, the card that answers the question, what may follow it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from bot.content import AdviceCard
from bot.dialogue import advice, ranking
from bot.dialogue.handlers.base import Base
from bot.dialogue.state import Phase
from bot.dialogue.table import home_phase
from bot.dialogue.turn import COOLING_DAYS, MAX_GIVEN, Turn
from bot.dialogue.types import (
    Card,
    Choice,
    Text,
)

THEY_WANT_BACK = "any_they_want_back"  # the card for an ex who asks to come back
CLOSE = 0.5  # a card's own questions match the ask this well: it answers it
SURVEY_OF_MEN = "男性"  # the articles cite surveys of men (content/advice.yaml)
CLEARER = 0.15  # another card this much closer than the last one: the question moved on
FLOOR = 0.12  # below this no card's questions resemble the ask: say so, not a random card
LOOSE = 0.15  # …this well: better than the intent's first card
SAID_AROUND = 3  # a message this short is one question: its other sentences say what it asks
AGAIN = 0.4  # the card just shown answers the question again: its point, said shorter
ABOUT_THEM = ("why", "chance")  # questions about the other's mind, not about what to do
_QUOTED = re.compile(r"[「『][^「『」』]*[」』]")


STORY_CHARS = 40  # a first message this long is a story: its card may be more than cooling
SHORT_STORY = (
    20  # …this long, when a card matches it closely (「断られて1週間。インスタ見るのやめられない」)
)
STORY_MATCH = 0.3  # …when a card's own questions match the story this well
# Feelings that weigh more than the story's news: named before it, in place of the story's ack.
WEIGHS_MORE = ("grief", "tired", "drinking", "not_eating", "sleepless", "crying", "self_blame")
SHORT = 20  # characters: a question this short says little of what it is about alone


# 「…かどうか聞いたんだけど」「…か聞いてんねん。イエスかノーで」: what is left is the question
_ASKED_TAIL = re.compile(
    r"(いや|だから|てか)*[、\s]*|(かどうか|か|って)?(を)?(聞いた|きいた|聞いて(る|ん|ます)|聞いとる)"
    r"(ん|の)?(だ|や|じゃ|です)?(けど|けれど|ねん|って|が|のに)?|(イエス|yes|はい)か(ノー|no|いいえ)(で)?"
    r"|[笑wｗ😂]+"
)
_ASKED_MARK = re.compile(r"(聞いた|きいた|聞いて(る|ん|ます)|聞いとる)(ん|の)?(だ|や|じゃ|です)?(けど|けれど|ねん|って|が|のに)"
                         r"|(イエス|yes|はい)か(ノー|no|いいえ)")  # fmt: skip
ASKED_CHARS = 5  # 「送ってええんか」 is a question; 「だから」 alone is not


def _query(turn: Turn) -> str:
    """What the ranking compares: the question, with the sentence before it (or after it, when
    it comes first) when the question alone is too short to say what it is about
    (「…新しい彼女おるらしい。もう望みないんかな」),
    without the quoted words (what the ex said, or a draft, is not the question)."""
    frame = turn.frame
    if frame is None or not frame.ask:
        query = turn.text
    else:
        query = frame.ask
        at = frame.sentences.index(frame.ask) if frame.ask in frame.sentences else 0
        if len(query) < SHORT and at > 0:
            query = f"{frame.sentences[at - 1]} {query}"
        elif len(query) < SHORT and at + 1 < len(frame.sentences):
            query = f"{query} {frame.sentences[at + 1]}"  # 「今夜どうしたらいい?全然寝れなくて…」
    return _QUOTED.sub(" ", query).strip() or query


# An ask that points back (「これってアウト?」「それってあり?」): what it is about was said before it.
_POINTS_BACK = re.compile(
    r"^(じゃあ|でも|で、)?(これ|それ|あれ|こういう|そういう|こんな|そんな|こうい|そうい)"
)
_CLAUSE = re.compile(r"(?:けど|けれど|のに|から|が|て|で)?[、,]\s*")
MIN_CLAUSE = 6


def _clauses(query: str) -> list[str]:
    """The ask's last clause, when it has several (「最初は…思っとったけど、これ冷めとるっちゃろか」):
    the story before the comma dilutes what is asked."""
    parts = [p for p in _CLAUSE.split(query) if p.strip()]
    last = parts[-1].strip() if len(parts) > 1 else ""
    return [last] if len(last) >= MIN_CLAUSE else []


class AdviceHandlers(Base):
    def do_situation(self, turn: Turn) -> None:
        """The user told us (or chose) their situation: acknowledge, then the cooling advice
        with its period, or the question they asked before we knew."""
        s = turn.state
        s.situation = turn.intent
        if self._feeling(turn) in WEIGHS_MORE:  # 「父の葬儀のあとから連絡がない」: that first
            self._reflect(turn, ask=False)
        elif self._feeling(turn) in ("joy", "relief") or (
            turn.frame and turn.frame.fact("got_reply")
        ):  # 「断られてたけど返事きたと!😭」: good news, not 「いまはつらいよね」
            self._reflect(turn, ask=False, feeling=self._feeling(turn) or "joy")
        else:
            self._say(turn, f"{turn.intent}_ack")
        since = self._since_line(turn)
        if since:
            turn.out.replies.append(Text(since))
        pending, s.pending_intent = s.pending_intent, None
        # the first question of time asked for is what it means (the 距離 card), not a cooling
        intent = pending or ("why" if s.situation == "paused" else "cooling")
        days, wait = s.days_since(turn.now), COOLING_DAYS.get(s.situation or "")
        if intent == "cooling" and days is not None and wait is not None and days >= wait:
            intent = "what_to_do"  # the wait is over: not 「1〜2週間は控える」 at day 21
        if s.no_contact and intent == "cooling":
            intent = "what_to_do"
        frame = turn.frame
        story = bool(frame and not frame.ask and len(frame.text) >= SHORT_STORY)
        need = STORY_MATCH if frame and len(frame.text) >= STORY_CHARS else CLOSE
        asked = self._ranked(turn) if frame and (frame.ask or story) else []
        if story:  # the refusal told is no question: a card about the refusal itself waits
            asked = [m for m in asked if m.card.intents[0] != turn.intent]
        first = self._first_for(turn)
        if first:  # 「具合わるくしてるんでねえか」: their health before the silence's advice
            card = first
        elif asked and asked[0].similarity >= (
            CLOSE if s.situation == "paused" else need if story else STORY_MATCH
        ):  # time apart: what it means comes first, unless another card plainly answers
            card = asked[0].card  # 「断られたんだけど、インスタ見るのはあり?」, or a story
        else:  # that already says what it is about (「休みは朝4時から釣り…」)
            card = advice.pick(self.content.cards, intent, s)
        if card:
            self._show_card(turn, card)

    def do_contact_ok(self, turn: Turn) -> None:
        """「もう送ってもいい時期?」 asked straight: yes, not yet, or better a little later, by
        the story's days against the articles' waits (a refusal: 1, ideally 2–3 months; a
        silence: 1–2 weeks), with how to write if they do."""
        s = turn.state
        days = s.days_since(turn.now) or 0
        if s.situation == "refused":
            stage = "early" if days < 30 else "mid" if days < 60 else "late"
            left = 30 - days
        elif s.situation == "paused":  # time asked for: theirs to end, a light word after a month
            stage = "early" if days < 30 else "late"
            left = 30 - days
        else:
            stage = "early" if days < 14 else "late"
            left = 14 - days
        self._say(turn, f"contact_ok_{s.situation}_{stage}", days=days, left=left,
                  months=days // 30)  # fmt: skip
        ranked = self._ranked(turn)  # the card for what they asked (the first message, the
        if ranked and ranked[0].similarity >= STORY_MATCH and ranked[0].card.id not in s.given:
            self._show_card(turn, ranked[0].card, answer=False)
        turn.out.choices = [self._draft_choice(), *turn.out.choices, *self._menu(turn)][:13]

    def do_situation_unsaid(self, turn: Turn) -> None:
        """The story the bot assumed is taken back (「だから断られてないってば」): sorry for
        assuming, the countdown dropped, and which story it is asked with the menu."""
        turn.state.since_days = turn.state.since_told_at = None
        self._say(turn, f"{turn.known}_unsaid")
        turn.out.choices = self._situation_choices()

    def do_how_long(self, turn: Turn) -> None:
        """「それっていつまで?」 right after 「一晩置いてから送ろう」: the story's wait (its days
        counted when known), not the card the words 「いつまで」 resemble."""
        turn.intent = "cooling"
        self._say(turn, "how_long_night")
        since = self._since_line(turn)
        if since:
            turn.out.replies.append(Text(since))
        card = advice.pick(self.content.cards, "what_to_do" if turn.state.no_contact else "cooling",
                           turn.state)  # fmt: skip
        if card:
            self._show_card(turn, card, answer=False)
        else:
            self.do_fallback(turn)

    @staticmethod
    def _similarity_of(ranked: list[ranking.Match], card: AdviceCard) -> float:
        return next((m.similarity for m in ranked if m.card is card), 0.0)

    def _safety_card(self) -> AdviceCard | None:
        """The card for a worry about their safety (first for `health`: family once, #9110)."""
        return next((c for c in self.content.cards.values() if "health" in c.first_for), None)

    def _first_for(self, turn: Turn) -> AdviceCard | None:
        """A card that comes first when the message speaks of one of its `first_for` topics."""
        if turn.frame is None:
            return None
        topics = set(self.index.topics_in(turn.frame.text))
        allowed_ids = {c.id for c in ranking.allowed(self.content.cards, turn.state)}
        return next((c for c in self.content.cards.values()
                     if topics & set(c.first_for) and c.id in allowed_ids
                     and c.id not in turn.state.given), None)  # fmt: skip

    def do_their_life(self, turn: Turn) -> None:
        """「何より生きてるか知りたい」: worry for the other's life, answered with the card for a
        worry about their safety (family once, #9110, 119), its point again if already shown."""
        card = self._safety_card()
        if card is None:
            self.do_fallback(turn)
            return
        answer = self._direct_answer(turn, card, True) if card.id in turn.state.given else None
        if answer:  # 「アパートに行くべき?」「警察は大げさ?」 once the card was shown: that answer
            turn.out.replies.append(Text(answer))
            turn.out.choices = self._menu(turn, situation=False)
            return
        self._show_card(turn, card)

    def do_answer(self, turn: Turn) -> None:
        """An in-domain question the intent alone would not answer: the card whose own questions
        match it best, after naming the feeling when there is one; when the match is loose, the
        offer to look at a draft too."""
        ranked = self._ranked(turn)
        if not ranked:
            self.do_fallback(turn)
            return
        best = ranked[0]
        self._feeling_first(turn)
        core = self._core_card(turn)
        if best.similarity < FLOOR and turn.frame and turn.frame.ask:
            if core and core.id not in turn.state.given:
                self._say(turn, "no_card_honest")  # no card near it: said so, then what matters
                self._show_card(turn, core)
            else:  # …and what matters now was said already: the honest answer, and an offer
                self._say(turn, "no_card_plain")
                turn.out.choices = self._menu(turn)
        else:
            self._show_card(turn, best.card)
        if best.similarity < CLOSE and not turn.state.no_contact:
            turn.out.choices.insert(0, self._draft_choice())

    def do_more(self, turn: Turn) -> None:
        """「もっと」「ほかには?」「うん」: the next card in the chain of the one just shown."""
        s = turn.state
        last = self.content.cards.get(s.last_card or "")
        shown = set(s.given)
        allowed_ids = {c.id for c in ranking.allowed(self.content.cards, s)}
        chain = [n for n in (last.next if last else ()) if n in allowed_ids and n not in shown]
        if not chain and last:  # the chain is done: the best card for what the last one was about
            chain = [m.card.id for m in self.index.rank(last.title, s, last.intents)
                     if m.card.id not in shown]  # fmt: skip
        if not chain:
            self._say(turn, "no_more")
            turn.out.choices = self._menu(turn)
            return
        self._show_card(turn, self.content.cards[chain[0]], answer=False)  # not what was asked

    def do_straight_chance(self, turn: Turn) -> None:
        """「ワンチャンあるかないかで答えて」: the honest word (no one can say for sure, and it is
        not zero), what it hangs on in their story, and what is theirs to do meanwhile."""
        s = turn.state
        key = {"ghosted": "straight_chance_ghosted", "paused": "straight_chance_paused"}.get(
            s.situation or "", "straight_chance"
        )
        self._say(turn, key)
        turn.out.choices = self._menu(turn, situation=False)

    def do_explain(self, turn: Turn) -> None:
        """「それってどういうこと?」: the card's point again, in one short sentence."""
        card = self.content.cards.get(turn.state.last_card or "")
        if card is None:
            self.do_fallback(turn)
            return
        self._say(turn, "explain_point", point=self.index.best_sentence(card, card.title))

    def do_since(self, turn: Turn) -> None:
        """「もう3週間たつんだけど」「3日前ちゃうくて2週間前」: the story's time, counted again."""
        if turn.frame and turn.frame.days_ago is not None:
            turn.state.since_days, turn.state.since_told_at = turn.frame.days_ago, turn.now
        since = self._since_line(turn)
        if since is None:
            self.do_clarify(turn)
            return
        self._say(turn, "since_noted")
        turn.out.replies.append(Text(since))
        turn.out.choices = self._menu(turn, situation=False)

    def do_ended_ack(self, turn: Turn) -> None:
        """They ended it themselves: heard as that (no refusal, no countdown), the feeling in
        it first, and which way they lean asked, not assumed (back, lonely, or moving on)."""
        if self._feeling(turn) or (turn.frame and turn.frame.event):
            self._reflect(turn, ask=False)  # 「元彼に新しい彼女できてたの今日しった」 said back
        self._say(turn, "ended_ack")
        turn.state.phase = Phase.ADVISING

    def do_moving_on(self, turn: Turn) -> None:
        """「べつに戻りたいとか言ってないし」: heard, sorry if it was assumed, and what they
        want asked (the cards that assume a reunion are set aside from now on)."""
        if self._feeling(turn):
            self._reflect(turn, ask=False)
        assumed = turn.previous_action not in (None, "greeting", "welcome", "follow", "listen")
        self._say(turn, "moving_on_ack" if assumed else "moving_on_heard")  # no sorry for nothing

    def do_wait_agreed(self, turn: Turn) -> None:
        """「ほな16日な」: the wait they agreed to, with the day it ends (not counted as the
        story's time), and where to bring the urge meanwhile."""
        days = turn.agreed_days or 0
        until = (turn.now + timedelta(days=days)).astimezone(self.tz)
        self._say(turn, "wait_agreed", days=days, until=f"{until:%-m月%-d日}")
        turn.out.choices = self._menu(turn, situation=False)

    def do_not_that(self, turn: Turn) -> None:
        """「そういうことじゃなくて」: the last answer missed. Say so, and try another card
        only when one answers clearly; otherwise ask what they meant, in their words."""
        heard = turn.state.last_words
        said = (turn.frame.ask or turn.text) if turn.frame else ""
        asked = _ASKED_TAIL.sub("", said).strip(" 、。?？!！")
        asked_again = bool(_ASKED_MARK.search(said)) and len(asked) >= ASKED_CHARS
        if turn.frame and asked_again:  # 「10日って長いかどうか聞いたんだけど」: that, asked again
            turn.frame = replace(turn.frame, ask=asked)
        if heard and turn.frame and not turn.frame.ask:  # 「いや今言ったじゃん」: said back, not
            self._say(turn, "not_that_heard", words=heard)  # asked for again
            turn.state.last_card = None
            return
        self._say(turn, "not_that")
        last = turn.state.last_card
        frame = turn.frame
        if frame and frame.ask and len(frame.sentences) == 1 and not asked_again:
            frame = turn.frame = replace(frame, ask=None)  # 「別れの話してるんだけど!?」: the
            # complaint is no question of its own
        if frame and frame.draft and not turn.state.no_contact:
            self.do_draft(turn)  # 「話ずれてる…この文送っていいか聞いてるの「…」」: the draft
            return
        card = self.content.cards.get(last or "")
        answer = self._direct_answer(turn, card) if card and frame and frame.ask else None
        if answer:  # 「俺が聞いてんのは、ほんまに効くんかって話」: that card's own answer to it
            turn.out.replies.append(Text(answer))
            turn.out.choices = self._menu(turn)
            return
        ranked = [m for m in self._ranked(turn) if m.card.id not in (last, *turn.state.given)
                  and not (frame and frame.fact(m.card.intents[0]) is False)]  # fmt: skip
        # (「新しい相手とか言ってないよ」: not the new-partner card it just denied)
        if frame and frame.ask and ranked and ranked[0].similarity >= FLOOR:
            self._show_card(turn, ranked[0].card)  # the question asked with it, answered
            return
        if frame and frame.ask:  # no card for it: said honestly, not "say it again"
            self._say(turn, "no_card_plain")
            turn.state.last_card = None
            return
        self._say(turn, "not_that_ask")
        turn.state.last_card = None  # 「うん」 now answers the question, not the card

    def _ranked(self, turn: Turn) -> list[ranking.Match]:
        """The cards for this message, ranked once per turn (the policy and the action share it)."""
        if turn.ranked is None:
            turn.ranked = self._rank(turn)
        return turn.ranked

    def _rank(self, turn: Turn) -> list[ranking.Match]:
        query = _query(turn)
        if not query:
            return []
        frame = turn.frame
        intents = [turn.intent, frame.topic if frame else None]
        if frame:  # a fact the story states is a prior too: 「新しい彼女おるらしい…望みない?」
            intents += [f for f in ("new_partner", "got_reply", "blocked") if frame.fact(f)]
        if turn.state.new_partner:
            intents.append("new_partner")
        if self._replying(turn):
            intents.append("got_reply")  # 「なんて返したらいいと?」 once a reply came
        also = _clauses(query)
        if frame and frame.ask and _POINTS_BACK.match(frame.ask) and len(frame.sentences) > 1:
            at = frame.sentences.index(frame.ask) if frame.ask in frame.sentences else 0
            also += [_QUOTED.sub(" ", t) for t in frame.sentences[max(0, at - 3) : at]]
            # 「…病みストーリーあげたい衝動がすごい。…これってやめといたほうがいい?」
        ranked = self.index.rank(query, turn.state, [i for i in intents if i], also)
        # 「彼からは何もなか」: no card for a reply the message says did not come; the card for
        # a worry about their safety (#9110) only for that worry, told now or before
        health = "health" in self.index.topics_in(query) or bool(frame and frame.their_life)
        return [m for m in ranked if not (frame and frame.fact(m.card.intents[0]) is False)
                and (health or "health" not in m.card.first_for
                     or m.card.id in turn.state.given)]  # fmt: skip

    def _replying(self, turn: Turn) -> bool:
        """A reply came and this asks how to answer it (「なんて返したらいいと?」)."""
        return turn.state.replied and "reply" in self.index.topics_in(_query(turn))

    def _feeling_first(self, turn: Turn) -> None:
        """Name the feeling before the answer (「眠れなくて…インスタ見るのはあり?」); with no
        feeling named, a word for what they asked about (「つい見ちゃうよね。」), not a bare card."""
        if self._feeling(turn):
            self._reflect(turn, ask=False)
            return
        for topic in self.index.topics_in(_query(turn)):
            key = f"ack_{topic}"
            if topic == "reply" and turn.frame and turn.frame.fact("got_reply") is False:
                continue  # 「連絡きてないってw」: no 「連絡がきたんだね」
            if key in self.content.phrases:
                self._say(turn, key)
                return

    def do_they_want_back(self, turn: Turn) -> None:
        """The ex asked to get back together: the user is the one deciding, and no reunion
        drill applies. First the mixed feeling heard and the card for it; then each question
        (「考えさせてって言うのはずるい?」) answered from it, or from the card that answers."""
        s = turn.state
        card = self.content.cards.get(THEY_WANT_BACK)
        if card is None:
            self.do_advice(turn)
            return
        if card.id not in s.given:
            if self._feeling(turn):
                self._reflect(turn, ask=False)
            else:
                self._say(turn, "they_want_back_ack")
            self._show_card(turn, card, answer=bool(turn.frame and turn.frame.ask))
            return
        answer = self._direct_answer(turn, card, True)
        if answer:
            self._feeling_first(turn)
            turn.out.replies.append(Text(answer))
            turn.out.choices = self._menu(turn, situation=False)
            return
        self.do_advice(turn)

    def do_sent_told(self, turn: Turn) -> None:
        """「送ったよ〜緊張した😂」, typed rather than tapped: heard as the 送った button would
        be (the pace is theirs now, no follow-up message), the feeling in it named first; a
        reply to their reply (「次なにか来たらどうしよ」) gets the card for the pace after it."""
        s = turn.state
        if self._feeling(turn):
            self._reflect(turn, ask=False)
        self._say(turn, "outcome_sent")
        s.draft_text, s.draft_reasons = None, []
        s.phase = home_phase(s)
        pace = {"ghosted": "ghost_got_reply", "refused": "refused_got_reply"}.get(s.situation or "")
        if s.replied and pace in self.content.cards and pace not in s.given:
            self._show_card(turn, self.content.cards[pace])

    def do_advice(self, turn: Turn) -> None:
        ranked = self._ranked(turn) if turn.frame else []
        if turn.state.new_partner and turn.intent == "chance":  # no signs to look for, now
            ranked = [m for m in ranked if "new_partner" in m.card.intents or (
                m.similarity >= CLOSE and "chance" not in m.card.intents)] or ranked  # fmt: skip
        asks_days = bool(turn.frame and turn.frame.asks_time)
        counted = turn.state.since_said == turn.state.days_since(turn.now)
        since = (
            self._since_line(turn)
            if asks_days or turn.intent in ("cooling", "what_to_do")
            else None
        )
        if since and not asks_days and counted:
            since = None  # counted already today: not the same figure on every answer
        closest = max(ranked, key=lambda m: m.similarity, default=None)
        last = self.content.cards.get(turn.state.last_card or "")
        if last not in ranking.allowed(self.content.cards, turn.state):
            last = None  # the story changed (「断られたんじゃなくて既読無視」): not its card
        no_better = not (ranked and ranked[0].similarity >= AGAIN)
        replying = self._replying(turn)
        if last and (
            (closest and closest.card is last and closest.similarity >= AGAIN)
            or (
                replying
                and "got_reply" in last.intents
                and not (ranked and "got_reply" in ranked[0].card.intents)
            )  # 「なんて返したらいいと?」
            or (turn.intent == last.intents[0] and no_better)
            or (asks_days and "cooling" in last.intents and no_better)
            or (  # 「ストーリー見るのってあり?」 after the cooling card: its own answer
                (turn.intent in last.intents or turn.intent not in ABOUT_THEM)  # 「なんで既読無視
                and not (ranked and ranked[0].similarity >= CLOSE)
                and not (
                    ranked and ranked[0].similarity >= self._similarity_of(ranked, last) + CLEARER
                )
                and self._direct_answer(turn, last) is not None  # するん?」 is a why, not the wait
            )
        ):  # the same question again (「どれくらい待てばいい?」 after the cooling card)
            card: AdviceCard | None = last  # said again, shorter (below)
        elif (
            turn.frame
            and turn.frame.ask
            and not turn.frame.in_domain
            and not asks_days
            and not (turn.state.situation and closest and closest.similarity >= CLOSE)
            and max(self.index.similarity(_query(turn), with_model=False).values(), default=0.0)
            < FLOOR
        ):  # (mid-story, 「目安みたいなのもないですか?」 names nothing, but its card is clear)  # 「火星に住むのってありかな?」: no card's words near it, and nothing of the ex in it
            card = self._core_card(turn)
            if card is None or card.id in turn.state.given:  # nothing new to follow the promise
                self._say(turn, "no_card_plain")
                turn.out.choices = self._menu(turn)
                return
            self._say(turn, "no_card_honest")
        elif ranked and (ranked[0].similarity >= LOOSE or turn.intent in ranked[0].card.intents):
            card = ranked[0].card  # the card whose own questions match, with the priors
        else:  # a button, or words no card's questions resemble: the intent's own cards
            card = advice.pick(self.content.cards, turn.intent, turn.state)
        if card is None:
            self.do_fallback(turn)
            return
        again = card.id == turn.state.last_card and "cooling" in card.intents
        asked_more = bool(turn.frame and turn.frame.ask) and self._direct_answer(turn, card, True)
        if again and not asks_days and not counted and not asked_more:
            since = since or self._since_line(turn)
            if since:  # 「1ヶ月経った私はどうしたら?」: the days counted answer it, not the card
                turn.out.replies.append(Text(since))
                turn.out.choices = self._menu(turn)
                return
        if (
            card.id == turn.state.last_card
            and turn.state.again_card == card.id
            and self._direct_answer(turn, card, True) is None
        ):  # asked a third time, and none of its answers is what is asked: the next card
            self.do_more(turn)
            return
        if card.id == turn.state.last_card:  # asked again: its point, not the same bubble
            turn.state.again_card = card.id
            point = self.index.best_sentence(card, _query(turn))
            self._feeling_first(turn)  # 「長すぎひん?耐えられへん」: heard before the point again
            answer = None if since and asks_days else self._direct_answer(turn, card, True)
            if answer:  # a narrower question about the same card: its own answer
                turn.out.replies.append(Text(answer))
            else:
                self._say(turn, "already_said", title=card.title, point=point)
            if since and asks_days:  # 「あと何日?」: the days first, in the same bubble
                said = turn.out.replies.pop()
                turn.out.replies.append(Text(f"{since}\n{said.text}"))
            turn.out.choices = self._menu(turn)
            return
        if since:
            turn.out.replies.append(Text(since))
        else:
            self._feeling_first(turn)
        # the days counted answer 「何ヶ月?」 already: not the cooling card's answer again
        self._show_card(turn, card, answer=not (since and "cooling" in card.intents))

    def do_advice_or_ask(self, turn: Turn) -> None:
        """Before the situation is known: answer with a general card when there is one,
        otherwise ask first and keep the question for after. A message that tells the situation
        and asks at once (「音信不通だった彼から連絡きた！」) is answered: the story was learnt."""
        if not turn.state.situation and advice.needs_situation(self.content.cards, turn.intent):
            turn.state.pending_intent = turn.intent
            self._say(turn, "ask_situation_first")
            turn.out.choices = self._situation_choices()
            turn.state.phase = Phase.ASKED_SITUATION
            return
        self.do_advice(turn)

    def do_want_contact(self, turn: Turn) -> None:
        ranked = self._ranked(turn) if turn.frame and turn.frame.ask else []
        if max((m.similarity for m in ranked), default=0.0) >= CLOSE:
            self.do_advice(turn)  # 「最初なんて送ったらええん?」 is a question with its card
            return
        self._say(turn, "want_contact")
        left = turn.state.cooling_days_left(turn.now)
        if left:
            self._say(turn, "cooling_left", days=left)
        ranked = self._ranked(turn) if turn.frame and turn.frame.ask else []
        if ranked and ranked[0].similarity >= CLOSE:  # 「誕生日にLINEしていい?」 has its card
            card: AdviceCard | None = ranked[0].card
        else:  # the wait first (nothing they did is implied); the NG card once that was said
            cooling = self._core_card(turn)
            card = cooling if cooling and cooling.id not in turn.state.given else (
                self._card_for(turn, "ng_actions", prefer="ng_persistent_contact"))  # fmt: skip
        if card:
            self._show_card(turn, card)
        turn.out.choices = [self._draft_choice(), *turn.out.choices][:13]

    def _show_card(self, turn: Turn, card: AdviceCard, answer: bool = True) -> None:
        """The card, with what may follow it. A card shown earlier in this conversation, asked
        about again in words (not tapped), is its point in a sentence, not the whole card."""
        s = turn.state
        s.again_card = None
        said = self._direct_answer(turn, card) if answer else None
        if said:  # 「ストーリー見るのはあり?」: its yes or no first
            turn.out.replies.append(Text(said))
        # an answer written for their story (距離置き中の誕生日) is the whole reply: the card's
        # body speaks of another story
        own = any(said in (a.say, a.say_polite) for a in card.answers
                  if (a.situations or a.alone) and said)  # fmt: skip
        again = card.id in s.given and turn.frame is not None
        if again and not said and not own:  # the point, not the whole card again
            point = self.index.best_sentence(card, _query(turn))
            self._say(turn, "said_before", title=card.title, point=point)
        elif not again and not own:
            turn.out.replies.append(Card(*card.view(s.polite)))
        if s.ex_woman and any(SURVEY_OF_MEN in getattr(r, "body", getattr(r, "text", ""))
                              for r in turn.out.replies):  # fmt: skip
            self._say(turn, "survey_men_note")  # the articles' survey asked men; the ex is not one
        s.last_card = card.id
        s.given = [*[c for c in s.given if c != card.id][-MAX_GIVEN + 1 :], card.id]
        fits = {c.id for c in ranking.allowed(self.content.cards, s)}  # not another story's card
        nexts = [self.content.cards[n] for n in card.next if n in fits]
        turn.out.choices = [
            Choice(label=n.label, data=f"card:{n.id}", display_text=n.title) for n in nexts
        ] + self._menu(turn, situation=False)
        days = s.days_since(turn.now)
        past = days is not None and days >= COOLING_DAYS.get(s.situation or "", 0) * 2
        if "cooling" in card.intents and s.situation and s.cooling_started is None and not past:
            label = self.content.phrase("cooling_start")
            turn.out.choices.insert(
                0, Choice(label=label, data="cooling:start", display_text=label)
            )

    def _direct_answer(self, turn: Turn, card: AdviceCard, follow_up: bool = False) -> str | None:
        """The card's answer to the question asked in words (not a tapped button); a repeat of
        last turn's is dropped by the engine (never the same bubble twice)."""
        frame = turn.frame
        if frame is None or not frame.ask:
            return None
        query = _query(turn)
        texts = [query, *_clauses(query)]
        if len(frame.sentences) <= SAID_AROUND and frame.text != query:
            # 「目安みたいなのもないですか?2週間とか1ヶ月とか…」: what it asks is said around it
            texts.append(_QUOTED.sub(" ", frame.text))
        answer = self.index.best_answer(card, texts, follow_up, turn.state.situation)
        if answer is None:
            return None
        say = answer.say_polite if turn.state.polite and answer.say_polite else answer.say
        if any(getattr(r, "text", None) == say for r in turn.out.replies):
            return None
        if answer.suggests_contact and (turn.state.no_contact or turn.state.new_partner):
            return None  # 「区切りに一度話すのもあり」 is not said after a block
        return say

    def _core_card(self, turn: Turn) -> AdviceCard | None:
        """What matters now when no card answers the question: the wait, unless a reply came
        (how to answer it) or the ex has someone new (no wait for them: your own days)."""
        s = turn.state
        intent = "got_reply" if s.replied else "new_partner" if s.new_partner else "cooling"
        mains = [c for c in ranking.allowed(self.content.cards, s) if c.intents[0] == intent]
        card = next((c for c in mains if c.id not in s.given), mains[0] if mains else None)
        if s.new_partner and (card is None or card.id in s.given):
            card = advice.pick(self.content.cards, "self_improvement", s)
        return card

    def _card_for(self, turn: Turn, intent: str, prefer: str | None = None) -> AdviceCard | None:
        if prefer and prefer in self.content.cards and turn.state.last_card != prefer:
            return self.content.cards[prefer]
        return advice.pick(self.content.cards, intent, turn.state)

    def _since_line(self, turn: Turn) -> str | None:
        s = turn.state
        days = s.days_since(turn.now)
        if days is None or s.situation in (None, "ended", "paused") or s.moving_on or s.no_contact \
                or s.replied or s.new_partner:  # fmt: skip
            return None  # after a block, or once they wrote: no countdown to contact
        s.since_said = days
        if s.situation == "refused":
            if days < 30:
                return self._phrase(turn, "refused_since_early").format(days=days, left=30 - days)
            if days < 90:
                return self._phrase(turn, "refused_since_mid").format(days=days)
            return self._phrase(turn, "refused_since_late").format(months=days // 30)
        if days < 7:
            return self._phrase(turn, "ghosted_since_early").format(days=days)
        if days < 14:  # 「あと何日?」 at day 10: the days to two weeks, as a number
            return self._phrase(turn, "ghosted_since_mid").format(days=days, left=14 - days)
        return self._phrase(turn, "ghosted_since_late").format(days=days)
