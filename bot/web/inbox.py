"""Per-user ordered handling: one user's events one at a time in timestamp order, different
users in parallel. Like a mailbox per user, drained by a task that exists only while mail waits."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Inbox(Generic[T]):
    def __init__(self, handle: Callable[[T], Awaitable[None]], order_window: float = 0.01) -> None:
        self._handle = handle
        self._order_window = order_window
        self._queues: dict[str, list[tuple[int, int, T]]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._seq = itertools.count()

    def submit(self, key: str, timestamp: int, item: T) -> None:
        heapq.heappush(self._queues.setdefault(key, []), (timestamp, next(self._seq), item))
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._drain(key))

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())

    async def _drain(self, key: str) -> None:
        try:
            # Events of one user sent at once may arrive in separate requests, a few ms apart:
            # wait a moment so they are all in the heap before the earliest is taken.
            await asyncio.sleep(self._order_window)
            queue = self._queues[key]
            while queue:
                _, _, item = heapq.heappop(queue)
                try:
                    await self._handle(item)
                except Exception:
                    log.exception("event handling failed")
        finally:
            self._queues.pop(key, None)
            self._tasks.pop(key, None)

    async def join(self, timeout: float = 10.0) -> None:
        """Wait until every queued event is handled (used at shutdown and in tests)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks and asyncio.get_running_loop().time() < deadline:
            await asyncio.wait(list(self._tasks.values()), timeout=0.1)
