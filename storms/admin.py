from django.contrib import admin

from .models import Storm, StormBaseline


@admin.register(Storm)
class StormAdmin(admin.ModelAdmin):
    """Read-only: storms change through storms.services (their pages under /storms/)."""

    list_display = ("suggested_at", "kind", "label", "ticket_count", "state", "is_open")
    list_filter = ("state", "kind", "is_open")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StormBaseline)
class StormBaselineAdmin(admin.ModelAdmin):
    list_display = ("kind", "key", "rate", "computed_at")
    list_filter = ("kind",)
    search_fields = ("key",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
