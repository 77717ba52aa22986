"""Find the draft in a message: text the user means to send the ex, only when marked as one.

Marked means 「…」って送っていい?, 下書き: …, → …, これ送ろうと思う「…」, 元気?って送ろうかな.
A quote of what someone said (『もう無理』って言われた) is part of the story, and a question to
the bot (返信がきたのっていいサイン?) is a question. Works on the raw text, so the draft is given
back exactly as the user wrote it."""

from __future__ import annotations

import re

from bot.nlu.sentences import find_quotes

# After a quote (or an unquoted phrase): a verb of sending, said as an intention or a question,
# not as something done or received (送った, 言われた, 返ってきた).
_SEND = (
    r"(送|おく|ライン|line|lineし|らいん|返信|返事|返|言お|言いた|言っ(て|ても)(いい|ええ|みよ)|伝え|連絡|メッセ|dm|送信)"
    r"(ろう|ろっ|ろか|ろかな|そう|そっか|そか|しとこ|ります|りたい|りたく|りてぇ|りてえ|りたか|る(つもり|予定|べき|か|の|ん|わ|ね|よ|$|\?|けど)|っていい|ってもいい|ってええ|っていー|ってよか|ってよい|っても大丈夫|"
    r"てみ|ってみ|ようと|よう|しよう|したい|していい|してもいい|する(つもり|か|の|べき)|しようかな|ってok|って大丈夫|"
    r"っちゃおう|っちゃお|たい|ていい|てもいい|りまーす|る\?)"
)
_JUDGE = (
    r"(どう(?!いう|ゆう)|変|へん|重い|重く|キモ|きも|おかし|大丈夫|あり|ok|いける|引かれ|痛い|迷惑|ウザ|うざ|"
    r"嫌味|いやみ|皮肉|素っ気|そっけ|冷た|つめた|軽すぎ|短すぎ|長すぎ)"
)
_AFTER_QUOTE = re.compile(
    r"^\s*(って|と|て|っと|で)?\s*(これ|この|それ)?(だけ|まま|文|一言)?(を|で|なら)?\s*("
    + _SEND
    + r"|(送|おく)ったら[^。]{0,4}"
    + _JUDGE
    + r"|(←|<-)\s*(送|おく)|(これ|この文|って)[\s…・.]*"
    + _JUDGE
    + r"|どう(?!いう|ゆう)(かな|です|やろ|[?？]|$)"
    + r"|(に|で)(しよう|しよ|しとこ|する(つもり)?|いこう|いく)(と|か|かな|って)?"  # 「…」だけにしようと思う
    + r"|(で|なら)?\s*(いい|ええ|よか|よい)(かな|か|の|ん|と|やろ|でしょ|よね)?\s*[?？]?\s*$"  # 「…」これでええかな
    + r"|(じゃ|だと|では|って)[^。]{0,4}"
    + _JUDGE
    + r")",
    re.I,
)
# Before a quote: 「これ送っていい?「…」」, 「送る文考えた。「…」」, 「下書き→「…」」.
_BEFORE_QUOTE = re.compile(
    r"(下書き|したがき|文面|文章|送る文|送りたい文|送る(の|やつ|予定の文|つもりの文)|この文|こんな感じ|以下|次の文|"
    r"(書い|考え|作っ)て?(み)?た[。!！:：\s]*|返す(なら|なら、)|返信(する)?なら|"
    r"(これ|こう|こんなの)(で|を)?\s*(送|おく|ライン|line|返)|"
    r"(これ|こっち|こう|それ)に(する|しよ|決め|変え)\S{0,4}|(?<!やり)(消した|直した|変えた|削った|短くした)(の|やつ|これ|版)(は|を|で)?\S{0,4}|"
    r"(送|おく)(って(も)?いい|ろう|る|りたい|ります|ってみ)[^「『\"“。]{0,6}"
    r"(?:[?？:：\s]+|(?<=[うるいた])。|$)|"
    r"これ\s*[👇⬇↓:：]|(見て|みて|見で|みで|チェックして|読んで|添削して)(ほしい|欲しい|くれ\S{0,3}|もらえ\S{0,3})?"
    r"[?？。!！\s]*|(これ|こんな感じ|こんなん)(で|なら)?(どう|いい|いける|変じゃない)\S{0,4}?[?？。!！\s]*)"
    r"(?:(?!じゃ|では)[^「『\"“。!?！？]){0,12}$",
    re.I,
)
# 「下書きです。\n\n「…」」: the quote labelled in a sentence of its own just before it.
_LABELLED = re.compile(
    r"(下書き|したがき|文面|送る文|送りたい文|送る予定の文)(です|だよ|だけど|はこれ|はこちら|になります|ね)?[。:：!！\s]*$"
)
_LEAD_MARK = re.compile(
    r"^.{0,30}?(?:下書き|したがき|文面|送る文|送りたい文|送信予定|送るやつ|送る(?:予定|つもり)の文(?:です)?|"
    r"(?:に|へ)送る(?:文)?)\s*(?:[:：]|→|⇒|->)\s*(.+)|^\s*(?:→|⇒|->)\s*(.+)|"
    r"^(?:これ|この文|こんな感じ)(?:で|を)?\s*(?:送って(?:も)?いい|送ろうと思う|送る)[^。\s?？「『]{0,10}(?:[?？。]+|\n)\s*(.+)|"
    r"^[^\n]{0,60}?(?:送ろうと(?:思って(?:る|ます)?|思う)|送りたい(?:の|やつ)?|書き直した|書いた|書いてみた|"
    r"直した|考えた|作った|これ)\s*(?:の)?\s*[↓👇⬇][^\n]*\n+(.+)|"
    r"^(?:これ|これです|これなんだけど|これなんやけど|こんな感じ)[。!！…\s]*\n+(.{20,})|"
    r"^[^\n]{0,40}?(?:これ|こっち|こう|こんな感じ|この文)(?:なら|で|だと)?(?:どう|いい|いける|大丈夫|ok)[^\n]{0,6}\n+(.{8,})",
    re.S,
)
_UNQUOTED = re.compile(r"^(.{2,60}?)\s*(って|とか?)\s*" + _SEND, re.I | re.S)
# An unquoted draft is a short message (おはよう, 元気?, ありがとね), not a plan (元カノに会って
# 話したいって連絡したい) or a noun (元彼と連絡したい).
_MESSAGE_END = re.compile(r"[?!？！~〜ー笑w♡❤♪。ねよな\U0001F300-\U0001FAFF]$")
# 「なんで冷たくなったの？会って話したい。お願いだから返事して って送ろうかな」: a question
# to them inside, then more: written to them, however it ends.
_ASKS_THEM = re.compile(r"[?？]\s*\S")
# 「じゃ4日待って送るわ」: って after a verb's stem is its te-form (待って, 行って), not a quote
_TE_FORM = re.compile(r"(待|行|持|立|帰|言|思|送|取|使|会|打|勝|黙|迷|知|切|走|座|作|頑張)って$")
_NOT_A_DRAFT = re.compile(r"([にをがはもので]|のは|のも|んは|こと|それ|これ|あれ|なに)$")


