"""Batching of blocking database work: items that arrive while a batch is running share the
next one (one thread hop, one transaction), and each caller still gets its own result only
after its batch has committed. This is group commit, used for the webhook's inbox inserts and
for the drains; it is what keeps SQLite's single writer from being the bottleneck."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import anyio

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)


class Batcher(Generic[T, R]):
    def __init__(self, run: Callable[[list[T]], Sequence[R]], max_size: int = 64) -> None:
        self._run = run  # blocking, in a worker thread; one result per item, in order
        self._max_size = max_size
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """The item's result, once its batch has run (raises what its batch raised)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_size]
                del self._pending[: self._max_size]
                await self._settle(batch)
        finally:
            self._task = None

    async def _settle(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await anyio.to_thread.run_sync(self._run, [item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0][1].done():
                    batch[0][1].set_exception(exc)
                return
            # Split a failed batch so one bad item fails alone and the others go through.
            log.warning("batch failed; retrying its items one by one", exc_info=True)
            for one in batch:
                await self._settle([one])
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # the caller may have been cancelled meanwhile
                future.set_result(result)
