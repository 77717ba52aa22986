"""The simulated clock: real time plus an offset, so a held draft's morning can be reached
in a click while the seconds still tick between messages."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo

MAX_JUMP = timedelta(days=366)  # beyond any reminder the bot sets (a month at most)


class SimClock:
    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def jump(self, to: datetime) -> datetime:
        """Move to `to` (naive: local); ValueError when that is in the simulated past
        (reminders already sent could not be unsent, so time only goes forward) or absurdly
        far ahead."""
        if to.tzinfo is None:
            to = to.replace(tzinfo=self.tz)
        if to < self.now() - timedelta(seconds=1):
            raise ValueError("過去には戻れません")
        if to - self.now() > MAX_JUMP:
            raise ValueError("一度に進めるのは1年までです")
        self.offset += to - self.now()
        return self.now()

    def next_morning(self, hour: int) -> datetime:
        """The next `hour`:00 local after now (「翌朝 8:00」)."""
        local = self.now().astimezone(self.tz)
        day = local.date() if local.hour < hour else local.date() + timedelta(days=1)
        return datetime.combine(day, time(hour), tzinfo=self.tz)
