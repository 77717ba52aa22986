"""Small talk, listening and talk about the bot itself."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.dialogue.echo import wished_words
from bot.dialogue.handlers.base import DAYTIME, LISTENING, MORNING, Base, format_when
from bot.dialogue.state import Phase
from bot.dialogue.turn import Turn
from bot.dialogue.types import (
    Choice,
    Text,
)
from bot.nlu.frame import Frame


@dataclass(frozen=True, slots=True)
class Privacy:
    """What this deployment does with what users write, as the bot says it when asked."""

    encrypted: bool = False  # BOT_DATA_KEY is set: drafts and state are encrypted at rest
    draft_days: int = 30  # a draft given back is deleted after this many days


class TalkHandlers(Base):
    def do_share_joy(self, turn: Turn) -> None:
        """Good news they want shared (「一緒に喜んでくれてもよくない?」): glad, plainly, and
        asked about; no card and no caution in the same breath."""
        self._say(turn, "share_joy")

    def do_welcome(self, turn: Turn) -> None:
        self._say(turn, "welcome")
        self._say(turn, "welcome_ask")
        turn.out.choices = self._situation_choices()
        turn.state.phase = Phase.ASKED_SITUATION

    def do_greeting(self, turn: Turn) -> None:
        hour = turn.now.astimezone(self.tz).hour
        self._say(turn, "greeting_morning" if hour in MORNING else
                  "greeting_day" if hour in DAYTIME else "greeting")  # fmt: skip
        if turn.state.situation is None and not turn.state.no_contact:
            turn.out.choices = self._situation_choices()
            turn.state.phase = Phase.ASKED_SITUATION
        else:
            turn.out.choices = self._menu(turn)

    def do_help(self, turn: Turn) -> None:
        self._say(turn, "help")
        turn.out.choices = self._menu(turn)

    def do_decided(self, turn: Turn) -> None:
        """「今は送らない」「ミュートするわ」: their decision, respected, no card, no quiz (a
        feeling said with it is heard first)."""
        if self._feeling(turn):
            self._reflect(turn, ask=False)
        self._say(turn, "decided")
        if turn.frame and (turn.frame.closing or turn.frame.thanked):
            self.do_thanks(turn)  # 「ありがと、これ送ってくる」: the decision, then the goodbye

    def do_thanks(self, turn: Turn) -> None:
        """A thanks or a goodnight; with a draft held, when it comes back (they may ask). A
        goodnight said with a heavy feeling (「ひとりぼっちって感じ。寝る」) is heard first."""
        s = turn.state
        if turn.frame and turn.frame.followup == "not_that":  # 「答えになってないし…寝るわ」
            self._say(turn, "sorry_missed")
        elif self._feeling(turn) and turn.state.last_action != "decided":
            self._reflect(turn, ask=False)
        if s.holding(turn.now):
            when = format_when(s.held_until.astimezone(self.tz))
            self._say(turn, "thanks_held", time=when)
            return
        day = turn.now.astimezone(self.tz).hour in DAYTIME
        frame = turn.frame
        if frame and frame.closing and (frame.intent != "thanks" or not frame.ends_thanked):
            # 「寝る」「ねるね」「仕事行くわ」: a goodnight, not 「どういたしまして」
            self._say(turn, "bye_day" if day else "goodnight")
        else:
            self._say(turn, "thanks_day" if day else "thanks")

    def do_fallback(self, turn: Turn) -> None:
        self._say(turn, "fallback")
        turn.out.choices = self._menu(turn)

    def do_clarify(self, turn: Turn) -> None:
        self._say(turn, "clarify")
        turn.out.choices = [*self._situation_choices(), *self._menu(turn, situation=False)]

    def do_broke_up(self, turn: Turn) -> None:
        """「先週振られた」: not yet a refusal or a silence. Heard first (their feeling, when they
        named one), then the one question that decides the advice, with a way to just talk."""
        if self._feeling(turn):
            self._reflect(turn, ask=False)
        self._say(turn, "broke_up_ack")
        turn.out.choices = [
            *self._situation_choices(),
            self._button("menu_vent", "intent:request:listen"),
        ]

    def do_other(self, turn: Turn) -> None:
        self._say(turn, "other")
        turn.out.choices = self._menu(turn)

    def do_vent(self, turn: Turn) -> None:
        """Feelings poured out: name them (not the same line for every feeling), ask more."""
        self._reflect(turn)
        turn.out.choices = [
            self._intent_choice("どうしたらいい？", "what_to_do"),
            self._intent_choice("連絡したくなる", "want_contact"),
            Choice(label="聞いてくれてありがとう", text="聞いてくれてありがとう"),
        ]

    def do_listen(self, turn: Turn) -> None:
        """「アドバイスはいいから聞いてほしい」: listening until they ask something. Asked
        again (a card slipped in): sorry, and listening, not the same promise word for word."""
        # asked again with nothing but listening since: no sorry for advice never given
        listened = turn.state.listening and turn.previous_action in LISTENING
        complained = turn.frame is not None and turn.frame.followup == "not_that"  # 「3回目だよ」
        again = turn.state.listen_asked and (not listened or complained)
        turn.state.listening = turn.state.listen_asked = True
        told = _story_told(turn.frame)
        if told:  # 「聞いてほしいんやけど…断られてしもうて」: the story heard before the ear
            turn.state.situation = turn.state.situation or told
            self._say(turn, f"{told}_ack")
        story = turn.frame is not None and len(turn.frame.sentences) > 2
        if self._feeling(turn) or (listened and story):
            self._reflect(turn)  # 「五年一緒に…ただ聞いていただきたいだけなのです」: heard
        else:
            self._say(turn, "listen_again" if again else "listen_start")

    def do_go_ahead(self, turn: Turn) -> None:
        """「ちょっと聞きたいことあるっちゃけど」: yes, ask; no card guessed before the question."""
        self._say(turn, "go_ahead")

    def do_warning_sorry(self, turn: Turn) -> None:
        """Hurt by the bot's warning (「ストーカーって…そこまで言う?」): sorry for how it was said,
        no blame meant; what was said about the boundary is not taken back."""
        self._say(turn, "warning_sorry")

    def do_say_wished(self, turn: Turn) -> None:
        """「ばかじゃないよって言ってほしかったのに」: the words they wished to hear, said to
        them and meant (not 「そうだったんだね」)."""
        words = wished_words(turn.frame.text) if turn.frame else None
        self._say(turn, "said_as_wished", words=words or "")

    def do_lecture_sorry(self, turn: Turn) -> None:
        """「なんか説教されてる気分」 after advice: sorry for the tone, they know it already;
        no more advice pushed this turn, the choice of what next left to them."""
        self._say(turn, "lecture_sorry")

    def do_stay(self, turn: Turn) -> None:
        """「もうちょっとここにいてもいい?」: yes, and listening from now on (no cards pushed)."""
        turn.state.listening = True
        self._say(turn, "stay")

    def do_unsent_ok(self, turn: Turn) -> None:
        """「送らないからここに書いてもいい?」: yes; the next words are a letter, not a draft."""
        turn.state.unsent = True
        self._say(turn, "unsent_ok")

    def do_unsent_letter(self, turn: Turn) -> None:
        """A letter written here and not to be sent: received, not reviewed, not kept."""
        turn.state.unsent = False
        self._say(turn, "unsent_received")

    def do_not_your_fault(self, turn: Turn) -> None:
        """「冷たかったから浮気されても仕方ないの?」: no; whatever was hard between them, the
        choice to cheat was the other's. Then listening on (no card)."""
        self._say(turn, "not_your_fault")

    def do_normalize(self, turn: Turn) -> None:
        """「失恋でこんなふうになるのって変?」: not strange, said plainly, then listening on.
        A word they called themselves (「私って惨め?」) is the one denied."""
        if m := _SELF_LABEL.search(turn.text):
            word = m.group()
            no = f"{word[:-1]}くなんかない" if word.endswith("い") else f"{word}なんかじゃない"
            self._say(turn, "normalize_named", no=no)
            return
        self._say(turn, "normalize")

    def do_reflect(self, turn: Turn) -> None:
        """Heard, and said back. The story first told while only listening (「2週間前に、やり
        直したいって言ったら断られた」) is acknowledged as that story, and learnt."""
        frame, s = turn.frame, turn.state
        told = _story_told(frame, read_as_well=True)
        if told and not s.situation and s.phase is not Phase.GENTLE:
            s.situation = told
            self._say(turn, f"{told}_ack")
            if not self._feeling(turn):
                return
        self._reflect(turn)

    def do_about_bot(self, turn: Turn) -> None:
        """「AIですか?」「誰かが読めるの?」「何日で消えるの?」: the answer to what was asked,
        with this deployment's own facts (encryption on or off, how long drafts stay)."""
        asked = turn.frame.about_bot if turn.frame else None
        s = turn.state
        if asked == "sends":  # 「一晩から彼に何か送られることってある?」: never
            self._say(turn, "about_sends")
        elif asked == "backup":  # 「完全に消える?バックアップは?」: honestly, both parts
            self._say(turn, "about_backup")
        elif asked == "for_whom":  # 「付き合ってないんだけど使っていい?」: yes
            self._say(turn, "about_for_whom")
        elif asked == "memory":  # after 「全部消す」 it knows nothing: said so, not a card
            knows = s.situation or s.given or s.no_contact or s.holding(turn.now)
            self._say(turn, "about_memory_kept" if knows else "about_memory_empty")
        elif asked == "hold":
            self._say(turn, "about_hold")
        elif asked == "erasing":
            self._say(turn, "erase_explain")
        elif asked == "operator":
            self._say(turn, "about_operator")
        elif asked == "line":
            self._say(turn, "about_line")
        elif asked == "external":
            self._say(turn, "about_external")
        elif asked == "who_reads":
            key = "about_privacy_encrypted" if self.privacy.encrypted else "about_privacy_plain"
            self._say(turn, key)
        elif asked == "stored":
            self._say(turn, "about_storage", days=self.privacy.draft_days)
        else:  # the general answer, with this deployment's encryption said as it is
            key = "about_encryption_on" if self.privacy.encrypted else "about_encryption_off"
            again = turn.previous_action == "about_bot"  # 「もう一度まとめるね」 only when it is
            said = self._variant(turn, "about_bot", turn.state.turn if again else 0)
            turn.out.replies.append(Text(f"{said}\n{self._variant(turn, key, 0)}"))
        turn.out.choices = self._menu(turn)


def _story_told(frame: Frame | None, read_as_well: bool = False) -> str | None:
    """The story a message tells (refused or ghosted), stated in its facts; with `read_as_well`,
    also when the model read it so and no fact denies it."""
    if frame is None:
        return None
    return next((f for f in ("refused", "ghosted") if frame.fact(f) or (
        read_as_well and frame.intent == f and frame.fact(f) is not False)), None)  # fmt: skip


# What they call themselves when asking if they are strange (「私って惨め?」「俺、痛い?」): said
# back as the word it is not.
_SELF_LABEL = re.compile(
    r"惨め|みじめ|バカ|ばか|馬鹿|アホ|あほ|滑稽|痛い|イタい|キモい|きもい|情けない|未練がましい|女々しい|"
    r"悪い人|ひどい人|最低な人"
)