# A letter that opens with their name (「ゆいへ」「〇〇くんへ」) on a line of its own.
_SALUTATION = re.compile(r"^[^\n。、!?！？「『]{1,12}へ\s*\n\s*\S[^\n]{8,}")
WHOLE_QUOTE_CHARS = 12
LETTER_CHARS = 40  # a quote this long, spoken to someone, below a line to the bot: a letter
_MENTIONS_DRAFT = re.compile(
    r"下書き|したがき|送る文|送りたい文|送る前の文|送ろうと|預か|預け|添削|見てほしい|見て欲しい|見てくれ|"
    r"見ていただけ|書き直|(?<!やり)直した|"
    r"新しいの|(これ|こっち|こう)(なら|で)(どう|いい|ええ|よか)|どうかな|どう思う"
)
_SAID_BY_THEM = re.compile(
    r"^\s*(って|と|て)?\s*(言われ|いわれ|返って|返信|返事|来|き(た|て)|line|ライン|dm|送られ|書かれ)"
)
# Right before a quote, their answer (「そしたら「ごめん、もう気持ちは戻らない」って」): their words.
_THEY_ANSWERED = re.compile(
    r"(そしたら|したら|すると|返事は|返ってきたのは|言われたのは|返信は)[、\s]*$"
)
_SPOKEN_TO = re.compile(
    r"[?？]|久しぶり|元気|ありがと|ごめん|会いたい|話したい|ね[!！。〜~]|よ[!！。〜~]"
)


