"""Queries the bot runs, as plain functions on a Session (the caller owns the transaction).

Inserts that may race with another replica use ON CONFLICT DO NOTHING, so the database, not
the process, decides who wins."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bot.store.models import ConversationState, Draft, InboxEvent, Reminder, SeenEvent, User


def _insert(session: Session, model: type) -> object:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def claim_event(session: Session, event_id: str, now: datetime) -> bool:
    """Record `event_id` as handled; False if it already was (here or on another replica).

    On PostgreSQL a concurrent claim of the same id waits for this transaction and then loses,
    so an event is handled exactly once as long as the handling commits with the claim."""
    return event_id in claim_events(session, {event_id: now})


def prune_seen_events(session: Session, before: datetime) -> int:
    return session.execute(delete(SeenEvent).where(SeenEvent.seen_at < before)).rowcount


def lock_user(session: Session, line_user_id: str, now: datetime) -> User:
    """Get or create the user row and lock it for this transaction (per-user ordering across
    replicas on PostgreSQL; SQLite already serialises writers)."""
    return lock_users(session, {line_user_id: now})[line_user_id]


def find_user(session: Session, line_user_id: str) -> User | None:
    return session.execute(
        select(User).where(User.line_user_id == line_user_id)
    ).scalar_one_or_none()


def load_state(session: Session, user: User) -> str | None:
    row = session.get(ConversationState, user.id)
    return row.data if row else None


def save_state(session: Session, user: User, data: str, now: datetime) -> None:
    row = session.get(ConversationState, user.id)
    if row is None:
        session.add(ConversationState(user_id=user.id, data=data, version=1, updated_at=now))
    else:
        row.data = data
        row.version += 1
        row.updated_at = now


def erase_user(session: Session, line_user_id: str) -> bool:
    """Delete everything stored about the user: state, drafts, reminders, the user row."""
    user = find_user(session, line_user_id)
    if user is None:
        return False
    for model in (Reminder, Draft, ConversationState):
        session.execute(delete(model).where(model.user_id == user.id))
    session.delete(user)
    return True


# ---- held drafts and reminders --------------------------------------------------------------


def hold_draft(
    session: Session, user: User, text: str, reasons: list[str], remind_at: datetime,
    now: datetime,
) -> Draft:  # fmt: skip
    """Keep the draft and schedule its return, with a retry key fixed from the start."""
    draft = Draft(user_id=user.id, text=text, reasons=json.dumps(reasons, ensure_ascii=False),
                  status="held", created_at=now)  # fmt: skip
    session.add(draft)
    session.flush()
    session.add(Reminder(user_id=user.id, draft_id=draft.id, kind="draft", due_at=remind_at,
                         next_attempt_at=remind_at, retry_key=str(uuid.uuid4()),
                         created_at=now))  # fmt: skip
    return draft


def schedule_checkin(session: Session, user: User, due_at: datetime, message: str,
                     now: datetime) -> None:  # fmt: skip
    session.add(Reminder(user_id=user.id, kind="checkin", due_at=due_at, next_attempt_at=due_at,
                         retry_key=str(uuid.uuid4()), created_at=now, message=message))  # fmt: skip


def cancel_held(session: Session, user: User) -> int:
    """Call off every pending reminder of the user and erase the drafts they would return."""
    pending = (
        session.execute(
            select(Reminder).where(Reminder.user_id == user.id, Reminder.status == "pending")
        )
        .scalars()
        .all()
    )
    draft_ids = {r.draft_id for r in pending if r.draft_id is not None}
    for reminder in pending:
        session.delete(reminder)
    if draft_ids:
        session.execute(delete(Draft).where(Draft.id.in_(draft_ids), Draft.status == "held"))
    return len(pending)


def resolve_draft(session: Session, user: User, draft_id: int, outcome: str,
                  now: datetime) -> bool:  # fmt: skip
    draft = session.get(Draft, draft_id)
    if draft is None or draft.user_id != user.id:
        return False
    draft.outcome = outcome
    draft.resolved_at = draft.resolved_at or now
    return True


@dataclass(frozen=True, slots=True)
class DueReminder:
    id: int
    kind: str
    line_user_id: str
    retry_key: str
    attempts: int
    draft_id: int | None
    draft_text: str | None
    message: str | None


def claim_due(
    session: Session, now: datetime, lease: timedelta, limit: int = 10, terminal: bool = False,
    line_user_id: str | None = None,
) -> list[DueReminder]:  # fmt: skip
    """Claim reminders that are due (or whose earlier claim was abandoned by a crashed process).

    `FOR UPDATE SKIP LOCKED` lets several dispatchers on PostgreSQL split the work without
    waiting on each other; SQLite's write lock (BEGIN IMMEDIATE) gives the same exclusivity.
    The claim commits before the push, so a crash leaves a `sending` row to be re-claimed
    after the lease, and the retry reuses its key."""
    query = (
        select(Reminder, User.line_user_id, Draft.text)
        .join(User, User.id == Reminder.user_id)
        .outerjoin(Draft, Draft.id == Reminder.draft_id)
        .where(
            ((Reminder.status == "pending") & (Reminder.next_attempt_at <= now))
            | ((Reminder.status == "sending") & (Reminder.claimed_at <= now - lease))
        )
        .order_by(Reminder.next_attempt_at)
        .limit(limit)
        .with_for_update(of=Reminder, skip_locked=True)
    )
    terminal_users = User.line_user_id.like("terminal:%")
    query = query.where(terminal_users if terminal else ~terminal_users)
    if line_user_id is not None:
        query = query.where(User.line_user_id == line_user_id)
    claimed = []
    for reminder, user_id, text in session.execute(query).all():
        reminder.status = "sending"
        reminder.claimed_at = now
        reminder.attempts += 1
        claimed.append(DueReminder(reminder.id, reminder.kind, user_id, reminder.retry_key,
                                   reminder.attempts, reminder.draft_id, text,
                                   reminder.message))  # fmt: skip
    return claimed


def finish_reminder(session: Session, reminder_id: int, status: str, now: datetime,
                    error: str | None = None, retry_at: datetime | None = None) -> None:  # fmt: skip
    """Record what the push did: sent, pending again (retry_at), or failed."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None:  # erased meanwhile (unfollow, delete_data)
        return
    reminder.status = status
    reminder.last_error = error[:200] if error else None
    if status == "sent":
        reminder.sent_at = now
        if reminder.draft_id is not None:
            draft = session.get(Draft, reminder.draft_id)
            if draft is not None:
                draft.status = "returned"
                draft.resolved_at = now
    elif status == "pending" and retry_at is not None:
        reminder.next_attempt_at = retry_at


