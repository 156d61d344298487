from django.contrib import admin

from .models import DirectoryOrganisationMapping, DirectoryRoleMapping, Organisation, Profile


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


@admin.register(DirectoryRoleMapping)
class DirectoryRoleMappingAdmin(admin.ModelAdmin):
    """Which directory groups give which role at the next login (docs/sso.md)."""

    list_display = ("group", "role")
    list_filter = ("role",)
    search_fields = ("group",)


@admin.register(DirectoryOrganisationMapping)
class DirectoryOrganisationMappingAdmin(admin.ModelAdmin):
    list_display = ("domain", "organisation")
    search_fields = ("domain", "organisation__name")
    autocomplete_fields = ("organisation",)
    list_select_related = ("organisation",)
