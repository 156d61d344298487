"""Reads of the escalation log that other apps make (the dashboard)."""

from __future__ import annotations

from django.db.models import Count

from .models import Escalation


def escalation_counts(*, start, end, ticket_filters: dict | None = None) -> dict:
    """Level changes between `start` and `end` of the tickets matching `ticket_filters` (field lookups
    on the ticket): by target level, by reason, and how many a rule made."""
    queryset = (Escalation.objects.filter(created_at__gte=start, created_at__lt=end)
                .filter(**{f"ticket__{name}": value for name, value in (ticket_filters or {}).items()}).order_by())
    return {
        "to_level": list(queryset.values("to_level").annotate(count=Count("id")).order_by("to_level")),
        "reason": list(queryset.values("reason").annotate(count=Count("id")).order_by("-count")),
        "automatic": queryset.filter(rule__isnull=False).count(),
    }