def prune_drafts(session: Session, resolved_before: datetime) -> int:
    """Erase drafts resolved long enough ago (their reminders go with them)."""
    old = select(Draft.id).where(
        Draft.resolved_at.is_not(None), Draft.resolved_at < resolved_before
    )
    ids = list(session.execute(old).scalars())
    if not ids:
        return 0
    session.execute(delete(Reminder).where(Reminder.draft_id.in_(ids)))
    return session.execute(delete(Draft).where(Draft.id.in_(ids))).rowcount


def reencrypt_all(session: Session) -> int:
    """Rewrite every encrypted column with the current (first) key: key rotation, or
    encrypting rows written before BOT_DATA_KEY was set."""
    count = 0
    for model, columns in ((ConversationState, ("data",)), (Draft, ("text", "reasons")),
                           (Reminder, ("message",))):  # fmt: skip
        for row in session.execute(select(model)).scalars():
            for column in columns:
                if getattr(row, column) is not None:
                    flag_modified(row, column)
            count += 1
    return count


# ---- inbox: accepted webhook events not yet handled -------------------------------------------


def enqueue(session: Session, rows: list[dict[str, object]], now: datetime) -> int:
    """Persist events before the webhook answers; a redelivery of a pending event is a no-op."""
    if not rows:
        return 0
    stmt = _insert(session, InboxEvent).on_conflict_do_nothing(index_elements=["event_id"])
    session.execute(stmt, [{**row, "received_at": now} for row in rows])
    return len(rows)


