"""Queries the bot runs, as plain functions on a Session (the caller owns the transaction).

Inserts that may race with another replica use ON CONFLICT, so the database, not the process,
decides who wins. The statements every message runs (the inbox, the user lock, the state, the
event claim) are SQLAlchemy Core on the session's connection, built once at import: through
the ORM they cost ten times what SQLite itself spent on them. Drafts and reminders, written a
few times per conversation, stay with the ORM."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    ColumnElement,
    Insert,
    Integer,
    bindparam,
    case,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bot.dialogue.types import Held
from bot.store.models import (
    ConversationState,
    Draft,
    InboxEvent,
    Reminder,
    SeenEvent,
    User,
    UTCDateTime,
)

USERS, STATES, INBOX, SEEN = (User.__table__, ConversationState.__table__, InboxEvent.__table__,
                              SeenEvent.__table__)  # fmt: skip
REMINDERS, DRAFTS = Reminder.__table__, Draft.__table__
USER_ROWS = (REMINDERS, DRAFTS, STATES)  # what hangs off a user, by user_id


@dataclass(frozen=True, slots=True)
class LockedUser:
    """A user row locked for this transaction."""

    id: int
    line_user_id: str
    last_event_at: datetime | None


class _Statements:
    """The per-message statements, built once per dialect (SQLAlchemy then compiles each once)."""

    def __init__(self, insert: type[Insert]) -> None:
        ids = bindparam("ids", expanding=True)
        upsert_user = insert(USERS).values(
            line_user_id=bindparam("u"), created_at=bindparam("at"), last_event_at=bindparam("at")
        )
        newer = upsert_user.excluded.last_event_at
        self.lock_users = upsert_user.on_conflict_do_update(
            index_elements=[USERS.c.line_user_id],
            set_={"last_event_at": case(
                (USERS.c.last_event_at.is_(None) | (USERS.c.last_event_at < newer), newer),
                else_=USERS.c.last_event_at,
            )},
        ).returning(USERS.c.id, USERS.c.line_user_id, USERS.c.last_event_at)  # fmt: skip
        self.load_states = select(STATES.c.user_id, STATES.c.data).where(STATES.c.user_id.in_(ids))
        upsert_state = insert(STATES).values(
            user_id=bindparam("uid"), data=bindparam("data"), version=1, updated_at=bindparam("at")
        )
        self.save_states = upsert_state.on_conflict_do_update(
            index_elements=[STATES.c.user_id],
            set_={"data": upsert_state.excluded.data, "version": STATES.c.version + 1,
                  "updated_at": upsert_state.excluded.updated_at},
        )  # fmt: skip
        self.claim_events = (
            insert(SEEN).on_conflict_do_nothing(index_elements=[SEEN.c.event_id])
            .returning(SEEN.c.event_id)
        )  # fmt: skip
        self.enqueue = insert(INBOX).on_conflict_do_nothing(index_elements=[INBOX.c.event_id])
        self.earliest = (
            select(INBOX.c.line_user_id, func.min(INBOX.c.timestamp_ms))
            .where(INBOX.c.line_user_id.in_(ids)).group_by(INBOX.c.line_user_id)
        )  # fmt: skip
        rank = func.row_number().over(partition_by=INBOX.c.line_user_id,
                                      order_by=(INBOX.c.timestamp_ms, INBOX.c.id))  # fmt: skip
        ranked = select(INBOX.c.id, rank.label("rank")).where(INBOX.c.line_user_id.in_(ids))
        first = ranked.subquery()
        self.next_events = select(INBOX).where(
            INBOX.c.id.in_(select(first.c.id).where(first.c.rank == 1))
        )
        self.remove_events = delete(INBOX).where(INBOX.c.id.in_(ids))


_STATEMENTS = {"postgresql": _Statements(postgresql.insert), "sqlite": _Statements(sqlite.insert)}


def _stmts(session: Session) -> _Statements:
    return _STATEMENTS[session.get_bind().dialect.name]


def claim_event(session: Session, event_id: str, now: datetime) -> bool:
    """Record `event_id` as handled; False if it already was (here or on another replica).

    On PostgreSQL a concurrent claim of the same id waits for this transaction and then loses,
    so an event is handled exactly once as long as the handling commits with the claim."""
    return event_id in claim_events(session, {event_id: now})


def prune_seen_events(session: Session, before: datetime) -> int:
    return session.execute(delete(SeenEvent).where(SeenEvent.seen_at < before)).rowcount


def lock_user(session: Session, line_user_id: str, now: datetime) -> LockedUser:
    """Get or create the user row and lock it for this transaction (per-user ordering across
    replicas on PostgreSQL; SQLite already serialises writers)."""
    return lock_users(session, {line_user_id: now})[line_user_id]


def find_user(session: Session, line_user_id: str) -> User | None:
    return session.execute(
        select(User).where(User.line_user_id == line_user_id)
    ).scalar_one_or_none()


def load_state(session: Session, user_id: int) -> str | None:
    return load_states(session, [user_id]).get(user_id)


def load_states(session: Session, user_ids: list[int]) -> dict[int, str]:
    """The saved dialogue states of these users (users without one are left out)."""
    rows = session.connection().execute(_stmts(session).load_states, {"ids": user_ids})
    return {user_id: data for user_id, data in rows}


def save_state(session: Session, user_id: int, data: str, now: datetime) -> None:
    save_states(session, {user_id: data}, now)


def save_states(session: Session, states: dict[int, str], now: datetime) -> None:
    """Write each user's new state (the version counts the writes)."""
    if states:
        session.connection().execute(
            _stmts(session).save_states,
            [{"uid": uid, "data": data, "at": now} for uid, data in sorted(states.items())],
        )


