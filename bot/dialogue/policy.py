"""The policy: which row of the transition table (`table.py`) a text message runs.

The checks run in order and the first that names a row wins; a check may also read the
intent again (the model's guess corrected by what the frame says) and let the next ones go on.
The order is the issue's: safety (risk, boundaries), the user's request, their draft, their
question, their feelings, the story's facts. Each check's comment gives a message it is for.
`CHECKS` at the bottom is the order, to read first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.dialogue.echo import wished_words
from bot.dialogue.handlers.advice import AGAIN, CLOSE
from bot.dialogue.handlers.base import LISTENING
from bot.dialogue.state import DialogueState, Phase
from bot.dialogue.table import ADVICE, THEIR_MIND, home_phase
from bot.dialogue.turn import BACK_AFTER, GENTLE_FOR, Turn
from bot.nlu.drafts import draft_or_whole, within
from bot.nlu.frame import STORY_FACTS, Frame
from bot.nlu.safety import SAFETY_INTENTS
from bot.nlu.sentences import find_quotes

if TYPE_CHECKING:
    from bot.dialogue.engine import Engine


# Intents whose row would not show a card, though an in-domain question with a card that answers
# it should get that card: 「私が悪かったのかな…インスタ見るのはあり?」 is asked, not only felt.
ANSWERED_BY_A_CARD = (
    "other",
    "unclear",
    "vent",
    "greeting",
    "thanks",
    "refused",
    "ghosted",
    "want_contact",
)  # fmt: skip  (never `blocked`: it sets no_contact)
# How well a card must answer (similarity to its own questions, with the priors) to answer a
# message the model read as something else: out-of-field and small talk need a close match.
ANSWER_SCORE = {"other": 0.45, "greeting": 0.45, "thanks": 0.45, "help": 0.5, "vent": 0.4,
                "unclear": 0.35}  # fmt: skip
TOLD_MATCH = 0.4  # news with no question, this close to a card's own questions, gets the card
TOLD_CHARS = 60  # …when it is one thought, not a long story (that is listened to)
MAX_SINCE = 730  # 「6年そこにあった」 is how long a mug stood there, not how long ago it ended
STORY_SIMILARITY = 0.12  # mid-story, a question this close to a card's asks is about the ex
_MUSING = re.compile(r"(かも|かもしれ(ない|ん|へん))[。…\s]*$")  # said to oneself, not asked
ANSWERS = ("yes", "no", "yes_then", "no_then")  # to the direct question: 「うん…」「ううん、ただ…」
CHECKED_IN = ("check_in", "check_in_phone")  # 「消えたいと思うくらいつらい?」 asked (again)
THANKS_CHARS = 40  # a short message that ends in thanks is a thanks, whatever came before
# 「ロボットかよ。…口かたい友達でもあかんのかって聞いてんねん」: a joke about the bot, not the
# question; what the bot is, is asked only when the asking sentence names it.
_IS_BOT = re.compile(r"ai|bot|ボット|人間|ロボット|機械|プログラム|中の人|人が", re.I)


def _asked_part(frame: Frame) -> str:
    """The sentence that asks: the ask, else the one that says it asks (「…って聞いてんねん」)."""
    return frame.ask or next((x for x in frame.sentences if "聞いて" in x), frame.text)


_WORDS_JUDGED = re.compile(
    r"[」』](とか|って|は)[^。]{0,8}(思っ|思う|重|おも|恥ずかし|キモ|きも|痛)"
)
_GIVE_BACK = re.compile(r"返して|かえして|戻して|リマインド|預か|あずか|持っといて")
_ONLY = re.compile(r"\s*(だけ|のみ|くらい|ぐらい)")  # after a quote: that part alone
# A question that names the ex or the story (「まだ復縁の可能性ってある?」) moves on to advice
# after a crisis message; one that does not (「お母さんにもわかってもらえないこと?」) is heard.
_ABOUT_EX = re.compile(
    r"元カノ|元彼|元カレ|彼氏|彼女|彼|あの人|あいつ|復縁|連絡|ライン|line|送|返事|返信|可能性|脈|戻",
    re.I,
)
# Going to see, or asking the police, about someone feared for (after the safety card)
_VISIT_OR_POLICE = re.compile(
    r"(アパート|家|部屋|マンション)(に|へ|まで)?[^。]{0,6}(行|見に|様子)|警察|#9110|管理会社|大げさ|おおげさ"
)
SHORT_FOLLOW_UP = 15  # 「それっていつまで?」: a follow-up this short leans on the last reply
WARNED = ("boundary", "stalking_risk", "no_contact", "blocked", "block_chance")
SAID_GOODBYE = ("thanks", "gentle_goodbye", "decided")
ASKED_DIRECTLY = (*CHECKED_IN, "crisis", "crisis_yes")  # replies that end with the direct question
GREETING_CHARS = 10  # longer than a hello, once the story is known: something told, not a greeting
CANDIDATE_CHARS = 6  # a quoted reply this long, asked about, is answered as words to send
_ADDING = re.compile(r"(足す|たす|付け足|つけたす|加え|書き足|添え)")  # …to the draft shown
_FUTURE = re.compile(
    r"来週|来月|明日|あした|あさって|明後日|になったら|(日|週間|ヶ月|か月)(後|目)|たとえば|例えば"
)
DRINK_HOURS = timedelta(hours=12)  # drinking said this recently: driving soon is a worry
WORN_DOWN = ("not_eating", "sleepless", "drinking")  # two of these: the body's own alarm
BODY_FEELINGS = ("sleepless", "crying", "tired", "drinking", "not_eating", "grief")
TOLD = ("unclear", "other", "vent", "refused", "ghosted", "greeting", "thanks")
TOLD_OR_ASKED = (*TOLD, *ADVICE)
SHOWED_A_CARD = ("advice", "advice_or_ask", "situation", "answer", "more", "explain", "card")


def story_time(frame: Frame, state: DialogueState) -> bool:
    """Whether a time in the message is the story's: the first one told, a correction, or one
    told with the story itself. Once the story's time is known, 「わかんない 先月くらい」 is how
    long something else has lasted (the emptiness asked about), not a new count."""
    if state.since_told_at is not None and _FUTURE.search(frame.text):
        return False  # 「来週送ろうと思っています（断られてから42日目ごろ）」: a day ahead
    return (
        state.since_told_at is None
        or frame.corrects
        or any(frame.fact(f) is True for f in STORY_FACTS)
    )


class Decision:
    """What the checks look at for one message: the turn and its state, the frame, the intent
    read so far (a check may read it again), and the facts several checks share."""

    def __init__(self, engine: Engine, turn: Turn, frame: Frame, intent: str) -> None:
        self.engine = engine  # its ranking, safety card and typed times (the handlers' own)
        self.turn = turn
        self.frame = frame
        self.intent = intent

    @property
    def s(self) -> DialogueState:
        return self.turn.state

    @property
    def asked(self) -> bool:
        """The direct question (「消えたいと思うくらいつらい?」) was asked lately."""
        at = self.s.asked_at
        return at is not None and self.turn.now - at < GENTLE_FOR

    @property
    def recent(self) -> bool:
        """A crisis message came lately: the night is still a gentle one."""
        at = self.s.crisis_at
        return at is not None and self.turn.now - at < GENTLE_FOR

    @property
    def held(self) -> bool:
        """A draft is held and has not come back yet."""
        return bool(self.s.held_text) and self.s.holding(self.turn.now)

    @property
    def shown(self) -> str | None:
        """The draft under review, else the one held."""
        return self.s.draft_text or self.s.held_text

    @property
    def felt(self) -> str | None:
        """The feeling to name first, if the message says one."""
        return self.engine._feeling(self.turn)

    @property
    def gentle(self) -> bool:
        """After a crisis message, something told or asked (the story is heard, not carded)."""
        return self.s.phase is Phase.GENTLE and self.intent in TOLD_OR_ASKED


Check = Callable[[Decision], str | None]


def decide(p: Decision) -> str:
    """The first check's row, else the intent as read by then."""
    for check in CHECKS:
        if (row := check(p)) is not None:
            return row
    return p.intent


