"""Property tests of the one deadline function and its inverse (sla.calendar).

Three calendars: 24/7; Monday–Friday 9:00–18:00 in Europe/Paris with French public holidays; split
hours (8:00–12:00, 14:00–18:00 on weekdays) plus Saturday morning. Starts are drawn over 2025–2027,
and separately around the two 2026 DST changes in Paris (29 March, 25 October).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import WorkingCalendar, add_working_time, working_time_between

PARIS = ZoneInfo("Europe/Paris")

TWENTY_FOUR_SEVEN = WorkingCalendar.twenty_four_seven()
OFFICE_HOURS = WorkingCalendar(
    tz=PARIS, periods={day: [(time(9), time(18))] for day in range(5)}, holiday_country="FR"
)
SPLIT_HOURS = WorkingCalendar(
    tz=PARIS,
    periods={**{day: [(time(8), time(12)), (time(14), time(18))] for day in range(5)}, 5: [(time(8), time(12))]},
    holiday_country="FR",
)
# Every hour of every day, but walked period by period (not the 24/7 shortcut): the DST check.
ALL_DAY_PARIS = WorkingCalendar(tz=PARIS, periods={day: [(time(0), time(0))] for day in range(7)})

CALENDARS = {"24/7": TWENTY_FOUR_SEVEN, "office hours": OFFICE_HOURS, "split hours": SPLIT_HOURS}
BUSINESS = {"office hours": OFFICE_HOURS, "split hours": SPLIT_HOURS}

# Modest: each example walks the calendar day by day (STYLE: fast suite). No example database, so
# the runs write nothing into the repository.
PROPERTY = settings(max_examples=100, deadline=None, database=None)


def instants(low: datetime, high: datetime):
    """Aware UTC instants to the second between two bounds."""
    return st.datetimes(
        min_value=low.replace(tzinfo=None), max_value=high.replace(tzinfo=None), timezones=st.just(UTC)
    ).map(lambda moment: moment.replace(microsecond=0))


ANY_START = instants(datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 12, 31, tzinfo=UTC))
# Within three days either side of each 2026 DST change in Europe/Paris.
DST_START = st.one_of(
    instants(datetime(2026, 3, 26, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)),
    instants(datetime(2026, 10, 22, tzinfo=UTC), datetime(2026, 10, 28, tzinfo=UTC)),
)
# Exactly on a period's edge (opening, lunch, closing, midnight) in Paris, where off-by-one bugs live.
EDGE_START = st.builds(
    lambda day, wall: datetime.combine(day, wall, tzinfo=PARIS).astimezone(UTC),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
    | st.sampled_from([date(2026, 3, 29), date(2026, 10, 25), date(2026, 5, 25), date(2026, 12, 25)]),
    st.sampled_from([time(0), time(8), time(9), time(12), time(14), time(17, 30), time(18)]),
)
# The functions take any aware datetime: the same instants are also drawn as Paris wall-clock times.
STARTS = st.one_of(ANY_START, DST_START, EDGE_START).flatmap(
    lambda moment: st.sampled_from([moment, moment.astimezone(PARIS)])
)
# Up to three weeks of working time (P4's 5 days on the split calendar is 40 h), to the minute or in
# whole hours (which end exactly on a period's closing time more often)…
MINUTES = st.integers(min_value=0, max_value=3 * 7 * 24 * 60) | st.integers(0, 3 * 7 * 24).map(lambda h: h * 60)
DURATIONS = MINUTES.map(lambda minutes: timedelta(minutes=minutes))
POSITIVE = MINUTES.filter(bool).map(lambda minutes: timedelta(minutes=minutes))
# …and to the second, for the inverse.
SECONDS = st.integers(min_value=0, max_value=10 * 24 * 3600).map(lambda seconds: timedelta(seconds=seconds))

calendars = pytest.mark.parametrize("calendar", CALENDARS.values(), ids=CALENDARS.keys())
business_calendars = pytest.mark.parametrize("calendar", BUSINESS.values(), ids=BUSINESS.keys())


@calendars
@PROPERTY
@given(start=STARTS, a=DURATIONS, b=DURATIONS)
def test_more_working_time_never_gives_an_earlier_deadline(calendar, start, a, b):
    a, b = sorted((a, b))

    assert add_working_time(start, a, calendar) <= add_working_time(start, b, calendar)


@calendars
@PROPERTY
@given(early=STARTS, shift=SECONDS, duration=DURATIONS)
def test_a_later_start_never_gives_an_earlier_deadline(calendar, early, shift, duration):
    late = elapsed(early, shift)

    assert add_working_time(early, duration, calendar) <= add_working_time(late, duration, calendar)


def elapsed(start: datetime, duration: timedelta) -> datetime:
    """Plain addition of real time (in UTC: Python adds to a Paris datetime on its wall clock)."""
    return start.astimezone(UTC) + duration


@PROPERTY
@given(start=STARTS, duration=SECONDS)
def test_on_the_24_7_calendar_it_is_plain_addition(start, duration):
    assert add_working_time(start, duration, TWENTY_FOUR_SEVEN) == elapsed(start, duration)
    assert working_time_between(start, elapsed(start, duration), TWENTY_FOUR_SEVEN) == duration
    assert working_time_between(start, elapsed(start, duration).astimezone(PARIS), TWENTY_FOUR_SEVEN) == duration


@PROPERTY
@given(start=DST_START.map(lambda moment: moment.astimezone(PARIS)), duration=SECONDS)
def test_on_the_24_7_calendar_a_paris_start_across_a_dst_change_adds_real_hours(start, duration):
    # Python's aware arithmetic adds on the wall clock: 12:00 + 5 days across the spring change is
    # 119 h of real time. A deadline is real time, so 5 days are 120 h.
    assert add_working_time(start, duration, TWENTY_FOUR_SEVEN) == elapsed(start, duration)
    assert working_time_between(start, elapsed(start, duration).astimezone(PARIS), TWENTY_FOUR_SEVEN) == duration


@PROPERTY
@given(start=STARTS, duration=SECONDS)
def test_a_calendar_open_all_day_every_day_in_paris_is_plain_addition_across_dst(start, duration):
    # Walked day by day in local time: 23 h and 25 h days must join up with no gap and no overlap.
    assert add_working_time(start, duration, ALL_DAY_PARIS) == elapsed(start, duration)
    assert working_time_between(start, elapsed(start, duration), ALL_DAY_PARIS) == duration


@calendars
@PROPERTY
@given(start=STARTS, a=POSITIVE, b=POSITIVE)
def test_adding_a_then_b_equals_adding_a_plus_b(calendar, start, a, b):
    assert add_working_time(add_working_time(start, a, calendar), b, calendar) == add_working_time(
        start, a + b, calendar
    )


def _local_days_touching(moment: datetime, calendar: WorkingCalendar) -> set[date]:
    # An interval that ends at midnight belongs to the day before the one `moment` falls on.
    return {
        moment.astimezone(calendar.tz).date(),
        (moment - timedelta(microseconds=1)).astimezone(calendar.tz).date(),
    }


@calendars
@PROPERTY
@given(start=STARTS, duration=POSITIVE)
def test_a_deadline_never_lands_outside_working_hours(calendar, start, duration):
    due = add_working_time(start, duration, calendar)

    intervals = [
        interval for day in _local_days_touching(due, calendar) for interval in calendar.intervals_on(day)
    ]
    assert any(begin < due <= end for begin, end in intervals), (due, intervals)


@business_calendars
@PROPERTY
@given(start=STARTS, duration=POSITIVE)
def test_a_deadline_is_never_on_a_holiday_or_a_closed_day(calendar, start, duration):
    due = add_working_time(start, duration, calendar)
    local = (due - timedelta(microseconds=1)).astimezone(calendar.tz)

    assert not calendar.is_holiday(local.date())
    assert local.weekday() in calendar.periods


@calendars
@PROPERTY
@given(start=STARTS, duration=SECONDS)
def test_working_time_between_is_the_inverse_of_add(calendar, start, duration):
    assert working_time_between(start, add_working_time(start, duration, calendar), calendar) == duration


@calendars
@PROPERTY
@given(start=STARTS, first=SECONDS, second=SECONDS)
def test_working_time_between_adds_up_over_consecutive_spans(calendar, start, first, second):
    middle, end = elapsed(start, first), elapsed(start, first + second)

    assert working_time_between(start, middle, calendar) + working_time_between(
        middle, end, calendar
    ) == working_time_between(start, end, calendar)


@calendars
@PROPERTY
@given(start=STARTS, span=SECONDS)
def test_working_time_never_exceeds_elapsed_time_and_is_zero_backwards(calendar, start, span):
    end = elapsed(start, span)

    assert timedelta(0) <= working_time_between(start, end, calendar) <= span
    assert working_time_between(end, start, calendar) == (span if span == timedelta(0) else timedelta(0))


@business_calendars
@PROPERTY
@given(start=DST_START, duration=POSITIVE)
def test_around_dst_changes_deadlines_keep_wall_clock_hours(calendar, start, duration):
    # A deadline inside a working period lands on the same local wall-clock time as the arithmetic
    # in local hours says, whatever the UTC offset of the day: checked through the inverse and
    # through the deadline being inside a local working period.
    due = add_working_time(start, duration, calendar)
    local = (due - timedelta(microseconds=1)).astimezone(calendar.tz)
    periods = calendar.periods[local.weekday()]

    assert working_time_between(start, due, calendar) == duration
    assert any(
        period_start <= local.time() and (period_end == time(0) or local.time() < period_end)
        for period_start, period_end in periods
    )


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 28), 24), (date(2026, 3, 29), 23), (date(2026, 3, 30), 24),
     (date(2026, 10, 24), 24), (date(2026, 10, 25), 25), (date(2026, 10, 26), 24)],
)
def test_a_midnight_to_midnight_day_in_paris_lasts_23_or_25_hours_on_dst_days(day, hours):
    midnight = datetime.combine(day, time(0), tzinfo=PARIS)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS)

    [(begin, end)] = ALL_DAY_PARIS.intervals_on(day)
    assert end - begin == timedelta(hours=hours)
    assert working_time_between(midnight, next_midnight, ALL_DAY_PARIS) == timedelta(hours=hours)
    assert add_working_time(midnight, timedelta(hours=hours), ALL_DAY_PARIS) == next_midnight


def test_a_day_of_working_time_from_midnight_on_the_spring_forward_day_ends_at_1_am_next_day():
    start = datetime(2026, 3, 29, 0, 0, tzinfo=PARIS)

    due = add_working_time(start, timedelta(hours=24), ALL_DAY_PARIS)

    assert due.astimezone(PARIS) == datetime(2026, 3, 30, 1, 0, tzinfo=PARIS)


def test_a_day_of_working_time_from_midnight_on_the_fall_back_day_ends_at_11_pm_the_same_day():
    start = datetime(2026, 10, 25, 0, 0, tzinfo=PARIS)

    due = add_working_time(start, timedelta(hours=24), ALL_DAY_PARIS)

    assert due.astimezone(PARIS) == datetime(2026, 10, 25, 23, 0, tzinfo=PARIS)
