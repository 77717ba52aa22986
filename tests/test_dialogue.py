"""The engine as a user meets it: whole conversations through the pure engine, with the real
content and classifier. No LINE, no database: (state, input, now) → (state, replies)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.dialogue.engine import Engine, Privacy
from bot.dialogue.state import DialogueState, Phase
from bot.dialogue.types import EraseUser, FollowIn, Text, TextIn
from tests.chat_driver import NIGHT, Chat, cards, texts


@pytest.fixture(scope="module")
def engine(content, classifier) -> Engine:
    from bot.config import Settings
    from bot.wiring import build_nudge

    return Engine(content, classifier, build_nudge(Settings(_env_file=None), content))


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


def test_follow_asks_the_situation_with_quick_replies(chat: Chat) -> None:
    out = chat._send(FollowIn())
    assert "一晩" in texts(out)
    assert {c.data for c in out.choices} >= {"situation:refused", "situation:ghosted"}
    out = chat.tap("situation:refused")
    assert "1ヶ月" in texts(out) and "2〜3ヶ月" in texts(out)


def test_refusal_names_the_cooling_period(chat: Chat) -> None:
    out = chat.say("元カノに復縁したいって言ったら、ごめん無理って断られた")
    assert out.intent == "refused"
    assert "1ヶ月" in texts(out) and "2〜3ヶ月" in texts(out)
    assert cards(out), "advice comes as a card"
    assert chat.state.situation == "refused"


def test_a_week_of_silence_names_one_to_two_weeks(chat: Chat) -> None:
    out = chat.say("彼氏から1週間LINEの返事がない、既読無視されてる")
    assert out.intent == "ghosted"
    assert "1〜2週間" in texts(out)
    assert chat.state.since_days == 7


def test_refused_and_ghosted_get_different_periods(chat: Chat, content, classifier) -> None:
    refused = chat.say("復縁断られました")
    other = Chat(chat.engine)
    ghosted = other.say("音信不通になって3日")
    assert "2〜3ヶ月" in texts(refused) and "2〜3ヶ月" not in texts(ghosted)
    assert "1〜2週間" in texts(ghosted) and "1〜2週間" not in texts(refused)


@pytest.mark.parametrize(
    "text",
    ["もう死にたい",
     "元カレと別れて三ヶ月、毎日仕事に行って帰ってきて、ご飯も食べずに寝るだけの生活。"
     "友達には元気なふりをしてるけど、本当は何もかもどうでもよくて、夜になると涙が止まらない。"
     "冷却期間とか自分磨きとか色々調べたけど、もう頑張れる気がしない。消えてしまいたい"],
)  # fmt: skip
def test_crisis_line_in_the_first_reply(chat: Chat, text: str) -> None:
    out = chat.say(text)
    first = out.replies[0]
    assert isinstance(first, Text)
    assert "0120-279-338" in first.text or "よりそいホットライン" in first.text
    assert not cards(out), "no tactics in a crisis"
    assert chat.state.phase is Phase.GENTLE


def test_after_a_crisis_the_bot_stays_gentle_until_the_user_moves_on(chat: Chat) -> None:
    chat.say("復縁断られた")
    chat.say("消えたい")
    out = chat.say("寂しくて涙が止まらない")
    assert not cards(out) and chat.state.phase is Phase.GENTLE
    out = chat.say("今すぐ元カノにLINEしたい")
    assert not cards(out) and "連絡" in texts(out)
    out = chat.say("まだ復縁の可能性ってあるかな")  # moving on: advice again
    assert cards(out) and chat.state.phase is Phase.ADVISING


@pytest.mark.parametrize(
    "first", ["元カノにLINEブロックされた", "「もう二度と連絡しないで」って言われた",
              "元カノの家の前で待ち伏せしようと思う"],
)  # fmt: skip
def test_after_a_block_it_never_helps_write_to_the_ex(chat: Chat, first: str) -> None:
    out = chat.say(first)
    assert chat.state.no_contact
    said = texts(out)
    for follow_up in ("やっぱりLINE送りたい", "これ送っていい？「会って話したい、お願い」"):
        out = chat.say(follow_up)
        said += texts(out)
        assert "手伝" in texts(out)  # it says it cannot help, in one of its words
        assert not any(c.data == "draft:start" for c in out.choices)
    assert "ストーカー規制法" in said  # said plainly once contact is wanted (never before a plan)
    out = chat.tap("draft:start")
    assert "手伝" in texts(out)  # it says it cannot help, in one of its words


def test_no_contact_hides_cards_that_suggest_contact(chat: Chat) -> None:
    chat.say("既読無視されてる")
    chat.say("ブロックされた")
    for _ in range(6):
        out = chat.say("これからどうしたらいい？")
        assert "様子見の一言" not in cards(out)


def test_the_same_card_is_never_shown_twice_in_a_row(chat: Chat) -> None:
    chat.say("振られて復縁お願いしたけど断られた")
    previous = None
    for question in ["冷却期間ってどれくらい？"] * 3 + ["何がダメだったのかな"] * 3:
        shown = cards(chat.say(question))
        assert not shown or shown[0] != previous
        previous = shown[0] if shown else previous


def test_follow_up_quick_replies_lead_to_the_next_card(chat: Chat, content) -> None:
    out = chat.say("復縁を断られた")
    follow = [c for c in out.choices if c.data and c.data.startswith("card:")]
    assert follow
    card_id = follow[0].data.removeprefix("card:")
    out = chat.tap(follow[0].data)
    assert cards(out) == [content.cards[card_id].title]


def test_question_before_the_situation_is_asked_then_answered(chat: Chat) -> None:
    out = chat.say("冷却期間ってどのくらい置けばいい？")
    assert chat.state.phase is Phase.ASKED_SITUATION
    assert {c.data for c in out.choices} >= {"situation:refused", "situation:ghosted"}
    out = chat.tap("situation:ghosted")
    assert "1〜2週間" in texts(out)


def test_got_reply_and_new_partner(chat: Chat) -> None:
    chat.say("既読無視されて10日たつ")
    out = chat.say("さっき彼から返信きた！")
    assert out.intent == "got_reply" and cards(out)
    assert "責め" in texts(out) or "短め" in texts(out)
    out = chat.say("元カレに新しい彼女ができたらしい")
    assert out.intent == "new_partner"
    assert "アプローチはやめる" in texts(out)


def test_other_gets_a_kind_redirect_with_the_menu(chat: Chat) -> None:
    out = chat.say("明日の天気は晴れるかな？")
    assert out.intent == "other"
    assert out.choices and not cards(out)


def test_delete_data_asks_then_erases(chat: Chat) -> None:
    chat.say("復縁断られた")
    out = chat.say("私のデータを全部消してください")
    assert chat.state.phase is Phase.CONFIRM_ERASE and not out.effects
    out = chat.tap("erase:yes")
    assert any(isinstance(e, EraseUser) for e in out.effects)
    assert out.state == DialogueState()


def test_delete_data_can_be_called_off(chat: Chat) -> None:
    chat.say("復縁断られた")
    chat.say("履歴消して")
    out = chat.tap("erase:no")
    assert not out.effects and chat.state.situation == "refused"


def test_unclear_message_gets_a_question_not_a_guess(chat: Chat) -> None:
    out = chat.say("んー")
    assert out.choices
    assert not cards(out)


def test_engine_is_pure(chat: Chat) -> None:
    before = DialogueState()
    out1 = chat.engine.handle(before, TextIn("復縁断られた"), NIGHT)
    out2 = chat.engine.handle(before, TextIn("復縁断られた"), NIGHT)
    assert before == DialogueState()
    assert out1.replies == out2.replies and out1.state == out2.state


def test_cooling_period_start_checkins_and_nudged_drafts(chat: Chat) -> None:
    from bot.dialogue.types import ScheduleCheckin

    out = chat.say("復縁断られた")
    assert any(c.data == "cooling:start" for c in out.choices)
    out = chat.tap("cooling:start")
    assert "30日" in texts(out) and chat.state.cooling_days == 30
    out = chat.tap("cooling:checkins")
    dues = [e.due_at for e in out.effects if isinstance(e, ScheduleCheckin)]
    assert len(dues) == 2 and all(d.hour == 8 for d in (x.astimezone(chat.engine.tz) for x in dues))
    chat.now += timedelta(days=10, hours=12)  # a weekday afternoon, a light draft
    out = chat.say("これ送っていい？「元気にしてる？」")
    assert "20日" in texts(out) and "一晩置いてから" in texts(out)


def test_draft_button_then_paste_then_hold_choices(chat: Chat) -> None:
    chat.say("既読無視されてる")
    chat.tap("draft:start")
    assert chat.state.phase is Phase.AWAITING_DRAFT
    out = chat.say(
        "どうして無視するの？ちゃんと説明して"
    )  # whatever it reads like, it is the draft
    assert "一晩置いてから" in texts(out)
    labels = [c.label for c in out.choices]
    assert any("朝" in label for label in labels) and "書き直す" in labels and "送らない" in labels
    out = chat.tap("draft:drop")
    assert chat.state.draft_text is None and not out.effects


def test_a_bare_how_long_ago_answers_within_the_situation_told(chat: Chat) -> None:
    """「2週間前」 after 復縁を断られた is when they were refused, not news of a silent partner."""
    chat.tap("situation:refused")
    out = chat.say("2週間前")
    assert chat.state.situation == "refused" and chat.state.since_days == 14
    assert "あと16日" in texts(out) and "1〜2週間" not in texts(out)


@pytest.mark.parametrize(
    ("typed", "held"), [("朝", True), ("明日の夜", True), ("3日後", True), ("やめとく", False)]
)
def test_typed_answer_to_the_hold_offer_means_its_button(
    chat: Chat, typed: str, held: bool
) -> None:
    chat.say("下書き：なんで無視するの？ずっと待ってるのに。最低だよ")
    assert chat.state.phase is Phase.REVIEWING_DRAFT
    out = chat.say(typed)
    assert any(type(e).__name__ == "HoldDraft" for e in out.effects) is held
    assert chat.state.draft_text is None  # answered either way; nothing left pending


def test_a_menu_never_shows_the_same_button_twice(chat: Chat) -> None:
    """「連絡したい」 leads with 下書きを見て and shows a card whose menu has it too."""
    for text in ("復縁を断られた", "連絡したい", "既読無視される", "どうしたらいい？", "使い方"):
        labels = [c.label for c in chat.say(text).choices]
        assert len(labels) == len(set(labels)), (text, labels)
    assert "下書きを見て" in labels


# ---- the frame in conversation: what broke when people wrote as people do ----------------


def test_a_denied_block_keeps_the_user_out_of_no_contact(chat: Chat) -> None:
    out = chat.say("既読無視されて5日。ブロックはされてないけど")
    assert not chat.state.no_contact and "ストーカー" not in texts(out)
    out = chat.say("これ送っていい？「元気にしてる？」")
    assert chat.state.phase is Phase.REVIEWING_DRAFT  # it still helps with the draft


def test_a_block_told_later_to_be_false_lifts_no_contact(chat: Chat) -> None:
    chat.say("ブロックされた")
    assert chat.state.no_contact
    out = chat.say("ごめん、ブロックはされてなかった。未読のままなだけだった")
    assert not chat.state.no_contact and "ブロックはされていない" in texts(out)


def test_a_boundary_plan_is_not_lifted_by_a_denied_block(chat: Chat) -> None:
    chat.say("彼女の家の前で待ち伏せしようかな")
    chat.say("ブロックはされてないけど")
    assert chat.state.no_contact


def test_hold_request_holds_the_draft_under_review(chat: Chat) -> None:
    chat.say("下書き：なんで無視するの？ずっと待ってるのに")
    assert chat.state.draft_text
    out = chat.say("さっきの下書き、明日の朝まで預かってほしい")
    held = [e for e in out.effects if type(e).__name__ == "HoldDraft"]
    assert held and held[0].text.startswith("なんで無視するの")
    assert held[0].remind_at.astimezone(chat.engine.tz).hour == 8


def test_dialect_hold_request_holds_the_draft(chat: Chat) -> None:
    chat.say("「もう一回だけ会えへん？」って送ろうかな")
    out = chat.say("ほな朝まで預けとくわ")
    assert any(type(e).__name__ == "HoldDraft" for e in out.effects)


def test_hold_request_with_the_draft_in_the_same_message(chat: Chat) -> None:
    out = chat.say("明日の朝これ送りたいから預かっといて「昨日のこと、返事急がなくていいからね」")
    held = [e for e in out.effects if type(e).__name__ == "HoldDraft"]
    assert held and held[0].text == "昨日のこと、返事急がなくていいからね"


def test_hold_request_with_nothing_to_hold_asks_for_the_draft(chat: Chat) -> None:
    out = chat.say("朝まで預かって")
    assert chat.state.phase is Phase.AWAITING_DRAFT and not out.effects


def test_show_and_cancel_what_is_held(chat: Chat) -> None:
    chat.say("下書き：ずっと待ってるから返事して")
    chat.tap("hold:morning")
    out = chat.say("預けた下書き見せて")
    assert "預かっている" in texts(out)
    out = chat.tap("held:cancel")
    assert any(type(e).__name__ == "CancelHeld" for e in out.effects)


def test_a_question_about_a_sign_is_answered_not_reviewed(chat: Chat) -> None:
    chat.say("既読無視されてた")
    out = chat.say("普通に返信がきたのっていいサイン?")
    assert chat.state.phase is not Phase.REVIEWING_DRAFT and "一晩置いて" not in texts(out)


def test_how_many_months_is_a_question_not_a_duration(chat: Chat) -> None:
    chat.say("先週、復縁を断られた")
    assert chat.state.since_days == 7
    out = chat.say("具体的に何ヶ月?")
    assert chat.state.since_days == 7 and "過ぎている" not in texts(out)


def test_a_joke_draft_gets_no_crisis_block(chat: Chat) -> None:
    out = chat.say("「おーい生きてる?笑」って送ろうかな")
    assert chat.state.crisis_at is None and "0120" not in texts(out)


def test_exhaustion_is_asked_about_gently_once(chat: Chat) -> None:
    out = chat.say("もう全部どうでもいい")
    assert "消えたい" in texts(out) and chat.state.crisis_at is None
    out = chat.say("もう全部どうでもいい、何も感じない")
    assert "消えたい" not in texts(out)  # asked once, not on every sad line


def test_facts_in_a_question_update_the_story(chat: Chat) -> None:
    chat.say("こんばんは")
    chat.say("2週間前に復縁を断られたんだけど、インスタ見るのはあり?")
    assert chat.state.situation == "refused" and chat.state.since_days == 14


@pytest.mark.parametrize("text", ["AIですか?", "誰かが読んだりします?", "何が保存される?"])
def test_questions_about_the_bot_get_an_honest_answer(chat: Chat, text: str) -> None:
    out = chat.say(text)
    assert "プログラム" in texts(out) and "消せ" in texts(out)  # 消せる, or 消せます to です・ます


def test_who_can_read_it_is_answered_with_this_deployments_encryption(content, classifier) -> None:
    """「暗号化されてる?」 gets the truth of this deployment: on with BOT_DATA_KEY, else off."""
    from bot.config import Settings
    from bot.wiring import build_nudge

    nudge = build_nudge(Settings(_env_file=None), content)
    for encrypted, said in ((True, "暗号化して保存"), (False, "暗号化の設定がオフ")):
        engine = Engine(content, classifier, nudge, privacy=Privacy(encrypted=encrypted))
        out = engine.handle(DialogueState(), TextIn("今話してる内容って暗号化されてるの?"), NIGHT)
        assert said in texts(out)


def test_keep_my_data_during_the_erase_question(chat: Chat) -> None:
    chat.say("復縁断られた")
    chat.say("データ全部消して")
    out = chat.say("やっぱり消さないで")
    assert not out.effects and chat.state.situation == "refused"
    assert chat.state.phase is not Phase.CONFIRM_ERASE


@pytest.mark.parametrize(
    "text", ["あ" * 5000, "😭😭😭😭😭", "！？！？。。。", "「」「」「」", "「" * 300]
)
def test_bad_input_gets_a_kind_reply(chat: Chat, text: str) -> None:
    out = chat.say(text)
    assert out.replies and all(len(t) < 1000 for t in texts(out).split("\n"))


def test_a_denied_wish_to_disappear_is_asked_about_not_a_crisis_block(chat: Chat) -> None:
    out = chat.say("別に消えたいとかではないんだけど、会社のトイレで泣いてた")
    assert "119" not in texts(out) and chat.state.crisis_at is None
    assert chat.state.concern_at is not None  # asked gently, once


def test_the_crisis_conversation_stays_and_offers_chat_to_who_cannot_phone(chat: Chat) -> None:
    first = chat.say("朝が来なければいいのに")
    assert "0120" in first.replies[0].text  # a line in the very first bubble
    out = chat.say("電話とかはちょっと無理…")
    assert "💬" in texts(out) and "📞" not in texts(out)
    again = chat.say("やっぱ朝こなくていい")
    assert chat.state.crisis_at == chat.now - timedelta(minutes=1)  # read as crisis again
    assert texts(again) != texts(first) and "💬" in texts(again).split("\n")[-1]
    assert "？" in texts(again)  # it asks directly


@pytest.mark.parametrize(
    ("told", "days"),
    [("1〜2週間って幅ありすぎ。もう10日たってるんだけど、あと何日？", 10),
     ("え、14日じゃなくて10日です", 10),
     ("下書き「2年間ずっと一緒にいたのに、ひどいよ」", None)],
)  # fmt: skip
def test_durations_are_what_the_user_told(chat: Chat, told: str, days) -> None:
    chat.tap("situation:ghosted")
    chat.say(told)
    assert chat.state.since_days == days


def test_a_block_with_a_question_still_closes_contact(chat: Chat) -> None:
    chat.say("先月復縁を断られたんだけど")
    out = chat.say("さっき気づいたらLINEもインスタもブロックされてた…それでもまだ可能性ってある？")
    assert chat.state.no_contact and "ブロック" in texts(out)
    assert "ストーカー" not in texts(out)  # no law quoted at someone who planned nothing
    assert "可能性が残っているサイン" not in texts(out)  # no signs to look for after a block


def test_the_direct_question_is_answered_and_the_night_planned(chat: Chat) -> None:
    chat.say("消えたいわ笑 なんてね")
    assert chat.state.crisis_at is not None
    out = chat.say("それはしない")
    assert "0120" not in texts(out) and "ありがとう" in texts(out)  # believed, still listened to
    out = chat.say("今夜ひとりで静かなのがつらい。朝までどうやって過ごしたら？")
    assert "今夜" in texts(out) and "0120" in texts(out) and not cards(out)


def test_a_reply_from_the_ex_ends_the_wait_for_a_light_answer(chat: Chat) -> None:
    chat.say("既読無視されて3週間")
    chat.say("さっき元カレから『元気?』ってきた！")
    chat.now = chat.now.replace(hour=11)  # daytime, a light answer
    out = chat.say("「元気だよ！連絡ありがとう😊」って返していい？")
    assert "冷却期間" not in texts(out) and "日" not in texts(out).split("\n")[0]


def test_talk_while_a_draft_is_awaited_is_listened_to(chat: Chat) -> None:
    chat.say("既読無視されて5日")
    chat.tap("draft:start")
    out = chat.say("寝ようとしても、あの時ああ言わんかったらとか考えてしまって眠れん")
    assert "一晩置いて" not in texts(out) and chat.state.phase is not Phase.REVIEWING_DRAFT


def test_the_gentle_phase_holds_for_the_day_and_plans_the_night(chat: Chat) -> None:
    chat.say("もう疲れた、消えたい")
    chat.say("ただ全部やめたい感じ")
    out = chat.say("電話はむり。寮だし声出せない")
    assert chat.state.phase is Phase.GENTLE and "💬" in texts(out)
    out = chat.say("彼氏にふられて、大学もいけてなくて。今夜どうやって乗り切ればいい？")
    assert chat.state.phase is Phase.GENTLE and not cards(out) and "今夜" in texts(out)
    out = chat.say("チャットならできるかも")
    assert not cards(out)  # no getting-back-together card tonight


def test_a_new_partner_known_keeps_chance_honest(chat: Chat) -> None:
    chat.say("元カノに新しい彼氏できたってインスタで知った")
    out = chat.say("まだチャンスある？")  # the new-partner card's own answer, not signs to look for
    said = texts(out)
    assert ("新しい相手" in said or "アプローチはやめる" in said) and "まわりの自然な後押し" not in said


def test_how_many_days_asked_after_the_cooling_card_counts_the_days(chat: Chat) -> None:
    chat.say("先週ふられた")
    out = chat.say("ブロックはされてないけど、何日待てばいい？")
    assert "あと23日" in texts(out) and not chat.state.no_contact
