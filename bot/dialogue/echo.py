"""The user's own words, said back: 「会社でも涙が出そうになる」 → 「会社でも涙が出そうになるんだね。」
A counsellor's reflection names what the person said before naming the feeling. Only clauses that
end in a plain verb or adjective are echoed; anything else (polite forms, questions, adverbial
forms, the user's "I") is left to the feeling's own lines rather than risk broken Japanese."""

from __future__ import annotations

import re

MIN_CHARS = 6  # 「眠れない」 alone is named by the feeling line; echo what the person added
_POLITE = re.compile(r"(ん|の)?(です|ます|でした|ました|ません)$")
_SOFT_END = re.compile(r"(んだ|のだ|んや|んよ|[よねわなさぞ]|[ー~〜…!?])+$")
_PLAIN_END = re.compile(r"([うすつぬむるいたぐぶ]|ない|ちゃう|じゃう|てる|でる)$")
_FIRST_PERSON = re.compile(r"私|わたし|あたし|俺|おれ|僕|ぼく|うち|自分|わし")
_OWN = re.compile(r"^(私|わたし|あたし|俺|僕|自分)の(?=[一-龯ァ-ヶ])")
# Dialect endings said back inside standard speech sound like mimicry (「フェードアウトちゃうんだね」):
# such a clause is left to the feeling's own line.
_DIALECT = re.compile(
    r"((?<=[ァ-ヶー一-龯])ちゃう|へん|やん|やねん|ねん|とる|とった|っちゃ|けん|だべ|べ|じゃけ|じゃった|じゃろ|がや|だがね|ばい|よる|しとう|とう|おる|おらん)$"
)
_RHETORICAL = re.compile(r"(くない|じゃない|やん|やろ|じゃん|でしょ)$")  # 「ありえんくない」 asks
_QUESTION = re.compile(r"(か|かな|かも|かい|の|っけ|\?)$")
_SET_PHRASE = re.compile(
    r"(ありがとう|おめでとう|ごめん|よろしく|おはよう|おやすみ)$"
)  # not a verb


# Normalising lowered these; said back, they are written as people write them (「誕生日LINEの返事」)
_CASED = re.compile(r"(?<![a-z])(line|sns|dm|ok|ng)(?![a-z])")
_TRAIL = re.compile(r"([^\w。、!?！？…〜~ー]|[笑wｗ草])+$")  # emoji, marks and 笑 at the end
_LEAD = re.compile(r"^(ただ|でも|なんか|まあ|まぁ|正直|やっぱり?|てか|というか|結局)[、,\s]*")


# To someone who writes in です・ます the echo is 「…んですね」, which takes a plain clause: the
# forms that turn plain safely (「眠れていないんです」 → 「眠れていない」); any other polite
# ending (「驚きます」, whose plain form depends on the verb) is not said back.
_DEPOLITE = (
    (re.compile(r"(て|で)(い)?ません$"), r"\1いない"),
    (re.compile(r"(て|で)(い)?ます$"), r"\1いる"),
    (re.compile(r"(て|で)(い)?ました$"), r"\1いた"),
    (re.compile(r"(ん|の)(です|でした)$"), ""),
    (re.compile(r"なります$"), "なる"),
    (re.compile(r"なりません$"), "ならない"),
    (re.compile(r"なりました$"), "なった"),
    (re.compile(r"あります$"), "ある"),
    (re.compile(r"ありません$"), "ない"),
    (re.compile(r"でき(ます|ません)$"), lambda m: "できる" if m[1] == "ます" else "できない"),
    (re.compile(r"(わか|分か)りません$"), r"\1らない"),
    # a stem in the e-row is a ru-verb's (「眠れます」「食べません」): its plain form is sure
    (re.compile(r"(?<=[えけせてねへめれげぜでべぺ])ません$"), "ない"),
    (re.compile(r"(?<=[えけせてねへめれげぜでべぺ])ます$"), "る"),
    (re.compile(r"(?<=[えけせてねへめれげぜでべぺ])ました$"), "た"),
    (re.compile(r"(?<!く)(?<!ぐ)(しい|たい|ない|かった|らい|さい|わい|くい|いい)です$"), r"\1"),
)


def _plain(words: str) -> str:
    for end, plain in _DEPOLITE:
        if end.search(words):
            return end.sub(plain, words)
    return words


def echo_words(words: str | None, polite: bool = False) -> str | None:
    """The clause ready for 「…んだね」 (「…んですね」 when `polite`), or None when it cannot be
    said back cleanly."""
    if words:  # 「自分の五年間が…」 → 「五年間が…」: their own said back without the "I"
        words = _OWN.sub("", words.strip().rstrip("。．."))
    if not words or _FIRST_PERSON.search(words) or words.rstrip().endswith(("?", "？")):
        return None
    if words.count("「") != words.count("」") or words.count("『") != words.count("』"):
        return None  # cut inside a quote (「疲れた』って書いてあった」): not said back
    words = _TRAIL.sub(
        "", _LEAD.sub("", words.strip())
    )  # 「しんどすぎるわ😭」: no emoji said back  # 「ただ誰にも言えてない」 → 「誰にも言えてないんだね」
    if polite:
        words = _plain(_SOFT_END.sub("", words.strip()))
    w = _POLITE.sub("", words.strip())
    if w != words.strip():
        return None  # polite speech echoed in plain form sounds like a correction
    w = _SOFT_END.sub("", w)
    if _POLITE.search(w):
        return None  # 「終われる気がするんですよ」: polite under the soft ending
    if len(w) < MIN_CHARS or _QUESTION.search(w) or _RHETORICAL.search(w) or _SET_PHRASE.search(w):
        return None
    if not _PLAIN_END.search(w) or _DIALECT.search(w):
        return None
    return _CASED.sub(lambda m: m.group(0).upper(), w)


