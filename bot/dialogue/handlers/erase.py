"""Erasure: asked, confirmed or called off."""

from __future__ import annotations

from bot.dialogue.handlers.base import Base
from bot.dialogue.state import DialogueState, Phase
from bot.dialogue.table import home_phase
from bot.dialogue.turn import Turn
from bot.dialogue.types import (
    Choice,
    EraseUser,
)


class EraseHandlers(Base):
    def do_ask_erase(self, turn: Turn) -> None:
        self._say(turn, "erase_ask")
        turn.out.choices = [
            Choice(label=self.content.phrase("erase_yes"), data="erase:yes",
                   display_text=self.content.phrase("erase_yes")),
            Choice(label=self.content.phrase("erase_no"), data="erase:no",
                   display_text=self.content.phrase("erase_no")),
        ]  # fmt: skip

    def do_erase_explain(self, turn: Turn) -> None:
        """A question while the erase waits (「消したら最初からになる?」): what erasing means,
        then the same question and buttons."""
        self._say(turn, "erase_explain")
        self.do_ask_erase(turn)

    def do_erase_confirmed(self, turn: Turn) -> None:
        """「うん、消して」 typed instead of tapping 全部消す: the same erase."""
        self.do_erase(turn, confirmed=True)

    def do_erase(self, turn: Turn, confirmed: bool) -> None:
        if confirmed:
            self._say(turn, "erase_done")
            turn.out.effects.append(EraseUser())
            turn.out.state = DialogueState()
            return
        self._say(turn, "erase_kept")
        turn.state.phase = home_phase(turn.state)

    def do_keep_data(self, turn: Turn) -> None:
        """「やっぱり消さないで」: during the erase question it keeps everything."""
        if turn.state.phase is Phase.CONFIRM_ERASE:
            self.do_erase(turn, confirmed=False)
        else:
            self._say(turn, "keep_nothing_to_keep")