def erase_user(session: Session, line_user_id: str) -> bool:
    """Delete everything stored about the user: state, drafts, reminders, the user row."""
    conn = session.connection()
    user_id = conn.execute(
        select(USERS.c.id).where(USERS.c.line_user_id == line_user_id)
    ).scalar_one_or_none()
    if user_id is None:
        return False
    for table in USER_ROWS:
        conn.execute(delete(table).where(table.c.user_id == user_id))
    conn.execute(delete(USERS).where(USERS.c.id == user_id))
    return True


# ---- held drafts and reminders --------------------------------------------------------------


def hold_draft(
    session: Session, user: LockedUser, text: str, reasons: list[str], remind_at: datetime,
    now: datetime, source_message_id: str | None = None, quote_token: str | None = None,
    around: tuple[str | None, str | None] = (None, None),
) -> Draft:  # fmt: skip
    """Keep the draft and schedule its return, with a retry key fixed from the start.
    `source_message_id` names the message it came from (see `drop_drafts_from`),
    `quote_token` lets the push quote it, `around` holds the push's words before and after
    the draft (kept, encrypted, in the reminder's message; see `DueReminder.around`)."""
    draft = Draft(user_id=user.id, text=text, reasons=json.dumps(reasons, ensure_ascii=False),
                  status="held", created_at=now, source_message_id=source_message_id,
                  quote_token=quote_token)  # fmt: skip
    session.add(draft)
    session.flush()
    session.add(Reminder(user_id=user.id, draft_id=draft.id, kind="draft", due_at=remind_at,
                         next_attempt_at=remind_at, retry_key=str(uuid.uuid4()),
                         created_at=now, message=json.dumps(around, ensure_ascii=False)
                         if any(around) else None))  # fmt: skip
    return draft


def schedule_checkin(session: Session, user: LockedUser, due_at: datetime, message: str,
                     now: datetime) -> None:  # fmt: skip
    session.add(Reminder(user_id=user.id, kind="checkin", due_at=due_at, next_attempt_at=due_at,
                         retry_key=str(uuid.uuid4()), created_at=now, message=message))  # fmt: skip


def cancel_held(session: Session, user: LockedUser, draft_id: int | None = None) -> int:
    """Call off every pending reminder of the user (or only the one of `draft_id`) and erase
    the drafts they would return."""
    query = select(Reminder).where(Reminder.user_id == user.id, Reminder.status == "pending")
    if draft_id is not None:
        query = query.where(Reminder.draft_id == draft_id)
    pending = session.execute(query).scalars().all()
    draft_ids = {r.draft_id for r in pending if r.draft_id is not None}
    for reminder in pending:
        session.delete(reminder)
    if draft_ids:
        session.execute(delete(Draft).where(Draft.id.in_(draft_ids), Draft.status == "held"))
    return len(pending)


def held_drafts(session: Session, user: LockedUser) -> tuple[Held, ...]:
    """The user's held drafts still to be given back, soonest first (for 預けた下書き)."""
    rows = session.execute(
        select(Draft.id, Draft.text, Reminder.due_at)
        .join(Reminder, Reminder.draft_id == Draft.id)
        .where(Reminder.user_id == user.id, Reminder.kind == "draft",
               Reminder.status == "pending", Draft.status == "held")
        .order_by(Reminder.due_at, Draft.id)
    ).all()  # fmt: skip
    return tuple(Held(r.id, r.text, r.due_at) for r in rows)


