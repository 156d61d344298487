"""Reads of the escalation log that other apps make (the dashboard)."""

from __future__ import annotations

from django.db.models import BooleanField, Count, ExpressionWrapper, Q

from .models import Escalation


def escalation_counts(*, start, end, ticket_filters: dict | None = None) -> dict:
    """Level changes between `start` and `end` of the tickets matching `ticket_filters` (field lookups
    on the ticket): by target level, by reason, and how many a rule made.

    One grouped statement (by target level, reason and whether a rule made it: a few dozen rows at most),
    added up three ways here: the three figures from three statements each joined the period's level
    changes to their tickets again (with an organisation filter, one ticket lookup per level change)."""
    return counts_of(escalation_rows(start=start, end=end, ticket_filters=ticket_filters))


def escalation_rows(*, start, end, ticket_filters: dict | None = None) -> tuple[tuple[str, str, bool, int], ...]:
    """escalation_counts' grouped rows: (target level, reason, made by a rule, count)."""
    queryset = (Escalation.objects.filter(created_at__gte=start, created_at__lt=end)
                .filter(**{f"ticket__{name}": value for name, value in (ticket_filters or {}).items()}).order_by())
    return tuple(queryset.values("to_level", "reason").annotate(
        by_rule=ExpressionWrapper(Q(rule__isnull=False), output_field=BooleanField())
    ).values_list("to_level", "reason", "by_rule").annotate(count=Count("id")))


def counts_of(rows) -> dict:
    """escalation_counts' figures from grouped rows (`escalation_rows`; those of several periods may be given
    together: the same group's counts are added up)."""
    to_level: dict[str, int] = {}
    reason: dict[str, int] = {}
    automatic = 0
    for level, why, by_rule, count in rows:
        to_level[level] = to_level.get(level, 0) + count
        reason[why] = reason.get(why, 0) + count
        automatic += count if by_rule else 0
    return {
        "to_level": [{"to_level": level, "count": to_level[level]} for level in sorted(to_level)],
        "reason": [{"reason": why, "count": count}
                   for why, count in sorted(reason.items(), key=lambda item: (-item[1], item[0]))],
        "automatic": automatic,
    }
