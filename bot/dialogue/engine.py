"""The dialogue engine: `(state, incoming, now) -> Outcome`. Pure: no I/O, no LINE, no clock.

Text is read into a frame (`bot.nlu.frame`); its facts update the story, its request or intent
picks a row of the transition table (`table.py`), and the action composes replies from
content/. Postbacks (buttons) name their action directly.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.content import Content, require_phrases
from bot.dialogue.echo import wished_words
from bot.dialogue.handlers.advice import AGAIN, CLOSE, AdviceHandlers
from bot.dialogue.handlers.base import LISTENING, once_each, said_back
from bot.dialogue.handlers.drafts import DraftHandlers
from bot.dialogue.handlers.erase import EraseHandlers
from bot.dialogue.handlers.safety import SafetyHandlers
from bot.dialogue.handlers.talk import Privacy, TalkHandlers
from bot.dialogue.ranking import CardIndex, answer_examples
from bot.dialogue.state import DialogueState, Phase
from bot.dialogue.table import ADVICE, SITUATIONS, THEIR_MIND, home_phase, lookup
from bot.dialogue.turn import (
    BACK_AFTER,
    GENTLE_FOR,
    LOW_CONFIDENCE,
    DraftEdit,
    FrameReader,
    Outcome,
    Turn,
)
from bot.dialogue.types import (
    Card,
    EraseUser,
    FollowIn,
    Held,
    Incoming,
    NonTextIn,
    PostbackIn,
    Reply,
    Text,
    TextIn,
)
from bot.nlu.drafts import draft_or_whole, removal, remove_part
from bot.nlu.durations import agreed_wait, is_bare_duration
from bot.nlu.frame import STORY_FACTS, Frame
from bot.nlu.lexicon import Lexicon
from bot.nlu.model import IntentModel
from bot.nlu.normalize import normalize
from bot.nlu.safety import SAFETY_INTENTS
from bot.nlu.sentences import find_quotes
from bot.nudge.review import Nudge

require_phrases(
    "no_contact_wish", "doctor_yes", "said_as_wished", "no_contact_return", "draft_edited",
    "ended_ack", "moving_on_ack", "plan_dropped", "refused_unsaid", "ghosted_unsaid", "share_joy",
    "contact_ok_refused_early", "contact_ok_refused_mid", "contact_ok_refused_late",
    "contact_ok_ghosted_early", "contact_ok_ghosted_late", "means", "means_secured",
    "drink_drive", "lawyer", "self_harm", "chat_line_private",
    "concern_maybe", "no_contact_plan", "wait_agreed", "lecture_sorry", "body_worry", "morning_offer",
    "btn_morning_yes", "btn_morning_no", "morning_set", "morning_declined", "morning_checkin",
    "gentle_back_morning", "gentle_back", "no_sorry",
    "welcome", "welcome_ask", "greeting", "help", "thanks", "fallback", "non_text",
    "menu_refused", "menu_ghosted", "menu_paused", "menu_draft", "menu_help", "menu_vent", "menu_contact",
    "ask_situation", "ask_situation_first", "clarify",
    "refused_ack", "ghosted_ack", "paused_ack", "refused_since_early", "refused_since_mid", "refused_since_late",
    "ghosted_since_early", "ghosted_since_mid", "ghosted_since_late",
    "crisis_intro", "crisis_more", "crisis_lines_again", "crisis_listen", "check_in",
    "gentle", "gentle_goodbye", "gentle_no_tactics",
    "boundary", "blocked", "no_contact", "no_contact_reply", "own_days",
    "vent", "other", "nothing_held", "already_said", "want_contact", "draft_ask",
    "erase_ask", "erase_yes", "erase_no", "erase_done", "erase_kept",
    "nudge_wait", "nudge_offer", "nudge_pass", "hold_morning", "hold_evening", "hold_3d",
    "hold_pick", "rewrite", "dont_send", "held", "held_nothing", "hold_bad_time", "rewrite_ask",
    "dropped", "cancelled", "draft_not_held", "outcome_sent", "outcome_rewrite", "outcome_dropped",
    "cooling_start", "cooling_started", "cooling_checkins", "cooling_no_checkins",
    "checkins_set", "checkin_half", "checkin_end", "cooling_left",
    "btn_more_lines", "btn_listen", "btn_lines_again",
    "about_bot", "listen_start", "held_show", "keep_nothing_to_keep", "blocked_lifted",
    "btn_cancel_held", "held_text", "echo", "broke_up_ack", "not_that", "not_that_ask", "block_chance", "already_held", "review_again",
    "review_again_light", "chat_line_how",
    "thanks_held", "crisis_chat_first", "crisis_again", "concern_no", "said_again",
    "no_more", "explain_point", "since_noted", "crisis_yes", "crisis_no", "gentle_tonight",
)  # fmt: skip
require_phrases(
    "about_hold",
    "boundary_after", "why_wait", "why_wait_general", "gentle_tomorrow", "gentle_sorry", "listen_again", "sorry_missed", "about_operator",
    "about_line", "said_again_lead",
    "crisis_joke",
    "check_in_phone", "check_in_open", "check_in_unsure", "gentle_answer", "still_here", "someone_home",
    "gentle_sorry_unanswered", "warning_sorry", "go_ahead", "survey_men_note", "how_long_night",
    "send_ok", "send_later", "send_not_now", "same_sex_heard", "no_contact_apology",
    "about_memory_empty", "about_memory_kept", "about_sends",
    "unsent_ok",
    "said_before",
    "no_card_honest",
    "not_that_heard",
    "erase_explain",
    "about_external",
    "gentle_alone",
    "crisis_stay",
    "rewrite_reviewed",
    "no_card_plain",
    "normalize",
    "thanks_day", "goodnight", "bye_day", "greeting_morning", "greeting_day",
    "unsent_received",
    "nudge_words_ok",
    "decided",
    "about_encryption_on",
    "about_encryption_off",
    "stay",
    "about_privacy_encrypted",
    "about_privacy_plain",
    "about_storage",
    "rewrite_in_keyboard",
    "held_list",
    "held_item",
    "btn_cancel_one",
    "held_gone",
    "cancelled_one",
)  # fmt: skip

# While a draft waits for hold / rewrite / drop, typed answers mean the buttons: the button's
# label, or one of the phrase's variants. Otherwise 「朝」 went to the classifier (→ cancel).
TYPED_CHOICES = {
    "hold_morning": "hold:morning", "hold_evening": "hold:evening", "hold_3d": "hold:3d",
    "rewrite": "draft:rewrite", "dont_send": "draft:drop",
}  # fmt: skip
require_phrases(*(f"typed_{key}" for key in TYPED_CHOICES))


class Engine(TalkHandlers, AdviceHandlers, DraftHandlers, SafetyHandlers, EraseHandlers):
    """Reads each text into a frame, looks up the action in the table and runs it. The actions
    live in `bot/dialogue/handlers/`, by concern."""

    def __init__(self, content: Content, classifier: FrameReader, nudge: Nudge,
                 cache_dir: Path | None = None,
                 privacy: Privacy | None = None) -> None:  # fmt: skip
        self.content = content
        self.privacy = privacy or Privacy()
        self.classifier = classifier
        self.nudge = nudge
        self.tz = nudge.tz
        cards = IntentModel({c.id: [*c.all_asks, c.title] for c in content.cards.values()},
                            cache_dir, kind="cards")  # fmt: skip
        topics = Lexicon.from_content(content.understanding).topics
        answers = answer_examples(content.cards)
        self.index = CardIndex(content.cards, topics, cards, IntentModel(
            answers, cache_dir, kind="answers") if len(answers) >= 2 else None)  # fmt: skip
        self._typed = {  # normalised typed answer → the button's postback data
            normalize(word): data
            for key, data in TYPED_CHOICES.items()
            for word in (content.phrase(key), *content.phrases[f"typed_{key}"])
        }
        self._actions: dict[str, Callable[[Turn], None]] = {
            name.removeprefix("do_"): getattr(self, name)
            for name in dir(self)
            if name.startswith("do_")
        }

    def handle(self, state: DialogueState, incoming: Incoming, now: datetime,
               held: tuple[Held, ...] | None = None) -> Outcome:  # fmt: skip
        """`held`: the user's held drafts from the store, for 預けた下書き (None: unknown)."""
        state = state.copy_for_turn()
        if state.phase is Phase.GENTLE and state.crisis_at and now - state.crisis_at > GENTLE_FOR:
            state.phase = home_phase(state)
        if state.held_text and (state.held_until is None or now >= state.held_until):
            state.held_text = None  # given back: the copy kept to show it goes
            state.night_passed_at = state.held_until or now  # a rewrite now had its night
        turn = Turn(state, now, held=held)
        if not isinstance(incoming, PostbackIn):  # a tap is not a return
            turn.away = now - state.seen_at if state.seen_at else None
            state.seen_at = now
        match incoming:
            case FollowIn():
                self.do_welcome(turn)
            case NonTextIn():
                self._say(turn, "non_text")
                turn.out.choices = self._menu(turn)
            case PostbackIn(data=data, params=params):
                self._postback(turn, data, params)
            case TextIn(text=text):
                self._text(turn, text)
        turn.out.choices = once_each(turn.out.choices)
        self._never_twice(turn)
        return turn.out

    def _never_twice(self, turn: Turn) -> None:
        """Never the same bubble twice in a row: a repeated one is dropped, or said another way
        when it was all there was to say."""
        last = set(turn.state.last_bubbles)
        lines = [line.contact for line in self.content.crisis_lines]
        fresh = [
            r
            for r in turn.out.replies
            if _digest(r) not in last or (isinstance(r, Text) and any(c in r.text for c in lines))
        ]  # fmt: skip  (a line to reach is never dropped)
        if len(fresh) < len(turn.out.replies):
            first = turn.out.replies[0]
            dropped = [r for r in turn.out.replies if r not in fresh and isinstance(r, Text)]
            if not fresh and isinstance(first, Text) and turn.frame and turn.frame.ask:
                # asked again (「運営者は誰?」 twice): the answer again, said to be a repeat
                fresh = [Text(f"{self.content.phrase('said_again_lead')}\n{first.text}")]
            elif (
                turn.frame
                and turn.frame.ask
                and dropped
                and sum(len(r.text) for r in fresh if isinstance(r, Text)) < ACK_ONLY
                and not any(isinstance(r, Card) for r in fresh)
            ):  # only 「SNSのこと、気になるよね。」 was left: the answer again, said to be a repeat
                again = f"{self.content.phrase('said_again_lead')}\n{dropped[-1].text}"
                fresh = [*fresh, Text(again)]
            elif not fresh:
                fresh = [Text(self.content.phrase("said_again", turn.state.turn))]
            turn.out.replies = fresh
        if not any(isinstance(e, EraseUser) for e in turn.out.effects):  # erased means erased
            turn.out.state.last_bubbles = [_digest(r) for r in turn.out.replies]

    def _text(self, turn: Turn, text: str) -> None:
        turn.text = text
        frame = turn.frame = self.classifier.read(text)
        intent = frame.intent
        if frame.source == "model" and frame.confidence < LOW_CONFIDENCE:
            intent = "unclear"
        turn.out.intent = frame.intent
        offered = turn.state.morning_asked_at
        if (
            intent not in SAFETY_INTENTS
            and turn.state.last_action == "gentle_goodbye"
            and offered is not None
            and turn.now - offered < MORNING_ANSWER
            and (answer := _MORNING_YES.search(text) or _MORNING_NO.search(text))
        ):  # 「べつにいいけど」 typed to 「朝にひとことだけ声をかけてもいい?」: that answer
            self._morning_word(turn, wanted=answer.re is _MORNING_YES)
            return
        if intent not in SAFETY_INTENTS and turn.state.draft_text and not frame.draft:
            turn.edit = self._draft_edit(text, turn.state.draft_text)
        if intent not in SAFETY_INTENTS and turn.edit is None:
            choosing = (
                turn.state.phase is Phase.REVIEWING_DRAFT and not frame.ask
            )  # 「また一晩?」 asks
            if choosing and (data := self._typed_choice(text)):
                self._postback(turn, data, {})
                return
            if choosing and (at := self._typed_time(text, turn)):
                self._postback(turn, "hold:pick", {"datetime": at})  # 「18時にして」
                return
            if turn.state.situation and (days := agreed_wait(normalize(text))) is not None:
                turn.agreed_days = days  # 「ほな16日な」: the wait just named, agreed to
                intent = "wait_agreed"
            elif (
                turn.state.situation
                and is_bare_duration(normalize(text))
                and _story_time(frame, turn.state)
            ):  # 「2週間前」 answers "since when", in that story
                intent = turn.state.situation
        turn.known = turn.state.situation
        reviewing = turn.state.phase is Phase.REVIEWING_DRAFT and bool(turn.state.draft_text)
        self._learn_story(turn, frame)
        self._run(turn, self._policy(turn, frame, intent))
        s = turn.state
        if (
            reviewing
            and s.draft_text
            and s.last_action in (*LISTENING, "other", "clarify", "fallback")
            and not any(isinstance(r, Card) for r in turn.out.replies)
        ):  # 「よかった」 typed while the hold buttons were up: heard, and the buttons kept
            turn.out.choices = self._hold_choices(s, turn.now)
            s.phase = Phase.REVIEWING_DRAFT
        if not any(isinstance(e, EraseUser) for e in turn.out.effects):
            turn.out.state.last_words = said_back(frame) or turn.out.state.last_words
            long = len(frame.text) >= PREV_CHARS and not frame.draft_was
            turn.out.state.prev_text = frame.text if long else None

    def _policy(self, turn: Turn, frame: Frame, intent: str) -> str:
        """What to answer first: safety, then the user's request, their draft, their question,
        their feelings, the story's facts. Returns the row of the table to run."""
        s = turn.state
        if (
            frame.cut_urge
            and s.crisis_at is not None
            and turn.now - s.crisis_at < GENTLE_FOR
            and not frame.self_harm
        ):  # 「余計きりたくなってきた」 once asked: ways through the wave, not the question again
            return "cut_urge"
        if intent == "delete_data" and frame.source == "model" and frame.ask and frame.about_bot:
            return "request:about_bot"  # 「「データを消して」でそちらも消えるのですか?」: asked
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
        if (
            intent in ("blocked", "stalking_risk")
            and frame.source == "fact"
            and (s.no_contact_by == "blocked")
        ):
            intent = "unclear"  # the block told again is the story, not news: no flow again
        asked = s.asked_at is not None and turn.now - s.asked_at < GENTLE_FOR
        if (
            intent == "crisis"
            and (s.last_action in ASKED_DIRECTLY or asked)
            and s.last_action not in CHECKED_IN
            and (frame.followup in ("no", "no_then") or frame.not_planning)
        ):  # 「それはしてない。消えたいってだけ」: no to "hurting yourself?", believed, stayed with
            return "crisis_no"
        if (
            intent == "stalking_risk"
            and frame.source == "model"
            and not frame.boundary_kind
            and not s.no_contact
        ):  # 「元カノ本人と友達として会えるかって話」: the model's lean alone names no plan
            intent = "unclear"
        if intent == "blocked" and frame.source == "model" and frame.fact("blocked") is not True:
            intent = "unclear"  # 「ブロックしたほうがスッキリする?」: their own block, a question
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
        drank = s.drinking_at is not None and turn.now - s.drinking_at < DRINK_HOURS
        if frame.drives and drank and not frame.draft:
            return "drink_drive"  # 「今も飲んでる…朝5時からトラック乗んのに」: no driving on it
        recent = s.crisis_at is not None and turn.now - s.crisis_at < GENTLE_FOR
        if recent and frame.means_secured and not frame.draft:
            return "means_secured"  # 「薬は引き出しの奥にしまっときます」: the step it is, said
        told_means = s.means_at is not None and turn.now - s.means_at < GENTLE_FOR
        if recent and (frame.means or (told_means and frame.means_where)) and not frame.draft:
            return "means"  # 「家に睡眠薬があって…」「捨てたほうがいい?」: out of reach tonight
        safety_card = self._safety_card()  # shown: a worry for their safety was told
        worried = safety_card is not None and safety_card.id in s.given
        if (
            worried
            and frame.ask
            and _VISIT_OR_POLICE.search(frame.text)
            and not frame.draft
            and intent not in SAFETY_INTENTS
        ):  # 「アパートに行ってみるべき?」「警察は大げさ?」 after a worry for their safety
            return "their_life"
        if intent == "crisis" and frame.chat_line_ask and s.crisis_at:
            return "chat_line"  # 「「消えたいです」っていきなり書いていいの?」: how to write to the line
        if frame.warning_hurt and s.last_action in WARNED and intent != "crisis":
            return "warning_sorry"  # 「説教されるのしんど」「そこまで言う?」: sorry for the words
        if (
            frame.warning_hurt
            and s.last_action in (*SHOWED_A_CARD, "draft", "why_wait")
            and intent != "crisis"
            and not frame.ask
        ):
            return "lecture_sorry"  # 「なんか説教されてる気分やわ」 after advice: sorry, no more
        if intent in SAFETY_INTENTS:
            return intent
        if frame.lines_ask and (
            s.phase is Phase.GENTLE or s.crisis_at or s.concern_at or not frame.in_domain
        ):
            return "lines"  # 「誰かと話したほうがいいのはわかってる。どこに連絡すればいいの」
        if intent == "unclear" and frame.ask and frame.intent in ADVICE:
            intent = frame.intent  # unsure overall, but the question says what it is about
        if (
            intent in ("other", "unclear")
            and frame.ask
            and frame.topic in ADVICE
            and frame.in_domain
            and s.situation
        ):  # 「1〜2週間とか長すぎない?」 mid-story: the question's own topic
            intent = frame.topic
        if intent == "help" and frame.ask and frame.in_domain and not frame.request:
            intent = "unclear"  # 「彼女の見え方って変わる?」 asks about her, not about the bot
        if intent == "got_reply" and frame.fact("got_reply") is not True:
            topics = self.index.topics_in(frame.text)
            if "sns" in topics and "reply" not in topics:  # 「元カノが俺の投稿にいいねしてきた」:
                intent = "chance"  # a sign on social media, not a reply to answer
        if (
            intent == "new_partner"
            and frame.source == "model"
            and frame.fact("new_partner") is None
            and "new_partner" not in self.index.topics_in(frame.text)
        ):  # 「彼女が出ていった」: no one new is named; the model's guess invents a partner
            intent = "broke_up" if frame.fact("broke_up") else "unclear"
        if intent == "new_partner" and frame.ask and frame.fact("new_partner") is not True:
            intent = "why"  # 「他に好きなやつできたんかな」: a guess about their mind, not news
        if frame.doctor_ask and intent not in SAFETY_INTENTS and not frame.draft:
            return "doctor"  # 「眠れんで飯食えんとき、病院行ったほうがよかとね?」: yes, and how
        if intent not in SAFETY_INTENTS and not frame.draft and wished_words(frame.text):
            return "say_wished"  # 「ばかじゃないよって言ってほしかった」: said to them, plainly
        if "burden" in frame.feelings and not frame.draft and intent not in SAFETY_INTENTS:
            # 「私は誰かの重荷になる人間なのでしょうか」: heard; no card, which might seem to agree
            return "reflect"
        if intent == "thanks" and len(frame.sentences) > 2 and not frame.closing:
            # 「ありがとうございます。実は、…診断を受けたことを打ち明けたのでございます。…」: a
            # story that opens with thanks is the story, never a goodbye
            intent = frame.topic if frame.topic in ADVICE else "vent"
        if (
            intent == "greeting"
            and (s.situation or s.no_contact or s.given)
            and len(frame.text) > GREETING_CHARS
        ):
            # 「おはようって言えた🥹 みんなふつうだった笑」「お前話通じねえな」 mid-story: said to
            # be heard, not a hello (no 「やっほー」 in the middle of a conversation)
            intent = "not_that" if frame.followup == "not_that" else "vent"
        if turn.edit is not None:
            return "draft_edit"  # 「返事待ってるねは消す」: that part out of the draft shown
        if intent == "wait_agreed":
            return intent
        if (
            turn.known in ("refused", "ghosted")
            and s.situation is None
            and intent not in SAFETY_INTENTS
        ):
            return "situation_unsaid"  # 「だから断られてないってば」: sorry, and which story it is
        if (
            frame.contact_ok_ask
            and not frame.draft
            and s.situation in ("refused", "ghosted", "paused")
            and s.days_since(turn.now) is not None
            and not (s.no_contact or s.new_partner or s.moving_on)
            and intent not in SAFETY_INTENTS
        ):  # 「2ヶ月たった今、送ってよいのでしょうか」: yes or not yet, by the days
            return "contact_ok"
        if frame.their_life and not frame.draft and intent not in SAFETY_INTENTS:
            return "their_life"  # 「何より生きてるか知りたい」: how to check they are safe
        if frame.share_joy and not frame.draft and intent not in SAFETY_INTENTS:
            return "share_joy"  # 「もっと喜んでよ〜」: glad with them, first
        if (
            frame.plan_dropped
            and not frame.ask
            and not frame.draft
            and intent not in SAFETY_INTENTS
        ):
            return "plan_dropped"  # 「家とか職場に行くのはやめとく」: the choice said to be good
        if turn.moved_on and not frame.ask and not frame.draft and intent not in SAFETY_INTENTS:
            return "moving_on"  # 「べつに戻りたいとか言ってないし」: heard; no reunion drill now
        if (
            frame.fact("ended_it") is True
            and turn.known != "ended"
            and not frame.ask
            and frame.request != "listen"  # 「自分から振ったの…聞いてくれるだけでいい」: heard
        ):
            return "ended_ack"  # 「うちが振った側なんよ」: heard as that, not as a refusal
        if (
            s.situation == "paused"
            and turn.known != "paused"
            and not frame.draft
            and not frame.request
        ):
            return "paused"  # 「距離置きたいって言われて」: heard as time asked for, no refusal
        if intent in ("refused", "ghosted") and s.situation and frame.fact(intent) is not True:
            intent = "unclear"  # the story is known; the model's guess does not retell it
        if (frame.draft or (s.unsent and not frame.ask)) and (frame.unsent or s.unsent):
            return "unsent_letter"  # written here, not to send: received, never reviewed
        if (frame.unsent or (s.no_contact and frame.write_here)) and not frame.draft:
            return "unsent_ok"  # 「送らないからここに書いてもいい?」, or after a block
        if s.no_contact and frame.returning and not frame.draft and intent not in SAFETY_INTENTS:
            return "no_contact_returning"  # 「荷物、ポストに入れてくるだけ」: by post, alone
        if s.no_contact and frame.apology_wish and not frame.draft and intent not in SAFETY_INTENTS:
            return "no_contact_sorry"  # 「時間置いたらいつか謝れるの?」: the sorry kept, here
        if s.no_contact and frame.go_between and not frame.decided:  # a go-between after a block
            return "stalking_risk"
        if (
            frame.later_decided
            and s.draft_text
            and not frame.ask
            and not frame.draft
            # 「明日にするわ。朝まで持っといて」: held, below; 「暗号化はオフとのことでしたので…」
            and frame.request in (None, "about_bot")  # is no question about the bot
        ):
            return "later_agreed"  # 「まあいいや、朝にする」: agreed; the hold still offered
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
        if (
            (frame.they_want_back or (s.they_want_back and frame.ask))
            and not frame.draft
            and not s.no_contact
            and intent not in SAFETY_INTENTS
            and not frame.request
        ):  # 「『やり直したい』ってきた」「考えさせてって言うのはずるい?」: the one deciding is heard
            return "they_want_back"
        if frame.cheat_blame and not frame.draft and intent not in SAFETY_INTENTS:
            return "not_your_fault"  # 「それで浮気していい理由にはならんよね??」: no, it was theirs
        if s.boundary_told and frame.urge_back and not frame.decided:
            return "urge_back"  # 「明日の夕方とかまた行きたくなりそう笑」: a plan for that hour
        if (
            s.last_action in ("boundary", "stalking_risk", "warning_sorry")
            and frame.minimizing
            and not frame.decided
        ):
            return "stalking_risk"  # 「話しかけないし、客として行くだけだし」: the boundary, again
        if frame.followup == "not_that" and s.phase is Phase.GENTLE:
            s.alone_said = s.alone_said or frame.alone
            return "gentle_sorry"  # 「同じことしか返ってこないな」: sorry, no more questions
        if frame.someone_home and not frame.ask and (s.phase is Phase.GENTLE or s.crisis_at):
            return "someone_home"  # 「兄貴と住んでるけど言ってない」: someone near, not a goodbye
        if frame.alone and (s.phase is Phase.GENTLE or s.crisis_at):
            return "alone"  # 「今ひとりって言ったじゃん…声かけられる人とかいない」
        if s.last_action in ASKED_DIRECTLY and frame.joking and s.phase is Phase.GENTLE:
            return "crisis_no"  # 「冗談って書いたじゃん。考えてないし」: believed, sorry, go on
        unanswered = asked and not (s.answered_at and s.asked_at and s.answered_at >= s.asked_at)
        if (
            (s.last_action in ASKED_DIRECTLY or unanswered)
            and frame.not_planning
            and not frame.followup
        ):
            # 「死ぬとかじゃない。ただ全部やめたいだけ」: a no in their words, believed, stayed with
            return "concern_no" if s.last_action in CHECKED_IN else "crisis_no"
        if s.last_action in ASKED_DIRECTLY and frame.chat_line_ask:
            return "chat_line"  # 「いえ、この程度のことで電話していいのか」: that, answered
        if s.last_action in ASKED_DIRECTLY and frame.followup in ANSWERS:
            yes = frame.followup.startswith("yes")
            if s.last_action in CHECKED_IN:  # the answer to 「消えたいと思うくらいつらい?」
                return "crisis" if yes else "concern_no"
            return "crisis_yes" if yes else "crisis_no"
        if (
            s.last_action in ASKED_DIRECTLY  # the check-in or the crisis question
            and frame.hedged
            and not frame.draft
            and not frame.not_planning
        ):
            return "check_in_unsure"  # 「え なんで わかんない」: a maybe, not a no
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
        body = set(frame.feelings) & set(WORN_DOWN)
        if (
            len(body) >= 2
            and not frame.draft
            and s.phase is not Phase.GENTLE
            and (s.body_worry_at is None or turn.now - s.body_worry_at > GENTLE_FOR)
        ):  # 「一ヶ月あまり食ってない。眠れない。毎晩飲んでる」: the body's alarm, a doctor, a line
            s.body_worry_at = turn.now
            return "body_worry"
        if frame.risk == "concern" and frame.says_no and not frame.ask and not s.crisis_at:
            return "concern_no"  # 「いえ、死にたいとまでは…」: believed, not asked again
        if frame.risk == "concern" and not self._asked_lately(turn):
            s.concern_at = turn.now
            return "check_in"
        if (
            frame.draft
            and s.draft_text
            and frame.ask
            and frame.draft in s.draft_text
            and len(frame.draft) < len(s.draft_text)
        ):  # 「最後の「今度行かない?」って重い?」: a line of the draft asked about, not a new one
            turn.frame = frame = replace(frame, draft=None)
            intent = frame.topic if frame.topic in ADVICE else "unclear"
        if (
            frame.asks_time
            and s.last_action == "draft"
            and not frame.draft
            and len(frame.text) <= SHORT_FOLLOW_UP
        ):  # 「それっていつまで?」 after 「一晩置いてから送ろう」: how long to wait, the wait's card
            return "how_long"
        if frame.is_it_odd and not frame.draft:
            return "normalize"  # 「この歳で待つのっておかしい?」: answered first, in any phase
        if frame.advice_wanted:
            s.listening = False  # 「ただ聞くだけじゃなくてアドバイスほしい」
        held = bool(s.held_text) and s.holding(turn.now)
        if frame.send_now and s.draft_text and not frame.draft:
            return "why_wait"  # 「もういいわ送る」「とめないの?」: this draft's reasons, the hold offered
        quoted_words = max((q.text for q in find_quotes(frame.text)), key=len, default="")
        if frame.candidate_ask and len(quoted_words) >= CANDIDATE_CHARS and not s.no_contact:
            adding = (
                _ADDING.search(frame.text) and s.draft_text and quoted_words not in s.draft_text
            )
            s.draft_text = f"{s.draft_text}\n{quoted_words}" if adding else quoted_words
            return "send_or_not"  # 「「連絡ありがとう…」くらいでしょうか」: those words, answered
        if frame.send_or_not and frame.ask and not frame.draft and (s.draft_text or s.held_text):
            # 「送るべき?送らんべき?」: yes, later or not now, for that draft (still under review)
            return "send_or_not" if s.draft_text else "send_or_not_held"
        if frame.why_wait and (s.draft_text or held) and not frame.draft:
            return "why_wait"  # 「なんで今送ったらあかんの?」: the reasons again, nothing held
        if (
            s.phase is Phase.REVIEWING_DRAFT
            and s.draft_text
            and not frame.draft
            and _GIVE_BACK.search(frame.text)
            and self._typed_time(frame.text, turn) is not None
        ):  # 「夕方5時くらいに返してほしい」 with the hold buttons up: held till then
            return "request:hold"
        if frame.retime and held and (at := self._typed_time(frame.text, turn)) is not None:
            turn.retime_at = at
            return "retime"  # 「やっぱり17時にして」 after holding: the same draft, a new time
        if (
            frame.request == "keep_data"
            and s.phase is not Phase.CONFIRM_ERASE
            and frame.ask
            and len(frame.sentences) > 2
        ):  # 「まだ消さないです、聞いただけです。じゃあ話します。…振られてるってこと?」: the story
            frame = turn.frame = replace(frame, request=None, intent=frame.topic or "unclear")
            intent = frame.intent
        if frame.request:
            s.listening = s.listening and frame.request == "listen"
            return f"request:{frame.request}"
        shown = s.draft_text or s.held_text
        part = next((q.text.strip() for q in find_quotes(frame.text) if shown and len(q.text) >= 2
                     and q.text.strip() in shown and q.text.strip() != shown.strip()
                     and _ONLY.match(frame.text[q.end :])), None)  # fmt: skip
        if part and frame.ask and not s.no_contact:
            s.draft_text = part  # 「「お幸せに」だけでも送っちゃだめ?」: that part alone, answered
            return "send_or_not"
        quoted = [q.text for q in find_quotes(frame.text) if len(q.text) >= 4]
        if frame.ask and shown and any(q in shown for q in quoted):
            turn.about_draft = True  # 「最後の「元気にしていますか」は削った方が?」: its words
            return "draft"
        if frame.draft_was and not s.draft_text and s.prev_text and not frame.draft:
            s.draft_text = s.prev_text  # 「今のはゆうくんに送るやつ!!」: the long message before
        if frame.draft_was and s.draft_text and not frame.draft:
            return "draft"  # 「今のは下書きです」: the message before, reviewed
        if frame.deletes and not frame.ask and self._something_held(turn) and intent != "draft":
            return "request:cancel_hold"  # 「やっぱ送らんとくわ。消しといて」: the draft held
        if intent == "cancel" and frame.source == "model" and not frame.deletes:
            intent = "unclear"  # 「さっきのやつ見せて」 asks nothing to go
        felt = self._feeling(turn)
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
        if (
            s.phase is Phase.AWAITING_DRAFT
            and not frame.draft
            and frame.ask
            and _WORDS_JUDGED.search(frame.text)
        ):  # 「「もう俺のこと嫌いになった?」とか重っ…て思った。カフェ誘うのは早いと?」: about the
            s.phase = home_phase(s)  # draft's words, and a question: talk, not the new draft
            if intent == "draft":
                intent = frame.topic or "want_contact"
        if frame.closing and not frame.ask and not frame.draft and s.phase is Phase.AWAITING_DRAFT:
            s.phase = home_phase(s)  # 「ありがと、もう寝る」 is no draft
            return "thanks"
        if (
            s.phase is Phase.AWAITING_DRAFT
            and frame.asks_advice
            and not frame.draft
            and not frame.addressed
        ):  # 「でもその間なにしてたらええの?」 asks the bot: no draft came, the question is answered
            s.phase = home_phase(s)
            if intent == "draft":  # 「スタンプ送るのはアリかナシか教えて」: about sending, asked
                intent = frame.topic or "want_contact"
        if (
            intent == "draft"
            and not frame.draft
            and frame.ask
            and s.phase is not Phase.AWAITING_DRAFT
            and max((m.similarity for m in self._ranked(turn)), default=0.0) >= CLOSE
        ):  # 「スタンプ1個だけ送るんはあかん?」: a question with its card, no draft to paste
            intent = frame.topic or "want_contact"
        if s.phase is Phase.CONFIRM_ERASE and frame.ask and intent not in ("cancel", "delete_data"):
            return "erase_explain"  # 「消したら最初からになりますか?」: answered, still asked
        if (
            s.phase is Phase.CONFIRM_ERASE
            and not frame.ask
            and frame.request not in ("keep_data", "cancel_hold")
            and (frame.followup in ("yes", "yes_then") or frame.request == "erase" or frame.deletes)
            and frame.followup not in ("no", "no_then")
        ):  # 「うん、消して」 typed to 「本当に消していい?」: the erase, as the button would
            return "erase_confirmed"
        if intent == "draft" or s.phase in (Phase.AWAITING_DRAFT, Phase.CONFIRM_ERASE):
            return intent
        if (
            frame.decided
            and (not frame.ask or frame.approval or frame.wondering)
            and s.phase is not Phase.GENTLE
            and not (frame.boundary_kind and not (frame.plan_dropped or frame.contact_denied))
        ):  # (「花だけ明日会社に送る」 is a plan to answer, not a decision to respect)
            return "decided"  # 「とりあえずやめとく」: their call, acknowledged
        if (
            s.phase is Phase.GENTLE
            and turn.away is not None
            and turn.away >= BACK_AFTER
            and not frame.ask
            and frame.risk == "none"
        ):  # 「おはよ。ちょっと寝れた」 the morning after: glad they came, how they are today
            return "gentle_back"
        if frame.sorry_to_bot and not frame.ask:
            return "no_sorry"  # 「きのうは重い話してごめんね」: no need; glad they talked
        if s.last_card and s.last_action in SHOWED_A_CARD:  # 「もっと」「うん」「どういうこと?」
            if frame.followup in ("more", "yes"):
                return "more"
            if frame.followup == "explain":
                return "explain"
        elif s.last_card and frame.followup == "more":
            return "more"  # 「もっと教えて」 a turn or two after the card: still that thread
        if (
            frame.filler
            and frame.source == "model"
            and intent in (*ADVICE, "other", "unclear")
            and (s.situation or s.dumped or s.last_action in LISTENING)
        ):  # 「わからん」「なんか」 mid-talk: an answer to the last question, heard, no card
            return "reflect"
        if s.no_contact_by == "blocked" and frame.ask and "chance" in (intent, frame.topic):
            return (
                "block_chance"  # 「ブロックされたら可能性ゼロ?」: the honest answer after a block
            )
        if frame.wants_to_ask and not frame.ask and not frame.draft and len(frame.text) <= 30:
            return "go_ahead"  # 「ねえ、ちょっと聞きたいんだけど」: yes, ask
        if (
            frame.ended_ask
            and len(frame.text) <= 10
            and (s.last_action in SAID_GOODBYE or s.phase is Phase.GENTLE)
        ):
            return "still_here"  # 「もう終わり?」 after the bot's goodnight: not over, still here
        if frame.closing and not frame.ask:
            return "thanks"
        if (
            frame.ends_thanked
            and len(frame.text) <= THANKS_CHARS
            and not frame.draft
            and s.phase is not Phase.GENTLE
        ):  # 「見えんとこ置くだけでもええんか。ありがと」: the answer taken, and thanks
            return "thanks"  # 「そろそろ寝るね、ありがと」: a goodnight, not a new question
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
        if (
            s.phase is Phase.GENTLE
            and "drinking" in frame.feelings
            and "gentle_drink" not in s.asked
            and not frame.draft
        ):  # 「今日も缶を4本」「もう一本開けて寝ます」 that night: the drinking named, once
            return "gentle_drink"
        if s.phase is Phase.GENTLE and "phone_averse" in frame.feelings and not frame.ask:
            return "vent"  # the gentle row: 「電話はしない」 gets the chat line first, from now on
        if frame.family_told and (s.phase is Phase.GENTLE or s.crisis_at) and not frame.draft:
            return "chat_line"  # 「これ親に連絡いったりしないよね?」: no, here or on the chat line
        if frame.chat_line_ask and (s.phase is Phase.GENTLE or s.crisis_at):
            return "chat_line"  # 「チャットのやつは文字だけでいいのか」: yes, and the line
        if s.phase is Phase.GENTLE and frame.tonight:
            return "gentle_tonight"  # 「今夜どうやって乗り切ればいい?」
        if s.phase is Phase.GENTLE and frame.tomorrow:
            return "gentle_tomorrow"  # 「明日、何かできることってありますか」: a small day
        if s.phase is Phase.GENTLE and not frame.ask and intent in (*ADVICE, "refused", "ghosted"):
            return "reflect"  # after a crisis message the story is listened to, not carded
        if (
            s.phase is Phase.GENTLE
            and frame.ask
            and (intent in THEIR_MIND or frame.topic in THEIR_MIND)
            and frame.third_person  # about them, not 「まだ復縁の可能性ある?」 (moving on: advice)
            and not frame.asks_advice
        ):
            return "gentle_answer"  # 「あいつ、いつか俺のこと思い出すんかな」: an honest word, no tactics
        if (
            frame.straight
            and (frame.topic == "chance" or intent == "chance")
            and s.phase is not Phase.GENTLE
            and not s.no_contact
            and not frame.draft
        ):
            return "straight_chance"  # 「ワンチャンあるかないかで答えて」: the honest word first
        if s.phase is Phase.GENTLE and frame.send_or_not and not frame.draft:
            return "gentle_no_tactics"  # 「おくっていい?」 that night: not tonight, rest first
        gentle = s.phase is Phase.GENTLE and intent in TOLD_OR_ASKED
        if gentle and frame.ask and not frame.in_domain:
            return "reflect"  # after a crisis message, a question not about the ex: heard first
        if gentle and frame.ask and _MUSING.search(frame.ask) and not frame.asks_advice:
            return "reflect"  # 「彼がいたから頑張れてたのかも」: mused aloud, heard, no card
        if gentle and (felt or frame.risk == "concern"):
            return "reflect"  # a question asked in pain, after a crisis message: heard first
        if (
            gentle
            and frame.ask
            and not frame.asks_advice
            and not _ABOUT_EX.search(frame.ask)  # 「まだ復縁の可能性ってある?」: moving on, advice
            and max((m.similarity for m in self._ranked(turn)), default=0.0) < CLOSE
        ):  # 「いちばん重いのは、お母さんにもわかってもらえないこと?」 that night: heard, no card
            return "reflect"
        if (
            frame.days_ago
            and frame.days_ago <= MAX_SINCE
            and s.situation
            and not s.listening
            and not frame.ask
            and not felt
            and intent in TOLD
            and (s.since_told_at == turn.now or _story_time(frame, s))  # (learnt just now)
        ):
            return "since"  # a duration told later, or a correction: the story's time again
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
                        or max((m.similarity for m in self._ranked(turn)), default=0.0) >= CLOSE
                    )
                )
            )  # 「そのうち楽になんの?」 is asked, though they only wanted an ear before
            if not asked:
                return "reflect"  # no cards, no menus, until they ask for advice
            s.listening = False
            if intent not in ADVICE:
                return "answer"
        if (
            felt == "self_blame"
            and s.phase is not Phase.AWAITING_DRAFT
            and (
                intent not in ("what_to_do", "want_contact", "draft")
                or (intent == "want_contact" and not frame.ask)
            )
        ):
            return "reflect"  # 「私が重かったのかな」 asks to be heard, not for a card that agrees
        if (
            intent == "ghosted"
            and not s.situation
            and frame.source == "model"
            and frame.fact("broke_up")
            and not frame.fact(intent)
        ):  # 「10日前にLINEで振られた」: a breakup by LINE, not yet a silence
            return "broke_up"
        if intent in ("refused", "ghosted") and not s.situation:
            return intent  # the story first told: its row says so, and answers what it asks
        told = [f for f in ("refused", "ghosted") if frame.fact(f) is True]
        if (
            len(told) == 1
            and not turn.known
            and not frame.ask
            and intent in ("cooling", "what_to_do")
        ):
            return told[0]  # 「無理って言われた。今日から冷却期間がんばる」: the story, first
        if s.no_contact and intent == "want_contact":
            return intent  # 「やっぱり送ろうかな」 after a block: that wish met, no card of tactics
        if frame.ask and intent in ANSWERED_BY_A_CARD:
            turn.intent = intent
            best = self._ranked(turn)
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
        if (
            not frame.ask
            and not felt
            and s.situation
            and intent in ("unclear", "other", "vent")
            and len(frame.text) <= TOLD_CHARS
            and not frame.told_past
        ):  # 「あと私のストーリー毎回見に来てる」: news a card speaks to, met with that card
            turn.intent = intent
            best = self._ranked(turn)
            if best and best[0].similarity >= TOLD_MATCH:
                return "answer"
        if (
            felt
            and not frame.ask
            and intent in ADVICE
            and frame.source == "model"
            and not (felt in ("joy", "relief") and intent == "got_reply")
        ):  # a feeling with no question: heard, not met with a card (a reply that came is
            return "reflect"  # met with the joy, then how to answer it)
        if felt and not frame.ask and intent == s.situation:
            return "reflect"  # the story told again, with its feelings: feelings before facts
        if (
            frame.fact("broke_up")
            and not s.situation
            and not frame.ask
            and not (frame.fact("refused") or frame.fact("ghosted"))
            and intent in (*ADVICE, "unclear", "refused", "vent", "other")
        ):  # 「先週振られた」: the breakup itself, before any refusal or silence
            return "broke_up"
        if intent == "other" and s.situation and frame.ask:
            return "answer"  # mid-story, a question the model calls other: nearest, or honest
        if (
            intent in ("unclear", "other")
            and (s.situation or s.dumped or s.no_contact)
            and not frame.ask
        ):
            return "reflect"  # the story, told on with no question: listened to, not a menu
        if (
            intent == "unclear"
            and len(frame.text) <= 30
            and not frame.ask
            and (s.situation or s.dumped or s.last_action in ("reflect", "vent", "listen"))
        ):
            return "reflect"  # 「図星です」「もういいや…」 mid-story: listened to, not a menu
        return intent

    @staticmethod
    def _something_held(turn: Turn) -> bool:
        """A draft under review, or one held that has not come back yet."""
        s = turn.state
        return s.draft_text is not None or s.holding(turn.now) or bool(turn.held)

    def _asked_lately(self, turn: Turn) -> bool:
        """Ask "is it that hard?" once, not on every sad message that follows."""
        at = turn.state.concern_at or turn.state.crisis_at
        return at is not None and turn.now - at < GENTLE_FOR

    def _learn_story(self, turn: Turn, frame: Frame) -> None:
        """Facts update the story even when the message is about something else: the situation,
        how long ago, and a block stated false (「ブロックはされてない」) lifts what a block set."""
        s = turn.state
        s.no_phone = s.no_phone or "phone_averse" in frame.feelings  # 「電話とかは無理」, any turn
        s.lawyer = s.lawyer or frame.lawyer  # 「弁護士挟んで話しとる」: kept for the talk
        if "drinking" in frame.feelings:
            s.drinking_at = turn.now  # a drive mentioned later in the night is then a worry
        if (
            not frame.draft
            and s.phase is not Phase.AWAITING_DRAFT
            and (frame.polite or len(frame.text) >= CASUAL_CHARS)
        ):  # です・ます kept until casual talk; a letter's です (pasted when a draft is awaited,
            s.polite = frame.polite  # or marked as one) is said to the ex, not to the bot
        for situation, other in (("refused", "ghosted"), ("ghosted", "refused")):
            if situation == "ghosted" and frame.fact("got_reply") is True and s.dumped:
                continue  # dumped, then 「「友達でいよう」ってきてて、既読だけして返してない」
            if frame.fact(situation) is True and frame.fact(other) is False:
                s.situation = situation  # 「断られたんじゃなくて、既読無視されてるだけ」
            elif frame.fact(situation) is True and frame.intent not in ("refused", "ghosted"):
                s.situation = s.situation or situation
        if frame.moving_on:
            turn.moved_on, s.moving_on = not s.moving_on, True
        elif frame.intent in ("want_contact", "draft") or frame.draft:
            s.moving_on = False  # writing to them again: the reunion advice is back
        if (
            s.situation in ("refused", "ghosted")
            and frame.fact(s.situation) is False
            and not any(frame.fact(f) is True for f in (*SITUATIONS, "ended_it"))
        ):  # 「断られたとかじゃないよ」: the story assumed is taken back, not argued with
            s.situation = None
        if frame.fact("paused") is True and not any(
            frame.fact(f) is True for f in ("refused", "ended_it", "blocked")
        ):
            s.situation = "paused"  # 「距離置きたいって言われた」: not broken up, not refused
        elif frame.fact("paused") is False and s.situation == "paused":
            s.situation = None
        if frame.fact("ended_it") is True and frame.fact("refused") is not True:
            s.situation = "ended"  # 「うちが振った側」: no refusal to count from, no reunion drill
        elif frame.fact("ended_it") is False and s.situation == "ended":
            s.situation = None
        if (
            frame.fact("blocked") is False
            and s.no_contact
            and s.no_contact_by == "blocked"
            and not _OTHER_APP.search(frame.text)  # 「インスタはブロックされてない」: LINE still is
        ):
            s.no_contact, s.no_contact_by = False, None
            self._say(turn, "blocked_lifted")
        s.replied = s.replied or frame.fact("got_reply") is True or frame.intent == "got_reply"
        if frame.together:  # 「別れてないってば」: still a couple, kept (no breakup's cards)
            s.together = True
        if frame.they_want_back:  # 「元彼から『やり直したい』ってきた」: theirs to decide now
            s.they_want_back = s.replied = True
        s.new_partner = (s.new_partner or frame.fact("new_partner") is True) and (
            frame.fact("new_partner") is not False
        )
        if not s.situation and s.dumped and frame.ask and frame.intent != "help":
            s.situation = "refused"  # dumped, then asking advice: the refusal's advice fits
        if frame.fact("broke_up"):
            s.dumped = True
        if s.ex_woman is None and frame.ex_is:
            s.ex_woman = frame.ex_is == "woman"  # 「元カノ」「彼女が」: said once, kept
        told = any(
            frame.fact(f) for f in ("refused", "ghosted", "broke_up", "paused")
        ) or frame.intent in (
            "refused",
            "ghosted",
        )
        told = told or bool(
            s.situation
            and not frame.ask
            and not frame.closing
            and not frame.request
            and frame.days_ago  # 「今日はもう寝る」 tells no time of the story
            and len(frame.text) <= SHORT_TOLD
            and _story_time(frame, s)
        )
        corrected = bool(frame.days_ago and s.situation and frame.corrects)
        if corrected and frame.ask and frame.days_ago != s.days_since(turn.now):
            # 「3週間じゃなくて5週間前だった。で、これってサイン?」: the count redone, said, then
            # the question answered (a short correction alone is the `since` row's)
            s.since_days, s.since_told_at = frame.days_ago, turn.now
            self._say(turn, "since_noted")
            if since := self._since_line(turn):
                turn.out.replies.append(Text(since))
            return
        if (
            frame.days_ago is not None
            and told
            and frame.days_ago <= MAX_SINCE
            and _story_time(frame, s)
        ):  # a time with the event
            s.since_days, s.since_told_at = frame.days_ago, turn.now

    @staticmethod
    def _draft_edit(text: str, draft: str) -> DraftEdit | None:
        """「返事待ってるねは消す」: the draft without that part, when it names one in it."""
        asked = removal(text)
        if asked is None:
            return None
        found = remove_part(draft, asked[0])
        return DraftEdit(found[1], found[0], asked[1]) if found else None

    def _typed_choice(self, text: str) -> str | None:
        """The whole message, or its last sentence (「…図星。送らない」), as a button's label."""
        norm = normalize(text)
        last = re.split(r"[。!?\s…]+", norm.strip(" 。.!！…"))[-1]
        return self._typed.get(norm.strip(" 。.!！")) or self._typed.get(last)

    def _run(self, turn: Turn, intent: str) -> None:
        step = lookup(turn.state.phase, intent)
        turn.intent = intent
        before = turn.state.phase
        turn.previous_action, turn.state.last_action = turn.state.last_action, step.action
        self._actions[step.action](turn)
        if turn.state.phase == before:  # the action did not move the conversation itself
            stay = before is Phase.GENTLE and step.action not in MOVES_ON  # a day of care
            turn.state.phase = step.to or (before if stay else home_phase(turn.state))

    def _postback(self, turn: Turn, data: str, params: dict[str, str]) -> None:
        kind, _, arg = data.partition(":")
        turn.out.intent = f"postback:{kind}"
        match kind:
            case "situation" if arg in SITUATIONS:
                self._run(turn, arg)
            case "intent" if arg:
                self._run(turn, arg)
            case "card" if arg in self.content.cards:
                turn.intent = turn.state.last_action = "card"
                self._show_card(turn, self.content.cards[arg])
                turn.state.phase = home_phase(turn.state)
            case "crisis" if arg == "lines":
                self._say(turn, "crisis_lines_again")
                turn.out.replies.append(Text(self._crisis_lines(turn, all_lines=True)))
            case "crisis" if arg == "listen":
                self._say(turn, "crisis_listen")
            case "erase" if turn.state.phase is Phase.CONFIRM_ERASE:
                self.do_erase(turn, confirmed=arg == "yes")
            case "draft" if arg == "start":
                self.do_draft_ask(turn)
            case "draft" if arg in ("rewrite", "rewrite:keyboard", "drop"):
                self._draft_choice_made(turn, arg)
            case "hold" if arg in ("morning", "evening", "3d", "pick"):
                self._hold(turn, arg, params)
            case "outcome":
                self._outcome(turn, arg)
            case "cooling" if arg in ("start", "checkins", "none"):
                self._cooling(turn, arg)
            case "morning" if arg in ("yes", "no"):
                self._morning_word(turn, wanted=arg == "yes")
            case "held" if arg == "cancel":
                self.do_cancel(turn)
            case "held" if arg.startswith("cancel:"):
                self._cancel_one(turn, arg.removeprefix("cancel:"))
            case _:
                self.do_fallback(turn)


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
CASUAL_CHARS = 15  # a message this long without です・ます ends the polite register
MAX_SINCE = 730  # 「6年そこにあった」 is how long a mug stood there, not how long ago it ended
SHORT_TOLD = 30  # 「もう3ヶ月たつけどね」: a short message with a time, mid-story, tells the time
STORY_SIMILARITY = 0.12  # mid-story, a question this close to a card's asks is about the ex
# After a crisis message the phase stays gentle for a day, unless the user moves on to advice.
_MUSING = re.compile(r"(かも|かもしれ(ない|ん|へん))[。…\s]*$")  # said to oneself, not asked
MOVES_ON = ("advice", "advice_or_ask", "answer", "situation", "more", "explain", "ask_erase",
            "erase", "draft", "hold_request")  # fmt: skip
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
ACK_ONLY = 40  # what is left of a reply this short is an ack, not the answer asked for
SHORT_FOLLOW_UP = 15  # 「それっていつまで?」: a follow-up this short leans on the last reply
WARNED = ("boundary", "stalking_risk", "no_contact", "blocked", "block_chance")
SAID_GOODBYE = ("thanks", "gentle_goodbye", "decided")
ASKED_DIRECTLY = (*CHECKED_IN, "crisis", "crisis_yes")  # replies that end with the direct question
# Feelings of the body and the night (not worry, which a draft to the ex may well say): while a
# draft is awaited, a message naming one of these is talk, not the draft.
# Typed answers to the morning offer (「べつにいいけど」 is a yes; 「いいです」 a no)
_MORNING_YES = re.compile(
    r"^(うん|はい|ええ|お願い|おねがい|べつにいいけど|別にいいけど|いいよ|いいけど|じゃあ|声かけて|朝に声|頼む|たのむ|よろしく)"
)
_MORNING_NO = re.compile(
    r"^(いらない|いらん|大丈夫|だいじょうぶ|いいです|平気|なしで|やめとく|いや)"
)
MORNING_ANSWER = timedelta(minutes=30)  # a typed answer this soon after the offer answers it
_OTHER_APP = re.compile(
    r"(インスタ|instagram|(?<![a-z])x(?![a-z])|twitter|ツイッター|tiktok|ティックトック|facebook|フェイスブック|電話|メール|sns)"
    r"(は|では|だけ|の方は|のほうは|はまだ)[^。]{0,12}(ブロック|されて|され(へん|ん))",
    re.I,
)
GREETING_CHARS = 10  # longer than a hello, once the story is known: something told, not a greeting
CANDIDATE_CHARS = 6  # a quoted reply this long, asked about, is answered as words to send
_ADDING = re.compile(r"(足す|たす|付け足|つけたす|加え|書き足|添え)")  # …to the draft shown
_FUTURE = re.compile(
    r"来週|来月|明日|あした|あさって|明後日|になったら|(日|週間|ヶ月|か月)(後|目)|たとえば|例えば"
)
PREV_CHARS = 40  # a message this long is kept one turn, in case 「今のは送るやつ」 follows
DRINK_HOURS = timedelta(hours=12)  # drinking said this recently: driving soon is a worry
WORN_DOWN = ("not_eating", "sleepless", "drinking")  # two of these: the body's own alarm
BODY_FEELINGS = ("sleepless", "crying", "tired", "drinking", "not_eating", "grief")
TOLD = ("unclear", "other", "vent", "refused", "ghosted", "greeting", "thanks")
TOLD_OR_ASKED = (*TOLD, *ADVICE)
SHOWED_A_CARD = ("advice", "advice_or_ask", "situation", "answer", "more", "explain", "card")


def _digest(reply: Reply) -> str:
    text = reply.text if isinstance(reply, Text) else f"{reply.title}\n{reply.body}"
    return hashlib.blake2s(text.encode(), digest_size=8).hexdigest()


__all__ = ["Engine", "FrameReader", "Outcome", "Privacy", "Turn"]


def _story_time(frame: Frame, state: DialogueState) -> bool:
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
