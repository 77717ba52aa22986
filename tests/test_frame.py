"""The frame a message is read into: negation, requests, quotes against drafts, durations,
dialect and risk, through `classify` (the contract) and the frame's own API."""

from __future__ import annotations

import pytest

from bot.nlu.drafts import find_draft
from bot.nlu.sentences import find_quotes, split_sentences


@pytest.mark.parametrize(
    ("text", "fact", "value"),
    [
        ("ブロックはされてないけど、既読がつかない", "blocked", False),
        ("ブロックまではされてない。どうしたらいい?", "blocked", False),
        ("ブロックもされとらんし、連絡するなとも言われとらん", "blocked", False),
        ("連絡しないでとは言われてない", "blocked", False),
        ("ブロックはまだ解除されてない", "blocked", True),
        ("昨日LINEブロックされた", "blocked", True),
        ("『もう連絡してこないで』って言われた", "blocked", True),
        ("ブロックされたと思ってたけど、されてなかった", "blocked", False),
        ("復縁を断られたわけじゃない", "refused", False),
        ("先週はっきり断られてん", "refused", True),
        ("既読無視ではないと思う、忙しいだけ", "ghosted", False),
        ("返信はまだない", "got_reply", False),
        ("元カノから返信きた!", "got_reply", True),
        ("新しい彼女がいるわけじゃないみたい", "new_partner", False),
        ("元彼に新しい彼女ができたらしい", "new_partner", True),
        ("ブロックされてるのかな?", "blocked", None),
    ],
)  # fmt: skip
def test_facts_keep_their_polarity(classifier, text: str, fact: str, value: bool | None) -> None:
    assert classifier.read(text).fact(fact) is value


def test_a_denied_block_is_never_read_as_blocked(classifier) -> None:
    frame = classifier.read("ブロックはされてないけど、もう5日も既読つかない")
    assert frame.intent != "blocked"
    assert classifier.classify("ブロックはされてないけど").intent != "blocked"


@pytest.mark.parametrize(
    ("text", "days", "asks"),
    [
        ("具体的に何ヶ月?", None, True),
        ("いつまで待てばいいの?", None, True),
        ("先週断られた", 7, False),
        ("断られてから2週間。あと何日待てばいい?", 14, True),
        ("3年付き合った彼女に半年前に振られた", 182, False),
    ],
)  # fmt: skip
def test_durations_stated_and_asked(classifier, text: str, days, asks: bool) -> None:
    frame = classifier.read(text)
    assert (frame.days_ago, frame.asks_time) == (days, asks)


@pytest.mark.parametrize(
    ("text", "kind", "intent"),
    [
        ("さっきの下書き、明日の朝まで預かってほしい", "hold", "draft"),
        ("ほな朝まで預けとくわ", "hold", "draft"),
        ("一晩寝かせといて", "hold", "draft"),
        ("預けたやつやっぱ取り消して", "cancel_hold", "cancel"),
        ("預けた下書き見せて", "show_held", "help"),
        ("データ全部消して", "erase", "delete_data"),
        ("やっぱりやめとく", "keep_data", "cancel"),
        ("消さないで", "keep_data", "cancel"),
        ("アドバイスはいいから聞いてほしい", "listen", "vent"),
        ("AIですか?", "about_bot", "help"),
        ("誰かが読んだりします?", "about_bot", "help"),
        ("何が保存されるの?", "about_bot", "help"),
    ],
)  # fmt: skip
def test_requests_to_the_bot(classifier, text: str, kind: str, intent: str) -> None:
    assert classifier.read(text).request == kind
    assert classifier.classify(text).intent == intent


@pytest.mark.parametrize(
    "text",
    ["彼に『預かってて』って言われた", "彼の荷物まだ預かってる", "友達に話聞いてもらった",
     "元カノ、マッチングアプリ退会したっぽい"],
)  # fmt: skip
def test_look_alikes_are_not_requests(classifier, text: str) -> None:
    assert classifier.read(text).request is None


