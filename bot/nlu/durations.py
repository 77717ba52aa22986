"""Find "how long ago" in a message: 「3日」「一週間」「2ヶ月」「半年」「昨日」「先月」."""

from __future__ import annotations

import re

_KANJI = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "数": 3,
}  # fmt: skip  (「何ヶ月?」 asks; it states no number)
_UNITS = {"日": 1, "週": 7, "週間": 7, "ヶ月": 30, "か月": 30, "カ月": 30, "ヵ月": 30, "ケ月": 30,
          "箇月": 30, "月": 30, "年": 365}  # fmt: skip
_AMOUNT = re.compile(
    r"(\d+|[一二三四五六七八九十数]+)\s*(週間|週|ヶ月|か月|カ月|ヵ月|ケ月|箇月|日|年)(?!曜|間違)"
)
_RELATIONSHIP = re.compile(r"付き合|つきあ|付きあ|交際|同棲|一緒にい|記念日")
# 「3ヶ月デートしてた」「半年くらい会ってた」: how long they saw each other, said after the time.
_SAW_EACH_OTHER = re.compile(
    r"^[^。、]{0,6}(デート|でーと|会って(た|い)|遊んで(た|い)|やりとりして(た|い))"
)
_WORDS = (
    ("半年", 182), ("半月", 15), ("昨日", 1), ("きのう", 1), ("一昨日", 2), ("おととい", 2), ("先週", 7),
    ("先月", 30), ("去年", 365), ("昨年", 365), ("今日", 0), ("さっき", 0), ("今朝", 0),
)  # fmt: skip


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if token in _KANJI:
        return _KANJI[token]
    if len(token) == 2 and token[0] == "十":
        return 10 + _KANJI.get(token[1], 0)
    if len(token) >= 2 and token[-1] == "十":
        return _KANJI.get(token[0], 1) * 10
    return None


_RANGE = re.compile(r"[~\-〜]\s*$")  # 「1〜2週間」: the advice's range, not a time told
_DENIED = re.compile(
    r"^(間)?(前)?(も)?\s*((じゃ|では|でわ|や)(なく|ない)|(と)?ちゃう|ちゃいま|ではありません|"
    r"(って|とは|て)(なに|何|なん|どういう)|(って|と)(言った|いった|言うた|書いた|言って(た|しまった))(けど|が|の|ん))"
)  # 「14日じゃなくて10日」, 「冷却期間14日ってなに?」 (the bot's figure, asked about)


_WAITING = re.compile(
    r"^(間)?(くらい|ぐらい|ほど)?(後|ご(?!ろ)|先|経ったら|たったら|して(から|も)|したら)|"
    r"^(間)?(くらい|ぐらい|ほど)?(も|は|って|とか)?\s*(黙って|だまって|じっと|おとなしく|静かに)?\s*(待(て|つ|ち|と|たな|たれ|たなあかん|ってみ|っとれ|っとら|ってられ|っていられ|ってらん)|様子(を)?見|(と|って)(決め|きめ)|我慢(でき|する|しな)|がまん(でき|する)|耐え(られ|れ|る)|置(く|け|か)|空け(る|な)|かか(る|り)|も無理|もむり|とか無理|なんて)"
)


_NOT_AGO = re.compile(
    r"^(間)?(が|も|を)?\s*(なかった|無かった|無駄|むだ|返して|返せ|かえして|ありがと|の思い出|分の思い出|一緒|いっしょ)"
)
_AGREED = re.compile(
    r"^(ほな|ほんなら|ほんじゃ|じゃあ|じゃ|なら|そしたら|ほいじゃ|では|了解|りょうかい|"
    r"わかった|おけ|ok)[、,\s]*(あと)?\s*$"
)


