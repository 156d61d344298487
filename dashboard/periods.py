"""The dashboard's period picker: presets and a custom range, in the display time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PRESETS = {
    "today": (_("Today"), 1),
    "7d": (_("7 days"), 7),
    "30d": (_("30 days"), 30),
    "quarter": (_("Quarter (90 days)"), 90),
}


@dataclass(frozen=True)
class Period:
    key: str
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def bucket(self) -> str:
        """Trend granularity: days up to two months, weeks beyond."""
        return "day" if self.days <= 62 else "week"


def midnight(day: date) -> datetime:
    """The start of `day` in the site's time zone."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def period_from(*, key: str | None, start: date | None = None, end: date | None = None) -> Period:
    today = timezone.localdate()
    if key == "custom" and start and end and start <= end:
        first, last = start, min(end, today)
        first = min(first, last)
    else:
        key = key if key in PRESETS else "30d"
        first, last = today - timedelta(days=PRESETS[key][1] - 1), today
    return Period(key=key, start=midnight(first), end=midnight(last + timedelta(days=1)), first_day=first,
                  last_day=last)
