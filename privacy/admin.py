from django.contrib import admin, messages
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.roles import is_privacy_officer
from audit.models import Action, AuditEntry

from . import services
from .models import Anonymisation, Person, RetentionRule


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    """Managers (their permissions) and the DPO (the role) keep the retention rules."""

    list_display = ("action", "days", "category", "ticket_type", "is_active")
    list_filter = ("action", "is_active")

    def _dpo(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and is_privacy_officer(request.user)

    def has_module_permission(self, request):
        return self._dpo(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._dpo(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._dpo(request) or super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._dpo(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._dpo(request) or super().has_delete_permission(request, obj)


@admin.register(Anonymisation)
class AnonymisationAdmin(admin.ModelAdmin):
    list_display = ("user", "at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.action(description=_("Export personal data (ZIP)"), permissions=["change"])
def export_personal_data(modeladmin, request, queryset):
    users = list(queryset[:2])
    if len(users) != 1:
        modeladmin.message_user(request, _("Select exactly one user to export."), messages.WARNING)
        return None
    user = users[0]
    AuditEntry.objects.record(Action.EXPORT, subject=user, details={"via": "admin"})
    response = HttpResponse(services.personal_data_export(user=user), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="personal-data-{user.pk}.zip"'
    return response


@admin.action(description=_("Anonymise personal data (cannot be undone)"), permissions=["change"])
def anonymise_personal_data(modeladmin, request, queryset):
    result = services.people_anonymise(users=list(queryset), actor=request.user)
    count = len(result.users)
    modeladmin.message_user(request, ngettext("%(count)d person anonymised.", "%(count)d people anonymised.",
                                              count) % {"count": count})


LINK_SALT = "privacy.export-link"
LINK_MAX_AGE = 24 * 3600  # a link to an export written under MEDIA_ROOT/exports/ is valid one day


def export_link(name: str) -> str:
    return reverse("admin:privacy_export_download", args=[signing.TimestampSigner(salt=LINK_SALT).sign(name.removeprefix("exports/"))])


@admin.action(description=_("Write personal data export to a one-day link"), permissions=["change"])
def export_personal_data_link(modeladmin, request, queryset):
    for user in queryset[:20]:
        name = services.personal_data_export_to_media(user=user)
        AuditEntry.objects.record(Action.EXPORT, subject=user, obj=name.removeprefix("exports/")[:40],
                                  details={"via": "link"})
        modeladmin.message_user(request, format_html(_("Export of user {pk}: <a href=\"{url}\">download</a> "
                                                       "(valid one day)."), pk=user.pk, url=export_link(name)))


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Managers (and superusers) export or anonymise a person here; nothing else is editable."""

    list_display = ("username", "first_name", "last_name", "email", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    list_filter = ("is_active",)
    fields = ("username", "first_name", "last_name", "email", "is_active", "date_joined", "last_login")
    readonly_fields = fields
    actions = [export_personal_data, export_personal_data_link, anonymise_personal_data]

    def _allowed(self, request) -> bool:
        return request.user.is_active and is_privacy_officer(request.user)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("personal-data/<str:token>/", self.admin_site.admin_view(self.export_download),
                     name="privacy_export_download"), *super().get_urls()]

    def export_download(self, request, token: str):
        if not self.has_change_permission(request):
            raise Http404
        try:
            name = "exports/" + signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=LINK_MAX_AGE)
        except signing.BadSignature as error:
            raise Http404 from error
        if "/" in name.removeprefix("exports/") or not default_storage.exists(name):
            raise Http404
        AuditEntry.objects.record(Action.EXPORT_DOWNLOADED, obj=name.removeprefix("exports/")[:40],
                                  details={"via": "link"})
        return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename="personal-data.zip",
                            content_type="application/zip")
