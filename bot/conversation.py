"""Runs one user input through the engine inside one database transaction.

The claim of the webhook event id, the per-user lock, the new state and the effects commit
together: a crash before commit leaves nothing (a redelivery is handled afresh), a crash
after commit never handles the event twice. Used by the webhook and the terminal chat alike.

Webhook events go through the inbox: `enqueue` persists them before the 200, `drain`
handles users' earliest pending events with the user's row locked, so whichever replica
holds the lock takes the events in timestamp order."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Row
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
from bot.store.repo import LockedUser
from bot.unsend import forget_message, track_sources

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Unsend:
    """The user took back a message: forget its text wherever it is kept (no reply)."""

    message_id: str


@dataclass(frozen=True, slots=True)
class Inbound:
    """One webhook event the bot acts on. `incoming` is None for unfollow (erase, no reply).
    `message_id` is LINE's id of the user's message, kept with a draft taken from it so an
    unsend can find the draft; `quote_token` lets the morning push quote that message."""

    user_id: str
    event_id: str
    timestamp_ms: int
    reply_token: str | None
    incoming: Incoming | Unsend | None
    message_id: str | None = None
    quote_token: str | None = None


@dataclass(frozen=True, slots=True)
class Drained:
    reply_token: str | None
    outcome: Outcome | None  # None: a duplicate, or an unfollow
    user_id: str
    received_at: datetime
    event_at: datetime | None = None  # the event's own time (LINE's timestamp)


def encode(incoming: Incoming | Unsend | None, message_id: str | None = None,
           quote_token: str | None = None) -> str:  # fmt: skip
    match incoming:
        case TextIn(text=text):
            data: dict[str, object] = {"kind": "text", "text": text}
        case PostbackIn(data=pdata, params=params):
            data = {"kind": "postback", "data": pdata, "params": params}
        case FollowIn():
            data = {"kind": "follow"}
        case NonTextIn(kind=kind):
            data = {"kind": "nontext", "type": kind}
        case Unsend(message_id=unsent):
            data = {"kind": "unsend", "unsent": unsent}
        case None:
            data = {"kind": "unfollow"}
    if message_id is not None:
        data["message_id"] = message_id
    if quote_token is not None:
        data["quote_token"] = quote_token
    return json.dumps(data, ensure_ascii=False)


def decode(payload: str) -> tuple[Incoming | Unsend | None, str | None]:
    """The stored input and the id of the message it came from (None for rows written before
    message ids were kept, and for inputs that are not messages). See `quote_of`."""
    data = json.loads(payload)
    message_id = data.get("message_id")
    match data["kind"]:
        case "text":
            return TextIn(data["text"]), message_id
        case "postback":
            return PostbackIn(data["data"], dict(data.get("params") or {})), None
        case "follow":
            return FollowIn(), None
        case "nontext":
            return NonTextIn(data["type"]), message_id
        case "unsend":
            return Unsend(data["unsent"]), None
        case "unfollow":
            return None, None
    # Never guess (None would erase the user): fail, and the event waits in the inbox.
    raise ValueError(f"unknown inbox event kind {data['kind']!r}")


def quote_of(payload: str) -> str | None:
    """The quote token of the stored message, if it had one."""
    token = json.loads(payload).get("quote_token")
    return token if isinstance(token, str) else None


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
            outcome, state = self._run(session, user, repo.load_state(session, user.id),
                                       incoming, now)  # fmt: skip
            if state is not None:
                repo.save_state(session, user.id, state, now)
            return outcome

    def enqueue(self, events: list[Inbound], now: datetime) -> None:
        """Persist accepted webhook events (called before the webhook answers 200)."""
        rows = [
            {"event_id": e.event_id, "line_user_id": e.user_id, "timestamp_ms": e.timestamp_ms,
             "reply_token": e.reply_token, "payload": encode(e.incoming, e.message_id, e.quote_token)}
            for e in events
        ]  # fmt: skip
        with self.db.session() as session:
            repo.enqueue(session, rows, now)

    def drain(self, line_user_ids: list[str]) -> list[Drained | None]:
        """Handle each user's earliest pending event, all in one transaction; for each user,
        what was drained, or None when nothing was pending. The users' rows are locked
        first, so another replica draining one of them waits and then sees the event gone."""
        with self.db.session() as session:
            firsts = repo.earliest_inbox_times(session, line_user_ids)
            if not firsts:
                return [None] * len(line_user_ids)  # nothing pending: no lock, no user row
            users = repo.lock_users(session, {u: event_time(t) for u, t in firsts.items()})
            states = repo.load_states(session, [u.id for u in users.values()])
            rows = {r.line_user_id: r for r in repo.next_inbox_events(session, list(users))}
            repo.remove_inbox_events(session, [r.id for r in rows.values()])
            claimed = repo.claim_events(
                session, {r.event_id: event_time(r.timestamp_ms) for r in rows.values()}
            )
            drained: dict[str, Drained] = {}
            saves: dict[int, str] = {}
            for user_id, row in rows.items():
                user, outcome = users[user_id], None
                if row.event_id not in claimed:
                    metrics.DUPLICATES.inc()
                else:
                    outcome, state = self._handle_row(session, user, states.get(user.id), row)
                    if state is not None:
                        saves[user.id] = state
                drained[user_id] = Drained(row.reply_token, outcome, user_id, row.received_at,
                                           event_time(row.timestamp_ms))  # fmt: skip
            repo.save_states(session, saves, datetime.now(UTC))
        return [drained.get(u) for u in line_user_ids]

    def _handle_row(self, session: Session, user: LockedUser, saved: str | None,
                    row: Row) -> tuple[Outcome | None, str | None]:  # fmt: skip
        """One claimed inbox event: the outcome to reply with (None: nothing to say) and the
        state to save (None: unchanged, or erased)."""
        incoming, message_id = decode(row.payload)
        if incoming is None:  # unfollow
            repo.erase_user(session, user.line_user_id)
            log.info("user data erased", extra={"user": user_ref(user.line_user_id)})
            return None, None
        if isinstance(incoming, Unsend):  # forgotten without a word
            return None, forget_message(session, user, saved, incoming.message_id)
        return self._run(session, user, saved, incoming, event_time(row.timestamp_ms), message_id,
                         quote_of(row.payload))  # fmt: skip

    def _run(self, session: Session, user: LockedUser, saved: str | None, incoming: Incoming,
             now: datetime, message_id: str | None = None,
             quote_token: str | None = None) -> tuple[Outcome, str | None]:  # fmt: skip
        """The engine's outcome with its effects applied, and the state for the caller to save
        (None when the user asked to be erased). `message_id` is the id of the user's message
        (None for buttons and the terminal): drafts taken from it remember it."""
        before = DialogueState.from_json(saved)
        # The held drafts are read only when the state says some are held: most events skip it
        held = (
            repo.held_drafts(session, user) if before.held_until and before.held_until > now else ()
        )
        outcome = self.engine.handle(before, incoming, now, held)
        if outcome.intent:
            metrics.INTENTS.labels(outcome.intent).inc()
        if any((c.data or "").startswith("hold:") for c in outcome.choices):
            metrics.NUDGES.inc()  # the offer to hold the draft overnight (for /insights)
        if any(isinstance(e, EraseUser) for e in outcome.effects):
            repo.erase_user(session, user.line_user_id)
            return outcome, None
        held_from, quote = track_sources(before, outcome, message_id, quote_token)
        self._apply_effects(session, user, outcome, now, held_from, quote)
        return outcome, outcome.state.to_json()

    def _apply_effects(self, session: Session, user: LockedUser, outcome: Outcome,
                       now: datetime, held_from: str | None = None,
                       quote: str | None = None) -> None:  # fmt: skip
        """Drafts and reminders, in the transaction that saves the state."""
        for effect in outcome.effects:
            match effect:
                case HoldDraft(text=text, reasons=reasons, remind_at=at, intro=intro,
                               reread=reread):  # fmt: skip
                    repo.hold_draft(session, user, text, list(reasons), at, now, held_from, quote,
                                    (intro, reread))  # fmt: skip
                case CancelHeld(draft_id=draft_id):
                    repo.cancel_held(session, user, draft_id)
                case ResolveDraft(draft_id=draft_id, outcome=result):
                    repo.resolve_draft(session, user, draft_id, result, now)
                case ScheduleCheckin(due_at=due, text=text):
                    repo.schedule_checkin(session, user, due, text, now)