def find_draft(text: str) -> str | None:
    """The draft's text as the user wrote it, or None when nothing is marked as a draft."""
    stripped = text.strip()
    lead = _LEAD_MARK.match(stripped)
    if lead:
        body = next((g for g in lead.groups() if g), "").strip()
        whole = find_quotes(body)
        if len(whole) == 1 and whole[0].start == 0 and whole[0].end == len(body):
            body = whole[0].text.strip()
        return body or None
    if _SALUTATION.match(stripped):  # 「ゆいへ\n夜遅くにごめん…」: a letter to them, whole
        return stripped
    marked = []
    for q in find_quotes(stripped):
        inner = q.text.strip()
        if len(inner) < 2:
            continue
        after = stripped[q.end : q.end + 30]
        before = stripped[max(0, q.start - 30) : q.start]
        if _AFTER_QUOTE.match(after) or _BEFORE_QUOTE.search(before) or _LABELLED.search(before):
            marked.append(inner)
    if marked:
        return max(marked, key=len)
    quotes = find_quotes(stripped)
    if len(quotes) == 1 and len(quotes[0].text.strip()) >= WHOLE_QUOTE_CHARS:
        q = quotes[0]  # 「下書きを書きましたので…預かっていただけますか。「…」」: the one quote
        rest = stripped[: q.start] + stripped[q.end :]
        if (
            _MENTIONS_DRAFT.search(rest)
            and not _SAID_BY_THEM.match(stripped[q.end : q.end + 12])
            and not _THEY_ANSWERED.search(stripped[max(0, q.start - 12) : q.start])
        ):
            return q.text.strip()
    if len(quotes) == 1 and quotes[0].start == 0 and quotes[0].end == len(stripped):
        inner = quotes[0].text.strip()  # the whole message one 『…』 written to someone:
        if len(inner) >= WHOLE_QUOTE_CHARS and _SPOKEN_TO.search(inner):  # a draft pasted
            return inner
    if len(quotes) == 1 and quotes[0].end == len(stripped) and "\n" in stripped[: quotes[0].start]:
        inner = quotes[0].text.strip()  # 「3回目だよ…」 on a line of its own, then the letter:
        if len(inner) >= LETTER_CHARS and _SPOKEN_TO.search(inner):  # pasted again
            return inner
    unquoted = _UNQUOTED.match(stripped)
    if unquoted:
        body = unquoted.group(1).strip()
        short = _MESSAGE_END.search(body) or (unquoted.group(2) == "って" and len(body) <= 10)
        short = short or (_ASKS_THEM.search(body) and _SPOKEN_TO.search(body))
        if (
            short
            and not _NOT_A_DRAFT.search(body)
            and not _TE_FORM.search(body + unquoted.group(2))
            and "「" not in body
            and "『" not in body
        ):
            return body
    return None


# A first line said to the bot before the draft pasted below it (「改めて貼ります。」「え、さっき
# 貼ったのに消えたの?」): not part of the draft.
_PREAMBLE = re.compile(
    r"^[^\n]{0,80}(貼|はり|はっ|下書き|したがき|改めて|あらためて|消えた|送り直|もう一回|もう一度|これです|↓|👇|⬇)[^\n]*\n+"
)


