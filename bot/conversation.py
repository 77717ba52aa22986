"""Runs one user input through the engine inside one database transaction.

The claim of the webhook event id, the per-user lock, the new state and the effects commit
together: a crash before commit leaves nothing (a redelivery is handled afresh), a crash
after commit never handles the event twice. Used by the webhook and the terminal chat alike."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot import metrics
from bot.dialogue.engine import Engine, Outcome
from bot.dialogue.state import DialogueState
from bot.dialogue.types import (
    CancelHeld,
    EraseUser,
    HoldDraft,
    Incoming,
    ResolveDraft,
    ScheduleCheckin,
)
from bot.logs import user_ref
from bot.store import repo
from bot.store.db import Database
from bot.store.models import User

log = logging.getLogger(__name__)


class Conversations:
    def __init__(self, db: Database, engine: Engine) -> None:
        self.db = db
        self.engine = engine

    def handle(
        self, line_user_id: str, incoming: Incoming, now: datetime, event_id: str | None = None
    ) -> Outcome | None:
        """The engine's outcome, or None when `event_id` was already handled."""
        with self.db.session() as session:
            if event_id is not None and not repo.claim_event(session, event_id, now):
                metrics.DUPLICATES.inc()
                log.info("duplicate event skipped", extra={"user": user_ref(line_user_id)})
                return None
            user = repo.lock_user(session, line_user_id, now)
            state = DialogueState.from_json(repo.load_state(session, user))
            outcome = self.engine.handle(state, incoming, now)
            if outcome.intent:
                metrics.INTENTS.labels(outcome.intent).inc()
            if any(isinstance(e, EraseUser) for e in outcome.effects):
                repo.erase_user(session, line_user_id)
                return outcome
            repo.save_state(session, user, outcome.state.to_json(), now)
            self._apply_effects(session, user, outcome, now)
        return outcome

    def forget(self, line_user_id: str, now: datetime, event_id: str | None = None) -> bool:
        """Unfollow: erase the user's data. False if the event was a duplicate."""
        with self.db.session() as session:
            if event_id is not None and not repo.claim_event(session, event_id, now):
                metrics.DUPLICATES.inc()
                return False
            repo.erase_user(session, line_user_id)
        log.info("user data erased", extra={"user": user_ref(line_user_id)})
        return True

    def _apply_effects(self, session: Session, user: User, outcome: Outcome, now: datetime) -> None:
        """Drafts and reminders, in the transaction that saves the state."""
        for effect in outcome.effects:
            match effect:
                case HoldDraft(text=text, reasons=reasons, remind_at=at):
                    repo.hold_draft(session, user, text, list(reasons), at, now)
                case CancelHeld():
                    repo.cancel_held(session, user)
                case ResolveDraft(draft_id=draft_id, outcome=result):
                    repo.resolve_draft(session, user, draft_id, result, now)
                case ScheduleCheckin(due_at=due, text=text):
                    repo.schedule_checkin(session, user, due, text, now)
