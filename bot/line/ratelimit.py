"""A client-side rate limit for pushes, shared by every dispatcher of the process.

LINE counts requests per endpoint and channel (2,000/s for push), asks senders for a token
bucket with a margin under that, and refuses the excess with a 429 it does not process. So
the dispatchers of a process draw on one budget (`shared(rate)`), and when LINE refuses one
for the rate anyway (another process, another app on the channel) the budget halves and
grows back, the way TCP finds a link's capacity, instead of refusing itself into a storm.

The limiter is GCRA (the "virtual scheduling" form of a token bucket): each caller reserves
the next free slot under a thread lock and sleeps until it, so it holds across event loops
and threads (tests run dispatchers in threads) without a task or a queue. aiolimiter, the
well-kept one, is tied to one event loop and knows nothing of a 429."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cache

import anyio

RECOVERY = 0.25  # after a slow-down, the rate grows back by this share of the ceiling per second
FLOOR = 1 / 64  # and never falls below this share of it


class RateLimiter:
    """At most `rate` acquisitions per second on average, at most `burst` at once; less for a
    while after `slow_down`."""

    def __init__(
        self, rate: float, burst: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.ceiling = self.rate = rate
        self._burst = burst
        self._tat = 0.0  # theoretical arrival time of the next acquisition, on `clock`
        self._grows_from = 0.0  # when the rate last changed: it grows back from then
        self._calm_until = 0.0
        self._lock = threading.Lock()
        self._clock = clock

    def reserve(self) -> float:
        """Take the next slot; return how many seconds until it comes."""
        with self._lock:
            now = self._clock()
            if self.rate < self.ceiling and now > self._grows_from:
                grown = self.rate + (now - self._grows_from) * self.ceiling * RECOVERY
                self.rate = min(self.ceiling, grown)
                self._grows_from = now
            interval = 1.0 / self.rate
            tat = max(self._tat, now)
            slot = max(now, tat - (self._burst - 1) * interval)
            self._tat = tat + interval
            return slot - now

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await anyio.sleep(delay)

    def slow_down(self, pause: float) -> None:
        """The channel refused a request for the rate: no slot for `pause` seconds, then half
        the rate. The refusals of one overshoot arrive together (every request in flight), so
        the rate halves once per pause, not once per refusal."""
        with self._lock:
            now = self._clock()
            if now >= self._calm_until:
                self.rate = max(self.rate / 2, self.ceiling * FLOOR)
                self._calm_until = now + pause
            self._grows_from = max(self._grows_from, now + pause)
            self._tat = max(self._tat, now + pause + (self._burst - 1) / self.rate)


@cache
def shared(rate: float, burst: int = 1) -> RateLimiter:
    """The process's limiter for this rate: every dispatcher built with it draws on one budget."""
    return RateLimiter(rate, burst)
