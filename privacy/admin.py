from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Anonymisation, RetentionRule


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = ("action", "days", "category", "ticket_type", "is_active")
    list_filter = ("action", "is_active")


@admin.register(Anonymisation)
class AnonymisationAdmin(admin.ModelAdmin):
    list_display = ("user", "at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


User = get_user_model()
_UserAdmin = type(admin.site._registry[User]) if admin.site.is_registered(User) else admin.ModelAdmin


@admin.action(description=_("Export personal data (ZIP)"), permissions=["change"])
def export_personal_data(modeladmin, request, queryset):
    users = list(queryset[:2])
    if len(users) != 1:
        modeladmin.message_user(request, _("Select exactly one user to export."), messages.WARNING)
        return None
    user = users[0]
    response = HttpResponse(services.personal_data_export(user=user), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="personal-data-{user.pk}.zip"'
    return response


@admin.action(description=_("Anonymise personal data (cannot be undone)"), permissions=["change"])
def anonymise_personal_data(modeladmin, request, queryset):
    result = services.people_anonymise(users=list(queryset), actor=request.user)
    count = len(result.users)
    modeladmin.message_user(request, ngettext("%(count)d person anonymised.", "%(count)d people anonymised.",
                                              count) % {"count": count})


class PrivacyUserAdmin(_UserAdmin):
    actions = [*(_UserAdmin.actions or []), export_personal_data, anonymise_personal_data]


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PrivacyUserAdmin)
