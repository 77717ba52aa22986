"""content/understanding.yaml, compiled: the fact, request, feeling and concern patterns the
reader uses beside the model. Validation names the section and pattern that is wrong."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

FACTS = ("refused", "broke_up", "ghosted", "blocked", "got_reply", "new_partner", "ended_it",
         "paused")
REQUESTS = ("erase", "keep_data", "cancel_hold", "show_held", "hold", "review", "listen",
            "about_bot", "stay")  # fmt: skip
# Sections an operator may leave out (empty: the reading they add is simply not done).
OPTIONAL = ("rhetorical", "help_words", "hyperbole", "contact_denied", "closing", "decided",
            "not_concern", "advice_wanted", "chat_line_ask", "addressed", "correction",
            "is_it_odd", "alone", "thanked", "unsent", "third_person", "draft_was", "joking",
            "feeling_denied", "told_past", "minimizing", "asks_advice", "lines_ask",
            "deletion", "says_no", "not_planning", "retime", "polite", "approval",
            "draft_hyperbole", "wondering", "tomorrow",
            "deletion_denied", "plan_denied", "why_wait", "write_here", "ended_ask", "someone_home",
            "in_person", "wording_ask", "wording_sent", "wants_to_ask", "warning_hurt",
            "send_or_not", "same_sex", "apology_wish", "send_now", "sorry_to_bot", "moving_on",
            "candidate_ask", "returning", "doctor_ask", "request_denied", "plan_dropped",
            "share_joy", "contact_ok_ask", "means", "means_secured", "drives",
            "lawyer", "filler", "self_harm", "hedged", "family_told", "their_life",
            "straight", "urge_back", "sent_it", "later_decided", "cut_urge",
            "means_where", "cheat_blame", "they_want_back", "their_end", "together")  # fmt: skip
# What a question about the bot asks, in the order checked (bot/dialogue/handlers/talk.py).
ABOUT_BOT = ("backup", "for_whom", "sends", "memory", "hold", "erasing", "operator", "line", "is_bot",
             "external", "who_reads", "stored")  # fmt: skip
FOLLOWUPS = ("explain", "more", "no", "yes", "not_that", "no_then", "yes_then")
# In the order they are named when several are felt: the more particular first (a fear of a
# fade-out, or checking the phone, says more than anxiety alone).
FEELINGS = ("grief", "drinking", "not_eating", "tired", "sleepless", "crying", "fade_fear", "phone_checking", "burden", "regret", "embarrassed", "hopeless", "anxiety", "self_blame", "anger",
            "distrust", "loneliness", "absence", "joy", "relief", "phone_averse")  # fmt: skip

Patterns = tuple[re.Pattern[str], ...]


def search_both(patterns: Patterns, text: str, folded: str) -> Iterator[re.Match[str]]:
    """Matches on the text and on its kana-folded twin (same length, so spans agree)."""
    for pattern in patterns:
        yield from pattern.finditer(text)
        if folded != text:
            yield from pattern.finditer(folded)


def any_match(patterns: Patterns, text: str, folded: str) -> bool:
    return any(p.search(text) or (folded != text and p.search(folded)) for p in patterns)


@dataclass(frozen=True)
class Lexicon:
    negation: Patterns
    asked: Patterns
    facts: dict[str, tuple[Patterns, Patterns]]  # name → (stated true, stated false)
    asks_time: Patterns
    requests: dict[str, Patterns]  # in priority order
    feelings: dict[str, Patterns]
    concern: Patterns
    crisis_denied: Patterns
    followups: dict[str, Patterns]
    go_between: Patterns
    in_domain: Patterns
    tonight: Patterns
    topics: dict[str, Patterns]  # what a question is about, in any words (ranking.CardIndex)
    boundary_kinds: dict[str, Patterns]  # which plan crosses the boundary (phrase boundary_<kind>)
    ex_is: dict[str, Patterns]  # woman / man: who the ex is (a survey of men is said as one)
    already_said: dict[str, Patterns]  # what a message has told (when, to whom): not asked back
    rhetorical: Patterns  # questions that vent, not ask (「人としてどうなん?」)
    help_words: Patterns  # without one of these, the model's `help` is not believed
    hyperbole: Patterns  # beside a crisis sign, these make it a figure of speech
    draft_hyperbole: Patterns  # …and these, only inside words quoted to the ex
    contact_denied: Patterns  # 「連絡したいんじゃなくて」: no wish to write to the ex
    closing: Patterns  # a goodnight or goodbye
    decided: Patterns  # a decision told (「今は送らない」「ミュートするわ」)
    not_concern: Patterns  # a question about getting better (「そのうち楽になる?」), not a sign
    advice_wanted: Patterns  # 「聞いてほしいっていうか相談」: advice asked for, not only an ear
    chat_line_ask: Patterns  # how the chat line works (after a crisis)
    addressed: Patterns  # words a message to the ex has (「久しぶり!元気?」): a pasted draft
    correction: Patterns  # 「3日じゃなくて2週間前」: the story corrected
    says_no: Patterns  # a reply that starts with no (「いえ、そこまでは…」)
    not_planning: Patterns  # 「それはしてない」: no to "are you thinking of hurting yourself?"
    about_bot: dict[str, Patterns]  # what a question about the bot asks: hold, who_reads, stored
    polite: Patterns  # です・ます at a sentence's end: the user writes politely
    approval: Patterns  # 「それならええやろ?」: a decision told, the bot's ok asked for
    wondering: Patterns  # 「できたんかな」: a question wondered aloud, not asked of the bot
    tomorrow: Patterns  # 「明日、何かできることってありますか」 after a crisis message
    why_wait: Patterns  # 「なんで今送ったらあかんの?」: the reasons to wait, asked for
    write_here: Patterns  # 「ここに書いてもいい?」: after a block, a letter not to send
    retime: Patterns  # 「やっぱり17時にして」: the held draft's time changed
    is_it_odd: Patterns  # 「失恋でこんなふうになるのって変?」「この歳で待つのはおかしい?」
    alone: Patterns  # 「ひとり暮らしの家にひとり」「話せる人いない」: no one with them tonight
    thanked: Patterns  # 「ありがと」「助かった」 anywhere in the message
    unsent: Patterns  # 「送らないからここに書いてもいい?」: a letter written here, not to send
    third_person: Patterns  # 「彼が」「あの人」: talk about the ex, not words written to them
    draft_was: Patterns  # 「今のが下書き」: the message before was the draft
    joking: Patterns  # 「冗談って書いたじゃん」: a crisis word said to have been a joke
    feeling_denied: (
        Patterns  # after a feeling's words: 「不安じゃない」「泣くのも違う」「ほっとしてへん」
    )
    told_past: Patterns  # 「誕生日も祝ってあげられんかった」: their story in the past, to be heard
    minimizing: Patterns  # 「客として行くだけだし」: a plan made small after a boundary was named
    asks_advice: Patterns  # 「どうしたらいい?」: asks the bot what to do
    lines_ask: Patterns  # 「どこに相談すればいい?」: where to reach someone who listens
    deletion: Patterns  # 「消しといて」「なしで」: something asked to go (a held draft, or data)
    deletion_denied: Patterns  # right after it, 「…はせんでいい」: asked not to
    plan_denied: Patterns  # right after a boundary plan, 「…するつもり全然ない」: no plan
    request_denied: Patterns  # right after a request, 「…わけではありません」: not asked
    plan_dropped: Patterns  # 「…行くのはやめとく」: a boundary plan given up
    share_joy: Patterns  # 「もっと喜んでよ」: good news to be glad about together
    contact_ok_ask: Patterns  # 「もう送ってもいい時期?」: whether contact is all right now
    means: Patterns  # 「家に睡眠薬が少しあって」「薬、捨てたほうがいい?」: a means at hand
    means_secured: Patterns  # 「薬は引き出しの奥にしまっときます」: put out of reach
    drives: Patterns  # 「朝5時からトラック乗んのに」: driving soon
    lawyer: Patterns  # 「弁護士挟んで話しとる」: a divorce or dispute with lawyers in it
    filler: Patterns  # 「なんか」「わからん」「べつに」 alone: a word said, not a question
    self_harm: Patterns  # 「また腕やっちゃった」: self-harm done, told (the crisis rule fires too)
    hedged: Patterns  # 「そこまでじゃない。たぶん」: an answer said with doubt
    family_told: Patterns  # 「親に連絡いったりする?」: whether family or school would be told
    their_life: Patterns  # 「生きてるか知りたい」: worry for the other's life, not the user's
    straight: Patterns  # 「あるかないかで答えて」: a plain answer demanded
    urge_back: Patterns  # 「また行きたくなりそう」: the pull to go again (after a boundary)
    sent_it: Patterns  # 「送ったよ〜」: the draft was sent, told
    later_decided: Patterns  # 「まあいいや、朝にする」: the draft left for the morning
    cut_urge: Patterns  # 「切りたいのどうしたら止まるの」: an urge to cut, told again
    means_where: Patterns  # 「しまうってどこに?」: where to put the means
    cheat_blame: Patterns  # 「冷たかったから浮気されても仕方ないの?」: it was not their fault
    they_want_back: Patterns  # 「元彼から『やり直したい』ってきた」: the ex asks, the user decides
    their_end: Patterns  # 「彼はもう終わりにしたいんだと思う」: the other's wish, not a sign
    together: Patterns  # 「別れてはないけん」: still a couple with the one gone silent
    someone_home: Patterns  # 「兄貴と住んでる」: someone near tonight
    in_person: Patterns  # 「会った時」「口で言う」: words to say face to face, not a draft
    wording_ask: Patterns  # 「…だけだとそっけない?」: a short phrase's wording asked about
    wording_sent: Patterns  # 「送っていい?」: …unless sending it is what is asked
    wants_to_ask: Patterns  # 「ちょっと聞きたいんだけど」 alone: go ahead
    warning_hurt: Patterns  # 「ストーカーって…そこまで言う?」: hurt by the bot's warning
    send_or_not: Patterns  # 「送るべき?送らんべき?」: whether to send the draft, asked straight
    sorry_to_bot: Patterns  # 「きのうは重い話してごめんね」: sorry for having talked here
    moving_on: Patterns  # 「戻りたいわけじゃない」「前に進みたい」: no reunion wanted
    doctor_ask: Patterns  # 「病院行ったほうがいい?」: whether to see a doctor
    returning: Patterns  # 「傘と本を返したい」: their things to give back, not a message
    candidate_ask: Patterns  # 「「連絡ありがとう」くらいでしょうか」: a reply they might send, asked about
    same_sex: Patterns  # 「女同士だから」: a same-sex relationship named
    apology_wish: Patterns  # 「謝りたいだけ」: a sorry they wish to give
    send_now: Patterns  # 「もういいわ送る」「とめないの?」: about to send the reviewed draft
    ended_ask: Patterns  # 「もう終わり?」: after a goodbye from the bot, they are still here

    @classmethod
    def from_content(cls, data: Mapping[str, Any]) -> Lexicon:
        """Compile; raises ValueError naming the section and pattern that is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("expected a mapping")
        facts_raw = _section(data, "facts", FACTS)
        facts = {}
        for name in FACTS:
            entry = facts_raw[name]
            if not isinstance(entry, Mapping) or "stated" not in entry:
                raise ValueError(f"facts.{name}: needs a `stated:` list of patterns")
            facts[name] = (
                _compile(f"facts.{name}.stated", entry.get("stated")),
                _compile(f"facts.{name}.denied", entry.get("denied") or [], allow_empty=True),
            )
        requests = _section(data, "requests", REQUESTS)
        feelings = _section(data, "feelings", FEELINGS)
        return cls(
            negation=_compile("negation", data.get("negation")),
            asked=_compile("asked", data.get("asked")),
            facts=facts,
            asks_time=_compile("asks_time", data.get("asks_time")),
            requests={k: _compile(f"requests.{k}", requests[k]) for k in REQUESTS},
            feelings={k: _compile(f"feelings.{k}", feelings[k]) for k in FEELINGS},
            concern=_compile("concern", data.get("concern")),
            crisis_denied=_compile("crisis_denied", data.get("crisis_denied")),
            go_between=_compile("go_between", data.get("go_between")),
            in_domain=_compile("in_domain", data.get("in_domain")),
            tonight=_compile("tonight", data.get("tonight")),
            topics=_topics(data.get("topics")),
            boundary_kinds=_topics(data.get("boundary_kinds"), "boundary_kinds"),
            already_said=_topics(data.get("already_said"), "already_said"),
            ex_is=_topics(data.get("ex_is"), "ex_is"),
            **{name: _compile(name, data.get(name) or [], allow_empty=True) for name in OPTIONAL},
            about_bot={
                k: _compile(f"about_bot.{k}", v)
                for k, v in _section(data, "about_bot", ABOUT_BOT).items()
            },
            followups={
                k: _compile(f"followups.{k}", v)
                for k, v in _section(data, "followups", FOLLOWUPS).items()
            },
        )


