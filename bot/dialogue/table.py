"""The state machine as one table: (phase, intent) → (action, next phase).

Lookup order, like python-telegram-bot's ConversationHandler: `ALWAYS` (safety and erasure
outrank everything), then the phase's own row, then `DEFAULT`. `to=None` means "home": the
phase the user's situation implies (see `home_phase`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dialogue.state import DialogueState, Phase

ADVICE = ("why", "chance", "what_to_do", "cooling", "self_improvement", "ng_actions",
          "got_reply", "new_partner")  # fmt: skip
SITUATIONS = ("refused", "ghosted", "paused")  # the stories a user can choose from the menu
THEIR_MIND = ("why", "chance", "new_partner")  # questions only the ex could answer


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    to: Phase | None = None  # None: home phase


ALWAYS: dict[str, Step] = {
    "crisis": Step("crisis", Phase.GENTLE),
    "stalking_risk": Step("boundary", Phase.NO_CONTACT),
    "blocked": Step("blocked", Phase.NO_CONTACT),
    "delete_data": Step("ask_erase", Phase.CONFIRM_ERASE),
    "request:erase": Step("ask_erase", Phase.CONFIRM_ERASE),
}

# Requests to the bot itself (the frame's `request`), keyed `request:<name>`.
REQUESTS: dict[str, Step] = {
    "request:hold": Step("hold_request"),
    "request:cancel_hold": Step("cancel"),
    "request:show_held": Step("show_held"),
    "request:keep_data": Step("keep_data"),
    "request:listen": Step("listen"),
    "request:about_bot": Step("about_bot"),
    "request:stay": Step("stay"),
    "decided": Step("decided"),
    "request:review": Step("draft", Phase.REVIEWING_DRAFT),
}

DEFAULT: dict[str, Step] = {
    "greeting": Step("greeting"),
    "help": Step("help"),
    "thanks": Step("thanks"),
    "refused": Step("situation"),
    "ghosted": Step("situation"),
    "paused": Step("situation"),  # 「距離置きたいって言われた」: not broken up, time asked for
    **{intent: Step("advice") for intent in ADVICE},
    "want_contact": Step("want_contact"),
    "draft": Step("draft", Phase.REVIEWING_DRAFT),
    "vent": Step("vent"),
    "cancel": Step("cancel"),
    "other": Step("other"),
    "unclear": Step("clarify"),
    # rows the policy picks from the frame (policy.py), not intents of the contract
    "answer": Step("answer"),  # an in-domain question: the card that answers it
    "more": Step("more"),  # 「もっと」「うん」 after a card: the next one in its chain
    "explain": Step("explain"),  # 「それってどういうこと?」: the point again, shorter
    "reflect": Step("reflect"),  # listening: name the feeling, ask, no cards
    "check_in": Step("check_in"),  # concern: ask directly and gently
    "check_in_phone": Step("check_in_phone"),  # 「電話とかはいい」: no call needed, asked again
    "check_in_open": Step("check_in_open"),  # 「べつに」: no answer pressed for, stayed with
    "check_in_unsure": Step("check_in_unsure", Phase.GENTLE),  # 「わかんない」: a maybe, kept safe
    "gentle_answer": Step("gentle_answer", Phase.GENTLE),  # a question about the ex, honestly
    "gentle_no_tactics": Step("gentle_no_tactics", Phase.GENTLE),  # 「送っていい?」: not tonight
    "later_agreed": Step("later_agreed", Phase.REVIEWING_DRAFT),  # 「朝にする」: agreed
    "sent_told": Step("sent_told"),  # 「送ったよ〜」 after the draft came back: the next step
    "they_want_back": Step("they_want_back"),  # the ex asks to come back: the user decides
    "not_your_fault": Step("not_your_fault"),  # 「浮気されても仕方ないの?」: no, said plainly
    "cut_urge": Step("cut_urge", Phase.GENTLE),  # an urge to cut again: through the wave
    "gentle_drink": Step("gentle_drink", Phase.GENTLE),  # drinking that night: named, once
    "urge_back": Step("urge_back"),  # 「また行きたくなりそう」 after a boundary: a plan for then
    "straight_chance": Step("straight_chance"),  # 「あるかないかで答えて」: not sure, not zero
    "still_here": Step("still_here"),  # 「もう終わり?」: not over
    "someone_home": Step("someone_home"),  # after a crisis message: someone is at home
    "warning_sorry": Step("warning_sorry"),  # hurt by a boundary warning: sorry for the words
    "say_wished": Step("say_wished"),  # 「…って言ってほしかった」: those kind words, said
    "lecture_sorry": Step("lecture_sorry"),  # 「説教されてる気分」 after advice: sorry
    "doctor": Step("doctor"),  # 「病院行ったほうがいい?」: yes, what to say there, a line
    "body_worry": Step("body_worry"),  # not eating, not sleeping, drinking: a doctor, a line
    "go_ahead": Step("go_ahead"),  # 「聞きたいことある」: ask away
    # 「送るべき?」 about the draft shown: answered straight (the one under review stays so)
    "send_or_not": Step("send_or_not", Phase.REVIEWING_DRAFT),
    "send_or_not_held": Step("send_or_not"),
    "how_long": Step("how_long"),  # 「それっていつまで?」 after a draft review: the wait's card
    "since": Step("since"),  # a duration told later or corrected
    "broke_up": Step("broke_up"),  # 「振られた」: heard, then which story it is
    "gentle_sorry": Step("gentle_sorry", Phase.GENTLE),  # after a crisis: sorry, and stay
    "not_that": Step("not_that"),  # 「そういうことじゃなくて」: sorry, another try or a question
    "block_chance": Step("block_chance"),  # chance, asked after a block
    "chat_line": Step("chat_line", Phase.GENTLE),  # how the chat line works
    "lines": Step("lines"),  # 「どこに相談すればいいの」: the lines open now
    "retime": Step("retime"),  # the held draft comes back at another time
    "normalize": Step("normalize"),  # 「こんなふうになるのって変?」: it is not
    "alone": Step("alone", Phase.GENTLE),  # after a crisis message: no one with them tonight
    "erase_explain": Step("erase_explain", Phase.CONFIRM_ERASE),  # what erasing means
    "erase_confirmed": Step("erase_confirmed"),  # 「うん、消して」 typed to the erase question
    "unsent_ok": Step("unsent_ok"),  # 「送らないからここに書いていい?」: yes
    "unsent_letter": Step("unsent_letter"),  # the letter, received
    "concern_no": Step("concern_no"),  # 「ううん、そこまでじゃない」
    "gentle_tonight": Step("gentle_tonight"),  # how to get through tonight
    "why_wait": Step("why_wait"),  # 「なんで今送ったらあかんの?」: the draft's reasons again
    "gentle_tomorrow": Step("gentle_tomorrow"),  # the day after a hard night, small
    "gentle_back": Step("gentle_back", Phase.GENTLE),  # back the morning after a crisis night
    "no_sorry": Step("no_sorry"),  # 「夜中にごめんね」: sorry for talking here; no need
    "wait_agreed": Step("wait_agreed"),  # 「ほな16日な」: the wait agreed to
    "draft_edit": Step("draft_edit", Phase.REVIEWING_DRAFT),  # 「…は消す」: that part out
    "ended_ack": Step("ended_ack"),  # 「うちが振った側」: they ended it; heard as that
    "plan_dropped": Step("plan_dropped"),  # 「家に行くのはやめとく」: a good choice, said so
    "means": Step("means", Phase.GENTLE),  # pills at hand: out of reach tonight, said plainly
    "means_secured": Step("means_secured", Phase.GENTLE),  # 「しまっときます」: the step it is
    "drink_drive": Step("drink_drive"),  # drinking, driving at 5: no driving on it
    "no_contact_returning": Step("no_contact", Phase.NO_CONTACT),  # things back, by post
    "no_contact_sorry": Step("no_contact", Phase.NO_CONTACT),  # a sorry wished for: kept here
    "lawyer": Step("lawyer"),  # lawyers in it: writing to them goes by the lawyer first
    "their_life": Step("their_life"),  # 「生きてるか知りたい」: how to check they are safe
    "share_joy": Step("share_joy"),  # 「もっと喜んでよ」: glad with them
    "contact_ok": Step("contact_ok"),  # 「もう送っていい時期?」: yes or not yet, by the days
    "situation_unsaid": Step("situation_unsaid"),  # 「断られてないってば」: sorry, which story?
    "moving_on": Step("moving_on"),  # 「戻りたいわけじゃない」: heard; the reunion drill set aside
    "crisis_yes": Step("crisis_yes", Phase.GENTLE),  # 「うん」 to 「自分を傷つけたい気持ちはある?」
    "crisis_no": Step("crisis_no", Phase.GENTLE),  # 「それはしない」
    **REQUESTS,
}

BY_PHASE: dict[Phase, dict[str, Step]] = {
    Phase.START: {
        # Advice that depends on the situation waits for it (the question is kept).
        **{intent: Step("advice_or_ask") for intent in ADVICE},
    },
    Phase.ASKED_SITUATION: {
        **{intent: Step("advice_or_ask") for intent in ADVICE},
    },
    Phase.NO_CONTACT: {
        "want_contact": Step("no_contact", Phase.NO_CONTACT),
        "draft": Step("no_contact", Phase.NO_CONTACT),
        "got_reply": Step("no_contact_reply", Phase.NO_CONTACT),
        "request:hold": Step("no_contact", Phase.NO_CONTACT),
        "request:review": Step("no_contact", Phase.NO_CONTACT),
    },
    Phase.GENTLE: {
        # No tactics until the user moves on: feelings and drafts get care, not strategy.
        "vent": Step("gentle", Phase.GENTLE),
        "other": Step("gentle", Phase.GENTLE),
        "unclear": Step("gentle", Phase.GENTLE),
        "greeting": Step("gentle", Phase.GENTLE),
        "cancel": Step("gentle", Phase.GENTLE),  # 「やっぱ朝こなくていい」: no reminder to cancel
        # Asking how to get through the night gets a small plan for tonight; the story told
        # without a question is listened to (policy.py), a question moves on.
        "what_to_do": Step("gentle_tonight", Phase.GENTLE),
        "thanks": Step("gentle_goodbye", Phase.GENTLE),
        "want_contact": Step("gentle_no_tactics", Phase.GENTLE),
        "draft": Step("gentle_no_tactics", Phase.GENTLE),
    },
    Phase.CONFIRM_ERASE: {
        # 「やっぱやめとく」 answers the erase question: keep everything (never "cancel the
        # held draft", which would erase the one thing they just chose to keep).
        "cancel": Step("keep_data"),
        "request:cancel_hold": Step("keep_data"),
    },
    Phase.AWAITING_DRAFT: {
        # Whatever comes next is the draft (unless a safety rule or a request spoke first).
        **{
            intent: Step("draft", Phase.REVIEWING_DRAFT)
            for intent in DEFAULT
            if intent != "cancel" and intent not in REQUESTS
        },
    },
}


def home_phase(state: DialogueState) -> Phase:
    if state.no_contact:
        return Phase.NO_CONTACT
    return Phase.ADVISING if state.situation else Phase.START


def lookup(phase: Phase, intent: str) -> Step:
    return (
        ALWAYS.get(intent)
        or BY_PHASE.get(phase, {}).get(intent)
        or DEFAULT.get(intent)
        or DEFAULT["other"]
    )
