"""The store on both SQLite and the machine's PostgreSQL: the same behaviour on each."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.store import repo
from bot.store.db import Database
from bot.store.models import ConversationState, Draft, Reminder, SeenEvent, User

T0 = datetime(2026, 11, 21, 1, 40, tzinfo=UTC)


def make_db(url: str) -> Database:
    db = Database(url)
    db.migrate()
    return db


def test_migrate_is_idempotent_and_creates_every_table(database_url: str) -> None:
    db = make_db(database_url)
    db.migrate()
    with db.session() as s:
        for model in (User, ConversationState, SeenEvent, Draft, Reminder):
            assert s.execute(select(func.count()).select_from(model)).scalar_one() == 0
    db.dispose()


def test_head_constant_names_alembics_newest_revision() -> None:
    """Starts skip Alembic when the database is at HEAD: a new migration must move HEAD."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.migrations import HEAD
    from bot.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_heads() == [HEAD]


def test_event_is_claimed_once(database_url: str) -> None:
    db = make_db(database_url)
    with db.session() as s:
        assert repo.claim_event(s, "01EVENT", T0) is True
    with db.session() as s:
        assert repo.claim_event(s, "01EVENT", T0) is False
        assert repo.claim_event(s, "01OTHER", T0) is True
    with db.session() as s:  # in bulk (the drain's batches): only the new ones are claimed
        batch = {"01EVENT": T0, "01NEW1": T0, "01OTHER": T0, "01NEW2": T0}
        assert repo.claim_events(s, batch) == {"01NEW1", "01NEW2"}
    with db.session() as s:
        assert repo.claim_events(s, {"01NEW2": T0, "01NEW3": T0}) == {"01NEW3"}
    db.dispose()


def test_claim_rolled_back_with_a_failed_transaction(database_url: str) -> None:
    """A crash while handling must leave the event unclaimed, so a redelivery is handled."""
    db = make_db(database_url)
    try:
        with db.session() as s:
            repo.claim_event(s, "01CRASH", T0)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.session() as s:
        assert repo.claim_event(s, "01CRASH", T0) is True
    db.dispose()


def test_concurrent_claims_of_one_event_have_one_winner(database_url: str) -> None:
    db = make_db(database_url)
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        with db.session() as s:
            wins.append(repo.claim_event(s, "01RACE", T0))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]
    db.dispose()


def test_user_state_round_trip_and_last_event_time(database_url: str) -> None:
    db = make_db(database_url)
    with db.session() as s:
        user = repo.lock_user(s, "Uabc", T0)
        assert repo.load_state(s, user.id) is None
        repo.save_state(s, user.id, '{"turn": 1}', T0)
    with db.session() as s:
        user = repo.lock_user(s, "Uabc", T0 + timedelta(minutes=5))
        assert repo.load_state(s, user.id) == '{"turn": 1}'
        repo.save_state(s, user.id, '{"turn": 2}', T0)
    with db.session() as s:
        user = repo.lock_user(s, "Uabc", T0 - timedelta(hours=1))  # a late redelivery
        assert user.last_event_at == T0 + timedelta(minutes=5)
        assert s.get(ConversationState, user.id).version == 2
        assert s.execute(select(func.count()).select_from(User)).scalar_one() == 1
    db.dispose()


def test_erase_user_removes_everything_about_them_only(database_url: str) -> None:
    db = make_db(database_url)
    with db.session() as s:
        for uid in ("Ukeep", "Ugone"):
            user = repo.lock_user(s, uid, T0)
            repo.save_state(s, user.id, "{}", T0)
            draft = Draft(user_id=user.id, text="secret", created_at=T0, status="held")
            s.add(draft)
            s.flush()
            s.add(Reminder(user_id=user.id, draft_id=draft.id, kind="draft", due_at=T0,
                           next_attempt_at=T0, retry_key=f"key-{uid}", created_at=T0))  # fmt: skip
    with db.session() as s:
        assert repo.erase_user(s, "Ugone") is True
        assert repo.erase_user(s, "Unknown") is False
    with db.session() as s:
        for model in (User, ConversationState, Draft, Reminder):
            assert s.execute(select(func.count()).select_from(model)).scalar_one() == 1
        assert s.execute(select(User.line_user_id)).scalar_one() == "Ukeep"
    db.dispose()


def test_seen_events_are_pruned_after_retention(database_url: str) -> None:
    db = make_db(database_url)
    with db.session() as s:
        repo.claim_event(s, "old", T0 - timedelta(days=4))
        repo.claim_event(s, "new", T0)
    with db.session() as s:
        assert repo.prune_seen_events(s, T0 - timedelta(days=3)) == 1
    with db.session() as s:
        assert s.execute(select(SeenEvent.event_id)).scalars().all() == ["new"]
    db.dispose()


def test_in_memory_sqlite_works() -> None:
    db = make_db("sqlite:///:memory:")
    with db.session() as s:
        repo.lock_user(s, "Umem", T0)
    with db.session() as s:
        assert repo.find_user(s, "Umem") is not None
    db.dispose()
