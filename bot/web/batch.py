"""Group commit for the webhook's inserts: requests that arrive while a write is in progress
share the next transaction. Each request still answers only after its events are stored."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

import anyio

T = TypeVar("T")


class GroupCommit(Generic[T]):
    def __init__(self, write: Callable[[list[T]], None]) -> None:
        self._write = write  # blocking; runs in a worker thread
        self._pending: list[tuple[list[T], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def add(self, items: list[T]) -> None:
        """Return once `items` are written (raises if their write failed)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((items, future))
        if self._task is None:
            self._task = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                items = [item for group, _ in batch for item in group]
                try:
                    await anyio.to_thread.run_sync(self._write, items)
                except Exception as exc:
                    for _, future in batch:
                        future.set_exception(exc)
                else:
                    for _, future in batch:
                        future.set_result(None)
        finally:
            self._task = None
