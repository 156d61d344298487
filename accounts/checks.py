"""System checks (manage.py check, run at every start and in CI) for the directory sign-in's settings:
a mistake in them is told at deployment, not as a failed login (docs/sso.md)."""

from __future__ import annotations

import importlib.util

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .roles import Role

ROLES = tuple(Role.values)

GROUP_TYPES = ("groupOfNames", "groupOfUniqueNames", "posixGroup", "activeDirectory", "activeDirectoryNested")


@register(Tags.security)
def directory_sign_in_settings(app_configs, **kwargs):
    problems = []
    role_map = settings.HELPDESK_SSO_ROLE_MAP
    if not isinstance(role_map, dict):
        problems.append(Error("HELPDESK_SSO_ROLE_MAP must be a JSON object: group -> role.", id="accounts.E001"))
    else:
        wrong = sorted({str(role) for role in role_map.values() if role not in ROLES})
        if wrong:
            problems.append(Error(f"HELPDESK_SSO_ROLE_MAP names unknown roles: {', '.join(wrong)}.",
                                  hint=f"Roles are {', '.join(ROLES)}.", id="accounts.E001"))
    default_role = settings.HELPDESK_SSO_DEFAULT_ROLE
    if default_role and default_role not in ROLES:
        problems.append(Error(f"HELPDESK_SSO_DEFAULT_ROLE {default_role!r} is not a role.",
                              hint=f"Roles are {', '.join(ROLES)}, or empty.", id="accounts.E002"))
    organisation_map = settings.HELPDESK_SSO_ORGANISATION_MAP
    if not isinstance(organisation_map, dict) or not all(
            isinstance(name, str) and name.strip() for name in organisation_map.values()):
        problems.append(Error("HELPDESK_SSO_ORGANISATION_MAP must be a JSON object: email domain -> organisation name.",
                              id="accounts.E003"))
    oidc = bool(settings.HELPDESK_OIDC_ISSUER)
    if oidc and not (settings.OIDC_RP_CLIENT_ID and settings.OIDC_RP_CLIENT_SECRET):
        problems.append(Error("HELPDESK_OIDC_ISSUER is set without HELPDESK_OIDC_CLIENT_ID and "
                              "HELPDESK_OIDC_CLIENT_SECRET.", id="accounts.E004"))
    ldap = bool(settings.HELPDESK_LDAP_SERVER_URI)
    if ldap:
        if importlib.util.find_spec("ldap") is None or importlib.util.find_spec("django_auth_ldap") is None:
            problems.append(Error("HELPDESK_LDAP_SERVER_URI is set but python-ldap is not installed.",
                                  hint='pip install -e ".[ldap]" (needs libldap2-dev and libsasl2-dev).',
                                  id="accounts.E005"))
        if settings.HELPDESK_LDAP_GROUP_TYPE not in GROUP_TYPES:
            problems.append(Error(f"HELPDESK_LDAP_GROUP_TYPE must be one of {', '.join(GROUP_TYPES)}.",
                                  id="accounts.E006"))
        if not settings.HELPDESK_LDAP_USER_SEARCH_BASE:
            problems.append(Error("HELPDESK_LDAP_SERVER_URI is set without HELPDESK_LDAP_USER_SEARCH_BASE.",
                                  id="accounts.E007"))
    if not settings.HELPDESK_LOCAL_LOGIN and not (oidc or ldap):
        problems.append(Warning("HELPDESK_LOCAL_LOGIN=0 without OpenID Connect or LDAP: only superusers can "
                                "log in, at /accounts/login/local/.", id="accounts.W001"))
    return problems
