from django.contrib import admin

from .models import Organisation, Profile


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "is_vip", "contract", "share_tickets")
    list_filter = ("is_vip", "share_tickets")
    search_fields = ("name", "contract")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "phone")
    list_filter = ("organisation",)
    search_fields = ("user__username", "user__email", "organisation__name")
    autocomplete_fields = ("organisation",)
    list_select_related = ("user", "organisation")
