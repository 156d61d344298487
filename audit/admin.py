"""The audit log in the admin: read-only for everyone, superusers included (docs/gdpr.md, "Audit log")."""

from django.contrib import admin

from accounts.roles import is_privacy_officer

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "actor", "subject", "content_type", "object_id", "ip")
    list_filter = ("action",)
    list_select_related = ("actor", "subject", "content_type")
    search_fields = ("ip", "object_id")
    date_hierarchy = "at"
    show_full_result_count = False
    actions = None

    def has_module_permission(self, request):
        return request.user.is_active and is_privacy_officer(request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and is_privacy_officer(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
