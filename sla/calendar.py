"""Working-time arithmetic: the one deadline function and its inverse.

A calendar is a set of weekly working periods in a time zone, minus holidays. `add_working_time`
walks those periods from `start`, consuming `duration`; `working_time_between` sums the periods
that fall between two instants. A 24/7 calendar is plain datetime arithmetic. Periods are built in
local time and converted to UTC per day, so DST changes shorten or lengthen the day as the wall
clock says (a 00:00–24:00 period lasts 23 h on the spring-forward day).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib

# How far the walk may go before the calendar is declared to have no working time at all.
MAX_DAYS = 3 * 366


@functools.lru_cache(maxsize=256)
def public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    """Public holidays of a country (and region) for a year, from the `holidays` package."""
    return frozenset(holidays_lib.country_holidays(country, subdiv=subdivision or None, years=year).keys())


@dataclass(frozen=True)
class WorkingCalendar:
    """An immutable calendar. `periods` maps weekday (0 = Monday) to (start, end) local times;
    an `end` of 00:00 means midnight at the end of that day."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    periods: Mapping[int, Sequence[tuple[time, time]]] = field(default_factory=dict)
    holiday_country: str = ""
    holiday_subdivision: str = ""
    extra_holidays: frozenset[date] = frozenset()
    always_open: bool = False

    @classmethod
    def twenty_four_seven(cls) -> WorkingCalendar:
        return cls(always_open=True)

    def is_holiday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return True
        return bool(self.holiday_country) and day in public_holidays(
            self.holiday_country, self.holiday_subdivision, day.year
        )

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of a local day, as aware UTC datetimes, in order."""
        if self.always_open:
            start = datetime.combine(day, time(0), tzinfo=self.tz)
            return [(start.astimezone(UTC), _next_midnight(day, self.tz))]
        if self.is_holiday(day):
            return []
        intervals = []
        for start, end in sorted(self.periods.get(day.weekday(), ())):
            begin = datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC)
            finish = (
                _next_midnight(day, self.tz)
                if end == time(0)
                else datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC)
            )
            if finish > begin:
                intervals.append((begin, finish))
        return intervals

    def day_length(self) -> timedelta:
        """What one "day" of target means: 24 h on a 24/7 calendar, else the longest working day of
        the week (9 h for 9:00–18:00), so "5 days" is five full working days."""
        if self.always_open:
            return timedelta(hours=24)
        lengths = [
            sum((_span(start, end) for start, end in periods), timedelta())
            for periods in self.periods.values()
        ]
        return max(lengths, default=timedelta(0))

    def _intervals_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        # Start one local day early: a period that began yesterday cannot reach today (periods
        # end by midnight), but the UTC/local shift can put `start` at the edge of two days.
        day = start.astimezone(self.tz).date() - timedelta(days=1)
        for _ in range(MAX_DAYS):
            for begin, finish in self.intervals_on(day):
                if finish > start:
                    yield max(begin, start), finish
            day += timedelta(days=1)
        raise ValueError("This calendar has no working time in the next three years.")


def _next_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def _span(start: time, end: time) -> timedelta:
    end_minutes = 24 * 60 if end == time(0) else end.hour * 60 + end.minute
    return timedelta(minutes=max(0, end_minutes - (start.hour * 60 + start.minute)))


def add_working_time(start: datetime, duration: timedelta, calendar: WorkingCalendar) -> datetime:
    """The instant when `duration` of working time has elapsed after `start` (the deadline)."""
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    # In UTC: Python adds a timedelta to an aware datetime on its wall clock, so Paris 12:00 + 5 days
    # would be 119 h of real time across the spring DST change.
    start = start.astimezone(UTC)
    if calendar.always_open:
        return start + duration
    remaining = duration
    for begin, finish in calendar._intervals_from(start):
        available = finish - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable")  # pragma: no cover - _intervals_from raises first


def working_time_between(start: datetime, end: datetime, calendar: WorkingCalendar) -> timedelta:
    """Working time elapsed from `start` to `end` (zero if end <= start): the inverse of the above."""
    # In UTC: two datetimes with the same tzinfo compare and subtract on their wall clocks.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return timedelta(0)
    if calendar.always_open:
        return end - start
    total = timedelta(0)
    for begin, finish in calendar._intervals_from(start):
        if begin >= end:
            break
        total += min(finish, end) - begin
    return total


def target_duration(value: int, unit: str, calendar: WorkingCalendar) -> timedelta:
    """A policy target (number + unit) as working time on this calendar."""
    if unit == "minutes":
        return timedelta(minutes=value)
    if unit == "hours":
        return timedelta(hours=value)
    if unit == "days":
        return value * calendar.day_length()
    raise ValueError(f"unknown unit {unit!r}")


Clock = Callable[[], datetime]
