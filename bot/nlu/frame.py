"""Read a message into a frame: risk, the story's facts (with polarity and time), a request to
the bot, the question asked, a draft (only when marked), and the feelings named.

One intent label per message failed on how people write: 「ブロックはされてない」 read as
blocked, 「朝まで預かって」 as cancel, a sad story as a crisis. The frame keeps each of these
apart, and the contract's intent id is derived from it (`classify` keeps its output):

    crisis rule > boundary rule > request > a stated block > a marked draft > the model,
    whose answer may not contradict the frame (no `blocked` when the block is denied, no
    `draft` without a draft, no `crisis` from the model alone: that is `concern`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.nlu.drafts import find_draft
from bot.nlu.durations import days_ago
from bot.nlu.lexicon import FACTS, Lexicon, Patterns, any_match, search_both
from bot.nlu.model import IntentModel
from bot.nlu.normalize import fold_kana, normalize
from bot.nlu.safety import SafetyRules
from bot.nlu.sentences import MAX_CHARS, Sentence, find_quotes, mask_quotes, split_sentences

# What a request means in the contract's intent ids.
REQUEST_INTENT = {
    "erase": "delete_data", "keep_data": "cancel", "cancel_hold": "cancel",
    "show_held": "help", "hold": "draft", "review": "draft", "listen": "vent",
    "about_bot": "help", "stay": "vent",
}  # fmt: skip
QUESTION_INTENTS = ("why", "chance", "what_to_do", "cooling", "self_improvement", "ng_actions")
FACT_INTENT = {"refused": "refused", "ghosted": "ghosted", "got_reply": "got_reply",
               "new_partner": "new_partner", "blocked": "blocked"}  # fmt: skip
# The model alone is not trusted with these: they change the conversation too much.
MODEL_FLOOR = {"stalking_risk": 0.5, "cancel": 0.6, "delete_data": 0.7}
ANSWER_CHARS = 80  # a yes or no to the direct question may come with a few sentences
SHORT_ASK = 10  # a question this short, right after another, is asked with it
CONCERN_LEAN = 0.55  # the model's crisis probability that makes a frame `concern`
MODEL_CHARS = 600  # the model reads the start and the end of a longer message
FOLLOWUP_CHARS = 30
UNSURE = 0.30  # below this the model's guess alone is not acted on
# When the model is unsure, a stated fact answers instead, in the labelling rule's order.
FACT_ORDER = ("got_reply", "new_partner", "refused", "ghosted")
SMALL_TALK = ("thanks", "greeting", "other", "help")
# what a story's time is the time of
STORY_FACTS = ("refused", "broke_up", "ghosted", "blocked", "paused")
HEAVY_FEELINGS = ("grief", "drinking", "not_eating", "tired", "sleepless", "crying", "regret", "anxiety", "phone_checking", "anger",
                  "self_blame", "loneliness", "fade_fear")  # fmt: skip


@dataclass(frozen=True)
class Frame:
    text: str
    intent: str  # the contract's intent id, derived from everything below
    confidence: float
    source: str  # rule | request | fact | draft | model | empty
    risk: str = "none"  # none | concern | crisis
    facts: dict[str, bool | None] = field(default_factory=dict)  # None: asked about
    days_ago: int | None = None  # how long ago it happened, when stated
    asks_time: bool = False  # 「何ヶ月?」「いつまで?」: a question, not a duration
    request: str | None = None  # hold | cancel_hold | show_held | erase | keep_data | …
    ask: str | None = None  # the question sentence (the last one)
    topic: str | None = None  # what the ask is about, as a question intent
    draft: str | None = None  # the text meant for the ex, as written
    feelings: tuple[str, ...] = ()
    felt_words: str | None = None  # the user's own clause that names the first feeling
    followup: str | None = None  # more | explain | yes | no | yes_then | no_then: a short answer
    go_between: bool = False  # asks someone to carry a message to the ex
    boundary_kind: str | None = None  # the plan that crosses a boundary (「駅で待つ」: waiting)
    plan_dropped: bool = False  # that plan given up (「家とか職場に行くのはやめとく」)
    share_joy: bool = False  # 「もっと喜んでよ」: glad news to share
    contact_ok_ask: bool = False  # 「もう送ってもいい時期?」: asked straight
    means: bool = False  # a means at hand told or asked about (「家に睡眠薬が少しあって」)
    means_secured: bool = False  # put out of reach (「薬は引き出しの奥にしまっときます」)
    means_where: bool = False  # 「しまうってどこに?」: where to put them, asked
    cheat_blame: bool = False  # 「浮気されても仕方ないの?」: whether it was their fault
    they_want_back: bool = False  # 「『やり直したい』ってきた」: the ex asks to get back together
    together: bool = False  # 「別れてはないけん」: still a couple
    drives: bool = False  # driving soon (「朝5時からトラック乗んのに」)
    lawyer: bool = False  # lawyers or a mediation in the story (「弁護士挟んで話しとる」)
    filler: bool = False  # 「なんか」「わからん」 alone: a word said, not a question
    self_harm: bool = False  # self-harm done, told (「また腕やっちゃった」)
    hedged: bool = False  # an answer said with doubt (「たぶん」)
    family_told: bool = False  # whether family or school would be told (「親にバレる?」)
    their_life: bool = False  # worry for the other's life (「生きてるか知りたい」)
    straight: bool = False  # a plain answer demanded (「あるかないかで答えて」「正直に」)
    urge_back: bool = False  # 「また行きたくなりそう」: the pull to go again
    sent_it: bool = False  # 「送ったよ〜緊張した」: they sent it
    later_decided: bool = False  # 「まあいいや、朝にする」: the draft left for the morning
    cut_urge: bool = False  # 「余計きりたくなってきた」: an urge to cut
    contact_denied: bool = False  # 「送らないことにします」「連絡したいんじゃなくて」
    ends_thanked: bool = False  # the last sentence is a thanks (「…ええんか。ありがと」)
    ex_is: str | None = None  # woman | man: who the ex is, when only one is named (元カノ, 元彼)
    said: frozenset[str] = frozenset()  # already_said names told here (「今日知った」: when)
    event: str | None = None  # the clause that tells what happened (「元彼が結婚するって知った」)
    in_domain: bool = False  # speaks of the ex, the breakup, contact: the bot's field
    tonight: bool = False  # asks how to get through tonight
    closing: bool = False  # a goodnight or goodbye (「そろそろ寝るね」)
    decided: bool = False  # a decision told (「とりあえずやめとく」「ミュートするわ」)
    advice_wanted: bool = False  # 「アドバイスほしい」: advice asked for (ends "just listen")
    chat_line_ask: bool = False  # how the chat line works (「文字だけでいいのか」)
    addressed: bool = False  # words said to the ex (「久しぶり!元気?」): the text may be a draft
    corrects: bool = False  # 「3日じゃなくて2週間前」: the story told is corrected
    says_no: bool = False  # starts with no (「いえ、死にたいとまでは…」)
    not_planning: bool = (
        False  # 「それはしてない。消えたいってだけ」: no plan, though the wish is named
    )
    about_bot: str | None = None  # what a question about the bot asks: hold | who_reads | stored
    polite: bool = False  # です・ます at a sentence's end
    approval: bool = False  # 「それならええやろ?」: asks the bot to agree with a decision
    wondering: bool = False  # the question is wondered aloud (「他に好きなやつできたんかな」)
    tomorrow: bool = False  # 「明日なにしたらいいかな」: the day after a hard night
    why_wait: bool = False  # 「なんで今送ったらあかんの?」: why wait a night, asked
    write_here: bool = False  # 「ここに書いてもいい?」
    someone_home: bool = False  # 「兄貴と住んでるけど言ってない」: someone near tonight
    wants_to_ask: bool = False  # 「ちょっと聞きたいことあるっちゃけど」: a question is coming
    warning_hurt: bool = False  # 「そこまで言う?」: hurt by a warning
    send_or_not: bool = False  # 「送るべき?」: whether to send the draft already shown
    sorry_to_bot: bool = False  # 「夜中にごめんね」: sorry for having talked here
    moving_on: bool = False  # 「戻りたいわけじゃない」: no reunion wanted
    doctor_ask: bool = False  # 「病院行ったほうがいい?」: whether to see a doctor
    returning: bool = False  # 「傘と本を返したい」: their things to give back
    candidate_ask: bool = False  # 「「…」くらいでしょうか」: words they might send, asked about
    same_sex: bool = False  # 「女同士だから誰にも言えない」
    apology_wish: bool = False  # 「謝りたいだけなんだけど」
    send_now: bool = False  # 「もういいわ送る」
    ended_ask: bool = False  # 「もう終わり?」: asks whether the talk is over
    retime: bool = False  # 「やっぱり17時にして」: asks to change when the held draft comes back
    is_it_odd: bool = False  # asks whether feeling or waiting like this is strange
    alone: bool = False  # no one with them tonight, no one to talk to
    thanked: bool = False  # a thanks said, whatever else the message says
    unsent: bool = False  # a letter to write here, not to send (「送らないから書いていい?」)
    third_person: bool = False  # speaks of the ex in the third person (「彼が」「あの人」)
    draft_was: bool = False  # 「今のが下書き」: the message before was the draft
    joking: bool = False  # 「冗談だって」: what sounded like a crisis was a joke, they say
    told_past: bool = False  # ends in the past tense: a memory told, not news asked about
    minimizing: bool = False  # 「見るだけだし」: a plan made small
    asks_advice: bool = False  # the ask wants the bot's advice (「なにしてたらええの?」)
    lines_ask: bool = False  # 「どこに相談すればいいの」: where to reach someone
    deletes: bool = False  # 「消しといて」: asks for something to go, held draft or data (context)
    sentences: tuple[str, ...] = ()

    def fact(self, name: str) -> bool | None:
        return self.facts.get(name)


# Flags read from the user's own words (quotes masked): frame field → understanding.yaml section.
SAID_IN_OWN_WORDS = (
    ("tonight", "tonight"),
    ("closing", "closing"),
    ("decided", "decided"),
    ("chat_line_ask", "chat_line_ask"),
    ("corrects", "correction"),
    ("lines_ask", "lines_ask"),
    ("minimizing", "minimizing"),
    ("told_past", "told_past"),
    ("joking", "joking"),
    ("third_person", "third_person"),
    ("unsent", "unsent"),
    ("thanked", "thanked"),
    ("alone", "alone"),
    ("draft_was", "draft_was"),
    ("retime", "retime"),
    ("polite", "polite"),
    ("approval", "approval"),
    ("tomorrow", "tomorrow"),
    ("why_wait", "why_wait"),
    ("write_here", "write_here"),
    ("ended_ask", "ended_ask"),
    ("someone_home", "someone_home"),
    ("wants_to_ask", "wants_to_ask"),
    ("warning_hurt", "warning_hurt"),
    ("send_or_not", "send_or_not"),
    ("same_sex", "same_sex"),
    ("apology_wish", "apology_wish"),
    ("send_now", "send_now"),
    ("sorry_to_bot", "sorry_to_bot"),
    ("moving_on", "moving_on"),
    ("candidate_ask", "candidate_ask"),
    ("doctor_ask", "doctor_ask"),
)
_TAG_ASKED = re.compile(
    r"(でしょ|よね|じゃん|やろ|やんな|かな)[?？笑wｗ…\s]*$"
)  # 「ばかでしょ」 asks too
_THEY = r"(向こう|むこう|元彼|元カレ|元カノ|彼氏|彼女|彼|相手|あの人|あいつ|あっち)"
_THEIRS_BEFORE = re.compile(_THEY + r"(は|が|も)[^。、!?！？]{0,6}$")
_THEIRS_AFTER = re.compile(r"^[^。、!?！？]{0,5}の(は|って)" + _THEY)
THANKS_SENTENCE = 14  # 「ありがと、助かった!」: a last sentence this short with thanks in it
ASIDE_CHARS = 8  # a quote this short inside a long story whose question is elsewhere: no draft
STORY_CHARS = 60
WORDING_CHARS = 12  # a quote this short, its wording asked about, is a question, not a draft
EVENT = "what_happened"  # the already_said name whose clause is what a reflection says back
_CLAUSE_END = re.compile(r"[、。,.!?\s…「」『』()]")
MAX_CLAUSE = 24  # longer clauses are not echoed: a bubble quotes a few words, not a paragraph


def _only(names: Iterable[str]) -> str | None:
    """The one name matched, or None when none or several were (「元彼の新しい彼女」)."""
    found = set(names)
    return found.pop() if len(found) == 1 else None


def _clause(own: str, folded: str, patterns: Patterns) -> str | None:
    """The clause (between commas and full stops) where a feeling's pattern matched, as the
    user wrote it: 「会社でも涙が出そうになる」 is echoed back, not only named."""
    for match in search_both(patterns, own, folded):
        start, end = match.span()
        while start > 0 and not _CLAUSE_END.match(own[start - 1]):
            start -= 1
        while end < len(own) and not _CLAUSE_END.match(own[end]):
            end += 1
        words = own[start:end].strip()
        asked = end < len(own) and own[end] in "?？"  # a question is not said back as a feeling
        if words and not asked and "□" not in words and len(words) <= MAX_CLAUSE:
            return words
    return None


class Reader:
    """normalise → sentences and quotes → rules, lexicons and the model → a Frame."""

    def __init__(self, safety: SafetyRules, lexicon: Lexicon, model: IntentModel) -> None:
        self.safety = safety
        self.lexicon = lexicon
        self.model = model

    def read(self, text: str) -> Frame:
        raw = text[:MAX_CHARS]
        norm = normalize(raw)
        if not norm or not any(ch.isalnum() for ch in norm):
            return Frame(text, "other", 0.0, "empty")
        quotes = find_quotes(norm)
        sentences = split_sentences(norm, quotes)
        own = mask_quotes(norm, quotes)  # the user's own words: quotes are someone else's
        folded, own_folded = fold_kana(norm), fold_kana(own)
        lex = self.lexicon

        facts = self._facts(norm, folded)
        asks_time = any_match(lex.asks_time, own, own_folded)
        days = _days_stated(own, sentences, lambda t: any(
            any_match(lex.facts[name][0], t, fold_kana(t)) for name in STORY_FACTS))  # fmt: skip
        # 「3週間前にふられて、先週やり直そうって言ったら『無理』って」: the refusal's own week
        refused = _clause_days(own, norm, sentences, lambda t: any_match(
            lex.facts["refused"][0], t, fold_kana(t)))  # fmt: skip
        days = refused if refused is not None and facts.get("refused") else days
        request = next(
            (name for name, pats in lex.requests.items() if self._requested(pats, own, own_folded)),
            None,
        )
        if (
            request in ("cancel_hold", "erase")
            and any_match(lex.deletion, own, own_folded)
            and not self._felt(lex.deletion, own, own_folded, lex.deletion_denied)
        ):
            request = None  # 「取り消しはせんでいいけど」: asked not to, nothing goes
        advice_wanted = any_match(lex.advice_wanted, own, own_folded)
        if request == "listen" and advice_wanted:
            request = None  # 「聞いてほしいっていうか相談なんよ」: an ear and an answer
        feelings = tuple(n for n, pats in lex.feelings.items() if self._felt(pats, own, own_folded))
        if "joy" in feelings and _JOY_AWAKE.search(own):  # 「嬉しくて寝れない」: joy, not insomnia
            feelings = ("joy", *(f for f in feelings if f not in ("joy", "sleepless")))
        felt_words = _clause(own, own_folded, lex.feelings[feelings[0]]) if feelings else None
        draft = find_draft(raw)
        ask = _last_question(sentences)
        asked_about = False  # a quote asked about, not a draft (the draft rule yields too)
        if draft and (
            any_match(lex.in_person, own, own_folded)
            or (
                len(draft) <= WORDING_CHARS
                and ask
                and any_match(lex.wording_ask, ask.text, fold_kana(ask.text))
                and not any_match(lex.wording_sent, own, own_folded)
            )
        ):  # 「BBQで会った時『久しぶり』でいいと?」「「元気だよ!」だけだとそっけない?」: asked
            draft, asked_about = None, True
        if (
            draft
            and len(draft) <= ASIDE_CHARS
            and len(own) >= STORY_CHARS
            and ask
            and draft not in ask.text
        ):  # a long story, 「ありがとう」って送りたい in it, then 「記念日に送るのってダメ?」: asked
            draft, asked_about = None, True
        if (
            request == "listen"
            and ask
            and any_match(lex.asks_advice, ask.text, fold_kana(ask.text))
        ):
            request = None  # 「聞いてほしいっちゃけど!…なんて返せばいいと思う?」: asked, too
        if ask and any_match(lex.rhetorical, ask.text, fold_kana(ask.text)):
            # 「まじありえんくない?」 vents: listened to, not answered with a card; a question
            # before it is still asked (「スタンプだけ送るんはあかん?文章ちゃうし重くないやろ?」)
            earlier = [s for s in sentences if s.question and s.start < ask.start]
            ask = next((s for s in reversed(earlier)
                        if not any_match(lex.rhetorical, s.text, fold_kana(s.text))), None)  # fmt: skip
        followup = None
        if len(own) <= FOLLOWUP_CHARS:
            followup = next((k for k, pats in lex.followups.items()
                             if any_match(pats, own, own_folded)), None)  # fmt: skip
        elif len(own) <= ANSWER_CHARS:  # 「えっ、そこまでじゃないよ!? ただ疲れただけ」
            followup = next((k for k in ("not_that", "no_then", "yes_then")
                             if any_match(lex.followups[k], own, own_folded)), None)  # fmt: skip
        parts = dict(
            facts=facts, days_ago=days, asks_time=asks_time,
            request=request, ask=ask.text if ask else None, draft=draft, feelings=feelings,
            felt_words=felt_words,
            followup=followup, go_between=any_match(lex.go_between, norm, folded),
            in_domain=any_match(lex.in_domain, own, own_folded),
            advice_wanted=advice_wanted,
            addressed=any_match(lex.addressed, norm, folded),
            says_no=any_match(lex.says_no, norm, folded),
            **{f: any_match(getattr(lex, k), own, own_folded) for f, k in SAID_IN_OWN_WORDS},
            returning=any_match(lex.returning, norm, folded),  # a draft about it counts too
            deletes=self._felt(lex.deletion, own, own_folded, lex.deletion_denied),
            is_it_odd=bool(ask or _TAG_ASKED.search(own)) and any_match(lex.is_it_odd, own, own_folded),
            asks_advice=bool(ask and any_match(lex.asks_advice, ask.text, fold_kana(ask.text))),
            wondering=bool(ask and any_match(lex.wondering, ask.text, fold_kana(ask.text))),
            not_planning=any_match(lex.not_planning, norm, folded),
            boundary_kind=next((k for k, pats in lex.boundary_kinds.items()
                                if any_match(pats, own, own_folded)), None),
            share_joy=any_match(lex.share_joy, own, own_folded),
            means=any_match(lex.means, own, own_folded),
            means_secured=any_match(lex.means_secured, own, own_folded),
            means_where=any_match(lex.means_where, own, own_folded),
            cheat_blame=any_match(lex.cheat_blame, own, own_folded),
            they_want_back=any_match(lex.they_want_back, norm, folded),  # quotes are the point
            together=any_match(lex.together, own, own_folded),
            drives=any_match(lex.drives, own, own_folded),
            lawyer=any_match(lex.lawyer, own, own_folded),
            filler=any_match(lex.filler, own, own_folded),
            self_harm=any_match(lex.self_harm, own, own_folded),
            hedged=any_match(lex.hedged, own, own_folded),
            family_told=any_match(lex.family_told, own, own_folded),
            their_life=any_match(lex.their_life, own, own_folded),
            straight=any_match(lex.straight, own, own_folded),
            urge_back=any_match(lex.urge_back, own, own_folded),
            sent_it=any_match(lex.sent_it, own, own_folded),
            later_decided=any_match(lex.later_decided, own, own_folded),
            cut_urge=any_match(lex.cut_urge, own, own_folded),
            contact_denied=any_match(lex.contact_denied, own, own_folded),
            contact_ok_ask=bool(ask) and any_match(lex.contact_ok_ask, own, own_folded),
            plan_dropped=any_match(lex.plan_dropped, own, own_folded)
            and any(any_match(pats, own, own_folded) for pats in lex.boundary_kinds.values()),
            about_bot=next(
                (k for k, pats in lex.about_bot.items() if any_match(pats, own, own_folded)), None
            ),
            ends_thanked=bool(sentences) and not sentences[-1].question
            and len(sentences[-1].text) <= THANKS_SENTENCE
            and any_match(lex.thanked, sentences[-1].text, fold_kana(sentences[-1].text)),
            ex_is=_only(k for k, pats in lex.ex_is.items() if any_match(pats, own, own_folded)),
            said=frozenset(k for k, pats in lex.already_said.items()
                           if any_match(pats, own, own_folded)),
            event=_clause(own, own_folded, lex.already_said.get(EVENT, ())),
            sentences=tuple(s.text for s in sentences),
        )  # fmt: skip

        if request == "erase" and parts["about_bot"] == "erasing" and ask:
            request = "about_bot"  # 「消してって送ったら本当に全部消える?」 asks, does not ask to
            parts["request"] = request
        rule = self.safety.match(norm)  # the whole text, quotes too: safety first
        figure = rule == "crisis" and self._signs_explained(norm, folded)
        if figure == "hyperbole":
            rule = None  # 「消えたいくらい恥ずかしい笑」: embarrassment said big, no sign
        denied = figure == "denied"
        if rule == "crisis" and not denied:
            return Frame(text, "crisis", 1.0, "rule", risk="crisis", **parts)
        if denied:  # 「消えたいとかではないんだけど」: asked about gently, not the crisis flow
            rule = None
        plan_denied = rule == "stalking_risk" and self._plan_denied(norm, folded)
        if plan_denied:
            rule = None  # 「待ち伏せとかするつもり全然ない」: the plan named to say no to it
        if rule == "stalking_risk":
            return Frame(text, "stalking_risk", 1.0, "rule", **parts)

        probs = self._probs(norm, ask, sentences)
        risk = "concern" if denied or any_match(lex.concern, own, own_folded) else "none"
        if (
            probs.get("crisis", 0.0) >= CONCERN_LEAN
            and figure != "hyperbole"
            and not any_match(lex.not_concern, own, own_folded)
            and not any_match(lex.their_life, own, own_folded)  # 「生きてるか知りたい」: hers
            and not any_match(lex.their_end, own, own_folded)  # 「彼は終わりにしたいんだと思う」
            and not parts["closing"]  # 「もういいわ、寝る」: a goodnight, no sign a rule saw
        ):  # 「時間たったら楽になるもんなの?」「ミスったら終わる気がして」: no worry for a life
            risk = "concern"
        topic = max(QUESTION_INTENTS, key=lambda i: probs.get(i, 0.0)) if ask else None
        parts["topic"] = topic if topic and probs.get(topic, 0.0) >= 0.15 else None

        if request:
            return Frame(text, REQUEST_INTENT[request], 1.0, "request", risk=risk, **parts)
        if facts.get("blocked") is True:  # a plan to get around it outranks the block itself
            plan = probs.get("stalking_risk", 0.0) > probs.get("blocked", 0.0)
            return Frame(text, "stalking_risk" if plan else "blocked", 1.0, "fact", risk=risk,
                         **parts)  # fmt: skip
        if draft or (rule == "draft" and not asked_about):
            return Frame(text, "draft", 1.0, "draft", risk=risk, **parts)
        helpful = not lex.help_words or any_match(lex.help_words, own, own_folded)
        if lex.contact_denied and any_match(lex.contact_denied, own, own_folded):
            probs = {**probs, "want_contact": 0.0}  # 「いや連絡したいんじゃなくて」
        if plan_denied:
            probs = {**probs, "stalking_risk": 0.0}  # …nor the model's guess of one
        intent, confidence = self._model_intent(probs, facts, helpful)
        heavy = [f for f in feelings if f in HEAVY_FEELINGS]
        if confidence < UNSURE or intent in SMALL_TALK:
            # 「連絡きたの!!」「こんばんは!…元カノから返信きたんだけど」: the story says more
            stated = next((f for f in FACT_ORDER if facts.get(f) is True), None)
            if stated:
                return Frame(text, stated, UNSURE, "fact", risk=risk, **parts)
        if heavy and intent in SMALL_TALK and not ask:  # 「毎晩泣いてる。ありがとう」 is no goodbye
            return Frame(text, "vent", max(confidence, UNSURE), "feelings", risk=risk, **parts)
        return Frame(text, intent, confidence, "model", risk=risk, **parts)

    # -- parts ----------------------------------------------------------------------------------

    def _signs_explained(self, norm: str, folded: str) -> str | None:
        """Whether every crisis sign is explained away: each denied right after it is named
        (「死にたいとかは全然ない」) or inside a figure of speech (「恥ずかしいって意味の消えたい」).
        "hyperbole" when one at least is a figure, "denied" when all are denied, else None."""
        spans = self.safety.matches(norm)
        if not spans:
            return None
        pats = self.lexicon.hyperbole
        figures = [m.span() for m in search_both(pats, norm, folded)] if pats else []
        # 「ゆうくんなしで生きていけない」 inside words written to the ex: a lover's figure, which
        # the draft's review names (a concern said to the bot, outside quotes, is asked about)
        quoted = [q.inner for q in find_quotes(norm)]
        figures += [m.span() for m in search_both(self.lexicon.draft_hyperbole, norm, folded)
                    if any(x <= m.start() and m.end() <= y for x, y in quoted)]  # fmt: skip
        # 「「もう終わりにしたい」って言われて」: the other's words about the relationship, quoted
        figures += [q.inner for q in find_quotes(norm) if _THEIR_WORDS.match(norm[q.end :])]
        denied_any = figured = False
        for a, b in spans:
            if any(x <= a and b <= y for x, y in figures):
                figured = True
                continue
            if any_match(self.lexicon.crisis_denied, norm[b : b + 20], folded[b : b + 20]):
                denied_any = True
                continue
            return None
        # A sign explained as a figure of speech explains the denial beside it too.
        return "denied" if denied_any and not figured else "hyperbole"

    def _plan_denied(self, norm: str, folded: str) -> bool:
        """Every boundary plan the rules found is denied right after it is named."""
        spans = self.safety.matches(norm, "stalking_risk")
        denied = self.lexicon.plan_denied
        return bool(spans and denied) and all(
            any_match(denied, norm[b : b + 20], folded[b : b + 20]) for _, b in spans
        )

    def _requested(self, patterns: Patterns, own: str, folded: str) -> bool:
        """A request made and not denied right after it (「預けたいわけではありません」)."""
        denied = self.lexicon.request_denied
        return any(
            not any_match(denied, own[m.end() : m.end() + 12], folded[m.end() : m.end() + 12])
            for m in search_both(patterns, own, folded)
        )

    def _felt(self, patterns: Patterns, own: str, folded: str,
              denied: Patterns | None = None) -> bool:  # fmt: skip
        """A feeling (or a wish) named and not denied right after (「不安じゃない」「ほっとしてへ
        ん」; with `denied`, those words instead: 「取り消しはせんでいい」)."""
        lex = self.lexicon
        for m in search_both(patterns, own, folded):
            if _THEIRS_BEFORE.search(own[max(0, m.start() - 12) : m.start()]) or \
                    _THEIRS_AFTER.match(own[m.end() : m.end() + 12]):  # fmt: skip
                continue  # 「向こうは泣いてたのに」「泣いてたのは元彼」: their feeling, not yours
            tail, ftail = own[m.end() : m.end() + 16], folded[m.end() : m.end() + 16]
            if denied is not None:
                if not any_match(denied, tail, ftail):
                    return True
            elif not (
                any_match(lex.negation, tail, ftail) or any_match(lex.feeling_denied, tail, ftail)
            ):
                return True
        return False

    def _facts(self, norm: str, folded: str) -> dict[str, bool | None]:
        """Each fact's polarity as last stated: 「ブロックされてたけど解除された」 is False."""
        lex = self.lexicon
        found: dict[str, tuple[int, bool | None]] = {}
        for name in FACTS:
            true_pats, false_pats = lex.facts[name]
            for m in search_both(true_pats, norm, folded):
                tail, ftail = norm[m.end() : m.end() + 16], folded[m.end() : m.end() + 16]
                if any_match(lex.negation, tail, ftail):
                    value: bool | None = False
                elif any_match(lex.asked, tail, ftail):
                    value = None
                else:
                    value = True
                _keep(found, name, m.start(), value)
            for m in search_both(false_pats, norm, folded):  # 「解除されてない」 is still True
                tail, ftail = norm[m.end() : m.end() + 16], folded[m.end() : m.end() + 16]
                _keep(found, name, m.start(), any_match(lex.negation, tail, ftail))
        return {name: value for name, (_, value) in found.items()}

    def _probs(self, norm: str, ask: Sentence | None, sentences: tuple[Sentence, ...]):
        text = norm if len(norm) <= MODEL_CHARS else (
            norm[: MODEL_CHARS // 2] + " " + norm[-MODEL_CHARS // 2 :]
        )  # fmt: skip
        whole = self.model.proba(text)
        if ask is None or len(sentences) < 2:
            return whole
        asked = self.model.proba(ask.text)
        return {k: 0.5 * whole[k] + 0.5 * asked[k] for k in whole}

    def _model_intent(self, probs: dict[str, float], facts: dict[str, bool | None],
                      helpful: bool = True):  # fmt: skip
        def allowed(intent: str) -> bool:
            if intent in ("crisis", "draft"):
                return False  # rules decide these
            if intent == "help" and not helpful:
                return False  # no word about the bot: the question is about something else
            if intent in FACT_INTENT.values():
                fact = facts.get(intent, True)
                if fact is False or (intent == "blocked" and fact is None):
                    return False
            return probs[intent] >= MODEL_FLOOR.get(intent, 0.0)

        ranked = sorted(probs, key=probs.__getitem__, reverse=True)
        intent = next((i for i in ranked if allowed(i)), "other")
        return intent, probs[intent]


def _days_stated(own: str, sentences: tuple[Sentence, ...],
                 tells_story: Callable[[str], bool]) -> int | None:  # fmt: skip
    """How long ago the story began, in the user's own words (a quoted draft's 「2年間ずっと
    一緒にいたのに」 is not the story's time). 「何ヶ月?」 states none. When sentences name several
    times (「今日ブロックされた。2週間前に断られてて」), the earliest event is the story's start;
    a time beside the refusal or the silence outranks one beside anything else (「先月から釣りに
    ハマって…もう4日既読スルー」 is 4 days of silence)."""
    found = [(d, tells_story(text))
             for s in sentences
             if (d := days_ago(text := own[s.start : s.end])) is not None
             and not (s.question and _TIME_ASKED.search(text))]  # fmt: skip
    told = [d for d, story in found if story] or [d for d, _ in found]
    return max(told) if told else None


def _clause_days(own: str, norm: str, sentences: tuple[Sentence, ...],
                 tells: Callable[[str], bool]) -> int | None:  # fmt: skip
    """The time in the clause (between commas) that tells `tells`, read with its quotes (the
    refusal is often their words: 「…って言ったら『もう無理』って」)."""
    out = []
    for s in sentences:
        for part in _COMMA_CLAUSE.finditer(own[s.start : s.end]):
            a, b = s.start + part.start(), s.start + part.end()
            if (d := days_ago(own[a:b])) is not None and tells(norm[a:b]):
                out.append(d)
    return max(out) if out else None


_COMMA_CLAUSE = re.compile(r"[^、,]+")
_JOY_AWAKE = re.compile(
    r"(嬉し|うれし|楽し|たのし|ドキドキ|どきどき|ワクワク|わくわく)(くて|すぎて|して)[^。]{0,6}(寝れ|眠れ|ねれ|ねむれ)"
)

# A time offered back as a question (「2週間ってこと?」「1ヶ月でいい?」): asked, not told.
_TIME_ASKED = re.compile(
    r"[\d一二三四五六七八九十半]\s*(日|週間|週|ヶ月|か月|カ月|ヵ月|年)(って(こと|ことか|ことやんな|ことだよね)?|で(いい|ええ|十分|足りる)|"
    r"くらい|ぐらい|も|なら|とか)?(です)?(か|かな|やんな|よね|の)?[?？。…\s]*$"
)


def _keep(found: dict, name: str, at: int, value: bool | None) -> None:
    """The latest statement wins; a stated True or False outranks a question at the same place."""
    old = found.get(name)
    if old is None or at > old[0] or (at == old[0] and value is not None):
        found[name] = (at, value)


def _last_question(sentences: tuple[Sentence, ...]) -> Sentence | None:
    """The last question; a short one that follows another question right before it is asked
    with it (「距離置くってなに？終わりってこと？」: what 終わり is about is in the first)."""
    at = next((i for i in range(len(sentences) - 1, -1, -1) if sentences[i].question), None)
    if at is None:
        return None
    last = sentences[at]
    if at and len(last.text) <= SHORT_ASK and sentences[at - 1].question:
        before = sentences[at - 1]
        return Sentence(before.start, last.end, before.text + last.text, True)
    return last


# After a quote: words someone else said or wrote (「…」って言われた), not the user's own
_THEIR_WORDS = re.compile(
    r"\s*(って|と)\s*(言われ|いわれ|ゆわれ|言って(き|た)|言い出さ|切り出さ|書いて(あ|た|き)|"
    r"(line|ライン|メッセ|dm)(が|で)?(き|来)|返って|返され|告げられ)",
    re.I,
)
