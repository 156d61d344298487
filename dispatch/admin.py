"""Managers configure the dispatch in the admin: each level's policy and maximum load, the agents'
working hours, absences and skills; the assignment log and the observed times are read-only."""

from django.contrib import admin

from .models import Absence, AgentProfile, Assignment, HandlingStat, LevelSetting, Skill


@admin.register(LevelSetting)
class LevelSettingAdmin(admin.ModelAdmin):
    list_display = ("level", "policy", "max_open")
    list_editable = ("policy", "max_open")


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("agent", "calendar", "is_available", "last_assigned_at")
    list_select_related = ("agent", "calendar")
    readonly_fields = ("last_assigned_at", "updated_at")
    autocomplete_fields = ("agent",)


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ("agent", "starts_on", "ends_on", "note")
    list_select_related = ("agent",)
    autocomplete_fields = ("agent",)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("agent", "level", "category")
    list_filter = ("level",)
    list_select_related = ("agent", "category")
    autocomplete_fields = ("agent",)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("created_at", "ticket", "agent", "policy", "trigger", "open_count", "max_open", "margin_seconds",
                    "refused_at")
    list_select_related = ("ticket", "agent")
    list_filter = ("policy", "trigger", "level")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HandlingStat)
class HandlingStatAdmin(admin.ModelAdmin):
    list_display = ("level", "category", "samples", "response_p50", "response_p90", "handling_p50", "handling_p90",
                    "computed_at")
    list_select_related = ("category",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