# A long story said back (「お母さんが入院してて、何もしてあげられなくて、『もう私いらないのかな』
# って思ってしまうんだね」): its weight is in what happened, what they cannot do, and the thought
# it leaves, not in the first feeling named. Clauses are chained in the て-form, as one says a
# story back aloud; a clause that cannot be put so is left out.
STORY_CHARS = 50  # shorter messages are one thought: the clause echo above is enough
STORY_CLAUSE = 30  # a longer clause is a paragraph, not something to say back
STORY_PARTS = 2  # what happened and what they cannot do; more reads like a transcript
_STORY_SPLIT = re.compile(r"[、,。!?！？\n]+")
_SUBJECT = re.compile(r"^(私|わたし|あたし|俺|おれ|僕|ぼく|うち|自分)(たち|ら)?(は|が|も|って)")
_CONNECTIVE = re.compile(r"(し|から|けど|けれど|のに|ので|のも|だし)$")
_CANNOT = re.compile(r"(れない|せない|けない|てない|きない|られない|つかない|えない)$")
_HAPPENED = re.compile(
    r"(病気|入院|亡くな|結婚|妊娠|引っ越|転勤|振られ|ふられ|フラれ|別れ|断られ|"
    r"ブロック|既読|無視|浮気|彼女ができ|彼氏ができ|好きな人)"
)
_THOUGHT = re.compile(r"^(?P<q>.{4,24}?)(って|と)(?P<v>思って|思っちゃ|思えて|考えて|感じて)")
_TE = ((re.compile(r"ない$"), "なくて"), (re.compile(r"(て|で)(る|た)$"), r"\1て"),
       (re.compile(r"れた$"), "れて"))  # fmt: skip


def _te(clause: str) -> str | None:
    """The clause in the て-form that chains it to the next, or None when it cannot be."""
    if clause.endswith(("て", "で")) and not clause.endswith("って"):  # 「って」 quotes
        return clause
    for end, te in _TE:
        if end.search(clause):
            return end.sub(te, clause)
    return None


def story_words(text: str, polite: bool = False) -> str | None:
    """A long story's load said back for 「…んだね」: what happened and what they cannot do,
    chained, then the thought it leaves them with (quoted) or the last thing they said; None
    for a short message, or when too little of it can be said back cleanly."""
    if len(text) < STORY_CHARS or (not polite and _POLITE.search(text.rstrip("。!?！？ "))):
        return None
    clauses = [_TRAIL.sub("", _LEAD.sub("", c.strip())) for c in _STORY_SPLIT.split(text)]
    clauses = [c for c in clauses if c]
    if len(clauses) < 3:
        return None
    last = clauses[-1]
    thought = _THOUGHT.match(last)
    if thought:
        end = f"「{thought['q']}」{last[thought.end('q') :]}"
        end = _SOFT_END.sub("", end)
    else:
        end = echo_words(last, polite)
    if not end or not _PLAIN_END.search(end) or _DIALECT.search(end):
        return None
    parts: list[str] = []
    for clause in clauses[:-1]:
        clause = _CONNECTIVE.sub("", _SUBJECT.sub("", clause))
        if polite:
            clause = _plain(clause)
        if _POLITE.search(clause):
            continue
        heavy = _HAPPENED.search(clause) or _CANNOT.search(clause)
        if not heavy or len(clause) > STORY_CLAUSE or len(clause) < MIN_CHARS:
            continue
        if _FIRST_PERSON.search(clause) or _DIALECT.search(clause) or _QUESTION.search(clause):
            continue
        if (te := _te(clause)) and te not in parts:
            parts.append(te)
    if not parts:
        return None
    if len(parts) > STORY_PARTS:  # what happened first, and what weighs last before the end
        parts = [parts[0], parts[-1]]
    return "、".join([*parts, end])


# 「ばかじゃないよって言ってほしかったのに」: the kind words they wished to hear, said to them. Only
# words of comfort are said (never 「死んでいいよ」 or a verdict on the ex): the kind endings below.
_WISHED = re.compile(
    r"[「『]?(?P<words>[^「『」』。、!?！？\s　]{2,20}?)[」』]?\s*(って|と)\s*(言って|いって|ゆうて|言うて)"
    r"\s*(ほしかった|欲しかった|ほしい|欲しい|くれたら|もらいたかった|もらいたい)"
)
_KIND = re.compile(
    r"(じゃない|じゃないよ|ではない|ないよ|大丈夫|だいじょうぶ|よく(頑張|がんば)|えらい|偉い|悪くない|わるくない|"
    r"おかしくない|変じゃない|いいんだよ|いいよ|ひとりじゃない|味方)"
)


_TO_WHOM = re.compile(r"^(誰か|だれか|彼|彼女|あの人|あいつ|みんな|友達|友だち|親|家族)(に|から)")


def wished_words(text: str) -> str | None:
    """The words of comfort they said they wished to hear, or None."""
    m = _WISHED.search(text)
    if not m or not _KIND.search(m["words"]) or _FIRST_PERSON.search(m["words"]):
        return None
    words = _TO_WHOM.sub("", m["words"].strip())  # 「だれかに大丈夫だよって」: the words only
    return _TRAIL.sub("", _LEAD.sub("", words)) if len(words) >= 2 else None
