"""Safety: the crisis conversation, the gentle phase after it, blocks and boundaries."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.content import AdviceCard
from bot.dialogue import ranking
from bot.dialogue.echo import echo_words, story_words
from bot.dialogue.handlers.base import DAYTIME, MORNING, Base, digest
from bot.dialogue.table import THEIR_MIND, home_phase
from bot.dialogue.turn import GENTLE_FOR, Turn
from bot.dialogue.types import Card, Choice, ScheduleCheckin, Text
from bot.nudge.review import morning_after

# The crisis_lines.yaml line for a health worry that is no crisis (not eating, not sleeping)
BODY_LINE = "こころの健康相談統一ダイヤル"


class SafetyHandlers(Base):
    def do_crisis(self, turn: Turn) -> None:
        """Warm, short, a line to call or chat with in the very first bubble (the chat line
        first for someone who says they cannot phone)."""
        again = turn.state.crisis_at is not None and turn.now - turn.state.crisis_at < GENTLE_FOR
        turn.state.crisis_at = turn.now
        chat_first = self._cannot_phone(turn)
        s = turn.state
        s.alone_said = s.alone_said or bool(turn.frame and turn.frame.alone)
        if turn.frame and turn.frame.self_harm:  # 「また腕やっちゃった」: told, not to be asked
            s.answered_at = turn.now  # the wound first, no blame, a line (chat first), 119
            said = self._variant(turn, "self_harm", 1 if again else 0)
            lines = self._crisis_lines(turn, chat_first=True, only_chat=chat_first)
            turn.out.replies.append(Text(f"{said}\n\n{lines}"))
            turn.out.choices = [self._button("btn_more_lines", "crisis:lines"),
                                self._button("btn_listen", "crisis:listen")]  # fmt: skip
            return
        if again:  # stay with them: ask directly, one line, never the same block twice
            at = s.answered_at  # asked and answered today: stay, not asked again
            answered = at is not None and turn.now - at < GENTLE_FOR
            asked = s.asked_at is not None and turn.now - s.asked_at < GENTLE_FOR
            if answered or (asked and s.asked_twice and s.alone_said):
                question = self._variant(turn, "crisis_stay", s.turn)
            elif asked and s.asked_twice:  # asked twice, no answer: who is near them tonight
                question = self._variant(turn, "crisis_again", 1)
            else:  # asked once more, in other words; never a third time
                question = self._variant(turn, "crisis_again", 0)
                s.asked_twice, s.asked_at = asked, turn.now
            lines = self._crisis_lines(turn, chat_first=chat_first, only_chat=chat_first)
            turn.out.replies.append(Text(f"{question}\n\n{lines}"))
            turn.out.choices = [self._button("btn_more_lines", "crisis:lines"),
                                self._button("btn_listen", "crisis:listen")]  # fmt: skip
            return
        s.asked_at = turn.now  # crisis_more asks it
        intro = self._variant(turn, "crisis_intro", turn.state.turn)
        lines = self._crisis_lines(turn, chat_first=chat_first)
        turn.out.replies.append(Text(f"{intro}\n\n{lines}"))
        self._say(turn, "crisis_more")
        turn.out.choices = [
            self._button("btn_more_lines", "crisis:lines"),
            self._button("btn_listen", "crisis:listen"),
        ]

    def do_chat_line(self, turn: Turn) -> None:
        """「チャットのやつは文字だけでいいのか」: yes, how, and the chat lines open now; 「親に
        連絡いったりする?」: no name is asked, so no one is told who they are."""
        family = turn.frame is not None and turn.frame.family_told
        young = _YOUNG.search(turn.text) is not None  # 「高校生でもつかえる?」: yes, any age
        small = _SMALL.search(turn.text) is not None  # 「この程度のことで電話していいのか」: yes
        self._say(turn, "chat_line_private" if family else "chat_line_young" if young
                  else "call_is_ok" if small else "chat_line_how")  # fmt: skip
        line = Text(self._crisis_lines(turn, chat_first=True, only_chat=True))
        if digest(line) not in turn.state.last_bubbles:  # just shown: not the same bubble again
            turn.out.replies.append(line)
        turn.state.no_phone = True

    def do_lines(self, turn: Turn) -> None:
        """「どこに相談すればいいの」: every line open now, the chat lines first for someone who
        said they cannot phone, and that we are still here."""
        self._say(turn, "crisis_lines_again")
        chat_first = self._cannot_phone(turn)
        turn.out.replies.append(
            Text(self._crisis_lines(turn, all_lines=True, chat_first=chat_first))
        )
        turn.out.choices = [self._button("btn_listen", "crisis:listen")]

    def do_alone(self, turn: Turn) -> None:
        """「ひとりだってば」「話せる人いない」 after a crisis message: stay, and a line to write
        to (the chat lines first: talking out loud may be the hard part)."""
        turn.state.alone_said = True
        self._say(turn, "gentle_alone")
        turn.out.replies.append(Text(self._crisis_lines(turn, chat_first=True)))
        turn.out.choices = [self._button("btn_listen", "crisis:listen")]

    def do_check_in(self, turn: Turn) -> None:
        """The model leaned to crisis without confidence: ask gently, with one line named."""
        self._say_with_line(turn, "check_in")
        turn.out.choices = [
            self._button("btn_more_lines", "crisis:lines"),
            *self._situation_choices(),
        ]

    def do_check_in_phone(self, turn: Turn) -> None:
        """「電話とかはいい」 to the direct question: no call needed; a line to write to, and the
        question asked once more, softly (a yes or no to it is read as before)."""
        turn.state.no_phone = True
        self._say(turn, "check_in_phone")
        turn.out.replies.append(Text(self._crisis_lines(turn, chat_first=True, only_chat=True)))

    def do_cut_urge(self, turn: Turn) -> None:
        """An urge to cut told again that night (「切りたいのどうしたら止まるの」): what gets
        people through the wave (it ebbs; the blade away; cold water or ice in the hand), the
        time already kept counted as strength, and a line to write to now."""
        s = turn.state
        s.crisis_at = turn.now
        turn.out.replies.append(Text(self._variant(turn, "cut_urge", s.turn)))
        if turn.previous_action not in LINES_SHOWN:  # just shown: not the same bubble again
            lines = self._crisis_lines(turn, chat_first=True, only_chat=s.no_phone)
            turn.out.replies.append(Text(lines))
        turn.out.choices = [self._button("btn_listen", "crisis:listen")]

    def do_gentle_drink(self, turn: Turn) -> None:
        """Drinking told on the night of a crisis message (「もう一本開けて寝ます」): named once,
        plainly (it deepens the night's feelings), with water and rest, and the bot still here."""
        turn.state.asked = [*turn.state.asked, "gentle_drink"]
        self._say(turn, "gentle_drink")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_urge_back(self, turn: Turn) -> None:
        """「明日の夕方とかまた行きたくなりそう」 once a boundary was named: the pull is normal,
        the answer is still no, and a plan for that hour (write here, someone asked to stop
        them), not the law again."""
        self._say(turn, "urge_back")
        turn.out.choices = self._menu(turn, situation=False)

    def do_check_in_unsure(self, turn: Turn) -> None:
        """「わかんない」「かも」 to 「消えたいと思うくらいつらい?」: a maybe is taken as one. Why
        it was asked, if they ask; the night stays gentle, with a line to write to."""
        s = turn.state
        s.answered_at = turn.now
        s.crisis_at = s.crisis_at or turn.now  # the day of care a maybe deserves
        asked_why = (turn.frame is not None and turn.frame.topic == "why") or "なんで" in turn.text
        key = "check_in_unsure_why" if asked_why else "check_in_unsure"
        self._say_with_line(turn, key, chat=True)  # the phrase names a line to write to
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines"),
                            self._button("btn_listen", "crisis:listen")]  # fmt: skip

    def do_check_in_open(self, turn: Turn) -> None:
        """「べつに」 to the direct question: no answer pressed for, no menu; still here."""
        turn.state.answered_at = turn.now
        self._say(turn, "check_in_open")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_gentle_answer(self, turn: Turn) -> None:
        """A question about the ex on a night of a crisis message: an honest short word (no one
        knows their mind), no tactics, and the night brought back to them."""
        self._say(turn, "gentle_answer")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_someone_home(self, turn: Turn) -> None:
        """Someone at home (「兄貴と住んでるけど言ってない」): not told is fine, and they may be
        woken if it gets too hard; the bot stays."""
        self._say(turn, "someone_home")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_still_here(self, turn: Turn) -> None:
        self._say(turn, "still_here")

    def do_gentle(self, turn: Turn) -> None:
        """After a crisis message: answer what they say, lines at hand, no tactics."""
        if self._cannot_phone(
            turn, now_only=True
        ):  # 「電話とかはちょっと無理…」: a line to write to
            self._say(turn, "crisis_chat_first")
            turn.out.replies.append(Text(self._crisis_lines(turn, chat_first=True, only_chat=True)))
        elif self._feeling(turn):
            self._reflect(turn)
        else:
            self._say(turn, "gentle")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    @staticmethod
    def _cannot_phone(turn: Turn, now_only: bool = False) -> bool:
        """Said now (or, unless `now_only`, earlier in this conversation): chat lines first."""
        said = turn.frame is not None and "phone_averse" in turn.frame.feelings
        turn.state.no_phone = turn.state.no_phone or said
        return said if now_only else turn.state.no_phone

    def do_crisis_yes(self, turn: Turn) -> None:
        """Yes to the direct question: stay, keep them safe now, a line to reach (chat first
        for someone who cannot phone), and 119 for immediate danger."""
        turn.state.answered_at = turn.now
        turn.state.crisis_at = turn.now
        chat_first = self._cannot_phone(turn)
        text = self._variant(turn, "crisis_yes", turn.state.turn)
        lines = self._crisis_lines(turn, chat_first=chat_first, only_chat=chat_first)
        turn.out.replies.append(Text(f"{text}\n\n{lines}"))
        turn.out.choices = [self._button("btn_more_lines", "crisis:lines"),
                            self._button("btn_listen", "crisis:listen")]  # fmt: skip

    def do_crisis_no(self, turn: Turn) -> None:
        """No to the direct question: believed, thanked, and still listened to. Said to have been
        a joke (「冗談って書いたじゃん」): sorry for the worry, and the night goes on as usual."""
        turn.state.answered_at = turn.now
        if turn.frame and turn.frame.joking:
            self._say(turn, "crisis_joke")
            turn.state.phase = home_phase(turn.state)
            return
        self._say(turn, "crisis_no")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_gentle_tonight(self, turn: Turn) -> None:
        """「朝までどうやって過ごしたら?」 after a crisis message: a small plan for tonight."""
        self._say(turn, "gentle_tonight")
        chat_first = self._cannot_phone(turn)
        turn.out.replies.append(Text(self._crisis_lines(turn, chat_first=chat_first)))
        turn.out.choices = [self._button("btn_listen", "crisis:listen")]

    def do_concern_no(self, turn: Turn) -> None:
        """「ううん、そこまでじゃない」 to the direct question: believe them, and keep listening;
        a no with 「たぶん」 is believed too, with the door left open and a line to write to."""
        if turn.frame is not None and turn.frame.hedged:
            self._say_with_line(turn, "concern_maybe")
        else:
            self._say(turn, "concern_no")

    def do_gentle_tomorrow(self, turn: Turn) -> None:
        """「明日、何かできることってありますか」 after a crisis message: one small thing, the
        doctor when it has lasted, and a line for when the night comes back."""
        self._say(turn, "gentle_tomorrow")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines"),
                            self._button("btn_listen", "crisis:listen")]  # fmt: skip

    def do_gentle_sorry(self, turn: Turn) -> None:
        """「同じことしか返ってこないな」 after a crisis message: said sorry, the questions stop
        (answered_at: the direct question is not asked again tonight), a line at hand."""
        turn.state.answered_at = turn.state.answered_at or turn.now
        frame = turn.frame
        if (
            frame
            and frame.ask
            and not frame.asks_advice
            and (len(frame.sentences) > 1 or frame.third_person or frame.topic in THEIR_MIND)
        ):  # 「質問してんだけど…思い出すと思う?」: that question answered, not 「それだけ?」
            self._say(turn, "gentle_sorry_unanswered")
            self._say(turn, "gentle_answer")
        else:
            self._say(turn, "gentle_sorry")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_gentle_goodbye(self, turn: Turn) -> None:
        """Goodnight after a crisis message, a line at hand; at night, once, a word in the
        morning offered (the morning after is when a counsellor would call back)."""
        self._say_with_line(turn, "gentle_goodbye")
        s = turn.state
        night = turn.now.astimezone(self.tz).hour not in DAYTIME
        offered = s.morning_asked_at is not None and turn.now - s.morning_asked_at < GENTLE_FOR
        # a draft held till morning comes back asking how they are: no second morning word
        held = s.held_until is not None and turn.now < s.held_until < turn.now + GENTLE_FOR
        if night and not offered and not held:
            s.morning_asked_at = turn.now
            self._say(turn, "morning_offer")
            turn.out.choices = [self._button("btn_morning_yes", "morning:yes"),
                                self._button("btn_morning_no", "morning:no")]  # fmt: skip

    def _morning_word(self, turn: Turn, wanted: bool) -> None:
        """The answer to the morning offer: a check-in held for the morning hour, or not."""
        if not wanted:
            self._say(turn, "morning_declined")
            return
        hour = self.nudge.rules.morning_hour  # the next one, not a day on like a held draft
        due = morning_after(turn.now.astimezone(self.tz), hour, min_gap=timedelta(minutes=1))
        turn.out.effects.append(ScheduleCheckin(due, self._phrase(turn, "morning_checkin")))
        self._say(turn, "morning_set", time=f"{hour}時")

    def do_gentle_back(self, turn: Turn) -> None:
        """Back after the night of a crisis message: glad, how today is, a line still at hand
        (no 「今夜」, no tactics)."""
        morning = turn.now.astimezone(self.tz).hour in MORNING
        if turn.frame and turn.frame.sorry_to_bot:
            self._say(turn, "no_sorry")
        if _WOKE.search(turn.text):  # 「ふつうに起きちゃった」 after a wish not to wake
            self._say(turn, "gentle_back_woke")
        else:
            self._say(turn, "gentle_back_morning" if morning else "gentle_back")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_body_worry(self, turn: Turn) -> None:
        """Not eating, not sleeping, drinking alone (two of them told): what they said, heard;
        that it is the body's alarm; a doctor and a line to talk to, said once a day; no
        question pressed on them."""
        if turn.frame and (
            words := story_words(turn.frame.text) or echo_words(turn.frame.felt_words)
        ):
            self._say(turn, "echo", words=words)
        line = next((x for x in self.content.crisis_lines if x.name == BODY_LINE), None)
        where = f"\n{line.name} {line.contact}({line.hours})" if line else ""
        turn.out.replies.append(Text(self._phrase(turn, "body_worry") + where))
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_doctor(self, turn: Turn) -> None:
        """「病院行ったほうがいい?」: yes, plainly, what to say there, and a line to talk to."""
        self._say(turn, "doctor_yes")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_no_sorry(self, turn: Turn) -> None:
        self._say(turn, "no_sorry")

    def do_gentle_no_tactics(self, turn: Turn) -> None:
        """No tactics on the night of a crisis message. A draft shown then is offered a hold:
        out of reach of a 3 a.m. send, and given back when they have rested."""
        draft = turn.frame.draft if turn.frame else None
        if draft and not turn.state.no_contact:
            turn.state.draft_text, turn.state.draft_reasons = draft, []
            self._say(turn, "gentle_hold_offer")
            turn.out.choices = [self._button("hold_morning", "hold:morning"),
                                self._button("hold_3d", "hold:3d"),
                                self._button("dont_send", "draft:drop"),
                                self._button("btn_lines_again", "crisis:lines")]  # fmt: skip
            return
        self._say(turn, "gentle_no_tactics")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_boundary(self, turn: Turn) -> None:
        turn.state.no_contact, turn.state.no_contact_by = True, "boundary"
        said = turn.state.boundary_said
        turn.state.boundary_said += 1
        kind = turn.frame.boundary_kind if turn.frame else None
        if kind is None and said and turn.state.boundary_told:  # 「みさきに渡してもらうって話」:
            kind = turn.state.boundary_told[-1]  # the plan already named, said shorter, no law
        if kind and f"boundary_{kind}" in self.content.phrases:
            # 「最寄り駅で待って話すだけ」: that plan named and answered; its first variant names
            # the law (for the plans the law names), asked again it is said without it
            told = turn.state.boundary_told.count(kind)
            turn.state.boundary_told.append(kind)
            variants = self.content.phrases[self._register(turn, f"boundary_{kind}")]
            what = variants[min(told, len(variants) - 1)]
            after = self._variant(turn, "boundary_after", said)
            turn.out.replies.append(Text(f"{what}\n{after}"))
        else:
            variants = self.content.phrases[self._register(turn, "boundary")]  # the law once;
            # then said shorter
            turn.out.replies.append(Text(variants[min(said, len(variants) - 1)]))
        if turn.frame and turn.frame.returning and kind != "gifts":  # 「傘を返すだけ」: the way
            # that asks nothing (a gift is no thing of theirs to give back)
            self._say(turn, "no_contact_return")
        if said == 0:
            self._own_days(turn)
        else:
            turn.out.choices = self._own_days_choices()

    def do_blocked(self, turn: Turn) -> None:
        turn.state.no_contact = True
        turn.state.no_contact_by = turn.state.no_contact_by or "blocked"
        self._say(turn, "blocked")
        if (
            turn.frame and turn.frame.ask
        ):  # 「ブロックされた…まだ可能性ある?」: answered, after a block
            ranked = self.index.rank(turn.frame.ask, turn.state, ("chance", "blocked"))
            best = next((m for m in ranked if m.card.after_block and m.similarity > 0), None)
            if best:  # only what holds after a block: no signs to look for, no contact
                self._block_card(turn, best.card)
        elif first := next((c for c in ranking.allowed(self.content.cards, turn.state)
                            if c.after_block and c.id not in turn.state.given), None):  # fmt: skip
            self._block_card(turn, first)  # what a block means for the hope, told once
        self._own_days(turn)

    def do_block_chance(self, turn: Turn) -> None:
        """Chance, asked after a block: the card for after a block, or its point again; never a
        sign to look for, never a countdown to contact."""
        card = next((c for c in self.content.cards.values() if c.after_block), None)
        if card is None:
            self._own_days(turn)
            return
        if card.id in turn.state.given:
            self._say(turn, "block_chance")
        else:
            self._block_card(turn, card)
        self._own_days(turn)

    def _block_card(self, turn: Turn, card: AdviceCard) -> None:
        turn.out.replies.append(Card(*card.view(turn.state.polite)))
        turn.state.last_card = card.id
        turn.state.given = [*turn.state.given, card.id]

    def do_no_contact(self, turn: Turn) -> None:
        """Any way to write to them after a block. A sorry they wish to give (「謝りたいだけ」)
        is met as the good wish it is, kept for now; the law is not said again."""
        if turn.frame and turn.frame.apology_wish:
            self._say(turn, "no_contact_apology")
            turn.out.choices = self._own_days_choices()
            return
        if turn.frame and turn.frame.returning:  # 「傘と本、郵送で返したい」: things alone, by post
            self._say(turn, "no_contact_return")
            turn.out.choices = self._own_days_choices()
            return
        frame = turn.frame
        if frame and not frame.draft and turn.intent == "want_contact":  # 「やっぱり送ろうかな」:
            self._say(turn, "no_contact_wish")  # a wish, not a message: no law for nothing done
            turn.out.choices = self._own_days_choices()
            return
        # after a plan that crossed a line (no block): no block or law named for a sorry
        self._say(
            turn, "no_contact_plan" if turn.state.no_contact_by == "boundary" else "no_contact"
        )
        self._own_days(turn)

    def do_means(self, turn: Turn) -> None:
        """Pills (or another means) at hand after a crisis message, told or asked about: yes,
        out of reach tonight, how, and a line to write to; said plainly, never as a question
        back (「薬、どうしたらいいんでしょう」 is answered)."""
        s = turn.state
        before, s.means_at = s.means_at, turn.now
        blade = _BLADE.search(turn.text)  # 「カッター」: named as what it is, never 「その薬」
        if turn.frame is not None and turn.frame.means_where and not blade:
            self._say(turn, "means_where")  # 「しまうってどこに?一人暮らしだから」: where, plainly
        else:
            self._say(turn, "means", what=blade.group() if blade else "その薬")
        drank = s.drinking_at is not None and turn.now - s.drinking_at < timedelta(hours=12)
        if drank and not blade and "means_drink" not in s.asked:  # pills and alcohol: once
            s.asked = [*s.asked, "means_drink"]
            self._say(turn, "means_drink")
        chat_first = self._cannot_phone(turn)
        if before is None or turn.now - before > GENTLE_FOR:  # the line once, not every time
            turn.out.replies.append(Text(self._crisis_lines(turn, chat_first=chat_first,
                                                            only_chat=chat_first)))  # fmt: skip
        turn.out.choices = [self._button("btn_listen", "crisis:listen")]

    def do_means_secured(self, turn: Turn) -> None:
        """「薬は引き出しの奥にしまっときます」: the step it is, said so; the bot stays."""
        self._say(turn, "means_secured")
        turn.out.choices = [self._button("btn_lines_again", "crisis:lines")]

    def do_lawyer(self, turn: Turn) -> None:
        """Lawyers in the story: a letter or a message to them goes by the lawyer first (it can
        change the talks); the wish to apologise is taken as real, and may be written here."""
        again = turn.previous_action == "lawyer"  # the whole answer first, then shorter
        turn.out.replies.append(Text(self._variant(turn, "lawyer", 1 if again else 0)))
        turn.out.choices = self._own_days_choices()

    def do_drink_drive(self, turn: Turn) -> None:
        """Drinking now and driving in a few hours: stop drinking, and no driving while any of
        it may be left; said before anything else, without a lecture."""
        self._say(turn, "drink_drive")

    def do_plan_dropped(self, turn: Turn) -> None:
        """A boundary plan given up (「家とか職場に行くのはやめとく」): said to be a good choice,
        the care in it named; never a card about something else."""
        self._say(turn, "plan_dropped")
        turn.out.choices = self._own_days_choices()

    def do_no_contact_reply(self, turn: Turn) -> None:
        self._say(turn, "no_contact_reply")
        turn.out.choices = self._own_days_choices()

    def _own_days(self, turn: Turn) -> None:
        self._say(turn, "own_days")
        turn.out.choices = self._own_days_choices()

    def _own_days_choices(self) -> list[Choice]:
        return [
            self._intent_choice("自分磨きのこと", "self_improvement"),
            self._intent_choice("気持ちを聞いて", "vent"),
            Choice(label="選択肢のひとつとして", data="card:refused_one_option",
                   display_text="選択肢のひとつとして"),
        ]  # fmt: skip

    def _crisis_lines(self, turn: Turn, all_lines: bool = False, chat_first: bool = False,
                      only_chat: bool = False) -> str:  # fmt: skip
        """The lines to reach, open ones only (a 10時〜22時 line is not named at 01:40)."""
        hour = turn.now.astimezone(self.tz).hour
        lines = [line for line in self.content.crisis_lines if _open(line.hours, hour)]
        lines = lines or list(self.content.crisis_lines)
        if chat_first:
            lines.sort(key=lambda line: line.kind == "phone")  # stable: the file's order otherwise
        if only_chat:
            lines = [line for line in lines if line.kind != "phone"] or lines
        lines = lines if all_lines else lines[:2]
        out = []
        for line in lines:
            mark = "📞" if line.kind == "phone" else "💬"
            note = f"・{line.note}" if line.note else ""
            out.append(f"{mark} {line.name} {line.contact}({line.hours}{note})")
        return "\n".join(out)


_HOURS = re.compile(r"(\d{1,2})\s*時\s*[〜~\-ー]\s*(\d{1,2})\s*時")


def _open(hours: str, hour: int) -> bool:
    """Open at this hour, by the line's `hours` (「10時〜22時」); unknown hours count as open."""
    m = _HOURS.search(hours)
    if not m:
        return True
    start, end = int(m.group(1)), int(m.group(2))
    return start <= hour < end if start < end else hour >= start or hour < end


_WOKE = re.compile(r"(起き|おき|目が覚め|めがさめ)(ちゃった|ちゃいました|てしまった|てもうた|た)")
_SMALL = re.compile(
    r"この程度|こんなこと|こんな事|これくらい|このくらい|こんな理由|大したこと|たいしたこと"
)
_YOUNG = re.compile(r"高校生|中学生|中高生|未成年|学生|子ども|子供")
LINES_SHOWN = ("means", "chat_line", "cut_urge")  # rows whose reply ends with the chat line(s)

# Means named by what they are (the means phrase says 「{what}を…」): blades, not pills.
_BLADE = re.compile(r"カッター|かみそり|カミソリ|剃刀|刃物|包丁|ナイフ|ロープ")