def cut_urge_again(p: Decision) -> str | None:
    s, turn, frame = p.s, p.turn, p.frame
    if (
        frame.cut_urge
        and s.crisis_at is not None
        and turn.now - s.crisis_at < GENTLE_FOR
        and not frame.self_harm
    ):  # 「余計きりたくなってきた」 once asked: ways through the wave, not the question again
        return "cut_urge"


def asked_if_erasing_erases(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if intent == "delete_data" and frame.source == "model" and frame.ask and frame.about_bot:
        return "request:about_bot"  # 「「データを消して」でそちらも消えるのですか?」: asked


def asked_about_the_bot(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        frame.about_bot in ("line", "erasing", "operator", "is_bot", "for_whom", "backup")
        # (the others' words are everyday ones: 「見れない」「残ってる」)
        and (frame.ask or "聞いて" in frame.text or "質問" in frame.text)
        and not (frame.about_bot == "is_bot" and not _IS_BOT.search(_asked_part(frame)))
        and frame.request in (None, "keep_data", "about_bot")
        and s.phase is not Phase.CONFIRM_ERASE
        and intent not in SAFETY_INTENTS
    ):  # 「まだ消さないでください。LINE社側の履歴はどうなりますか?」: the question answered
        return "request:about_bot"


def block_retold_is_story(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        intent in ("blocked", "stalking_risk")
        and frame.source == "fact"
        and (s.no_contact_by == "blocked")
    ):
        intent = "unclear"  # the block told again is the story, not news: no flow again
    p.intent = intent


def no_to_the_direct_question(p: Decision) -> str | None:
    s, frame, intent, asked = p.s, p.frame, p.intent, p.asked
    if (
        intent == "crisis"
        and (s.last_action in ASKED_DIRECTLY or asked)
        and s.last_action not in CHECKED_IN
        and (frame.followup in ("no", "no_then") or frame.not_planning)
    ):  # 「それはしてない。消えたいってだけ」: no to "hurting yourself?", believed, stayed with
        return "crisis_no"


def boundary_lean_names_no_plan(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        intent == "stalking_risk"
        and frame.source == "model"
        and not frame.boundary_kind
        and not s.no_contact
    ):  # 「元カノ本人と友達として会えるかって話」: the model's lean alone names no plan
        intent = "unclear"
    p.intent = intent


def own_block_asked(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if intent == "blocked" and frame.source == "model" and frame.fact("blocked") is not True:
        intent = "unclear"  # 「ブロックしたほうがスッキリする?」: their own block, a question
    p.intent = intent


def lawyer_involved(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        s.lawyer
        and (
            intent in ("want_contact", "draft")
            or (intent == "stalking_risk" and frame.source == "model")
            or frame.draft
            or frame.contact_ok_ask
            or (frame.lawyer and frame.ask)
        )
        and frame.source != "rule"
    ):  # 「弁護士挟んどるのに直接送ったらまずいんか」: the lawyer first, said kindly
        return "lawyer"


def driving_after_drinking(p: Decision) -> str | None:
    s, turn, frame = p.s, p.turn, p.frame
    drank = s.drinking_at is not None and turn.now - s.drinking_at < DRINK_HOURS
    if frame.drives and drank and not frame.draft:
        return "drink_drive"  # 「今も飲んでる…朝5時からトラック乗んのに」: no driving on it


def means_put_away(p: Decision) -> str | None:
    frame, recent = p.frame, p.recent
    if recent and frame.means_secured and not frame.draft:
        return "means_secured"  # 「薬は引き出しの奥にしまっときます」: the step it is, said


def means_named(p: Decision) -> str | None:
    s, turn, frame, recent = p.s, p.turn, p.frame, p.recent
    told_means = s.means_at is not None and turn.now - s.means_at < GENTLE_FOR
    if recent and (frame.means or (told_means and frame.means_where)) and not frame.draft:
        return "means"  # 「家に睡眠薬があって…」「捨てたほうがいい?」: out of reach tonight


def visit_or_police_after_worry(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    safety_card = p.engine._safety_card()  # shown: a worry for their safety was told
    worried = safety_card is not None and safety_card.id in s.given
    if (
        worried
        and frame.ask
        and _VISIT_OR_POLICE.search(frame.text)
        and not frame.draft
        and intent not in SAFETY_INTENTS
    ):  # 「アパートに行ってみるべき?」「警察は大げさ?」 after a worry for their safety
        return "their_life"


def how_to_write_to_the_line(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if intent == "crisis" and frame.chat_line_ask and s.crisis_at:
        return (
            "chat_line"  # 「「消えたいです」っていきなり書いていいの?」: how to write to the line
        )


def hurt_by_a_warning(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if frame.warning_hurt and s.last_action in WARNED and intent != "crisis":
        return "warning_sorry"  # 「説教されるのしんど」「そこまで言う?」: sorry for the words


def hurt_by_advice(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        frame.warning_hurt
        and s.last_action in (*SHOWED_A_CARD, "draft", "why_wait")
        and intent != "crisis"
        and not frame.ask
    ):
        return "lecture_sorry"  # 「なんか説教されてる気分やわ」 after advice: sorry, no more


def safety_intent(p: Decision) -> str | None:
    intent = p.intent
    if intent in SAFETY_INTENTS:
        return intent


def where_to_reach_someone(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.lines_ask and (
        s.phase is Phase.GENTLE or s.crisis_at or s.concern_at or not frame.in_domain
    ):
        return "lines"  # 「誰かと話したほうがいいのはわかってる。どこに連絡すればいいの」


def question_says_topic(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if intent == "unclear" and frame.ask and frame.intent in ADVICE:
        intent = frame.intent  # unsure overall, but the question says what it is about
    p.intent = intent


def question_topic_mid_story(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        intent in ("other", "unclear")
        and frame.ask
        and frame.topic in ADVICE
        and frame.in_domain
        and s.situation
    ):  # 「1〜2週間とか長すぎない?」 mid-story: the question's own topic
        intent = frame.topic
    p.intent = intent


def help_about_them(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if intent == "help" and frame.ask and frame.in_domain and not frame.request:
        intent = "unclear"  # 「彼女の見え方って変わる?」 asks about her, not about the bot
    p.intent = intent


def like_is_no_reply(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if intent == "got_reply" and frame.fact("got_reply") is not True:
        topics = p.engine.index.topics_in(frame.text)
        if "sns" in topics and "reply" not in topics:  # 「元カノが俺の投稿にいいねしてきた」:
            intent = "chance"  # a sign on social media, not a reply to answer
    p.intent = intent


def no_partner_named(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if (
        intent == "new_partner"
        and frame.source == "model"
        and frame.fact("new_partner") is None
        and "new_partner" not in p.engine.index.topics_in(frame.text)
    ):  # 「彼女が出ていった」: no one new is named; the model's guess invents a partner
        intent = "broke_up" if frame.fact("broke_up") else "unclear"
    p.intent = intent


def partner_guessed(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if intent == "new_partner" and frame.ask and frame.fact("new_partner") is not True:
        intent = "why"  # 「他に好きなやつできたんかな」: a guess about their mind, not news
    p.intent = intent


def doctor_asked(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if frame.doctor_ask and intent not in SAFETY_INTENTS and not frame.draft:
        return "doctor"  # 「眠れんで飯食えんとき、病院行ったほうがよかとね?」: yes, and how


def words_they_wished_for(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if intent not in SAFETY_INTENTS and not frame.draft and wished_words(frame.text):
        return "say_wished"  # 「ばかじゃないよって言ってほしかった」: said to them, plainly


def burden_felt(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if "burden" in frame.feelings and not frame.draft and intent not in SAFETY_INTENTS:
        # 「私は誰かの重荷になる人間なのでしょうか」: heard; no card, which might seem to agree
        return "reflect"


def story_opened_with_thanks(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if intent == "thanks" and len(frame.sentences) > 2 and not frame.closing:
        # 「ありがとうございます。実は、…診断を受けたことを打ち明けたのでございます。…」: a
        # story that opens with thanks is the story, never a goodbye
        intent = frame.topic if frame.topic in ADVICE else "vent"
    p.intent = intent


def hello_mid_story(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        intent == "greeting"
        and (s.situation or s.no_contact or s.given)
        and len(frame.text) > GREETING_CHARS
    ):
        # 「おはようって言えた🥹 みんなふつうだった笑」「お前話通じねえな」 mid-story: said to
        # be heard, not a hello (no 「やっほー」 in the middle of a conversation)
        intent = "not_that" if frame.followup == "not_that" else "vent"
    p.intent = intent


def draft_part_removed(p: Decision) -> str | None:
    turn = p.turn
    if turn.edit is not None:
        return "draft_edit"  # 「返事待ってるねは消す」: that part out of the draft shown


def wait_agreed(p: Decision) -> str | None:
    intent = p.intent
    if intent == "wait_agreed":
        return intent


def situation_corrected(p: Decision) -> str | None:
    s, turn, intent = p.s, p.turn, p.intent
    if (
        turn.known in ("refused", "ghosted")
        and s.situation is None
        and intent not in SAFETY_INTENTS
    ):
        return "situation_unsaid"  # 「だから断られてないってば」: sorry, and which story it is


def when_contact_is_ok(p: Decision) -> str | None:
    s, turn, frame, intent = p.s, p.turn, p.frame, p.intent
    if (
        frame.contact_ok_ask
        and not frame.draft
        and s.situation in ("refused", "ghosted", "paused")
        and s.days_since(turn.now) is not None
        and not (s.no_contact or s.new_partner or s.moving_on)
        and intent not in SAFETY_INTENTS
    ):  # 「2ヶ月たった今、送ってよいのでしょうか」: yes or not yet, by the days
        return "contact_ok"


def their_safety(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if frame.their_life and not frame.draft and intent not in SAFETY_INTENTS:
        return "their_life"  # 「何より生きてるか知りたい」: how to check they are safe


def joy_shared(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if frame.share_joy and not frame.draft and intent not in SAFETY_INTENTS:
        return "share_joy"  # 「もっと喜んでよ〜」: glad with them, first


def plan_dropped(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if frame.plan_dropped and not frame.ask and not frame.draft and intent not in SAFETY_INTENTS:
        return "plan_dropped"  # 「家とか職場に行くのはやめとく」: the choice said to be good


def moving_on(p: Decision) -> str | None:
    turn, frame, intent = p.turn, p.frame, p.intent
    if turn.moved_on and not frame.ask and not frame.draft and intent not in SAFETY_INTENTS:
        return "moving_on"  # 「べつに戻りたいとか言ってないし」: heard; no reunion drill now


def they_ended_it(p: Decision) -> str | None:
    turn, frame = p.turn, p.frame
    if (
        frame.fact("ended_it") is True
        and turn.known != "ended"
        and not frame.ask
        and frame.request != "listen"  # 「自分から振ったの…聞いてくれるだけでいい」: heard
    ):
        return "ended_ack"  # 「うちが振った側なんよ」: heard as that, not as a refusal


def time_apart_asked(p: Decision) -> str | None:
    s, turn, frame = p.s, p.turn, p.frame
    if s.situation == "paused" and turn.known != "paused" and not frame.draft and not frame.request:
        return "paused"  # 「距離置きたいって言われて」: heard as time asked for, no refusal


def no_silence_after_their_reply(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if p.intent == "ghosted" and s.replied and frame.fact("ghosted") is not True:
        # 「既読つけたまま朝まで放置って感じ悪くない?」 once they replied: about answering it
        p.intent = "got_reply"


def story_not_retold(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if intent in ("refused", "ghosted") and s.situation and frame.fact(intent) is not True:
        intent = "unclear"  # the story is known; the model's guess does not retell it
    p.intent = intent


def unsent_letter(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (frame.draft or (s.unsent and not frame.ask)) and (frame.unsent or s.unsent):
        return "unsent_letter"  # written here, not to send: received, never reviewed


def writing_here_only(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (frame.unsent or (s.no_contact and frame.write_here)) and not frame.draft:
        return "unsent_ok"  # 「送らないからここに書いてもいい?」, or after a block


def returning_after_block(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if s.no_contact and frame.returning and not frame.draft and intent not in SAFETY_INTENTS:
        return "no_contact_returning"  # 「荷物、ポストに入れてくるだけ」: by post, alone


def sorry_after_block(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if s.no_contact and frame.apology_wish and not frame.draft and intent not in SAFETY_INTENTS:
        return "no_contact_sorry"  # 「時間置いたらいつか謝れるの?」: the sorry kept, here


def go_between_after_block(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if s.no_contact and frame.go_between and not frame.decided:  # a go-between after a block
        return "stalking_risk"


def later_agreed(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (
        frame.later_decided
        and s.draft_text
        and not frame.ask
        and not frame.draft
        # 「明日にするわ。朝まで持っといて」: held, below; 「暗号化はオフとのことでしたので…」
        and frame.request in (None, "about_bot")  # is no question about the bot
    ):
        return "later_agreed"  # 「まあいいや、朝にする」: agreed; the hold still offered


def sent_told(p: Decision) -> str | None:
    s, turn, frame, intent = p.s, p.turn, p.frame, p.intent
    came_back = s.night_passed_at is not None and turn.now - s.night_passed_at < GENTLE_FOR
    if (
        frame.sent_it
        and not frame.ask
        and not frame.draft
        and not s.no_contact
        and (s.draft_text or came_back)
        and intent not in SAFETY_INTENTS
    ):
        return "sent_told"  # 「送ったよ〜緊張した😂」 after the draft came back: heard


def they_want_back(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        (frame.they_want_back or (s.they_want_back and frame.ask))
        and not frame.draft
        and not s.no_contact
        and intent not in SAFETY_INTENTS
        and not frame.request
    ):  # 「『やり直したい』ってきた」「考えさせてって言うのはずるい?」: the one deciding is heard
        return "they_want_back"


def cheating_blamed_on_them(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if frame.cheat_blame and not frame.draft and intent not in SAFETY_INTENTS:
        return "not_your_fault"  # 「それで浮気していい理由にはならんよね??」: no, it was theirs


def urge_to_go_back(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if s.boundary_told and frame.urge_back and not frame.decided:
        return "urge_back"  # 「明日の夕方とかまた行きたくなりそう笑」: a plan for that hour


def boundary_minimized(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (
        s.last_action in ("boundary", "stalking_risk", "warning_sorry")
        and frame.minimizing
        and not frame.decided
    ):
        return "stalking_risk"  # 「話しかけないし、客として行くだけだし」: the boundary, again


def gentle_not_that(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.followup == "not_that" and s.phase is Phase.GENTLE:
        s.alone_said = s.alone_said or frame.alone
        return "gentle_sorry"  # 「同じことしか返ってこないな」: sorry, no more questions


def someone_home(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (
        frame.someone_home
        and not frame.ask
        and "phone_averse" not in frame.feelings  # 「電話無理。隣に親いるし」: the chat line
        and (s.phase is Phase.GENTLE or s.crisis_at)
    ):
        return "someone_home"  # 「兄貴と住んでるけど言ってない」: someone near, not a goodbye


def alone(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.alone and (s.phase is Phase.GENTLE or s.crisis_at):
        return "alone"  # 「今ひとりって言ったじゃん…声かけられる人とかいない」


def joked(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if s.last_action in ASKED_DIRECTLY and frame.joking and s.phase is Phase.GENTLE:
        return "crisis_no"  # 「冗談って書いたじゃん。考えてないし」: believed, sorry, go on


def not_planning(p: Decision) -> str | None:
    s, frame, asked = p.s, p.frame, p.asked
    unanswered = asked and not (s.answered_at and s.asked_at and s.answered_at >= s.asked_at)
    if (
        (s.last_action in ASKED_DIRECTLY or unanswered)
        and frame.not_planning
        and not frame.followup
    ):
        # 「死ぬとかじゃない。ただ全部やめたいだけ」: a no in their words, believed, stayed with
        return "concern_no" if s.last_action in CHECKED_IN else "crisis_no"


def phone_ok_asked(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if s.last_action in ASKED_DIRECTLY and frame.chat_line_ask:
        return "chat_line"  # 「いえ、この程度のことで電話していいのか」: that, answered


def answer_to_direct_question(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if s.last_action in ASKED_DIRECTLY and frame.followup in ANSWERS:
        yes = frame.followup.startswith("yes")
        if s.last_action in CHECKED_IN:  # the answer to 「消えたいと思うくらいつらい?」
            return "crisis" if yes else "concern_no"
        return "crisis_yes" if yes else "crisis_no"


def unsure_answer(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (
        s.last_action in ASKED_DIRECTLY  # the check-in or the crisis question
        and frame.hedged
        and not frame.draft
        and not frame.not_planning
    ):
        return "check_in_unsure"  # 「え なんで わかんない」: a maybe, not a no


def check_in_answered(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        s.last_action in CHECKED_IN
        and not frame.ask
        and not frame.draft
        and (
            intent in ("other", "unclear", "help", "greeting")
            or set(frame.feelings) == {"phone_averse"}
        )
    ):  # 「電話とかはいい」「べつに」 to 「消えたいと思うくらいつらい?」: no menu, stayed with
        phone = "phone_averse" in frame.feelings and s.last_action == "check_in"
        return "check_in_phone" if phone else "check_in_open"


def body_worn_down(p: Decision) -> str | None:
    s, turn, frame = p.s, p.turn, p.frame
    body = set(frame.feelings) & set(WORN_DOWN)
    if (
        len(body) >= 2
        and not frame.draft
        and s.phase is not Phase.GENTLE
        and (s.body_worry_at is None or turn.now - s.body_worry_at > GENTLE_FOR)
    ):  # 「一ヶ月あまり食ってない。眠れない。毎晩飲んでる」: the body's alarm, a doctor, a line
        s.body_worry_at = turn.now
        return "body_worry"


def concern_denied(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.risk == "concern" and frame.says_no and not frame.ask and not s.crisis_at:
        return "concern_no"  # 「いえ、死にたいとまでは…」: believed, not asked again


def concern_check_in(p: Decision) -> str | None:
    s, turn, frame = p.s, p.turn, p.frame
    if frame.risk == "concern" and not p.engine._asked_lately(turn):
        s.concern_at = turn.now
        return "check_in"


def draft_line_asked(p: Decision) -> str | None:
    s, turn, frame, intent = p.s, p.turn, p.frame, p.intent
    if (
        frame.draft
        and s.draft_text
        and frame.ask
        and within(frame.draft, s.draft_text)
        and len(frame.draft) < len(s.draft_text)
    ):  # 「最後の「今度行かない?」って重い?」: a line of the draft asked about, not a new one
        turn.frame = frame = replace(frame, draft=None)
        intent = frame.topic if frame.topic in ADVICE else "unclear"
    p.intent = intent
    p.frame = frame


def how_long_to_wait(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (
        frame.asks_time
        and s.last_action == "draft"
        and not frame.draft
        and len(frame.text) <= SHORT_FOLLOW_UP
    ):  # 「それっていつまで?」 after 「一晩置いてから送ろう」: how long to wait, the wait's card
        return "how_long"


def is_it_odd(p: Decision) -> str | None:
    frame = p.frame
    if frame.is_it_odd and not frame.draft:
        return "normalize"  # 「この歳で待つのっておかしい?」: answered first, in any phase


def advice_wanted(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.advice_wanted:
        s.listening = False  # 「ただ聞くだけじゃなくてアドバイスほしい」


def send_now(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.send_now and s.draft_text and not frame.draft:
        return (
            "why_wait"  # 「もういいわ送る」「とめないの?」: this draft's reasons, the hold offered
        )


def words_to_send_asked(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    quoted_words = max((q.text for q in find_quotes(frame.text)), key=len, default="")
    if frame.candidate_ask and len(quoted_words) >= CANDIDATE_CHARS and not s.no_contact:
        adding = _ADDING.search(frame.text) and s.draft_text and quoted_words not in s.draft_text
        s.draft_text = f"{s.draft_text}\n{quoted_words}" if adding else quoted_words
        return "send_or_not"  # 「「連絡ありがとう…」くらいでしょうか」: those words, answered


def send_or_not(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.send_or_not and frame.ask and not frame.draft and (s.draft_text or s.held_text):
        # 「送るべき?送らんべき?」: yes, later or not now, for that draft (still under review)
        return "send_or_not" if s.draft_text else "send_or_not_held"


def why_wait(p: Decision) -> str | None:
    s, frame, held = p.s, p.frame, p.held
    if frame.why_wait and (s.draft_text or held) and not frame.draft:
        return "why_wait"  # 「なんで今送ったらあかんの?」: the reasons again, nothing held


def hold_till_typed_time(p: Decision) -> str | None:
    s, turn, frame = p.s, p.turn, p.frame
    if (
        s.phase is Phase.REVIEWING_DRAFT
        and s.draft_text
        and not frame.draft
        and _GIVE_BACK.search(frame.text)
        and p.engine._typed_time(frame.text, turn) is not None
    ):  # 「夕方5時くらいに返してほしい」 with the hold buttons up: held till then
        return "request:hold"


def retime_held(p: Decision) -> str | None:
    turn, frame, held = p.turn, p.frame, p.held
    if frame.retime and held and (at := p.engine._typed_time(frame.text, turn)) is not None:
        turn.retime_at = at
        return "retime"  # 「やっぱり17時にして」 after holding: the same draft, a new time


def story_after_keep_data(p: Decision) -> str | None:
    s, turn, frame, intent = p.s, p.turn, p.frame, p.intent
    if (
        frame.request == "keep_data"
        and s.phase is not Phase.CONFIRM_ERASE
        and frame.ask
        and len(frame.sentences) > 2
    ):  # 「まだ消さないです、聞いただけです。じゃあ話します。…振られてるってこと?」: the story
        frame = turn.frame = replace(frame, request=None, intent=frame.topic or "unclear")
        intent = frame.intent
    p.intent = intent
    p.frame = frame


def request(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.request:
        s.listening = s.listening and frame.request == "listen"
        return f"request:{frame.request}"


def draft_part_alone(p: Decision) -> str | None:
    s, frame, shown = p.s, p.frame, p.shown
    part = next((q.text.strip() for q in find_quotes(frame.text) if shown and len(q.text) >= 2
                 and within(q.text, shown) and q.text.strip() != shown.strip()
                 and _ONLY.match(frame.text[q.end :])), None)  # fmt: skip
    if part and frame.ask and not s.no_contact:
        s.draft_text = part  # 「「お幸せに」だけでも送っちゃだめ?」: that part alone, answered
        return "send_or_not"


def draft_words_asked(p: Decision) -> str | None:
    turn, frame, shown = p.turn, p.frame, p.shown
    quoted = [q.text for q in find_quotes(frame.text) if len(q.text) >= 4]
    if frame.ask and shown and any(within(q, shown) for q in quoted):
        turn.about_draft = True  # 「最後の「元気にしていますか」は削った方が?」: its words
        return "draft"


def previous_message_is_draft(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.draft_was and not s.draft_text and s.prev_text and not frame.draft:
        s.draft_text = s.prev_text  # 「今のはゆうくんに送るやつ!!」: the long message before


def draft_was(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.draft_was and s.draft_text and not frame.draft:
        return "draft"  # 「今のは下書きです」: the message before, reviewed


def held_draft_called_off(p: Decision) -> str | None:
    turn, frame, intent = p.turn, p.frame, p.intent
    if frame.deletes and not frame.ask and p.engine._something_held(turn) and intent != "draft":
        return "request:cancel_hold"  # 「やっぱ送らんとくわ。消しといて」: the draft held


def cancel_names_nothing(p: Decision) -> str | None:
    frame, intent = p.frame, p.intent
    if intent == "cancel" and frame.source == "model" and not frame.deletes:
        intent = "unclear"  # 「さっきのやつ見せて」 asks nothing to go
    p.intent = intent


def talk_instead_of_draft(p: Decision) -> str | None:
    s, frame, intent, felt = p.s, p.frame, p.intent, p.felt
    if (
        s.phase is Phase.AWAITING_DRAFT
        and not frame.draft
        and felt
        and intent in TOLD
        and not frame.addressed
        and (felt in BODY_FEELINGS or frame.third_person)
    ):  # 「寝ようとしても…」「彼のこと考えて…」 is talk, not the draft asked for; kept, in
        s.phase = home_phase(s)  # case 「今のが下書き」 follows
        s.draft_text = draft_or_whole(frame.text)
        return "reflect"


def draft_words_judged(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        s.phase is Phase.AWAITING_DRAFT
        and not frame.draft
        and frame.ask
        and _WORDS_JUDGED.search(frame.text)
    ):  # 「「もう俺のこと嫌いになった?」とか重っ…て思った。カフェ誘うのは早いと?」: about the
        s.phase = home_phase(s)  # draft's words, and a question: talk, not the new draft
        if intent == "draft":
            intent = frame.topic or "want_contact"
    p.intent = intent


def goodnight_instead_of_draft(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.closing and not frame.ask and not frame.draft and s.phase is Phase.AWAITING_DRAFT:
        s.phase = home_phase(s)  # 「ありがと、もう寝る」 is no draft
        return "thanks"


def advice_asked_instead_of_draft(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        s.phase is Phase.AWAITING_DRAFT
        and frame.asks_advice
        and not frame.draft
        and not frame.addressed
    ):  # 「でもその間なにしてたらええの?」 asks the bot: no draft came, the question is answered
        s.phase = home_phase(s)
        if intent == "draft":  # 「スタンプ送るのはアリかナシか教えて」: about sending, asked
            intent = frame.topic or "want_contact"
    p.intent = intent


def question_with_its_card(p: Decision) -> str | None:
    s, turn, frame, intent = p.s, p.turn, p.frame, p.intent
    if (
        intent == "draft"
        and not frame.draft
        and frame.ask
        and s.phase is not Phase.AWAITING_DRAFT
        and max((m.similarity for m in p.engine._ranked(turn)), default=0.0) >= CLOSE
    ):  # 「スタンプ1個だけ送るんはあかん?」: a question with its card, no draft to paste
        intent = frame.topic or "want_contact"
    p.intent = intent


def erase_question(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if s.phase is Phase.CONFIRM_ERASE and frame.ask and intent not in ("cancel", "delete_data"):
        return "erase_explain"  # 「消したら最初からになりますか?」: answered, still asked


def erase_typed_yes(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (
        s.phase is Phase.CONFIRM_ERASE
        and not frame.ask
        and frame.request not in ("keep_data", "cancel_hold")
        and (frame.followup in ("yes", "yes_then") or frame.request == "erase" or frame.deletes)
        and frame.followup not in ("no", "no_then")
    ):  # 「うん、消して」 typed to 「本当に消していい?」: the erase, as the button would
        return "erase_confirmed"


def draft_or_phase_flow(p: Decision) -> str | None:
    s, intent = p.s, p.intent
    if intent == "draft" or s.phase in (Phase.AWAITING_DRAFT, Phase.CONFIRM_ERASE):
        return intent


def decided(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (
        frame.decided
        and (not frame.ask or frame.approval or frame.wondering)
        and s.phase is not Phase.GENTLE
        and not (frame.boundary_kind and not (frame.plan_dropped or frame.contact_denied))
    ):  # (「花だけ明日会社に送る」 is a plan to answer, not a decision to respect)
        return "decided"  # 「とりあえずやめとく」: their call, acknowledged


def morning_after_crisis(p: Decision) -> str | None:
    s, turn, frame = p.s, p.turn, p.frame
    if (
        s.phase is Phase.GENTLE
        and turn.away is not None
        and turn.away >= BACK_AFTER
        and not frame.ask
        and frame.risk == "none"
    ):  # 「おはよ。ちょっと寝れた」 the morning after: glad they came, how they are today
        return "gentle_back"


def sorry_to_bot(p: Decision) -> str | None:
    frame = p.frame
    if frame.sorry_to_bot and not frame.ask:
        return "no_sorry"  # 「きのうは重い話してごめんね」: no need; glad they talked


def thread_followup(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if s.last_card and s.last_action in SHOWED_A_CARD:  # 「もっと」「うん」「どういうこと?」
        if frame.followup in ("more", "yes"):
            return "more"
        if frame.followup == "explain":
            return "explain"
    elif s.last_card and frame.followup == "more":
        return "more"  # 「もっと教えて」 a turn or two after the card: still that thread


def filler_mid_talk(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        frame.filler
        and frame.source == "model"
        and intent in (*ADVICE, "other", "unclear")
        and (s.situation or s.dumped or s.last_action in LISTENING)
    ):  # 「わからん」「なんか」 mid-talk: an answer to the last question, heard, no card
        return "reflect"


def chance_after_block(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if s.no_contact_by == "blocked" and frame.ask and "chance" in (intent, frame.topic):
        return "block_chance"  # 「ブロックされたら可能性ゼロ?」: the honest answer after a block


def wants_to_ask(p: Decision) -> str | None:
    frame = p.frame
    if frame.wants_to_ask and not frame.ask and not frame.draft and len(frame.text) <= 30:
        return "go_ahead"  # 「ねえ、ちょっと聞きたいんだけど」: yes, ask


def is_it_over(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (
        frame.ended_ask
        and len(frame.text) <= 10
        and (s.last_action in SAID_GOODBYE or s.phase is Phase.GENTLE)
    ):
        return "still_here"  # 「もう終わり?」 after the bot's goodnight: not over, still here


def closing(p: Decision) -> str | None:
    frame = p.frame
    if frame.closing and not frame.ask:
        return "thanks"


def ends_with_thanks(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (
        frame.ends_thanked
        and len(frame.text) <= THANKS_CHARS
        and not frame.draft
        and s.phase is not Phase.GENTLE
    ):  # 「見えんとこ置くだけでもええんか。ありがと」: the answer taken, and thanks
        return "thanks"  # 「そろそろ寝るね、ありがと」: a goodnight, not a new question


def not_that(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.followup == "not_that" and s.last_action in (
        *SHOWED_A_CARD,
        "reflect",
        "vent",
        "listen",
        "normalize",
        *WARNED,
        "warning_sorry",
        "decided",
        "thanks",
    ):
        return "not_that"  # 「そういうことじゃなくて…」: not the same card again


def gentle_drinking(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if (
        s.phase is Phase.GENTLE
        and "drinking" in frame.feelings
        and "gentle_drink" not in s.asked
        and not frame.draft
    ):  # 「今日も缶を4本」「もう一本開けて寝ます」 that night: the drinking named, once
        return "gentle_drink"


def gentle_phone_averse(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if s.phase is Phase.GENTLE and "phone_averse" in frame.feelings and not frame.ask:
        return "vent"  # the gentle row: 「電話はしない」 gets the chat line first, from now on


def family_told(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.family_told and (s.phase is Phase.GENTLE or s.crisis_at) and not frame.draft:
        return "chat_line"  # 「これ親に連絡いったりしないよね?」: no, here or on the chat line


def chat_line_asked(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if frame.chat_line_ask and (s.phase is Phase.GENTLE or s.crisis_at):
        return "chat_line"  # 「チャットのやつは文字だけでいいのか」: yes, and the line


def gentle_tonight(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if s.phase is Phase.GENTLE and frame.tonight:
        return "gentle_tonight"  # 「今夜どうやって乗り切ればいい?」


def gentle_tomorrow(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if s.phase is Phase.GENTLE and frame.tomorrow:
        return "gentle_tomorrow"  # 「明日、何かできることってありますか」: a small day


def gentle_story(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if s.phase is Phase.GENTLE and not frame.ask and intent in (*ADVICE, "refused", "ghosted"):
        return "reflect"  # after a crisis message the story is listened to, not carded


def gentle_their_mind(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        s.phase is Phase.GENTLE
        and frame.ask
        and (intent in THEIR_MIND or frame.topic in THEIR_MIND)
        and frame.third_person  # about them, not 「まだ復縁の可能性ある?」 (moving on: advice)
        and not frame.asks_advice
    ):
        return (
            "gentle_answer"  # 「あいつ、いつか俺のこと思い出すんかな」: an honest word, no tactics
        )


def straight_chance(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        frame.straight
        and (frame.topic == "chance" or intent == "chance")
        and s.phase is not Phase.GENTLE
        and not s.no_contact
        and not frame.draft
    ):
        return "straight_chance"  # 「ワンチャンあるかないかで答えて」: the honest word first


def gentle_send_or_not(p: Decision) -> str | None:
    s, frame = p.s, p.frame
    if s.phase is Phase.GENTLE and frame.send_or_not and not frame.draft:
        return "gentle_no_tactics"  # 「おくっていい?」 that night: not tonight, rest first


def gentle_off_topic_question(p: Decision) -> str | None:
    frame, gentle = p.frame, p.gentle
    if gentle and frame.ask and not frame.in_domain:
        return "reflect"  # after a crisis message, a question not about the ex: heard first


def gentle_musing(p: Decision) -> str | None:
    frame, gentle = p.frame, p.gentle
    if gentle and frame.ask and _MUSING.search(frame.ask) and not frame.asks_advice:
        return "reflect"  # 「彼がいたから頑張れてたのかも」: mused aloud, heard, no card


def gentle_pained_question(p: Decision) -> str | None:
    frame, felt, gentle = p.frame, p.felt, p.gentle
    if gentle and (felt or frame.risk == "concern"):
        return "reflect"  # a question asked in pain, after a crisis message: heard first


def gentle_question_without_card(p: Decision) -> str | None:
    turn, frame, gentle = p.turn, p.frame, p.gentle
    if (
        gentle
        and frame.ask
        and not frame.asks_advice
        and not _ABOUT_EX.search(frame.ask)  # 「まだ復縁の可能性ってある?」: moving on, advice
        and max((m.similarity for m in p.engine._ranked(turn)), default=0.0) < CLOSE
    ):  # 「いちばん重いのは、お母さんにもわかってもらえないこと?」 that night: heard, no card
        return "reflect"


def since_told(p: Decision) -> str | None:
    s, turn, frame, intent, felt = p.s, p.turn, p.frame, p.intent, p.felt
    if (
        frame.days_ago
        and frame.days_ago <= MAX_SINCE
        and s.situation
        and not s.listening
        and not frame.ask
        and not felt
        and intent in TOLD
        and (s.since_told_at == turn.now or story_time(frame, s))  # (learnt just now)
    ):
        return "since"  # a duration told later, or a correction: the story's time again


def listening(p: Decision) -> str | None:
    s, turn, frame, intent, felt = p.s, p.turn, p.frame, p.intent, p.felt
    if s.listening:
        turn.intent = intent
        asked = bool(frame.ask) and (
            frame.asks_advice
            or frame.send_or_not  # 「今すぐ謝罪を送るべきでしょうか?」: asked outright
            or frame.contact_ok_ask
            or (
                not frame.wondering  # 「ブロックされてんのかなって思って…」: wondered aloud
                and (
                    (intent in ADVICE and not felt)
                    or max((m.similarity for m in p.engine._ranked(turn)), default=0.0) >= CLOSE
                )
            )
        )  # 「そのうち楽になんの?」 is asked, though they only wanted an ear before
        if not asked:
            return "reflect"  # no cards, no menus, until they ask for advice
        s.listening = False
        if intent not in ADVICE:
            return "answer"


def self_blame(p: Decision) -> str | None:
    s, frame, intent, felt = p.s, p.frame, p.intent, p.felt
    if (
        felt == "self_blame"
        and s.phase is not Phase.AWAITING_DRAFT
        and (
            intent not in ("what_to_do", "want_contact", "draft")
            or (intent == "want_contact" and not frame.ask)
        )
    ):
        return "reflect"  # 「私が重かったのかな」 asks to be heard, not for a card that agrees


def breakup_by_line(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        intent == "ghosted"
        and not s.situation
        and frame.source == "model"
        and frame.fact("broke_up")
        and not frame.fact(intent)
    ):  # 「10日前にLINEで振られた」: a breakup by LINE, not yet a silence
        return "broke_up"


def story_first_told(p: Decision) -> str | None:
    s, intent = p.s, p.intent
    if intent in ("refused", "ghosted") and not s.situation:
        return intent  # the story first told: its row says so, and answers what it asks


def story_with_plan(p: Decision) -> str | None:
    turn, frame, intent = p.turn, p.frame, p.intent
    told = [f for f in ("refused", "ghosted") if frame.fact(f) is True]
    if len(told) == 1 and not turn.known and not frame.ask and intent in ("cooling", "what_to_do"):
        return told[0]  # 「無理って言われた。今日から冷却期間がんばる」: the story, first


def contact_wish_after_block(p: Decision) -> str | None:
    s, intent = p.s, p.intent
    if s.no_contact and intent == "want_contact":
        return intent  # 「やっぱり送ろうかな」 after a block: that wish met, no card of tactics


def question_answered_by_card(p: Decision) -> str | None:
    s, turn, frame, intent = p.s, p.turn, p.frame, p.intent
    if frame.ask and intent in ANSWERED_BY_A_CARD:
        turn.intent = intent
        best = p.engine._ranked(turn)
        closest = max(best, key=lambda m: m.similarity, default=None)
        if closest and closest.card.id == s.last_card and closest.similarity >= AGAIN:
            return closest.card.intents[0]  # the same question in other words: its point
        if best and best[0].score >= ANSWER_SCORE.get(intent, 0.3):
            return "answer"
        if (
            intent in ("other", "unclear", "vent")
            and best
            and (frame.in_domain or (s.situation and best[0].similarity >= STORY_SIMILARITY))
        ):  # in the field (or in the middle of the story), no card head-on: the nearest
            return "answer"


def news_a_card_speaks_to(p: Decision) -> str | None:
    s, turn, frame, intent, felt = p.s, p.turn, p.frame, p.intent, p.felt
    if (
        not frame.ask
        and not felt
        and s.situation
        and intent in ("unclear", "other", "vent")
        and len(frame.text) <= TOLD_CHARS
        and not frame.told_past
    ):  # 「あと私のストーリー毎回見に来てる」: news a card speaks to, met with that card
        turn.intent = intent
        best = p.engine._ranked(turn)
        if best and best[0].similarity >= TOLD_MATCH:
            return "answer"


def feeling_without_question(p: Decision) -> str | None:
    frame, intent, felt = p.frame, p.intent, p.felt
    if (
        felt
        and not frame.ask
        and intent in ADVICE
        and frame.source == "model"
        and not (felt in ("joy", "relief") and intent == "got_reply")
    ):  # a feeling with no question: heard, not met with a card (a reply that came is
        return "reflect"  # met with the joy, then how to answer it)


def story_retold_with_feeling(p: Decision) -> str | None:
    s, frame, intent, felt = p.s, p.frame, p.intent, p.felt
    if felt and not frame.ask and intent == s.situation:
        return "reflect"  # the story told again, with its feelings: feelings before facts


def breakup_itself(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        frame.fact("broke_up")
        and not s.situation
        and not frame.ask
        and not (frame.fact("refused") or frame.fact("ghosted"))
        and intent in (*ADVICE, "unclear", "refused", "vent", "other")
    ):  # 「先週振られた」: the breakup itself, before any refusal or silence
        return "broke_up"


def other_question_mid_story(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if intent == "other" and s.situation and frame.ask:
        return "answer"  # mid-story, a question the model calls other: nearest, or honest


def story_told_on(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        intent in ("unclear", "other")
        and (s.situation or s.dumped or s.no_contact)
        and not frame.ask
    ):
        return "reflect"  # the story, told on with no question: listened to, not a menu


def short_mid_story(p: Decision) -> str | None:
    s, frame, intent = p.s, p.frame, p.intent
    if (
        intent == "unclear"
        and len(frame.text) <= 30
        and not frame.ask
        and (s.situation or s.dumped or s.last_action in ("reflect", "vent", "listen"))
    ):
        return "reflect"  # 「図星です」「もういいや…」 mid-story: listened to, not a menu


CHECKS: tuple[Check, ...] = (
    # Safety first: the crisis conversation, means, a lawyer, boundaries (and the bot asked about)
    cut_urge_again,
    asked_if_erasing_erases,
    asked_about_the_bot,
    block_retold_is_story,
    no_to_the_direct_question,
    boundary_lean_names_no_plan,
    own_block_asked,
    lawyer_involved,
    driving_after_drinking,
    means_put_away,
    means_named,
    visit_or_police_after_worry,
    how_to_write_to_the_line,
    hurt_by_a_warning,
    hurt_by_advice,
    safety_intent,
    where_to_reach_someone,
    # The intent read again from what the message says; what comes before any story
    question_says_topic,
    question_topic_mid_story,
    help_about_them,
    like_is_no_reply,
    no_partner_named,
    partner_guessed,
    doctor_asked,
    words_they_wished_for,
    burden_felt,
    story_opened_with_thanks,
    hello_mid_story,
    # The story told: corrections, who ended it, joy, a plan dropped
    draft_part_removed,
    wait_agreed,
    situation_corrected,
    when_contact_is_ok,
    their_safety,
    joy_shared,
    plan_dropped,
    moving_on,
    they_ended_it,
    time_apart_asked,
    no_silence_after_their_reply,
    story_not_retold,
    # After a block or a boundary; news that changes who decides
    unsent_letter,
    writing_here_only,
    returning_after_block,
    sorry_after_block,
    go_between_after_block,
    later_agreed,
    sent_told,
    they_want_back,
    cheating_blamed_on_them,
    urge_to_go_back,
    boundary_minimized,
    # The crisis conversation goes on: the direct question answered, the body, a concern
    gentle_not_that,
    someone_home,
    alone,
    joked,
    not_planning,
    phone_ok_asked,
    answer_to_direct_question,
    unsure_answer,
    check_in_answered,
    body_worn_down,
    concern_denied,
    concern_check_in,
    # The user's request and their draft
    draft_line_asked,
    how_long_to_wait,
    is_it_odd,
    advice_wanted,
    send_now,
    words_to_send_asked,
    send_or_not,
    why_wait,
    hold_till_typed_time,
    retime_held,
    story_after_keep_data,
    request,
    draft_part_alone,
    draft_words_asked,
    previous_message_is_draft,
    draft_was,
    held_draft_called_off,
    cancel_names_nothing,
    talk_instead_of_draft,
    draft_words_judged,
    goodnight_instead_of_draft,
    advice_asked_instead_of_draft,
    question_with_its_card,
    erase_question,
    erase_typed_yes,
    draft_or_phase_flow,
    # The thread: a decision, the morning after, follow-ups, goodbyes, a gentle night
    decided,
    morning_after_crisis,
    sorry_to_bot,
    thread_followup,
    filler_mid_talk,
    chance_after_block,
    wants_to_ask,
    is_it_over,
    closing,
    ends_with_thanks,
    not_that,
    gentle_drinking,
    gentle_phone_averse,
    family_told,
    chat_line_asked,
    gentle_tonight,
    gentle_tomorrow,
    gentle_story,
    gentle_their_mind,
    straight_chance,
    gentle_send_or_not,
    gentle_off_topic_question,
    gentle_musing,
    gentle_pained_question,
    gentle_question_without_card,
    # Listening, feelings before facts, questions a card answers, the story's facts
    since_told,
    listening,
    self_blame,
    breakup_by_line,
    story_first_told,
    story_with_plan,
    contact_wish_after_block,
    question_answered_by_card,
    news_a_card_speaks_to,
    feeling_without_question,
    story_retold_with_feeling,
    breakup_itself,
    other_question_mid_story,
    story_told_on,
    short_mid_story,
)