def draft_or_whole(text: str) -> str:
    """When the user was asked for the draft, everything they send is the draft, unless they
    marked one part of it, or said something to the bot on a line of its own first."""
    whole = text.strip()
    return find_draft(text) or _PREAMBLE.sub("", whole, count=1).strip() or whole


# 「返事待ってるねは消す」「飯の話は消すわ」「「全部私が悪かった」を削って」: a part of the draft
# shown, asked to go. What is named is looked for as it is, then as the sentence that holds its
# key word (「飯の話」 → the sentence with 飯); 「…消したやつ預かって」 names the edit and the hold.
_REMOVE = re.compile(
    r"^(?:ほな|じゃあ|じゃ|なら|やっぱ(?:り)?|あと|それと|で)?[、,\s]*[「『]?(?P<what>[^「『」』]{1,30}?)[」』]?\s*"
    r"(?:って(?:とこ|ところ|部分)|のとこ(?:ろ)?|の部分|の一文|のくだり)?\s*(?:は|を|も)?\s*"
    r"(?P<verb>消す|消して|消そ|けす|けして|削る|削って|削除|なしで|なしにする|なくす|外す|外して|はずして|取る|とって|抜く|抜いて|カット)"
)
_REMOVED = re.compile(
    r"[「『]?(?P<what>[^「『」』]{1,30}?)[」』]?\s*(?:は|を)?\s*(?:消した|けした|削った|抜いた|外した|はずした|カットした)(?:やつ|の|もの|版|バージョン)"
)
_ABOUT = re.compile(r"(の話|の誘い|のとこ(ろ)?|の部分|の一文|のくだり|のやつ|って(とこ|部分))$")
# a draft's sentences end at 。!? or a line, or at emoji and a space (「楽しい😊 またご飯…」)
_SENTENCES = re.compile(r"[^。!?！？\n]+?(?:[。!?！？]+\s*|[\U0001F300-\U0001FAFF]+\s+|\n|$)")
WORD_CHARS = 4  # a part named this short is a key word (「ご飯のとこ」): its sentence goes


def removal(text: str) -> tuple[str, bool] | None:
    """What a message asks to remove from the draft shown, and whether it also asks to hold
    the result (「…消したやつ預かって」); None when it asks no such edit."""
    norm = text.strip()
    if m := _REMOVED.search(norm):
        return m["what"].strip(" 、,"), True
    if m := _REMOVE.search(norm):
        return m["what"].strip(" 、,"), False
    return None


def remove_part(draft: str, what: str) -> tuple[str, str] | None:
    """The draft without `what` (as written, else the sentence holding its key word), and
    the words taken out; None when it is not found or nothing would be left."""
    last = re.split(r"[、,\s]+", what)[-1]  # 「さっきの文、返事待ってるね」: the part named last
    what = what if what in draft else last
    if what in draft and len(what) > WORD_CHARS:
        edited, removed = draft.replace(what, "", 1), what
    else:
        key = _ABOUT.sub("", what).strip()
        hit = [s for s in _SENTENCES.findall(draft) if len(key) >= 1 and key in s]
        if not key or len(hit) != 1:
            return None
        edited, removed = draft.replace(hit[0], "", 1), hit[0].strip()
    edited = re.sub(r"^[、。!！?？\s]+|[、\s]+$", "", re.sub(r"([。!！?？])[、。]+", r"\1", edited))
    edited = re.sub(r"\n{3,}", "\n\n", edited).strip()
    return (edited, removed) if len(edited) >= 2 and edited != draft.strip() else None


_MARKS = re.compile(r"[\s、。,.!?！？…・「」『』]")


def within(part: str, whole: str) -> bool:
    """Whether quoted words are the draft's, as people quote it back: 「好きじゃないならはっきり
    言ってほしい」 is in 「…好きじゃないなら、はっきり言ってほしい。」 (marks and spaces aside)."""
    bare = _MARKS.sub("", part)
    return bool(bare) and bare in _MARKS.sub("", whole)
