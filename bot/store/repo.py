"""Queries the bot runs, as plain functions on a Session (the caller owns the transaction).

Inserts that may race with another replica use ON CONFLICT DO NOTHING, so the database, not
the process, decides who wins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.store.models import ConversationState, Draft, Reminder, SeenEvent, User


def _insert(session: Session, model: type) -> object:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def claim_event(session: Session, event_id: str, now: datetime) -> bool:
    """Record `event_id` as handled; False if it already was (here or on another replica).

    On PostgreSQL a concurrent claim of the same id waits for this transaction and then loses,
    so an event is handled exactly once as long as the handling commits with the claim."""
    stmt = (
        _insert(session, SeenEvent)
        .values(event_id=event_id, seen_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(SeenEvent.event_id)  # rowcount is not reliable for this on every driver
    )
    return session.execute(stmt).first() is not None


def prune_seen_events(session: Session, before: datetime) -> int:
    return session.execute(delete(SeenEvent).where(SeenEvent.seen_at < before)).rowcount


def lock_user(session: Session, line_user_id: str, now: datetime) -> User:
    """Get or create the user row and lock it for this transaction (per-user ordering across
    replicas on PostgreSQL; SQLite already serialises writers)."""
    stmt = (
        _insert(session, User)
        .values(line_user_id=line_user_id, created_at=now, last_event_at=now)
        .on_conflict_do_nothing(index_elements=["line_user_id"])
    )
    session.execute(stmt)
    user = session.execute(
        select(User).where(User.line_user_id == line_user_id).with_for_update()
    ).scalar_one()
    if user.last_event_at is None or user.last_event_at < now:
        user.last_event_at = now
    return user


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
