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
# Dialect endings said back inside standard speech sound like mimicry (「フェードアウトちゃうんだね」):
# such a clause is left to the feeling's own line.
_DIALECT = re.compile(
    r"((?<=[ァ-ヶー一-龯])ちゃう|へん|やん|やねん|ねん|とる|とった|っちゃ|けん|だべ|べ|じゃけ|がや|だがね|ばい|よる|しとう|とう|おる|おらん)$"
)
_RHETORICAL = re.compile(r"(くない|じゃない|やん|やろ|じゃん|でしょ)$")  # 「ありえんくない」 asks
_QUESTION = re.compile(r"(か|かな|かも|かい|の|っけ|\?)$")
_SET_PHRASE = re.compile(
    r"(ありがとう|おめでとう|ごめん|よろしく|おはよう|おやすみ)$"
)  # not a verb


_TRAIL = re.compile(r"[^\w。、!?！？…〜~ー]+$")  # emoji and marks at the end
_LEAD = re.compile(r"^(ただ|でも|なんか|まあ|まぁ|正直|やっぱり?|てか|というか|結局)[、,\s]*")


def echo_words(words: str | None) -> str | None:
    """The clause ready for 「…んだね」, or None when it cannot be said back cleanly."""
    if not words or _FIRST_PERSON.search(words) or words.rstrip().endswith(("?", "？")):
        return None
    words = _TRAIL.sub(
        "", _LEAD.sub("", words.strip())
    )  # 「しんどすぎるわ😭」: no emoji said back  # 「ただ誰にも言えてない」 → 「誰にも言えてないんだね」
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
    return w
