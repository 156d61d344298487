"""The Django admin for the sla app. Policies and calendars are edited here as on the managers' pages;
clocks and events are written only by sla.services, so they are read-only here.

Note: a change saved here does not recompute the open tickets' deadlines (the managers' pages do,
through sla_policy_save / sla_calendar_save); the next priority change of each ticket will.
"""

from __future__ import annotations

from django.contrib import admin

from tickets.admin import ReadOnlyAdminMixin

from .models import BusinessCalendar, Holiday, SlaClock, SlaEvent, SlaPolicy, SlaTarget, WorkingHours


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "always_open", "holiday_country", "holiday_subdivision", "updated_at")
    list_filter = ("always_open", "holiday_country")
    search_fields = ("name",)
    inlines = [WorkingHoursInline, HolidayInline]


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    max_num = 4


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default", "organisation", "contract", "calendar", "warning_percent", "updated_at")
    list_filter = ("is_default", "calendar")
    search_fields = ("name", "contract", "organisation__name")
    list_select_related = ("organisation", "calendar")
    autocomplete_fields = ("organisation",)
    inlines = [SlaTargetInline]


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "target", "due_at", "next_check_at", "met_at", "paused_at")
    list_filter = (
        "target",
        "policy",
        ("met_at", admin.EmptyFieldListFilter),
        ("paused_at", admin.EmptyFieldListFilter),
        ("next_check_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("ticket__reference", "ticket__title")
    list_select_related = ("ticket",)
    date_hierarchy = "due_at"


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "target", "stage", "due_at", "created_at")
    list_filter = ("target", "stage", "created_at")
    search_fields = ("ticket__reference", "ticket__title")
    list_select_related = ("ticket",)
    date_hierarchy = "created_at"