@pytest.mark.parametrize(
    ("text", "draft"),
    [
        ("「久しぶり、元気?」って送ろうかな", "久しぶり、元気?"),
        ("元気?って送っていいかな", "元気?"),
        ("下書き: 会いたい", "会いたい"),
        ("これ送ってもいい?「誕生日おめでとう」", "誕生日おめでとう"),
        ("「最近どう?」だけ送るのってあり?", "最近どう?"),
        ("元カノに送る→ 誕生日おめでとう", "誕生日おめでとう"),
        ("先週『もう無理だよ』と断られた", None),
        ("『元気?』って送ったら既読無視された", None),
        ("普通に返信がきたのっていいサイン?", None),
        ("彼から「元気?」ってきた", None),
        ("元カノに会って話したいって連絡したい", None),
    ],
)  # fmt: skip
def test_a_draft_only_when_marked(text: str, draft: str | None) -> None:
    assert find_draft(text) == draft


def test_the_exs_words_are_part_of_the_story(classifier) -> None:
    frame = classifier.read("先週『もう無理だよ』と断られた。冷却期間ってどれくらい?")
    assert frame.draft is None and frame.intent != "draft"
    assert frame.fact("refused") is True and frame.ask == "冷却期間ってどれくらい?"


def test_a_question_about_a_sign_is_not_a_draft(classifier) -> None:
    assert classifier.classify("普通に返信がきたのっていいサイン?").intent != "draft"


def test_sentences_split_around_quotes_and_spaces() -> None:
    text = "先週『もう無理。ごめん』って断られた。既読スルー3日目 どうしたらいい"
    sentences = split_sentences(text, find_quotes(text))
    assert [s.text for s in sentences] == [
        "先週『もう無理。ごめん』って断られた。", "既読スルー3日目", "どうしたらいい"
    ]  # fmt: skip
    assert [s.question for s in sentences] == [False, False, True]


@pytest.mark.parametrize(
    "text",
    ["いなくなりたい", "朝が来なければいいのに", "楽になりたい", "ODしそう",
     "眠剤ためてる", "消えたいなぁ", "わしなんかおらんようになった方がええんじゃ"],
)  # fmt: skip
def test_indirect_signs_are_crisis_by_rule(classifier, text: str) -> None:
    frame = classifier.read(text)
    assert (frame.intent, frame.risk, frame.source) == ("crisis", "crisis", "rule")


@pytest.mark.parametrize(
    "text",
    ["おーい生きてる?笑", "早く吹っ切って楽になりたい", "死ぬほど好きだった",
     "恥ずかしくて死ぬかと思った", "既読が消えた", "返事きた!嬉しすぎる"],
)  # fmt: skip
def test_jokes_and_sad_stories_are_not_crisis(classifier, text: str) -> None:
    assert classifier.read(text).risk != "crisis"


def test_exhaustion_without_a_rule_is_concern_not_crisis(classifier) -> None:
    frame = classifier.read("もう全部どうでもいい")
    assert frame.risk == "concern" and frame.intent != "crisis"


def test_dialect_story_with_a_question(classifier) -> None:
    frame = classifier.read("振られてもう3週間たつねん。ブロックはされてへん。いつ連絡してええの?")
    assert frame.fact("blocked") is False and frame.asks_time
    assert frame.intent in ("cooling", "want_contact")


@pytest.mark.parametrize(
    "text",
    ["あ" * 5000, "😭" * 3000, "!?。、…" * 1000, "「" * 4000 + "」" * 1000,
     "『もう無理』" * 800, "ブロックされてない" * 600, "ｱｲｳ" + "abc" * 2000 + "漢字"],
)  # fmt: skip
def test_bad_input_is_read_without_error(classifier, text: str) -> None:
    frame = classifier.read(text)
    assert frame.intent and frame.risk in ("none", "concern", "crisis")
