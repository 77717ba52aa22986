"""Which of the user's LINE messages a draft came from, and forgetting that message's text when
the user unsends it (LINE asks bots to handle unsent content appropriately).

The engine knows nothing of LINE message ids: it is told texts. So the source is worked out
around it, from what a turn changed: a draft under review that is new this turn came from
this turn's message; a held draft is the one under review before the turn (held by a button),
or else this turn's message (a draft and 「朝まで預かって」 in one)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bot import metrics
from bot.dialogue.state import DialogueState, Phase
from bot.dialogue.table import home_phase
from bot.dialogue.turn import Outcome
from bot.dialogue.types import HoldDraft
from bot.logs import user_ref
from bot.store import repo
from bot.store.repo import LockedUser

log = logging.getLogger(__name__)


def track_sources(before: DialogueState, outcome: Outcome, message_id: str | None,
                  quote_token: str | None = None) -> tuple[str | None, str | None]:  # fmt: skip
    """Record in the new state which message its draft texts came from (and that message's
    quote token); return the source and quote token of the draft held this turn, if any (for
    the drafts row: the morning push quotes the user's message)."""
    after = outcome.state
    if after.draft_text is None:
        after.draft_source = after.draft_quote = None
    elif after.draft_text != before.draft_text:
        after.draft_source, after.draft_quote = message_id, quote_token
    held = [e for e in outcome.effects if isinstance(e, HoldDraft)]
    if not held:
        if after.held_text is None:
            after.held_source = None
        return None, None
    if held[-1].text == before.draft_text:
        source, quote = before.draft_source, before.draft_quote
    else:
        source, quote = message_id, quote_token
    after.held_source = source
    return source, quote


def forget_message(
    session: Session, user: LockedUser, saved: str | None, message_id: str
) -> str | None:
    """Drop every copy of the unsent message's text: drafts held from it (with their reminders,
    so it is never pushed back) or kept after their return, the draft under review, the copy
    of the held draft. Returns the state to save, or None when the state did not change."""
    dropped = repo.drop_drafts_from(session, user, message_id)
    state = DialogueState.from_json(saved)
    changed = False
    if state.draft_source == message_id:
        state.draft_text, state.draft_reasons, state.draft_source = None, [], None
        state.draft_quote = None
        if state.phase is Phase.REVIEWING_DRAFT:
            state.phase = home_phase(state)
        changed = True
    if state.held_source == message_id:
        state.held_text = state.held_source = None
        changed = True
    if dropped:
        state.held_until = repo.latest_held(session, user)
        changed = True
    metrics.UNSENT.labels("forgotten" if changed else "nothing_kept").inc()
    log.info("message unsent", extra={"user": user_ref(user.line_user_id), "forgotten": changed,
                                      "drafts_dropped": dropped})  # fmt: skip
    return state.to_json() if changed else None
