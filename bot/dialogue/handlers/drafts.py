"""Drafts for the ex: the nudge, holding a draft overnight, what is held, the morning's
outcome, the cooling period."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.dialogue.handlers.base import MORNING, Base, format_when
from bot.dialogue.state import DialogueState, Phase
from bot.dialogue.table import home_phase
from bot.dialogue.turn import COOLING_DAYS, EVENING_HOUR, GENTLE_FOR, MAX_HOLD, Turn
from bot.dialogue.types import (
    CancelHeld,
    Choice,
    Held,
    HoldDraft,
    ResolveDraft,
    ScheduleCheckin,
    Text,
)
from bot.nlu.drafts import draft_or_whole, within
from bot.nlu.durations import days_ahead
from bot.nlu.normalize import normalize
from bot.nlu.sentences import find_quotes
from bot.nudge.review import Context, Verdict, morning_after

MAX_FILL_IN = 300  # LINE's limit for a postback's fillInText
MARKS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫"  # 預けた下書き: a button each, and one for all (≤ 13 quick replies)
MAX_LISTED = len(MARKS)


# Reasons about when, not about what the draft says.
TIME_SIGNALS = frozenset({"late_night", "cooling", "repeated"})


class DraftHandlers(Base):
    def do_draft_ask(self, turn: Turn) -> None:
        if turn.state.no_contact:
            self.do_no_contact(turn)
            return
        self._say(turn, "draft_ask")
        turn.state.phase = Phase.AWAITING_DRAFT

    def do_draft(self, turn: Turn) -> None:
        """A message meant for the ex: review it, say why to wait (quoting it), and offer to
        hold it until morning. The bot never sends anything to the ex."""
        s = turn.state
        if s.no_contact:
            self.do_no_contact(turn)
            return
        marked = turn.frame.draft if turn.frame else None
        draft = draft_or_whole(turn.text) if s.phase is Phase.AWAITING_DRAFT else marked
        shown = s.draft_text or s.held_text
        if not draft and s.draft_text and turn.frame and turn.frame.draft_was:
            draft = s.draft_text  # 「今のは下書きです」: the message before, reviewed in full
        if (
            not draft
            and shown
            and turn.frame
            and (turn.frame.request == "review" or turn.about_draft)
        ):
            self._review_again(turn, shown)  # 「中身はどう?長すぎない?」 about the one shown
            return
        if not draft:  # asked about a draft without showing one
            self.do_draft_ask(turn)
            return
        recent = tuple(t for t in s.draft_times if turn.now - t <= timedelta(hours=12))
        if turn.edit:  # the same draft with a part taken out: not one more draft
            recent = recent[:-1]
        verdict = self._review(turn, draft, recent=recent)
        s.draft_times = [*recent, turn.now][-10:]
        if verdict.block:
            s.no_contact, s.no_contact_by = True, s.no_contact_by or "blocked"
            self.do_no_contact(turn)
            return
        s.draft_text, s.draft_reasons = draft, list(verdict.reasons)
        s.phase = Phase.REVIEWING_DRAFT
        rewritten = s.night_passed_at is not None and turn.now - s.night_passed_at < AFTER_NIGHT
        if rewritten and verdict.wait:  # rewritten in the morning, after a night held: the words,
            words = [f"・{r}" for sig, r in zip(verdict.signals, verdict.reasons, strict=False)
                     if sig not in TIME_SIGNALS]  # fmt: skip
            self._say(
                turn,
                "rewrite_reviewed",  # not 「一晩置いてから」 once more
                reasons="\n".join(words) or f"・{self._phrase(turn, 'nudge_words_ok')}",
            )
            turn.out.choices = self._hold_choices(turn.state, turn.now)
            return
        if verdict.wait:
            lines = [f"・{r}" for r in verdict.reasons]
            if not set(verdict.signals) - {"late_night", "repeated"}:  # only the hour: say so
                lines.append(f"・{self._phrase(turn, 'nudge_words_ok')}")
            self._say(turn, "nudge_wait", reasons="\n".join(lines))
            assert verdict.remind_at is not None
            self._say(turn, "nudge_offer", time=format_when(verdict.remind_at))
        else:
            self._say(turn, "nudge_pass", tip=verdict.tip or "")
        turn.out.choices = self._hold_choices(turn.state, turn.now)

    def _review_again(self, turn: Turn, draft: str) -> None:
        """The draft already shown, looked at again for its words: what may weigh on the other
        person, or that it reads light. Nothing held or changed. 「「返事はいらない」は突き放して
        見える?」: those words answered (the advice asks for them), not the whole review again."""
        parts = [q.text for q in find_quotes(turn.text) if within(q.text, draft)]
        quoted = (
            parts[-1] if parts else ""
        )  # 「「返事待ってます」は消す。じゃあ「…」は?」: the last
        if _NO_REPLY_ASKED.search(quoted):
            self._say(turn, "wording_no_reply")
            return
        # 「「好きじゃないならはっきり言ってほしい」ってところはどう?」: that part, not the whole
        verdict = self._review(turn, quoted or draft)
        words = [
            r
            for sig, r in zip(verdict.signals, verdict.reasons, strict=False)
            if sig not in TIME_SIGNALS
        ]  # fmt: skip  (「重くない?」 asks about the words)
        if words:
            reasons = "\n".join(f"・{r}" for r in words)
            self._say(turn, "review_again", reasons=reasons)
        else:
            self._say(turn, "review_again_light")

    def _review(self, turn: Turn, draft: str, recent: tuple[datetime, ...] = (),
                no_contact: bool = False) -> Verdict:  # fmt: skip
        """The nudge's verdict on a draft, with what the story knows (the wait, a new partner)."""
        s = turn.state
        return self.nudge.review(draft, turn.now, Context(
            no_contact=no_contact, recent_drafts=recent,
            cooling_days_left=self._wait_left(s, turn.now), new_partner=s.new_partner,
            polite=s.polite))  # fmt: skip

    def do_draft_edit(self, turn: Turn) -> None:
        """「返事待ってるねは消す」「飯の話は消すわ」: that part taken out of the draft shown,
        the new draft said back and reviewed (not counted as one more draft); with 「…消したやつ
        預かって」, held as it is now."""
        edit = turn.edit
        assert edit is not None and turn.frame is not None
        self._say(turn, "draft_edited", what=edit.removed)
        turn.out.replies.append(Text(edit.draft))  # what is left, to read as it would arrive
        turn.frame = replace(turn.frame, draft=edit.draft)
        if edit.hold:
            turn.state.draft_text = edit.draft
            self._hold(turn, "morning", {})
            return
        self.do_draft(turn)

    def do_send_or_not(self, turn: Turn) -> None:
        """「送るべき?送らんべき?」「今朝送ってもいいものでしょうか」 about the draft already
        shown: a straight answer for it, now. Not now (its words, or a block, or a new partner),
        later (only the hour or the wait), or yes (and no chasing after it)."""
        s = turn.state
        draft = s.draft_text or s.held_text or ""
        verdict = self._review(turn, draft, no_contact=s.no_contact)
        pairs = list(zip(verdict.signals, verdict.reasons, strict=False))
        words = [r for sig, r in pairs if sig not in TIME_SIGNALS]
        if words:
            self._say(turn, "send_not_now", reasons="\n".join(f"・{r}" for r in words[:2]))
        elif verdict.wait:
            self._say(turn, "send_later", reason=pairs[0][1],
                      time=format_when(verdict.remind_at or turn.now))  # fmt: skip
        else:
            self._say(turn, "send_ok")
        if s.draft_text:
            turn.out.choices = self._hold_choices(s, turn.now)

    def do_why_wait(self, turn: Turn) -> None:
        """「なんで今送ったらあかんの?朝まで待ったって何が変わるん」: why, said for this draft
        (its reasons) and in general; holding stays their choice, nothing is held unasked."""
        s = turn.state
        if self._feeling(turn):  # 「責めてんだよ。向こうが裏切ったんだぞ」: the anger first
            self._reflect(turn, ask=False)
        reasons = "\n".join(f"・{r}" for r in s.draft_reasons)
        if turn.previous_action == "why_wait":  # asked again: not the same list a second time
            self._say(turn, "why_wait_again")
        elif reasons:
            self._say(turn, "why_wait", reasons=reasons)
        else:
            self._say(turn, "why_wait_general")
        if s.draft_text:
            turn.out.choices = self._hold_choices(s, turn.now)
            s.phase = Phase.REVIEWING_DRAFT

    def do_hold_request(self, turn: Turn) -> None:
        """「朝まで預かって」: hold the draft under review (or the one in this message) until
        the morning; with nothing to hold yet, ask for it."""
        s = turn.state
        if s.no_contact:
            self.do_no_contact(turn)
            return
        draft = turn.frame.draft if turn.frame else None
        if draft and draft != s.draft_text:
            verdict = self._review(turn, draft)
            if verdict.block:
                s.no_contact, s.no_contact_by = True, "blocked"
                self.do_no_contact(turn)
                return
            s.draft_text, s.draft_reasons = draft, list(verdict.reasons)
        if s.draft_text is None and s.holding(turn.now):
            when = format_when(s.held_until.astimezone(self.tz))
            self._say(turn, "already_held", time=when)  # 「朝まで寝かせてみる」: it is held
            return
        if s.draft_text is None:
            self.do_draft_ask(turn)
            return
        at = self._typed_time(turn.text or "", turn)  # 「1ヶ月後まで預かって」「18時まで」
        if at:
            self._hold(turn, "pick", {"datetime": at})
        else:
            self._hold(turn, "morning", {})

    def do_retime(self, turn: Turn) -> None:
        """「やっぱり17時にして」 with a draft held: the same draft held again for that time."""
        s = turn.state
        s.draft_text, s.draft_reasons = s.held_text, []
        # only that draft is called off (another held one keeps its time)
        same = [h.draft_id for h in turn.held or () if h.text == s.held_text]
        turn.out.effects.append(CancelHeld(same[0] if len(same) == 1 else None))
        s.held_until = None
        self._hold(turn, "pick", {"datetime": turn.retime_at or ""}, key="held_retimed")

    def do_show_held(self, turn: Turn) -> None:
        s = turn.state
        nothing = not turn.held if turn.held is not None else not (
            s.holding(turn.now)
        )  # fmt: skip
        if nothing and s.draft_text and not s.no_contact:
            self._hold(turn, "morning", {})  # 「朝に返してくれるんだよね?」 of the draft reviewed
            return
        if turn.held is not None:
            self._list_held(turn, turn.held)
            return
        if s.holding(turn.now):
            self._say(turn, "held_show", time=format_when(s.held_until.astimezone(self.tz)))
            if s.held_text:
                turn.out.replies.append(
                    Text(
                        self.content.phrase("held_text").format(text=s.held_text.strip("「」『』 "))
                    )
                )
            turn.out.choices = [Choice(label=self.content.phrase("btn_cancel_held"),
                                       data="held:cancel",
                                       display_text=self.content.phrase("btn_cancel_held"))]  # fmt: skip
        else:
            self._say(turn, "nothing_held")

    def _list_held(self, turn: Turn, held: tuple[Held, ...]) -> None:
        """預けた下書き: each held draft with the time it comes back, and a button to call off
        each one (its postback names the draft), or all of them."""
        if not held:
            self._say(turn, "nothing_held")
            return
        p = self.content.phrase
        shown = held[:MAX_LISTED]
        self._say(turn, "held_list", count=len(held))
        items = [
            p("held_item").format(mark=MARKS[n], time=self._when(h.due_at),
                                  text=h.text.strip("「」『』 "))
            for n, h in enumerate(shown)
        ]  # fmt: skip
        turn.out.replies.append(Text("\n\n".join(items)))
        turn.out.choices = [
            Choice(label=p("btn_cancel_one").format(mark=MARKS[n]), data=f"held:cancel:{h.draft_id}",
                   display_text=p("btn_cancel_one").format(mark=MARKS[n]))
            for n, h in enumerate(shown)
        ]  # fmt: skip
        if len(held) > 1:
            label = p("btn_cancel_held")
            turn.out.choices.append(Choice(label=label, data="held:cancel", display_text=label))

    def _cancel_one(self, turn: Turn, arg: str) -> None:
        """Call off one held draft (from 預けた下書き); the others stay held."""
        s = turn.state
        held = turn.held or ()
        target = next((h for h in held if arg.isdigit() and h.draft_id == int(arg)), None)
        if target is None:  # given back already, called off, or not this user's
            self._say(turn, "held_gone")
            return
        turn.out.effects.append(CancelHeld(target.draft_id))
        rest = [h for h in held if h is not target]
        s.held_until = max((h.due_at for h in rest), default=None)
        if s.held_text == target.text or not rest:
            s.held_text = None  # the copy kept to show it is this one's
        self._say(turn, "cancelled_one", time=self._when(target.due_at))

    def _when(self, at: datetime) -> str:
        return format_when(at.astimezone(self.tz))

    def do_cancel(self, turn: Turn) -> None:
        s = turn.state
        if s.draft_text is not None and s.holding(turn.now) and _HELD_NAMED.search(turn.text):
            s.draft_text, s.draft_reasons = None, []  # 「さっき預けたやつだけ消して」: the held
            # one is meant, not the draft under review (that one is let go too, unsaid)
        if s.draft_text is None and turn.held is not None and len(turn.held) > 1:
            self._list_held(turn, turn.held)  # 「さっきの変なやつは消しといて」: which one, asked
            return
        if s.draft_text is not None:
            s.draft_text = None
            self._say(turn, "draft_not_held")
        elif s.holding(turn.now):
            turn.out.effects.append(CancelHeld())
            s.held_until = s.held_text = None
            self._say(turn, "cancelled")
        else:
            self._say(turn, "nothing_held")

    def _hold_choices(self, state: DialogueState, now: datetime) -> list[Choice]:
        p = self.content.phrase
        suggested, earliest, latest = self._picker_bounds(now)
        return [
            Choice(label=p("hold_morning"), data="hold:morning", display_text=p("hold_morning")),
            Choice(label=p("hold_evening"), data="hold:evening", display_text=p("hold_evening")),
            Choice(label=p("hold_3d"), data="hold:3d", display_text=p("hold_3d")),
            Choice(
                label=p("hold_pick"),
                data="hold:pick",
                pick_datetime=True,
                initial=f"{suggested:%Y-%m-%dT%H:%M}",
                min=f"{earliest:%Y-%m-%dT%H:%M}",
                max=f"{latest:%Y-%m-%dT%H:%M}",
            ),
            self._rewrite_choice(state.draft_text),
            Choice(label=p("dont_send"), data="draft:drop", display_text=p("dont_send")),
        ]

    def _rewrite_choice(self, draft: str | None) -> Choice:
        """「書き直す」: opens the keyboard with the draft in it, to edit rather than retype;
        over LINE's 300 for fillInText, a plain postback that asks for the draft again."""
        label = self.content.phrase("rewrite")
        if draft and len(draft.encode("utf-16-le")) // 2 <= MAX_FILL_IN:
            return Choice(label=label, data="draft:rewrite:keyboard", display_text=label,
                          fill_in_text=draft)  # fmt: skip
        return Choice(label=label, data="draft:rewrite", display_text=label)

    def _typed_time(self, text: str, turn: Turn) -> str | None:
        """「18時にして」「明日の夜9時で」「1ヶ月後まで」 while a draft waits: the picker's value,
        typed. A length (「来週」「1ヶ月後」) comes back that morning, at most the hold's limit."""
        norm = normalize(text)
        if fixed := _INSTEAD.search(norm):  # 「明日の朝じゃなくて、3日くらい」: what comes after
            norm = norm[fixed.end() :]
        if (days := days_ahead(norm)) is not None:
            local = turn.now.astimezone(self.tz)
            _, _, latest = self._picker_bounds(turn.now)
            at = local.replace(hour=self.nudge.rules.morning_hour, minute=0, second=0,
                               microsecond=0) + timedelta(days=days)  # fmt: skip
            if at > latest:  # past the hold's limit: the last morning before it
                at = at.replace(year=latest.year, month=latest.month, day=latest.day)
                at -= timedelta(days=1) if at > latest else timedelta(0)
            return at.strftime("%Y-%m-%dT%H:%M")
        m = _TYPED_TIME.search(norm)
        if (wd := _WEEKDAY.search(norm)) and not _DAY_OF_MONTH.search(
            norm[: m.start() + 1] if m else norm
        ):
            local = turn.now.astimezone(self.tz)  # 「土曜の朝まで」: the next Saturday morning
            ahead = ("月火水木金土日".index(wd.group(2)) - local.weekday()) % 7
            ahead = ahead or (0 if local.hour < DAWN else 7)  # Saturday 1 a.m.: this morning
            ahead += 7 if wd.group(1) and ahead < 7 - local.weekday() else 0  # 「来週の月曜」
            hour = self.nudge.rules.morning_hour
            if m:
                hour = int(m.group(2)) + (12 if m.group(1) in ("夜", "午後", "夕方")
                                          and int(m.group(2)) < 12 else 0)  # fmt: skip
            elif "夜" in norm[wd.end() : wd.end() + 4]:
                hour = EVENING_HOUR
            if hour > 23:
                return None
            day = local.date() + timedelta(days=ahead)
            return datetime.combine(day, time(hour), tzinfo=self.tz).strftime("%Y-%m-%dT%H:%M")
        if not m and (w := _TIME_WORD.search(norm)):  # 「今日の夕方まで」「明日のお昼に」
            local = turn.now.astimezone(self.tz)
            at = local.replace(hour=_WORD_HOURS[w.group(2)], minute=0, second=0, microsecond=0)
            if w.group(1) in ("明日", "あした", "あす") and at.date() == local.date():
                at += timedelta(days=1)
            if at <= local:
                at += timedelta(days=1)
            return at.strftime("%Y-%m-%dT%H:%M")
        if (
            not m and _DATE_SAID.search(norm) and (d := _DATE_WORD.search(norm))
        ):  # 「12月24日の朝な」
            hour = {"夜": EVENING_HOUR, "昼": 12, "お昼": 12, "夕方": 17}.get(
                d.group(3) or "", self.nudge.rules.morning_hour
            )
            return _on_day(turn.now.astimezone(self.tz), d, hour)
        if not m:
            return None
        hour = int(m.group(2)) + (
            12 if m.group(1) in ("夜", "午後", "夕方") and int(m.group(2)) < 12 else 0
        )
        if hour > 23:
            return None
        local = turn.now.astimezone(self.tz)
        at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        if d := _DAY_OF_MONTH.search(norm[: m.start() + 1]):  # 「12月13日の朝8時」: that day
            return _on_day(local, d, hour)
        if at <= local:
            at += timedelta(days=1)
        return at.strftime("%Y-%m-%dT%H:%M")

    def _picker_bounds(self, now: datetime) -> tuple[datetime, datetime, datetime]:
        """The picker's suggested time (the morning the bot would pick), earliest (the next
        whole minute) and latest (the hold limit), local: what `_hold` accepts from it."""
        local = now.astimezone(self.tz)
        earliest = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
        latest = (local + MAX_HOLD).replace(second=0, microsecond=0)
        rules = self.nudge.rules
        suggested = morning_after(local, rules.morning_hour, rules.min_gap)
        return min(max(suggested, earliest), latest), earliest, latest

    def _hold(self, turn: Turn, when: str, params: dict[str, str], key: str = "held") -> None:
        s = turn.state
        if s.draft_text is None:
            self._say(turn, "held_nothing")
            s.phase = home_phase(s)
            return
        local = turn.now.astimezone(self.tz)
        rules = self.nudge.rules
        if when == "morning":
            at = morning_after(local, rules.morning_hour, rules.min_gap)
        elif when == "evening":  # 「明日の夜」: tonight is still "tomorrow" before dawn, not after
            day = local.date() + timedelta(days=0 if local.hour < DAWN else 1)
            at = datetime.combine(day, time(EVENING_HOUR), tzinfo=self.tz)
        elif when == "3d":
            at = datetime.combine(
                (local + timedelta(days=3)).date(), time(rules.morning_hour), tzinfo=self.tz
            )
        else:
            at = _picked(params.get("datetime", ""), self.tz)
            _, earliest, latest = self._picker_bounds(turn.now)
            if at is None or not earliest <= at <= latest:
                self._say(turn, "hold_bad_time")
                turn.out.choices = self._hold_choices(s, turn.now)
                return
        intro, reread = self._return_words(turn, at)
        turn.out.effects.append(HoldDraft(s.draft_text, tuple(s.draft_reasons), at, intro, reread))
        s.held_until = max(filter(None, (s.held_until, at)))
        s.held_text, s.draft_text, s.draft_reasons = s.draft_text, None, []
        self._say(turn, key, time=format_when(at), start=_opening(s.held_text))
        s.phase = _after_draft(s)

    def _draft_choice_made(self, turn: Turn, choice: str) -> None:
        s = turn.state
        s.draft_text, s.draft_reasons = None, []
        if choice in ("rewrite", "rewrite:keyboard"):
            self._say(turn, "rewrite_ask" if choice == "rewrite" else "rewrite_in_keyboard")
            s.phase = Phase.AWAITING_DRAFT
        else:
            self._say(turn, "dropped")
            s.phase = _after_draft(s)

    def _outcome(self, turn: Turn, arg: str) -> None:
        """The user's answer to a draft given back in the morning."""
        draft_id, _, outcome = arg.partition(":")
        if not draft_id.isdigit() or outcome not in ("sent", "rewrite", "dropped"):
            self.do_fallback(turn)
            return
        turn.out.effects.append(ResolveDraft(int(draft_id), outcome))
        self._say(turn, f"outcome_{outcome}")
        if outcome == "rewrite":
            turn.state.night_passed_at = turn.now  # the rewrite is read with the night behind it
        turn.state.phase = Phase.AWAITING_DRAFT if outcome == "rewrite" else home_phase(turn.state)

    def do_later_agreed(self, turn: Turn) -> None:
        """「まあいいや、朝にする」 with the hold buttons up: the choice agreed with, and holding
        it till then still offered (the buttons stay)."""
        if _OWN_KEEPING.search(turn.text):  # 「預けずに自分で朝読み返します」: their choice
            self._say(turn, "later_agreed_own")
            return
        self._say(turn, "later_agreed")
        turn.out.choices = self._hold_choices(turn.state, turn.now)

    def _return_words(self, turn: Turn, at: datetime) -> tuple[str, str]:
        """The words around the draft when it comes back at `at`: おはよう only in the morning,
        「昨夜」 only after one night, a word for the night it was after a crisis message, and
        the user's register."""
        now, s = turn.now.astimezone(self.tz), turn.state
        back = at.astimezone(self.tz)
        nights = (back.date() - (now - timedelta(hours=DAWN)).date()).days
        days = max(2, round((at - turn.now) / timedelta(days=1)))
        if s.crisis_at is not None and turn.now - s.crisis_at < GENTLE_FOR and nights <= 1:
            intro = "reminder_intro_hard_night"
        elif back.hour not in MORNING:
            intro = "reminder_intro_later"
        else:
            intro = "reminder_intro_days" if nights > 1 else "reminder_intro"
        reread = "reminder_reread_days" if nights > 1 else "reminder_reread"
        return self._phrase(turn, intro, days=days), self._phrase(turn, reread, days=days)

    def _cooling(self, turn: Turn, arg: str) -> None:
        s = turn.state
        if arg == "start":
            s.cooling_started = turn.now
            s.cooling_days = COOLING_DAYS.get(s.situation or "", 30)
            until = (turn.now + timedelta(days=s.cooling_days)).astimezone(self.tz)
            self._say(turn, "cooling_started", days=s.cooling_days, until=f"{until:%-m月%-d日}")
            p = self.content.phrase
            turn.out.choices = [
                Choice(label=p("cooling_checkins"), data="cooling:checkins",
                       display_text=p("cooling_checkins")),
                Choice(label=p("cooling_no_checkins"), data="cooling:none",
                       display_text=p("cooling_no_checkins")),
            ]  # fmt: skip
        elif arg == "checkins" and s.cooling_started and s.cooling_days:
            rules = self.nudge.rules
            for fraction, key in ((0.5, "checkin_half"), (1.0, "checkin_end")):
                day = s.cooling_started + timedelta(days=round(s.cooling_days * fraction))
                due = datetime.combine(day.astimezone(self.tz).date(), time(rules.morning_hour),
                                       tzinfo=self.tz)  # fmt: skip
                if due > turn.now:
                    text = self.content.phrase(key).format(days=s.cooling_days)
                    turn.out.effects.append(ScheduleCheckin(due, text))
            self._say(turn, "checkins_set")
        else:
            self._say(turn, "thanks")
        s.phase = home_phase(s)

    @staticmethod
    def _wait_left(s: DialogueState, now: datetime) -> int | None:
        """Days left of the wait: the cooling period started, or else the articles' minimum
        counted from when it happened (a light 「元気?」 three days into a silence is still a
        追いLINE)."""
        started = s.cooling_days_left(now)
        if started:
            return started
        if s.replied:  # the ex wrote first: a reply is not a 追いLINE
            return None
        days = s.days_since(now)
        minimum = COOLING_DAYS.get(s.situation or "")
        if days is None or minimum is None or days >= minimum:
            return None
        return minimum - days