def earliest_inbox_times(session: Session, line_user_ids: list[str]) -> dict[str, int]:
    """Which of these users have pending events, and the timestamp of each one's earliest."""
    rows = session.execute(
        select(InboxEvent.line_user_id, func.min(InboxEvent.timestamp_ms))
        .where(InboxEvent.line_user_id.in_(line_user_ids))
        .group_by(InboxEvent.line_user_id)
    ).all()
    return {user_id: ts for user_id, ts in rows}


def lock_users(session: Session, seen_at: dict[str, datetime]) -> dict[str, User]:
    """`lock_user` for several users in one round trip each for insert and lock. Rows are
    created and locked in user-id order, so two replicas locking overlapping sets on
    PostgreSQL wait for each other instead of deadlocking."""
    ids = sorted(seen_at)
    session.execute(  # executemany, not one VALUES list: compiled once, not per batch size
        _insert(session, User).on_conflict_do_nothing(index_elements=["line_user_id"]),
        [{"line_user_id": u, "created_at": seen_at[u], "last_event_at": seen_at[u]} for u in ids],
    )
    users = session.execute(
        select(User).where(User.line_user_id.in_(ids)).order_by(User.line_user_id)
        .with_for_update()
    ).scalars()  # fmt: skip
    locked = {}
    for user in users:
        now = seen_at[user.line_user_id]
        if user.last_event_at is None or user.last_event_at < now:
            user.last_event_at = now
        locked[user.line_user_id] = user
    return locked


def load_states(session: Session, users: list[User]) -> list[ConversationState]:
    """Several users' state rows in one query. While the caller holds the list, the session's
    identity map serves `load_state`/`save_state` for them without a query each."""
    ids = [u.id for u in users]
    return list(
        session.execute(select(ConversationState).where(ConversationState.user_id.in_(ids)))
        .scalars()
    )  # fmt: skip


def next_inbox_events(session: Session, line_user_ids: list[str]) -> list[InboxEvent]:
    """Each user's earliest pending event (call with the users' rows locked)."""
    rank = (
        func.row_number()
        .over(
            partition_by=InboxEvent.line_user_id, order_by=(InboxEvent.timestamp_ms, InboxEvent.id)
        )
        .label("rank")
    )
    ranked = (
        select(InboxEvent.id, rank).where(InboxEvent.line_user_id.in_(line_user_ids)).subquery()
    )
    first = select(ranked.c.id).where(ranked.c.rank == 1)
    return list(session.execute(select(InboxEvent).where(InboxEvent.id.in_(first))).scalars())


def remove_inbox_events(session: Session, row_ids: list[int]) -> None:
    session.execute(delete(InboxEvent).where(InboxEvent.id.in_(row_ids)))


def claim_events(session: Session, seen_at: dict[str, datetime]) -> set[str]:
    """`claim_event` for several events at once: the ids this transaction claimed (RETURNING
    names the inserted rows: rowcount is not reliable for this on every driver)."""
    if not seen_at:
        return set()
    stmt = (
        _insert(session, SeenEvent)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(SeenEvent.event_id)
    )
    rows = [{"event_id": e, "seen_at": seen_at[e]} for e in sorted(seen_at)]
    return set(session.execute(stmt, rows).scalars())


def stale_inbox_users(session: Session, received_before: datetime) -> list[str]:
    """Users with events nobody drained (a replica died, or a notification was missed)."""
    return list(
        session.execute(
            select(InboxEvent.line_user_id)
            .where(InboxEvent.received_at < received_before)
            .distinct()
        ).scalars()
    )
