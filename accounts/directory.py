"""Who the organisation's directory says a person is, and what that makes them here (docs/sso.md).

Both sign-in paths, OpenID Connect (accounts.oidc) and LDAP / Active Directory (accounts.ldap), turn what
the directory told them into one DirectoryIdentity and hand it to accounts.services.directory_user_sync,
which applies the mapping below at every login. The mapping is read from settings (environment):
HELPDESK_SSO_ROLE_MAP, HELPDESK_SSO_DEFAULT_ROLE, HELPDESK_SSO_ORGANISATION_MAP and
HELPDESK_SSO_ORGANISATION_ATTRIBUTE, and from the admin's rows (DirectoryRoleMapping,
DirectoryOrganisationMapping), which add to the settings' and win over them for the same key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .models import DirectoryOrganisationMapping, DirectoryRoleMapping
from .roles import AGENT_GROUPS, DPO_GROUP, MANAGER_GROUP, Role

REQUESTER, MANAGER, ADMIN, DPO = Role.REQUESTER.value, Role.MANAGER.value, Role.ADMIN.value, Role.DPO.value
ROLES = tuple(Role.values)


@dataclass(frozen=True)
class DirectoryIdentity:
    """One person as the directory describes them at this login."""

    source: str  # "oidc" or "ldap"
    username: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    # Group DNs and names (LDAP), or the values of the groups claim (OpenID Connect).
    groups: tuple[str, ...] = ()
    # Other attributes or claims, for HELPDESK_SSO_ORGANISATION_ATTRIBUTE.
    attributes: dict = field(default_factory=dict)

    @property
    def email_domain(self) -> str:
        return self.email.rpartition("@")[2].casefold() if "@" in self.email else ""


class DirectoryAccessDenied(Exception):
    """The directory knows this person but they may not use the helpdesk: a page tells them why."""

    MESSAGES = {
        "no_role": _("Your account has no access to the support."),
        "no_email": _("Your identity provider did not give a verified email address for your account."),
        "ambiguous": _("Several helpdesk accounts have your email address."),
        "inactive": _("Your helpdesk account is disabled."),
    }

    def __init__(self, reason: str, who: str = "") -> None:
        super().__init__(f"{reason}: {who}")
        self.reason, self.who = reason, who

    @property
    def message(self):
        return self.MESSAGES[self.reason]


def _role_map() -> dict[str, str]:
    mapping = {}
    for key, role in settings.HELPDESK_SSO_ROLE_MAP.items():
        if role not in ROLES:
            raise ImproperlyConfigured(f"HELPDESK_SSO_ROLE_MAP: {role!r} is not one of {', '.join(ROLES)}")
        mapping[str(key).casefold()] = role
    for group, role in DirectoryRoleMapping.objects.values_list("group", "role"):
        mapping[group.casefold()] = role
    return mapping


def roles_for(identity: DirectoryIdentity) -> set[str]:
    """Our roles for the identity's groups (compared without case), else the default role, else none."""
    mapping = _role_map()
    roles = {mapping[group.casefold()] for group in identity.groups if group.casefold() in mapping}
    default = settings.HELPDESK_SSO_DEFAULT_ROLE
    if not roles and default:
        if default not in ROLES:
            raise ImproperlyConfigured(f"HELPDESK_SSO_DEFAULT_ROLE: {default!r} is not one of {', '.join(ROLES)}")
        roles = {default}
    return roles


def groups_for(roles: set[str]) -> set[str]:
    """The Django groups (accounts.roles) the roles give: N1–N4, Manager and DPO."""
    return ({role for role in roles if role in AGENT_GROUPS} | ({MANAGER_GROUP} if MANAGER in roles else set())
            | ({DPO_GROUP} if DPO in roles else set()))


def organisation_name_for(identity: DirectoryIdentity) -> str:
    """The organisation's name from the configured attribute, else from the email domain, else ""."""
    attribute = settings.HELPDESK_SSO_ORGANISATION_ATTRIBUTE
    if attribute:
        value = identity.attributes.get(attribute)
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if value and str(value).strip():
            return str(value).strip()[:200]
    domain = identity.email_domain
    if not domain:
        return ""
    row = (DirectoryOrganisationMapping.objects.filter(domain__iexact=domain)
           .values_list("organisation__name", flat=True).first())
    if row:
        return row
    domains = {str(key).casefold(): name for key, name in settings.HELPDESK_SSO_ORGANISATION_MAP.items()}
    return domains.get(domain, "")