def _picked(value: str, tz: ZoneInfo) -> datetime | None:
    """LINE's datetime picker sends local time as 2026-11-22T08:00."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at.replace(tzinfo=tz) if at.tzinfo is None else at.astimezone(tz)


AFTER_NIGHT = timedelta(hours=12)  # a rewrite this soon after a draft came back had its night


# 「さっき預けたやつ」: the draft held, named (not the one under review)
_HELD_NAMED = re.compile(r"預けた|あずけた|預かって(る|もらって)|預かってもらった|預けてる")

# 「返事はいらない」「返信不要です」 in the draft, asked about: the words the advice itself asks for
_NO_REPLY_ASKED = re.compile(
    r"(返事|返信)(は|も)?(いらない|要らない|不要|大丈夫|気にしな|しなくて)"
)

# 「預けずに自分で朝読み返すことにします」: the draft kept by them, not held
_OWN_KEEPING = re.compile(
    r"預け(ず|ない|ません|なくて|んと)|預けるのは(やめ|いい)|自分で(持|読|見)"
)


def _after_draft(s: DialogueState) -> Phase:
    """Where a held or dropped draft leaves the talk: still gentle on the night of a crisis
    message (the draft was offered a hold from there), else home."""
    return Phase.GENTLE if s.phase is Phase.GENTLE else home_phase(s)


DAWN = 5  # before this hour, 「明日」 is the day that is starting


def _on_day(local: datetime, date: re.Match[str], hour: int) -> str | None:
    """The day a `_DATE` match names (month optional), at `hour`, in the picker's format: the
    next such day (「1月5日」 said in December is next year's; a day past, next month's); None
    for no such day (「2月30日」: the picker is offered instead)."""
    month = int(date.group(1)) if date.group(1) else local.month
    try:
        at = local.replace(month=month, day=int(date.group(2)), hour=hour, minute=0, second=0,
                           microsecond=0)  # fmt: skip
        if at <= local:
            at = (at.replace(year=at.year + 1) if date.group(1)
                  else at.replace(month=month % 12 + 1, year=at.year + (month == 12)))  # fmt: skip
    except ValueError:
        return None
    return at.strftime("%Y-%m-%dT%H:%M")


_DATE = r"(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日\s*"  # 「12月24日」「24日」: month (optional), day
_DAY_OF_MONTH = re.compile(
    _DATE + r"(?:[(（]\s*[月火水木金土日]\s*(?:曜日?)?\s*[)）]|[月火水木金土日]曜日?)?"
    r"\s*の?\s*(?:朝|夜|午前|午後|夕方)?\s*\d{0,2}\s*時?$"
)
# A day named without an hour (「12月24日の朝な」「24日の夜に返して」): that day, its morning
_DATE_WORD = re.compile(
    _DATE + r"(?:[(（]\s*[月火水木金土日]\s*(?:曜日?)?\s*[)）])?"
    r"\s*の?\s*(朝|夜|お昼|昼|夕方)?\s*(?:に|まで|で|な|ね|頃|ごろ)?(?:返|かえ|預|あず|リマインド|お願い|[。!！、\s]|$)"
)
_DATE_SAID = re.compile(
    r"\d\s*月\s*\d{1,2}\s*日|日\s*の?\s*(朝|夜|お昼|昼|夕方)|日\s*(に|まで)?\s*(返|かえ|預|あず|リマインド)"
)
_INSTEAD = re.compile(r"(じゃなくて|じゃなく|ではなくて|ではなく|やなくて|ちゃうくて)[、,\s]*")
_WEEKDAY = re.compile(r"(来週の?)?([月火水木金土日])曜日?")
_WORD_HOURS = {"夕方": 18, "ゆうがた": 18, "昼": 12, "お昼": 12, "ひる": 12, "おひる": 12}
_TIME_WORD = re.compile(
    r"(今日|きょう|明日|あした|あす)?の?\s*(夕方|ゆうがた|お昼|おひる|昼|ひる)\s*(まで|に|頃|ごろ|くらい)"
)
_TYPED_TIME = re.compile(
    r"(朝|夜|午後|午前|夕方)?の?\s*(\d{1,2})\s*時\s*(くらい|ぐらい|ごろ|頃)?\s*(に|で|まで)?"
    r"(して|で|に|お願い|がいい|でいい|!|。|$|預か|あずか|返して|かえして|リマインド|って言)"
    r"(?!な(ったら|ると|れば|る)|送|来|き|く|起き)"  # 「0時になったら送りそう」 asks no time
)


OPENING_CHARS = 16  # the held draft's first words, said back so the user sees which one it is


def _opening(text: str | None) -> str:
    """「元気だよー!連絡くれてびっくり…」: enough of the held text to recognise it."""
    one_line = " ".join((text or "").split())
    return one_line if len(one_line) <= OPENING_CHARS else one_line[:OPENING_CHARS] + "…"
