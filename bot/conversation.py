"""Runs one user input through the engine inside one database transaction.

The claim of the webhook event id, the per-user lock, the new state and the effects commit
together: a crash before commit leaves nothing (a redelivery is handled afresh), a crash
after commit never handles the event twice. Used by the webhook and the terminal chat alike.

Webhook events go through the inbox: `enqueue` persists them before the 200, `drain_one`
handles a user's earliest pending event with the user's row locked, so whichever replica
holds the lock takes the events in timestamp order."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot import metrics
from bot.dialogue.engine import Engine, Outcome
from bot.dialogue.state import DialogueState
from bot.dialogue.types import (
    CancelHeld,
    EraseUser,
    FollowIn,
    HoldDraft,
    Incoming,
    NonTextIn,
    PostbackIn,
    ResolveDraft,
    ScheduleCheckin,
    TextIn,
)
from bot.logs import user_ref
from bot.store import repo
from bot.store.db import Database
from bot.store.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Inbound:
    """One webhook event the bot acts on. `incoming` is None for unfollow (erase, no reply)."""

    user_id: str
    event_id: str
    timestamp_ms: int
    reply_token: str | None
    incoming: Incoming | None


@dataclass(frozen=True, slots=True)
class Drained:
    reply_token: str | None
    outcome: Outcome | None  # None: a duplicate, or an unfollow
    user_id: str
    received_at: datetime


def encode(incoming: Incoming | None) -> str:
    match incoming:
        case TextIn(text=text):
            data: dict[str, object] = {"kind": "text", "text": text}
        case PostbackIn(data=pdata, params=params):
            data = {"kind": "postback", "data": pdata, "params": params}
        case FollowIn():
            data = {"kind": "follow"}
        case NonTextIn(kind=kind):
            data = {"kind": "nontext", "type": kind}
        case None:
            data = {"kind": "unfollow"}
    return json.dumps(data, ensure_ascii=False)


def decode(payload: str) -> Incoming | None:
    data = json.loads(payload)
    match data["kind"]:
        case "text":
            return TextIn(data["text"])
        case "postback":
            return PostbackIn(data["data"], dict(data.get("params") or {}))
        case "follow":
            return FollowIn()
        case "nontext":
            return NonTextIn(data["type"])
    return None


def event_time(timestamp_ms: int) -> datetime:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


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
                return None
            user = repo.lock_user(session, line_user_id, now)
            return self._run(session, user, incoming, now)

    def enqueue(self, events: list[Inbound], now: datetime) -> None:
        """Persist accepted webhook events (called before the webhook answers 200)."""
        rows = [
            {"event_id": e.event_id, "line_user_id": e.user_id, "timestamp_ms": e.timestamp_ms,
             "reply_token": e.reply_token, "payload": encode(e.incoming)}
            for e in events
        ]  # fmt: skip
        with self.db.session() as session:
            repo.enqueue(session, rows, now)

    def drain_one(self, line_user_id: str) -> Drained | None:
        """Handle the user's earliest pending event; None when nothing is pending."""
        with self.db.session() as session:
            first = repo.earliest_inbox_time(session, line_user_id)
            if first is None:
                return None  # nothing pending: take no lock, create no user row
            user = repo.lock_user(session, line_user_id, event_time(first))
            row = repo.next_inbox_event(session, line_user_id)  # under the lock: the earliest
            if row is None:
                return None
            repo.remove_inbox_event(session, row.id)
            drained = Drained(row.reply_token, None, line_user_id, row.received_at)
            if not repo.claim_event(session, row.event_id, event_time(row.timestamp_ms)):
                metrics.DUPLICATES.inc()
                return drained
            incoming = decode(row.payload)
            if incoming is None:  # unfollow
                repo.erase_user(session, line_user_id)
                log.info("user data erased", extra={"user": user_ref(line_user_id)})
                return drained
            outcome = self._run(session, user, incoming, event_time(row.timestamp_ms))
            return Drained(row.reply_token, outcome, line_user_id, row.received_at)

    def _run(self, session: Session, user: User, incoming: Incoming, now: datetime) -> Outcome:
        state = DialogueState.from_json(repo.load_state(session, user))
        outcome = self.engine.handle(state, incoming, now)
        if outcome.intent:
            metrics.INTENTS.labels(outcome.intent).inc()
        if any(isinstance(e, EraseUser) for e in outcome.effects):
            repo.erase_user(session, user.line_user_id)
            return outcome
        repo.save_state(session, user, outcome.state.to_json(), now)
        self._apply_effects(session, user, outcome, now)
        return outcome

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
