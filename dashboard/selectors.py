"""Everything the dashboard shows, read in a bounded number of queries (one per table)."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Avg, Count, QuerySet
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from escalation.models import Escalation
from tickets.models import Status, Ticket

from . import metrics
from .periods import Period

FILTER_FIELDS = {"priority": "priority", "level": "level", "category": "category_id", "agent": "assignee_id",
                 "organisation": "organisation_id"}


def cohort(*, period: Period, filters: dict) -> QuerySet[Ticket]:
    """The tickets created in the period, narrowed by the filters (by the created_at indexes)."""
    queryset = Ticket.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    return queryset.filter(**_ticket_filters(filters))


def _ticket_filters(filters: dict, prefix: str = "") -> dict:
    return {f"{prefix}{FILTER_FIELDS[k]}": v for k, v in filters.items() if v not in (None, "")}


def trend(*, period: Period, filters: dict) -> list[dict]:
    """Created, resolved, MTTR and CSAT per day (or week), in the display time zone."""
    trunc = TruncDate if period.bucket == "day" else TruncWeek
    tz = timezone.get_current_timezone()
    created = {
        row["bucket"]: row
        for row in cohort(period=period, filters=filters).order_by()
        .annotate(bucket=trunc("created_at", tzinfo=tz)).values("bucket")
        .annotate(created=Count("id"), mttr=metrics.AGGREGATES["mttr"], csat=Avg("survey__score"))
    }
    resolved_qs = Ticket.objects.filter(resolved_at__gte=period.start, resolved_at__lt=period.end)
    resolved_qs = resolved_qs.filter(**_ticket_filters(filters))
    resolved = {
        row["bucket"]: row["count"]
        for row in resolved_qs.order_by().annotate(bucket=trunc("resolved_at", tzinfo=tz)).values("bucket")
        .annotate(count=Count("id"))
    }
    rows = []
    for bucket in sorted(set(created) | set(resolved)):
        key = bucket.date() if hasattr(bucket, "date") else bucket
        raw = created.get(bucket, {})
        mttr = metrics._seconds(raw.get("mttr"))
        rows.append({
            "bucket": key,
            "created": raw.get("created", 0),
            "resolved": resolved.get(bucket, 0),
            "mttr_hours": round(mttr / metrics.HOUR, 2) if mttr is not None else None,
            "csat": round(raw["csat"], 2) if raw.get("csat") is not None else None,
        })
    return rows


def escalations(*, period: Period, filters: dict) -> dict[str, list[dict]]:
    queryset = Escalation.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    queryset = queryset.filter(**_ticket_filters(filters, "ticket__")).order_by()
    return {
        "to_level": list(queryset.values("to_level").annotate(count=Count("id")).order_by("to_level")),
        "reason": list(queryset.values("reason").annotate(count=Count("id")).order_by("-count")),
        "automatic": queryset.filter(rule__isnull=False).count(),
    }


def _optional_model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def incidents(*, period: Period) -> dict:
    """Major incidents declared in the period and postmortems overdue now (postmortem app)."""
    incident_model = _optional_model("postmortem.MajorIncident")
    postmortem_model = _optional_model("postmortem.Postmortem")
    result = {"declared": None, "overdue_postmortems": None}
    if incident_model is not None:
        result["declared"] = incident_model.objects.filter(declared_at__gte=period.start,
                                                           declared_at__lt=period.end).count()
    if postmortem_model is not None:
        result["overdue_postmortems"] = (
            postmortem_model.objects.exclude(state="published").filter(due_at__lt=timezone.now()).count()
        )
    return result


def deflections(*, period: Period) -> int | None:
    model = _optional_model("kb.Deflection")
    if model is None:
        return None
    return model.objects.filter(created_at__gte=period.start, created_at__lt=period.end).count()


def dashboard_data(*, period: Period, filters: dict) -> dict:
    tickets = cohort(period=period, filters=filters)
    scoped = Ticket.objects.filter(**_ticket_filters(filters))
    return {
        "overall": metrics.overall(tickets),
        "by_priority": metrics.breakdown(tickets, "priority"),
        "by_level": metrics.breakdown(tickets, "level"),
        "by_category": metrics.breakdown(tickets, "category_id", "category__name"),
        "by_agent": metrics.breakdown(tickets.filter(assignee__isnull=False), "assignee_id", "assignee__username"),
        "phases": metrics.phase_shares(tickets),
        "backlog": metrics.backlog(scoped),
        "escalations": escalations(period=period, filters=filters),
        "incidents": incidents(period=period),
        "deflections": deflections(period=period),
        "trend": trend(period=period, filters=filters),
        "open_statuses": [Status.NEW, Status.IN_PROGRESS, Status.WAITING],
    }