def drop_drafts_from(session: Session, user: LockedUser, message_id: str) -> int:
    """Erase the user's drafts taken from this message, whatever their status, and their
    reminders (the message was unsent: its text must not come back)."""
    ids = list(session.execute(select(Draft.id).where(
        Draft.user_id == user.id, Draft.source_message_id == message_id)).scalars())  # fmt: skip
    if not ids:
        return 0
    session.execute(delete(Reminder).where(Reminder.draft_id.in_(ids)))
    return session.execute(delete(Draft).where(Draft.id.in_(ids))).rowcount


def latest_held(session: Session, user: LockedUser) -> datetime | None:
    """When the last of the user's held drafts still to be given back is due (None: none)."""
    return session.execute(
        select(func.max(Reminder.due_at)).where(
            Reminder.user_id == user.id, Reminder.kind == "draft",
            Reminder.status.in_(("pending", "sending")))
    ).scalar_one()  # fmt: skip


def resolve_draft(session: Session, user: LockedUser, draft_id: int, outcome: str,
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
    quote_token: str | None = None  # of the user's message the draft came from

    @property
    def around(self) -> tuple[str | None, str | None]:
        """A draft's push words chosen when it was held (intro, reread); (None, None) for a
        reminder held before they were kept."""
        if self.kind != "draft" or not self.message:
            return None, None
        intro, reread = json.loads(self.message)
        return intro, reread


def claim_due(
    session: Session, now: datetime, lease: timedelta, limit: int = 10, terminal: bool = False,
    line_user_id: str | None = None,
) -> list[DueReminder]:  # fmt: skip
    """Claim reminders that are due (or whose earlier claim was abandoned by a crashed process).

    `FOR UPDATE SKIP LOCKED` lets several dispatchers on PostgreSQL split the work without
    waiting on each other; SQLite's write lock (BEGIN IMMEDIATE) gives the same exclusivity.
    The claim commits before the push, so a crash leaves a `sending` row to be re-claimed
    after the lease, and the retry reuses its key. Core, a SELECT or two and one UPDATE per
    batch: a morning burst claims thousands. Abandoned claims first, then pending rows in
    the order they came due, each read along its index, so a batch costs the same whether
    a hundred or a hundred thousand are due (one query with both, OR'ed, sorted them all)."""
    r = REMINDERS
    terminal_users = USERS.c.line_user_id.like("terminal:%")

    def pick(due: ColumnElement[bool], order: Column[datetime], count: int) -> list[Row]:
        query = (
            select(r.c.id, r.c.kind, USERS.c.line_user_id, r.c.retry_key, r.c.attempts,
                   r.c.draft_id, DRAFTS.c.text, r.c.message, DRAFTS.c.quote_token)
            .select_from(r.join(USERS, USERS.c.id == r.c.user_id)
                         .outerjoin(DRAFTS, DRAFTS.c.id == r.c.draft_id))
            .where(due, terminal_users if terminal else ~terminal_users)
            .order_by(order)  # no tie-break: with one, PostgreSQL sorted every due row
            .limit(count)
            .with_for_update(of=r, skip_locked=True)
        )  # fmt: skip
        if line_user_id is not None:
            query = query.where(USERS.c.line_user_id == line_user_id)
        return list(conn.execute(query))

    conn = session.connection()
    rows = pick((r.c.status == "sending") & (r.c.claimed_at <= now - lease), r.c.claimed_at, limit)
    if len(rows) < limit:
        pending = (r.c.status == "pending") & (r.c.next_attempt_at <= now)
        rows += pick(pending, r.c.next_attempt_at, limit - len(rows))
    if not rows:
        return []
    conn.execute(
        update(r).where(r.c.id.in_([row.id for row in rows]))
        .values(status="sending", claimed_at=now, attempts=r.c.attempts + 1)
    )  # fmt: skip
    return [DueReminder(row.id, row.kind, row.line_user_id, row.retry_key, row.attempts + 1,
                        row.draft_id, row.text, row.message, row.quote_token)
            for row in rows]  # fmt: skip


def next_due(session: Session) -> datetime | None:
    """When the earliest pending reminder of the dispatcher comes due (None: none pending)."""
    return session.connection().execute(
        select(func.min(REMINDERS.c.next_attempt_at))
        .select_from(REMINDERS.join(USERS, USERS.c.id == REMINDERS.c.user_id))
        .where(REMINDERS.c.status == "pending", ~USERS.c.line_user_id.like("terminal:%"))
    ).scalar_one()  # fmt: skip


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed reminder: sent, pending again (at retry_at), or failed.
    `refund`: the push never counted (LINE refused it for the rate), so the attempt is given
    back and a long spell of rate limiting cannot use up MAX_ATTEMPTS."""

    id: int
    status: str
    error: str | None = None
    retry_at: datetime | None = None
    refund: bool = False


_FINISH = (
    update(REMINDERS)
    .where(REMINDERS.c.id == bindparam("rid"), REMINDERS.c.status == "sending")
    .values(
        status=bindparam("new_status"),
        last_error=bindparam("error"),
        sent_at=func.coalesce(bindparam("sent", type_=UTCDateTime()), REMINDERS.c.sent_at),
        next_attempt_at=func.coalesce(bindparam("retry", type_=UTCDateTime()),
                                      REMINDERS.c.next_attempt_at),
        attempts=REMINDERS.c.attempts - bindparam("refund", type_=Integer()),
    )
)  # fmt: skip


def finish_reminders(session: Session, outcomes: list[Outcome], now: datetime) -> None:
    """Record what the pushes did, in one statement for the batch (executemany). A row no
    longer `sending` is left alone: erased meanwhile (unfollow, delete_data), or finished by
    another dispatcher that re-claimed it after the lease. A returned draft is marked so."""
    if not outcomes:
        return
    conn = session.connection()
    conn.execute(_FINISH, [
        {"rid": o.id, "new_status": o.status, "error": o.error[:200] if o.error else None,
         "sent": now if o.status == "sent" else None,
         "retry": o.retry_at if o.status == "pending" else None, "refund": int(o.refund)}
        for o in sorted(outcomes, key=lambda o: o.id)
    ])  # fmt: skip
    sent = [o.id for o in outcomes if o.status == "sent"]
    if sent:
        returned = select(REMINDERS.c.draft_id).where(REMINDERS.c.id.in_(sent))
        conn.execute(
            update(DRAFTS).where(DRAFTS.c.id.in_(returned))
            .values(status="returned", resolved_at=now)
        )  # fmt: skip


def finish_reminder(session: Session, reminder_id: int, status: str, now: datetime,
                    error: str | None = None, retry_at: datetime | None = None) -> None:  # fmt: skip
    """`finish_reminders` for one reminder."""
    finish_reminders(session, [Outcome(reminder_id, status, error, retry_at)], now)


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
    session.connection().execute(_stmts(session).enqueue,
                                 [{**row, "received_at": now} for row in rows])  # fmt: skip
    return len(rows)


def earliest_inbox_times(session: Session, line_user_ids: list[str]) -> dict[str, int]:
    """Which of these users have pending events, and the timestamp of each one's earliest."""
    rows = session.connection().execute(_stmts(session).earliest, {"ids": line_user_ids})
    return {user_id: ts for user_id, ts in rows}


def lock_users(session: Session, seen_at: dict[str, datetime]) -> dict[str, LockedUser]:
    """`lock_user` for several users in one statement: an upsert, which creates the missing
    rows and locks them all, keeping the latest `last_event_at`. Rows are locked in user-id
    order, so two replicas locking overlapping sets on PostgreSQL wait for each other
    instead of deadlocking."""
    rows = session.connection().execute(
        _stmts(session).lock_users, [{"u": u, "at": seen_at[u]} for u in sorted(seen_at)]
    )
    return {r.line_user_id: LockedUser(r.id, r.line_user_id, r.last_event_at) for r in rows}


def next_inbox_events(session: Session, line_user_ids: list[str]) -> list[Row]:
    """Each user's earliest pending event (call with the users' rows locked)."""
    return list(session.connection().execute(_stmts(session).next_events, {"ids": line_user_ids}))


def remove_inbox_events(session: Session, row_ids: list[int]) -> None:
    session.connection().execute(_stmts(session).remove_events, {"ids": row_ids})


def claim_events(session: Session, seen_at: dict[str, datetime]) -> set[str]:
    """`claim_event` for several events at once: the ids this transaction claimed (RETURNING
    names the inserted rows: rowcount is not reliable for this on every driver)."""
    if not seen_at:
        return set()
    rows = [{"event_id": e, "seen_at": seen_at[e]} for e in sorted(seen_at)]
    return set(session.connection().execute(_stmts(session).claim_events, rows).scalars())


def stale_inbox_users(session: Session, received_before: datetime) -> list[str]:
    """Users with events nobody drained (a replica died, or a notification was missed)."""
    return list(
        session.execute(
            select(InboxEvent.line_user_id)
            .where(InboxEvent.received_at < received_before)
            .distinct()
        ).scalars()
    )
