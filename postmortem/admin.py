"""Admin: stakeholders and corrective actions are managed here; history rows are read-only, and
states are never edited by hand (they move through postmortem.services)."""

from django.contrib import admin

from .models import (
    CorrectiveAction,
    IncidentEntry,
    IncidentStatusUpdate,
    LinkedTicket,
    MajorIncident,
    Postmortem,
    PostmortemEvent,
    Stakeholder,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LinkedTicketInline(admin.TabularInline):
    model = LinkedTicket
    extra = 0
    fields = ("ticket", "linked_by", "linked_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MajorIncident)
class MajorIncidentAdmin(admin.ModelAdmin):
    list_display = ("ticket", "state", "trigger", "declared_at", "declared_by", "mobilised_at", "resolved_at")
    list_filter = ("state", "trigger")
    search_fields = ("ticket__reference", "ticket__title")
    list_select_related = ("ticket", "declared_by")
    date_hierarchy = "declared_at"
    readonly_fields = ("ticket", "state", "trigger", "reason", "declared_at", "declared_by", "mobilised_at",
                       "resolved_at", "dismissed_at", "dismissed_by", "dismiss_reason", "dismissed_priority")
    filter_horizontal = ("participants",)
    inlines = [LinkedTicketInline]

    def has_add_permission(self, request):
        return False  # Declared from the ticket (automatically or by an agent), never here.


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ("user", "note", "is_active")
    list_editable = ("is_active",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    autocomplete_fields = ("user",)


@admin.register(LinkedTicket)
class LinkedTicketAdmin(ReadOnlyAdmin):
    list_display = ("incident", "ticket", "linked_by", "linked_at")
    list_select_related = ("incident__ticket", "ticket", "linked_by")
    search_fields = ("ticket__reference", "incident__ticket__reference")


@admin.register(IncidentEntry)
class IncidentEntryAdmin(ReadOnlyAdmin):
    list_display = ("incident", "at", "date_explicit", "text", "author")
    list_select_related = ("incident__ticket", "author")
    search_fields = ("incident__ticket__reference", "text")


@admin.register(IncidentStatusUpdate)
class IncidentStatusUpdateAdmin(ReadOnlyAdmin):
    list_display = ("incident", "created_at", "author", "body")
    list_select_related = ("incident__ticket", "author")
    search_fields = ("incident__ticket__reference", "body")


class CorrectiveActionInline(admin.TabularInline):
    model = CorrectiveAction
    extra = 0
    fields = ("description", "owner", "due_date", "done", "done_at", "overdue_flagged_at")
    readonly_fields = ("done_at", "overdue_flagged_at")


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ("title", "incident", "state", "owner", "due_at", "published_at", "overdue_flagged_at")
    list_filter = ("state",)
    search_fields = ("title", "incident__ticket__reference")
    list_select_related = ("incident__ticket", "owner")
    date_hierarchy = "due_at"
    readonly_fields = ("incident", "state", "published_at", "reminded_at", "overdue_flagged_at", "created_at",
                       "updated_at")
    filter_horizontal = ("shared_with_users", "shared_with_organisations")
    inlines = [CorrectiveActionInline]

    def has_add_permission(self, request):
        return False  # Created when the incident's ticket is resolved.


@admin.register(PostmortemEvent)
class PostmortemEventAdmin(ReadOnlyAdmin):
    list_display = ("postmortem", "action", "from_state", "to_state", "actor", "created_at")
    list_filter = ("action",)
    list_select_related = ("postmortem", "actor")


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(admin.ModelAdmin):
    list_display = ("description", "postmortem", "owner", "due_date", "done", "overdue_flagged_at")
    list_filter = ("done",)
    search_fields = ("description", "postmortem__title")
    list_select_related = ("postmortem", "owner")
    readonly_fields = ("done_at", "done_by", "overdue_flagged_at", "created_at")
