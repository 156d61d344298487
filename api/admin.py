"""Admins create tokens for service accounts here (the raw token is shown once, in the message) and
revoke anyone's."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("name", "user__username", "prefix")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    fields = ("user", "name", "scope", "expires_at", "prefix", "created_at", "created_by", "last_used_at",
              "revoked_at")
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # A token's owner and scope are fixed once created: revoke it and create another.
        return (*self.readonly_fields, "user", "name", "scope", "expires_at") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = services.api_token_create(user=obj.user, name=obj.name, scope=obj.scope,
                                            expires_at=obj.expires_at, created_by=request.user)
        obj.pk = created.token.pk
        messages.warning(request, _("Copy the token now, it will not be shown again: %(token)s")
                         % {"token": created.raw})

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token, actor=request.user)
