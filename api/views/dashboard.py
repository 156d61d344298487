"""The managers' figures (dashboard.selectors), for the same filters as /dashboard/."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.forms import DashboardFilterForm
from dashboard.periods import period_from
from dashboard.selectors import dashboard_data

from ..permissions import IsManager
from .common import invalid
from .tickets import PROBLEM


def _plain(value):
    """The figures as JSON: dataclasses and model instances become dicts or their primary key."""
    from dataclasses import asdict, is_dataclass

    from django.db.models import Model

    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Model):
        return value.pk
    return value


class DashboardView(APIView):
    def get_permissions(self):
        return [*super().get_permissions(), IsManager()]

    @extend_schema(summary="Dashboard figures (managers)", parameters=[
        OpenApiParameter("period", str, enum=["today", "7d", "30d", "quarter", "custom"]),
        OpenApiParameter("start", str, description="YYYY-MM-DD, with period=custom"),
        OpenApiParameter("end", str), OpenApiParameter("priority", str), OpenApiParameter("level", str),
        OpenApiParameter("category", int), OpenApiParameter("agent", int), OpenApiParameter("organisation", int)],
        responses={200: inline_serializer("Dashboard", {"period": serializers.DictField(),
                                                        "figures": serializers.DictField()}), 404: PROBLEM})
    def get(self, request):
        """MTTR, first response, SLA compliance, resolution and reopening rates, CSAT, backlog, escalations,
        incidents and deflections over the period, as the dashboard page shows them."""
        form = DashboardFilterForm(request.query_params or None)
        if request.query_params and not form.is_valid():
            raise invalid(form)
        data = form.cleaned_data if request.query_params else {}
        period = period_from(key=data.get("period"), start=data.get("start"), end=data.get("end"))
        filters = form.ticket_filters() if request.query_params else {}
        figures = dashboard_data(period=period, filters=filters)
        return Response({
            "period": {"key": period.key, "start": period.start, "end": period.end},
            "filters": filters,
            "figures": _plain(figures),
        })
