"""core.formats writes dates as Django's `date` filter does (date_format after localtime), in both languages,
for the formats the pages use and for every letter whatever the hour, the month or a change of clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from core.formats import date_formatter, day_formatter

# Every hour of a day (midnight and noon included), every month, both changes of clocks in Paris.
MOMENTS = (
    [datetime(2026, 3, 10, hour, minute, 7, tzinfo=UTC) for hour in range(24) for minute in (0, 5, 30)]
    + [datetime(2026, month, 1 + month, 11, 0, tzinfo=UTC) for month in range(1, 13)]
    + [datetime(2026, 3, 29, 0, 30, tzinfo=UTC) + timedelta(minutes=20 * n) for n in range(9)]
    + [datetime(2026, 10, 25, 0, 10, tzinfo=UTC) + timedelta(minutes=20 * n) for n in range(9)]
    + [datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
)
FORMATS = ["DATETIME_FORMAT", "SHORT_DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATE_FORMAT", "TIME_FORMAT",
           "d/m H:i", "c", r"\l\e j F Y à H\hi", "aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ"]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York", "UTC"])
@pytest.mark.parametrize("name", FORMATS)
def test_the_fast_formatter_writes_what_the_date_filter_writes(language, zone, name):
    with translation.override(language), timezone.override(zone):
        write = date_formatter(name)
        for moment in MOMENTS:
            assert write(moment) == date_format(timezone.localtime(moment), name), moment


def test_what_a_formatter_keeps_is_by_language_and_zone_and_answers_as_the_filter_would():
    """date_formatter keeps what it wrote (core.formats._written): a formatter made in one language writes in it,
    whichever language is active when it is called and whatever another language's formatter wrote before."""
    moment = datetime(2026, 2, 3, 15, 4, tzinfo=UTC)
    with translation.override("fr"), timezone.override("Europe/Paris"):
        french = date_formatter("DATETIME_FORMAT")
        assert french(moment) == date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    with translation.override("en"), timezone.override("Europe/Paris"):  # the zone of the French one
        english = date_formatter("DATETIME_FORMAT")
        written = english(moment)
        assert written == date_format(timezone.localtime(moment), "DATETIME_FORMAT")
        assert "Feb" in written and "4:04 p.m." in written
    with translation.override("fr"), timezone.override("Europe/Paris"):
        assert english(moment) == written  # kept, and in English
        assert english(moment.astimezone(timezone.get_fixed_timezone(330))) == written  # the same instant
        assert "février" in french(moment) and "16:04" in french(moment)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", ["DATE_FORMAT", "SHORT_DATE_FORMAT", "d/m/y", "l j F Y", "D N jS, W o"])
def test_the_day_formatter_writes_what_the_date_filter_writes(language, name):
    days = [date(2024, 12, 30) + timedelta(days=n) for n in range(0, 800, 3)]
    with translation.override(language):
        write = day_formatter(name)
        written = [write(day) for day in days]
        assert written == [date_format(day, name) for day in days]
    with translation.override("en" if language == "fr" else "fr"):
        assert [write(day) for day in days] == written  # in the formatter's language, whatever is active
