"""Fixed cases of the deadline arithmetic, worked out by hand (times are Europe/Paris wall clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import WorkingCalendar, add_working_time, target_duration, working_time_between
from sla.models import BusinessCalendar, Holiday, WorkingHours
from tests.factories import restore_reference_data

PARIS = ZoneInfo("Europe/Paris")
NINE_TO_SIX = {day: [(time(9), time(18))] for day in range(5)}


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def office(**kwargs) -> WorkingCalendar:
    """Monday–Friday 9:00–18:00 in Paris."""
    return WorkingCalendar(tz=PARIS, periods=NINE_TO_SIX, **kwargs)


def p3_deadlines(start: datetime, calendar: WorkingCalendar) -> tuple[datetime, datetime]:
    """P3 of the default targets: first response within 4 h, resolution within 48 h."""
    return (
        add_working_time(start, target_duration(4, "hours", calendar), calendar),
        add_working_time(start, target_duration(48, "hours", calendar), calendar),
    )


# --- The issue's case: a P3 opened Friday 17:30, the Monday after is not worked


def test_p3_opened_friday_1730_before_a_company_holiday_monday_is_answered_tuesday_1230():
    # Friday 6 March 2026, 17:30; Monday 9 March is a company closure (custom holiday).
    calendar = office(extra_holidays=frozenset({date(2026, 3, 9)}))

    response, resolution = p3_deadlines(paris(2026, 3, 6, 17, 30), calendar)

    # 30 min on Friday, nothing on Monday, 3 h 30 from Tuesday 9:00.
    assert response == paris(2026, 3, 10, 12, 30)
    # 0 h 30 Friday + 9 h × (Tue, Wed, Thu, Fri, Mon 16) = 45 h 30; the last 2 h 30 on Tuesday 17.
    assert resolution == paris(2026, 3, 17, 11, 30)
    assert working_time_between(paris(2026, 3, 6, 17, 30), resolution, calendar) == timedelta(hours=48)


def test_p3_opened_friday_1730_before_whit_monday_is_answered_tuesday_1230():
    # Whit Monday (lundi de Pentecôte) 25 May 2026 is a French public holiday.
    calendar = office(holiday_country="FR")
    assert calendar.is_holiday(date(2026, 5, 25))

    response, resolution = p3_deadlines(paris(2026, 5, 22, 17, 30), calendar)

    assert response == paris(2026, 5, 26, 12, 30)
    assert resolution == paris(2026, 6, 2, 11, 30)


def test_without_the_holiday_the_same_p3_is_answered_monday_1230():
    response, _resolution = p3_deadlines(paris(2026, 3, 6, 17, 30), office())

    assert response == paris(2026, 3, 9, 12, 30)


def test_the_issues_case_through_a_stored_calendar_with_a_custom_holiday(db):
    stored = BusinessCalendar.objects.create(name="Bureau", time_zone="Europe/Paris", holiday_country="FR")
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=stored, weekday=day, start=time(9), end=time(18)) for day in range(5)
    )
    Holiday.objects.create(calendar=stored, day=date(2026, 3, 9), name="Fermeture")

    response, resolution = p3_deadlines(paris(2026, 3, 6, 17, 30), stored.as_working_calendar())

    assert (response, resolution) == (paris(2026, 3, 10, 12, 30), paris(2026, 3, 17, 11, 30))


def test_the_default_business_calendar_of_the_migration_is_nine_to_six_with_french_holidays(db):
    restore_reference_data()
    calendar = BusinessCalendar.objects.get(name="Jours ouvrés 9h–18h").as_working_calendar()

    response, _resolution = p3_deadlines(paris(2026, 5, 22, 17, 30), calendar)

    assert response == paris(2026, 5, 26, 12, 30)


# --- Starts outside working hours


def test_a_ticket_opened_on_sunday_starts_counting_monday_at_nine():
    calendar = office()

    assert add_working_time(paris(2026, 3, 8, 10, 0), timedelta(hours=1), calendar) == paris(2026, 3, 9, 10, 0)
    assert working_time_between(paris(2026, 3, 8, 10, 0), paris(2026, 3, 9, 9, 0), calendar) == timedelta(0)


def test_a_ticket_opened_after_six_starts_counting_the_next_morning():
    calendar = office()

    assert add_working_time(paris(2026, 3, 11, 19, 0), timedelta(hours=2), calendar) == paris(2026, 3, 12, 11, 0)


def test_a_ticket_opened_before_nine_starts_counting_at_nine():
    calendar = office()

    assert add_working_time(paris(2026, 3, 11, 7, 45), timedelta(minutes=15), calendar) == paris(2026, 3, 11, 9, 15)


def test_a_target_that_fills_the_day_exactly_ends_at_closing_time_not_next_morning():
    calendar = office()

    assert add_working_time(paris(2026, 3, 11, 9, 0), timedelta(hours=9), calendar) == paris(2026, 3, 11, 18, 0)


def test_split_hours_skip_the_lunch_break_and_saturday_afternoon():
    calendar = WorkingCalendar(
        tz=PARIS,
        periods={**{day: [(time(8), time(12)), (time(14), time(18))] for day in range(5)}, 5: [(time(8), time(12))]},
    )

    assert add_working_time(paris(2026, 3, 11, 11, 0), timedelta(hours=2), calendar) == paris(2026, 3, 11, 15, 0)
    # Friday 17:00 + 3 h: 1 h Friday, 2 h Saturday morning.
    assert add_working_time(paris(2026, 3, 13, 17, 0), timedelta(hours=3), calendar) == paris(2026, 3, 14, 10, 0)
    # Saturday 11:00 + 2 h: 1 h Saturday, then Monday 8:00 + 1 h.
    assert add_working_time(paris(2026, 3, 14, 11, 0), timedelta(hours=2), calendar) == paris(2026, 3, 16, 9, 0)


def test_the_working_day_keeps_its_wall_clock_hours_across_the_spring_dst_change():
    # Friday 27 March 17:00 (UTC+1) + 2 h lands Monday 30 March 10:00 (UTC+2).
    due = add_working_time(paris(2026, 3, 27, 17, 0), timedelta(hours=2), office())

    assert due == paris(2026, 3, 30, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


# --- Units


def test_hours_count_working_hours_and_days_count_working_days():
    calendar = office()

    assert target_duration(90, "minutes", calendar) == timedelta(minutes=90)
    assert target_duration(48, "hours", calendar) == timedelta(hours=48)
    # P4: 5 days on a 9:00–18:00 calendar is five working days of 9 h.
    assert target_duration(5, "days", calendar) == timedelta(hours=45)
    assert add_working_time(paris(2026, 3, 9, 9, 0), target_duration(5, "days", calendar), calendar) == paris(
        2026, 3, 13, 18, 0
    )
    # From Wednesday noon, five working days later is the next Wednesday noon.
    assert add_working_time(paris(2026, 3, 11, 12, 0), target_duration(5, "days", calendar), calendar) == paris(
        2026, 3, 18, 12, 0
    )


def test_five_days_skip_a_public_holiday():
    calendar = office(holiday_country="FR")

    # Wednesday 20 May 2026 noon + 5 working days, Whit Monday not worked: Thursday 28 May noon.
    assert add_working_time(paris(2026, 5, 20, 12, 0), target_duration(5, "days", calendar), calendar) == paris(
        2026, 5, 28, 12, 0
    )


def test_a_day_on_the_24_7_calendar_is_24_hours():
    calendar = WorkingCalendar.twenty_four_seven()

    assert target_duration(5, "days", calendar) == timedelta(days=5)
    assert add_working_time(paris(2026, 3, 27, 12, 0), timedelta(days=5), calendar) == paris(2026, 4, 1, 13, 0)


def test_a_day_on_a_split_calendar_is_its_longest_working_day():
    calendar = WorkingCalendar(
        tz=PARIS,
        periods={**{day: [(time(8), time(12)), (time(14), time(18))] for day in range(5)}, 5: [(time(8), time(12))]},
    )

    assert target_duration(2, "days", calendar) == timedelta(hours=16)


def test_an_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="unknown unit"):
        target_duration(3, "weeks", office())


# --- Refusals and degenerate input


def test_a_naive_start_or_a_negative_duration_is_refused():
    with pytest.raises(ValueError, match="aware"):
        add_working_time(datetime(2026, 3, 9, 9, 0), timedelta(hours=1), office())
    with pytest.raises(ValueError, match="negative"):
        add_working_time(paris(2026, 3, 9, 9, 0), timedelta(hours=-1), office())


def test_a_calendar_without_working_hours_is_reported_not_looped_on():
    with pytest.raises(ValueError, match="no working time"):
        add_working_time(paris(2026, 3, 9, 9, 0), timedelta(hours=1), WorkingCalendar(tz=PARIS, periods={}))


def test_working_time_between_is_zero_when_the_end_is_not_after_the_start():
    calendar = office()

    assert working_time_between(paris(2026, 3, 9, 12, 0), paris(2026, 3, 9, 10, 0), calendar) == timedelta(0)
    assert working_time_between(paris(2026, 3, 9, 12, 0), paris(2026, 3, 9, 12, 0), calendar) == timedelta(0)


def test_working_time_between_counts_only_the_open_hours_of_a_weekend_wait():
    # Friday 17:00 to Monday 10:00: one hour on Friday, one on Monday.
    assert working_time_between(paris(2026, 3, 13, 17, 0), paris(2026, 3, 16, 10, 0), office()) == timedelta(hours=2)
