"""The rollups are written by the beat task only: administrators can look, not edit."""

from __future__ import annotations

from django.contrib import admin

from tickets.admin import ReadOnlyAdminMixin

from .models import (
    DailyAgentStat,
    DailyResolutionStat,
    DailyTicketStat,
    OrgMonthAgentStat,
    OrgMonthStat,
    OrgWeekResolutionStat,
    OrgWeekStat,
    RollupState,
)


@admin.register(RollupState)
class RollupStateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("refreshed_at", "complete_until", "changes_seen_until")


class StatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A rollup table: by day (or the first day of its week or month), filtered by priority and level."""

    list_filter = ("priority", "level")
    date_hierarchy = "day"


@admin.register(DailyTicketStat)
class DailyTicketStatAdmin(StatAdmin):
    list_display = ("day", "priority", "level", "category", "total", "resolved", "reopened", "csat_count")
    list_select_related = ("category",)


@admin.register(DailyAgentStat)
class DailyAgentStatAdmin(StatAdmin):
    list_display = ("day", "assignee", "priority", "level", "total", "resolved", "reopened")
    list_select_related = ("assignee",)


@admin.register(DailyResolutionStat)
class DailyResolutionStatAdmin(StatAdmin):
    list_display = ("day", "priority", "level", "category", "resolved")
    list_select_related = ("category",)


@admin.register(OrgMonthStat)
class OrgMonthStatAdmin(StatAdmin):
    list_display = ("day", "organisation", "priority", "level", "category", "total", "resolved", "reopened")
    list_select_related = ("organisation", "category")


@admin.register(OrgMonthAgentStat)
class OrgMonthAgentStatAdmin(StatAdmin):
    list_display = ("day", "organisation", "assignee", "priority", "level", "total", "resolved")
    list_select_related = ("organisation", "assignee")


@admin.register(OrgWeekStat)
class OrgWeekStatAdmin(StatAdmin):
    list_display = ("day", "organisation", "priority", "level", "total", "resolved", "csat_count")
    list_select_related = ("organisation",)


@admin.register(OrgWeekResolutionStat)
class OrgWeekResolutionStatAdmin(StatAdmin):
    list_display = ("day", "organisation", "priority", "level", "resolved")
    list_select_related = ("organisation",)