def _topics(data: Any, section: str = "topics") -> dict[str, Patterns]:
    """Optional: name → patterns. Not a fixed list: an operator may add names."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ValueError(f"{section}: expected a mapping of name → patterns")
    return {str(k): _compile(f"{section}.{k}", v) for k, v in data.items()}


def _section(data: Mapping[str, Any], name: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    section = data.get(name)
    if not isinstance(section, Mapping):
        raise ValueError(f"{name}: expected a mapping with {list(keys)}")
    missing = [k for k in keys if k not in section]
    if missing:
        raise ValueError(f"{name}: missing {missing}")
    unknown = [k for k in section if k not in keys]
    if unknown:
        raise ValueError(f"{name}: unknown {unknown} (known: {list(keys)})")
    return section


def _compile(where: str, sources: Any, allow_empty: bool = False) -> Patterns:
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list) or not (sources or allow_empty):
        raise ValueError(f"{where}: expected a non-empty list of patterns")
    out = []
    for n, source in enumerate(sources, 1):
        if not isinstance(source, str) or not source:
            raise ValueError(f"{where} #{n}: not a pattern")
        try:
            out.append(re.compile(source))
        except re.error as exc:
            raise ValueError(f"{where} #{n}: {exc}") from None
    # Kept apart, not joined into one alternation: Python's re keeps each pattern's literal
    # prefix scan, and joined lists were 4.5 times slower on the real-style sets.
    return tuple(out)
