from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role


class Organisation(models.Model):
    """A customer organisation; requesters belong to at most one."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    is_vip = models.BooleanField(_("VIP"), default=False)
    contract = models.CharField(_("contract"), max_length=100, blank=True)
    share_tickets = models.BooleanField(
        _("members see each other's tickets"),
        default=False,
        help_text=_("When set, every member of the organisation sees the organisation's tickets."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="members",
        verbose_name=_("organisation"),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Set when the person picks a language in the page's menu (accounts.views.set_language): the emails sent to
    # them are written in it (tickets.outbox.build_message); empty, in the site's (LANGUAGE_CODE).
    language = models.CharField(_("language of emails"), max_length=8, blank=True, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)


class DirectoryRoleMapping(models.Model):
    """A directory group (or a value of the OpenID Connect groups claim) and the role it gives at every
    login (accounts.directory; docs/sso.md). Adds to HELPDESK_SSO_ROLE_MAP, and wins over it."""

    group = models.CharField(
        _("directory group"), max_length=500, unique=True,
        help_text=_("An LDAP group's DN or name, or a value of the OpenID Connect groups claim (compared "
                    "without case)."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["group"]
        verbose_name = _("directory group mapping")
        verbose_name_plural = _("directory group mappings")

    def __str__(self) -> str:
        return f"{self.group} → {self.get_role_display()}"

    def save(self, *args, **kwargs):
        self.group = self.group.strip()
        super().save(*args, **kwargs)


class DirectoryOrganisationMapping(models.Model):
    """An email domain and the organisation its people belong to (accounts.directory; docs/sso.md). Adds
    to HELPDESK_SSO_ORGANISATION_MAP, and wins over it."""

    domain = models.CharField(_("email domain"), max_length=255, unique=True,
                              help_text=_("For example acme.example, without the @."))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="directory_domains",
                                     verbose_name=_("organisation"))

    class Meta:
        ordering = ["domain"]
        verbose_name = _("email domain mapping")
        verbose_name_plural = _("email domain mappings")

    def __str__(self) -> str:
        return f"{self.domain} → {self.organisation}"

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lstrip("@").lower()
        super().save(*args, **kwargs)
