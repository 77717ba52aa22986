"""The dialogue engine: `(state, incoming, now) -> Outcome`. Pure: no I/O, no LINE, no clock.

Text is read into a frame (`bot.nlu.frame`); its facts update the story, its request or intent
picks a row of the transition table (`table.py`), and the action composes replies from
content/. Postbacks (buttons) name their action directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.content import Content, require_phrases
from bot.dialogue.handlers.advice import AdviceHandlers
from bot.dialogue.handlers.base import LISTENING, digest, once_each, said_back
from bot.dialogue.handlers.drafts import DraftHandlers
from bot.dialogue.handlers.erase import EraseHandlers
from bot.dialogue.handlers.safety import SafetyHandlers
from bot.dialogue.handlers.talk import Privacy, TalkHandlers
from bot.dialogue.policy import MAX_SINCE, Decision, decide, story_time
from bot.dialogue.ranking import CardIndex, answer_examples
from bot.dialogue.state import DialogueState, Phase
from bot.dialogue.table import SITUATIONS, home_phase, lookup
from bot.dialogue.turn import (
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
    Text,
    TextIn,
)
from bot.nlu.drafts import removal, remove_part
from bot.nlu.durations import agreed_wait, is_bare_duration
from bot.nlu.frame import Frame
from bot.nlu.lexicon import Lexicon
from bot.nlu.model import IntentModel
from bot.nlu.normalize import normalize
from bot.nlu.safety import SAFETY_INTENTS
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
    "boundary_after", "why_wait", "why_wait_general", "why_wait_again", "gentle_tomorrow", "gentle_sorry", "listen_again", "sorry_missed", "about_operator",
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
            if digest(r) not in last or (isinstance(r, Text) and any(c in r.text for c in lines))
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
            turn.out.state.last_bubbles = [digest(r) for r in turn.out.replies]

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
                and story_time(frame, turn.state)
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
        """The row of the table to run: the first of the policy's checks that has one."""
        return decide(Decision(self, turn, frame, intent))

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
        s.told = sorted({*s.told, *frame.said})  # 「夜って言ったじゃん」: not asked again
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
            and story_time(frame, s)
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
            and story_time(frame, s)
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


CASUAL_CHARS = 15  # a message this long without です・ます ends the polite register
SHORT_TOLD = 30  # 「もう3ヶ月たつけどね」: a short message with a time, mid-story, tells the time
MOVES_ON = ("advice", "advice_or_ask", "answer", "situation", "more", "explain", "ask_erase",
            "erase", "draft", "hold_request")  # fmt: skip
ACK_ONLY = 40  # what is left of a reply this short is an ack, not the answer asked for
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
PREV_CHARS = 40  # a message this long is kept one turn, in case 「今のは送るやつ」 follows


__all__ = ["Engine", "FrameReader", "Outcome", "Privacy", "Turn"]
