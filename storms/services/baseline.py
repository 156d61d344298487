"""The usual rates storm detection compares a burst with, rebuilt from the history by beat."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Min
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from tickets.models import Ticket

from ..conf import storm_settings
from ..models import BaselineKind, StormBaseline
from ..text import ticket_terms

# A word seen in fewer tickets than this over the history keeps the floor rate (and no row).
MIN_TERM_TICKETS = 2


@transaction.atomic
def storm_baselines_refresh(*, now=None) -> int:
    """Rebuild every StormBaseline row from the last STORM_BASELINE_WEEKS weeks (fewer when the history
    is shorter): 168 hourly rates and the share of each category (its subcategories included), each
    organisation and each word. Returns the number of rows. Five reads and one rewrite of the table."""
    conf = storm_settings()
    now = now or timezone.now()
    history = Ticket.objects.filter(created_at__gte=now - timedelta(weeks=conf.baseline_weeks), created_at__lt=now)
    first = history.aggregate(first=Min("created_at"))["first"]
    weeks = max(1.0, (now - first).total_seconds() / timedelta(weeks=1).total_seconds()) if first else 1.0
    hours = Counter()
    for row in (history.annotate(day=ExtractIsoWeekDay("created_at"), hour=ExtractHour("created_at"))
                .values("day", "hour").annotate(n=Count("id")).order_by()):
        hours[(row["day"] - 1) * 24 + row["hour"]] += row["n"]
    total = sum(hours.values())
    categories, organisations, words = Counter(), Counter(), Counter()
    if total:
        for row in history.values("category_id", "category__parent_id").annotate(n=Count("id")).order_by():
            for key in {row["category_id"], row["category__parent_id"]} - {None}:
                categories[key] += row["n"]
        for row in history.values("organisation_id").annotate(n=Count("id")).order_by():
            if row["organisation_id"] is not None:
                organisations[row["organisation_id"]] += row["n"]
        for title in history.values_list("title", flat=True).iterator(chunk_size=5000):
            words.update(ticket_terms(title))
    rows = [StormBaseline(kind=BaselineKind.HOUR, key=str(hour), rate=hours[hour] / weeks, computed_at=now)
            for hour in range(168)]
    rows += [StormBaseline(kind=BaselineKind.CATEGORY, key=str(key), rate=n / total, computed_at=now)
             for key, n in categories.items()]
    rows += [StormBaseline(kind=BaselineKind.ORGANISATION, key=str(key), rate=n / total, computed_at=now)
             for key, n in organisations.items()]
    rows += [StormBaseline(kind=BaselineKind.TERM, key=key[:100], rate=n / total, computed_at=now)
             for key, n in words.items() if n >= MIN_TERM_TICKETS]
    StormBaseline.objects.all().delete()
    StormBaseline.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)
