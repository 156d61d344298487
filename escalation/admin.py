from django.contrib import admin

from tickets.admin import ReadOnlyAdminMixin

from .models import Escalation, EscalationRule, RecurringAlert, RuleFiring


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "is_active", "threshold_minutes", "window_days", "ticket_count", "alert_quiet_hours",
                    "target_level")
    list_editable = ("is_active",)
    readonly_fields = ("code",)

    def has_add_permission(self, request):
        return False  # Rules are fixed codes created by a migration; managers tune them.

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "from_level", "to_level", "reason", "rule", "actor", "assignee", "created_at")
    list_filter = ("to_level", "reason", "rule")
    search_fields = ("ticket__reference", "ticket__title")
    list_select_related = ("ticket", "rule", "actor", "assignee")
    date_hierarchy = "created_at"


@admin.register(RecurringAlert)
class RecurringAlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """When the recurring rule last alerted a level about each problem (written by escalation.services only)."""

    list_display = ("scope", "subject_id", "category", "alerted_at", "reference")
    list_filter = ("scope",)
    search_fields = ("reference",)
    list_select_related = ("category",)
    date_hierarchy = "alerted_at"


@admin.register(RuleFiring)
class RuleFiringAdmin(admin.ModelAdmin):
    list_display = ("rule", "ticket", "cause", "created_at")
    list_filter = ("rule",)
    search_fields = ("ticket__reference", "cause")
    list_select_related = ("rule", "ticket")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
