"""Per-user drain tasks: one user's events one at a time, different users in parallel.

The events themselves wait in the database inbox (see Conversations.enqueue/drain_one);
this only decides when this process should go and drain a user. A task exists only while a
user has work; a notification that arrives while it drains marks the user dirty, so a
wake-up is never lost between "nothing left" and the task ending."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class UserDrains:
    def __init__(self, drain: Callable[[str], Awaitable[bool]], order_window: float = 0.01) -> None:
        self._drain = drain  # handles one event of the user; False when none was pending
        self._order_window = order_window
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()

    def notify(self, user_id: str) -> None:
        self._dirty.add(user_id)
        if user_id not in self._tasks:
            self._tasks[user_id] = asyncio.create_task(self._run(user_id))

    @property
    def busy(self) -> int:
        return len(self._tasks)

    async def _run(self, user_id: str) -> None:
        try:
            # One user's messages sent at once may arrive in separate requests a few ms
            # apart: let them all reach the inbox before taking the earliest.
            await asyncio.sleep(self._order_window)
            while user_id in self._dirty:
                self._dirty.discard(user_id)
                while True:
                    try:
                        handled = await self._drain(user_id)
                    except Exception:
                        log.exception("draining a user's events failed")
                        break
                    if not handled:
                        break
                    self._dirty.discard(user_id)
        finally:
            self._tasks.pop(user_id, None)

    async def join(self, timeout: float = 10.0) -> None:
        """Wait until no user is being drained (shutdown, tests)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(list(self._tasks.values()), timeout=0.1)