def days_ago(normalized: str) -> int | None:
    """Days, or None when the message names no duration. 「1ヶ月半」 counts as 45. Skipped:
    how long they were together (「2年間ずっと一緒にいた」), a range quoted from advice
    (「1〜2週間」) and a figure being corrected (「14日じゃなくて10日」)."""
    for match in _AMOUNT.finditer(normalized):
        around = normalized[max(0, match.start() - 6) : match.end() + 10]
        if _RELATIONSHIP.search(around) or _SAW_EACH_OTHER.match(normalized[match.end() :]):
            continue  # 「3年付き合った」 is how long they were together, not how long ago
        before = normalized[max(0, match.start() - 3) : match.start()]
        if match.group(2) == "日" and re.search(r"\d\s*月\s*$", before):
            continue  # 「1月2日まで」 is a date, not two days
        after = normalized[match.end() : match.end() + 6]
        if match.group(2) == "日" and re.match(
            r"(に|の(朝|夜|昼|夕方|\d)|まで|朝|夜|\d+時)", after
        ):
            continue  # 「13日にリマインド」「13日の朝8時」 is a day of the month, a time to come
        if before.endswith(("あと", "残り", "まだ")):
            continue  # 「あと2週間」 is time still to wait, not how long ago
        if _AGREED.search(normalized[: match.start()]):
            continue  # 「ほな16日な」「じゃあ2週間ね」: the wait just named, agreed to
        if _RANGE.search(before) or re.match(r"\s*[~\-〜]\s*\d", normalized[match.end() :]):
            continue
        if _DENIED.match(normalized[match.end() : match.end() + 8]):
            continue
        if _NOT_AGO.match(normalized[match.end() : match.end() + 10]):
            continue  # 「2年がなかったことになる」「三年返せ」: the time together, not how long ago
        if _WAITING.match(normalized[match.end() : match.end() + 10]):
            continue  # 「3ヶ月も待てる自信ない」 is time to wait, not how long ago
        n = _number(match.group(1))
        if n is None or n > 400:
            continue
        days = n * _UNITS[match.group(2)]
        if normalized[match.end() : match.end() + 1] == "半":
            days += _UNITS[match.group(2)] // 2
        return days
    for word, days in _WORDS:
        at = normalized.find(word)
        after = normalized[at + len(word) : at + len(word) + 4]
        if after.startswith(
            (
                "より",
                "と比べ",
                "とくらべ",
                "と変わら",
                "と同じ",
                "の話",
                "の下書き",
                "のやつ",
                "の件",
                "の続き",
                "の文",
                "のline",
                "のメッセ",
            )
        ):
            continue  # 「昨日よりはマシ」「昨日の話」: no time of the story
        if at >= 0 and not _RELATIONSHIP.search(normalized[max(0, at - 6) : at + len(word) + 10]):
            return days
    return None


# What may surround a bare answer to "how long ago?": 「2週間前」「1ヶ月くらいかな」「昨日です」.
_FILLER = re.compile(
    r"くらい|ぐらい|ほど|位|程|前|まえ|半|です|だよ|かな|かも|ちょっと|ちょい|もう|経つ|経った|"
    r"たつ|たった|になる|になります|[\s、。,.!！?？〜~ー…]"
)


def is_bare_duration(normalized: str) -> bool:
    """The message says how long ago and nothing else (an answer, not a new topic)."""
    if days_ago(normalized) is None:
        return False
    rest = _AMOUNT.sub("", normalized, count=1)
    for word, _days in _WORDS:
        rest = rest.replace(word, "")
    return not _FILLER.sub("", rest)


def agreed_wait(normalized: str) -> int | None:
    """「ほな16日な」「じゃあ2週間ね」 alone: the wait just named, agreed to (its days), or None."""
    match = _AMOUNT.search(normalized)
    if not match or not _AGREED.search(normalized[: match.start()]):
        return None
    rest = normalized[match.end() :]
    if not re.fullmatch(r"(間)?(は|だけ)?(ね|な|か|やな|だね|ですね|かぁ|かあ|ということで)?[、。!！~ー…\s笑w]*"
                        r"((待つ|待と|がまん|我慢|頑張る|がんばる|やってみる)(わ|ね|か|う|よ)?)?[、。!！~ー…\s笑w]*", rest):  # fmt: skip
        return None
    n = _number(match.group(1))
    return n * _UNITS[match.group(2)] if n else None


_AHEAD = re.compile(
    r"(\d+|[一二三四五六七八九十]+)\s*(週間|週|ヶ月|か月|カ月|ヵ月|ケ月|日)\s*(後|ご(?!ろ)|先)"
    r"|(\d+|[一二三四五六七八九十]+)\s*(日)\s*(?:くらい|ぐらい|ほど)(?!\s*(?:前|まえ|経|たっ|も))"
    # 「じゃ4日待って送るわ」: the wait they chose, before sending
    r"|(\d+|[一二三四五六七八九十]+)\s*(週間|週|ヶ月|か月|カ月|ヵ月|ケ月|日)\s*待って(?:から)?\s*(?:送|おく|出|連絡)"
)
_AHEAD_WORDS = (("明後日", 2), ("あさって", 2), ("再来週", 14), ("来週", 7), ("来月", 30))


def days_ahead(normalized: str) -> int | None:
    """「1ヶ月後」「3日後」「来週」: how many days ahead (a held draft's return), or None."""
    if m := _AHEAD.search(normalized):  # 「3日後」, or 「3日くらい」 asked of a hold
        n = _number(m.group(1) or m.group(4) or m.group(6))
        return n * _UNITS[m.group(2) or m.group(5) or m.group(7)] if n else None
    return next((days for word, days in _AHEAD_WORDS if word in normalized), None)
