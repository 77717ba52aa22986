"""Tables. Times are stored in UTC; `UTCDateTime` makes them timezone-aware on the way out."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator

from bot.store.crypto import SecretText


class UTCDateTime(TypeDecorator[datetime]):
    """SQLite drops tz info; store naive UTC everywhere and hand back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConversationState(Base):
    __tablename__ = "conversation_states"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[str] = mapped_column(SecretText(), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class SeenEvent(Base):
    """webhookEventIds already handled: redeliveries and other replicas skip them."""

    __tablename__ = "seen_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)


class InboxEvent(Base):
    """A webhook event accepted (200) but not yet handled. Persisted before the answer, so a
    crash after it loses nothing; drained per user in timestamp order by any replica."""

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    line_user_id: Mapped[str] = mapped_column(String(64), nullable=False)
    timestamp_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reply_token: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(SecretText(), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (
        Index("ix_inbox_user_order", "line_user_id", "timestamp_ms", "id"),
        Index("ix_inbox_received_at", "received_at"),
    )


class Draft(Base):
    """A message the user meant to send to the ex, held by the bot (never sent to the ex)."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    text: Mapped[str] = mapped_column(SecretText(), nullable=False)
    reasons: Mapped[str] = mapped_column(SecretText(), nullable=False, default="[]")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    outcome: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The LINE message the draft came from: an unsend of that message erases the draft.
    source_message_id: Mapped[str | None] = mapped_column(String(64))
    # That message's quote token: the morning push quotes it (None: the draft came otherwise).
    quote_token: Mapped[str | None] = mapped_column(String(255))


class Reminder(Base):
    """A push the user asked for. `retry_key` is stable so a resend after a crash is deduplicated."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    retry_key: Mapped[str] = mapped_column(String(36), nullable=False, unique=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    message: Mapped[str | None] = mapped_column(SecretText())  # a check-in's text

    __table_args__ = (Index("ix_reminders_due", "status", "next_attempt_at"),)
