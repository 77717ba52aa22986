"""Split a message into sentences and find its quotes.

Real messages are stories: 「先週『もう無理』って断られた。ブロックはされてない。何ヶ月待てばいい?」.
The ask is usually the last question sentence, and the ex's words in 『』 are part of the story,
not a draft. Positions are kept (a span per sentence and quote) so a rule can mask the quotes
without moving anything else. Runs in linear time on any input."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 5000  # LINE's own limit for a text message; longer input is cut before reading

_PAIRS = {"「": "」", "『": "』", "\"": "\"", "“": "”"}  # fmt: skip
_MAX_QUOTE = 400
_END = re.compile(r"[。!?]+(?![っとて」』]|って)|\s+|…+(?![っとて])|(?<=[笑w])(?=[^笑wっとてい顔])")
_QUESTION_END = re.compile(
    r"(\?|(?<!し)(?<!と)(?<!そっ)(?<!そう)(?<!^せや)か[なねぁあ]?|かいな|(?<=[るたい])かい|かしら|っけ|でしょう|だろう|だろか|やろか|やろう|やんな|んちゃう|"
    r"(ても|(?<!どう)でも|たら|れば|ば)(いい|ええ|よい|よか)(の|ん|んか|のか|と)?|ですか|ますか|"
    r"(?<=[のん])が[なね]|べか|べが|か(教えて|おしえて|知りたい)(ほしい|欲しい|ください|下さい|くれ|や|よ|ね|な)?)[\s。~ー!…w笑.]*$"
)
_QUESTION_WORD = re.compile(
    r"どう(したら|すれば|すべき|やったら|やって|したらええ|なる|思う|思います|なん(?!だ)|なの|かな)|(?<!気)(?<!き)なんで(?!す|しょ)|なぜ|何で(?!も)|"
    r"(どない|どげん|どがい|どんげ)(したら|すれば|しよう)|"
    r"どうして(?!る)|(?<![あこそど思お])いつ(?!も|く|き|け|こ|か(?!ら))(まで|から|なら|頃|ころ|になったら)?|何(ヶ月|か月|カ月|日|週間|年)|"
    r"どれ(くらい|ぐらい)|どの(くらい|ぐらい)|でしょうか|のかな|んかな|やろか|"
    # 「なんて返せばいいかわかんなくて」: what to write or say, asked without a question mark
    r"(返|送|言|書|誘|伝)(せ|れ|け|え|っ|い|わ)?(ば|たら|ても)(いい|ええ|よい)か(どうか)?(わから|わかん|分から|迷|悩)(?!なくなっ)"
)


@dataclass(frozen=True, slots=True)
class Quote:
    start: int  # index of the opening mark
    end: int  # index after the closing mark
    text: str  # what is inside the marks

    @property
    def inner(self) -> tuple[int, int]:
        return self.start + 1, self.end - 1


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str
    question: bool


def find_quotes(text: str) -> tuple[Quote, ...]:
    """Balanced 「」『』"" quotes, outermost only; an unclosed mark is not a quote."""
    out: list[Quote] = []
    i, n = 0, len(text)
    while i < n:
        close = _PAIRS.get(text[i])
        if close is None:
            i += 1
            continue
        j = text.find(close, i + 1, min(n, i + 1 + _MAX_QUOTE))
        if j <= i + 1:
            i += 1
            continue
        out.append(Quote(i, j + 1, text[i + 1 : j]))
        i = j + 1
    return tuple(out)


def mask_quotes(text: str, quotes: tuple[Quote, ...], fill: str = "□") -> str:
    """The text with every quote's inside replaced by `fill` (same length, same positions):
    someone else's words must not count as the user's request or fact."""
    if not quotes:
        return text
    parts, last = [], 0
    for q in quotes:
        a, b = q.inner
        parts += [text[last:a], fill * (b - a)]
        last = b
    parts.append(text[last:])
    return "".join(parts)


_DENIED_END = re.compile(
    r"(わけ|訳)(じゃ|では|や|ちゃう)(ない|なく|ねえ|ねー|ありません)?[んよねしっ。!！…\s]*$"
)


# 「どうしたらいいか、は自分でも分かっているつもりです」: the question word names what they know
_KNOWN = re.compile(
    r"か[、,\s]*(は|も)?[^。?？]{0,10}(分かって|わかって|知って|決まって)(い|る|ま|た)"
)


def is_question(sentence: str) -> bool:
    """Ends as a question, or holds a question word; not 「どうしたらいいか教えてほしいわけじゃ
    ない」, which says what is not asked, nor 「どうしたらいいかは分かってる」, what is known."""
    s = sentence.strip()
    if _DENIED_END.search(s) or (_KNOWN.search(s) and not _QUESTION_END.search(s)):
        return False
    return bool(s) and bool(_QUESTION_END.search(s) or _QUESTION_WORD.search(s))


def split_sentences(text: str, quotes: tuple[Quote, ...] = ()) -> tuple[Sentence, ...]:
    """Sentences by 。!? line breaks and the spaces people use instead of punctuation.
    Marks inside a quote do not end the sentence that contains the quote."""
    masked = mask_quotes(text, quotes, "x")
    out: list[Sentence] = []
    start = 0
    for m in _END.finditer(masked):
        end = m.end()
        piece = text[start:end].strip()
        if piece:
            out.append(_sentence(text, start, end))
        start = end
    if text[start:].strip():
        out.append(_sentence(text, start, len(text)))
    return tuple(out)


def _sentence(text: str, start: int, end: int) -> Sentence:
    raw = text[start:end]
    lead = len(raw) - len(raw.lstrip())
    body = raw.strip()
    return Sentence(start + lead, start + lead + len(body), body, is_question(body))
