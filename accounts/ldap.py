"""Sign-in with an LDAP directory or Active Directory through the login form (docs/sso.md).

django-auth-ldap binds with the service account (HELPDESK_LDAP_BIND_DN), searches the person by what
they typed (HELPDESK_LDAP_USER_FILTER: uid, sAMAccountName or mail), binds as them with their password,
refuses members of HELPDESK_LDAP_DENY_GROUP and reads their groups; accounts.services.directory_user_sync
then provisions the account and applies the role and organisation mapping.

This module imports python-ldap (the optional extra [ldap], which needs Debian's libldap2-dev and
libsasl2-dev to build): settings list its backend only when HELPDESK_LDAP_SERVER_URI is set, so a
helpdesk without LDAP never imports it.
"""

from __future__ import annotations

import ldap
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django_auth_ldap.backend import LDAPBackend, ldap_error
from django_auth_ldap.config import (
    ActiveDirectoryGroupType,
    GroupOfNamesType,
    GroupOfUniqueNamesType,
    LDAPSearch,
    NestedActiveDirectoryGroupType,
    PosixGroupType,
)

from .backends import is_break_glass, user_in_one_query
from .directory import DirectoryAccessDenied, DirectoryIdentity
from .services import directory_user_sync

# HELPDESK_LDAP_GROUP_TYPE -> (django-auth-ldap group type, the filter that finds such groups).
GROUP_TYPES = {
    "groupOfNames": (GroupOfNamesType, "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": (GroupOfUniqueNamesType, "(objectClass=groupOfUniqueNames)"),
    "posixGroup": (PosixGroupType, "(objectClass=posixGroup)"),
    "activeDirectory": (ActiveDirectoryGroupType, "(objectClass=group)"),
    # Groups inside groups, resolved by the server (AD's LDAP_MATCHING_RULE_IN_CHAIN is not needed).
    "activeDirectoryNested": (NestedActiveDirectoryGroupType, "(objectClass=group)"),
}


def django_auth_ldap_settings() -> dict:
    """django-auth-ldap's settings (without their AUTH_LDAP_ prefix), from the HELPDESK_LDAP_* ones."""
    options = {
        ldap.OPT_REFERRALS: 0,  # Active Directory's referrals lead to servers we cannot bind to
        ldap.OPT_NETWORK_TIMEOUT: settings.HELPDESK_LDAP_TIMEOUT,
        ldap.OPT_TIMEOUT: settings.HELPDESK_LDAP_TIMEOUT,
    }
    if settings.HELPDESK_LDAP_CA_CERT_FILE:
        options[ldap.OPT_X_TLS_CACERTFILE] = settings.HELPDESK_LDAP_CA_CERT_FILE
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
        options[ldap.OPT_X_TLS_NEWCTX] = 0  # must come last: builds the TLS context from the options above
    config = {
        "SERVER_URI": settings.HELPDESK_LDAP_SERVER_URI,
        "START_TLS": settings.HELPDESK_LDAP_START_TLS,
        "CONNECTION_OPTIONS": options,
        "BIND_DN": settings.HELPDESK_LDAP_BIND_DN,
        "BIND_PASSWORD": settings.HELPDESK_LDAP_BIND_PASSWORD,
        "USER_SEARCH": LDAPSearch(settings.HELPDESK_LDAP_USER_SEARCH_BASE, ldap.SCOPE_SUBTREE,
                                  settings.HELPDESK_LDAP_USER_FILTER),
        # directory_user_sync writes the account: django-auth-ldap only authenticates and reads.
        "ALWAYS_UPDATE_USER": False,
        "USER_ATTR_MAP": {},
        "CACHE_TIMEOUT": 0,
    }
    if settings.HELPDESK_LDAP_GROUP_SEARCH_BASE:
        try:
            group_type, group_filter = GROUP_TYPES[settings.HELPDESK_LDAP_GROUP_TYPE]
        except KeyError:
            raise ImproperlyConfigured(
                f"HELPDESK_LDAP_GROUP_TYPE must be one of {', '.join(GROUP_TYPES)}") from None
        config["GROUP_SEARCH"] = LDAPSearch(settings.HELPDESK_LDAP_GROUP_SEARCH_BASE, ldap.SCOPE_SUBTREE,
                                            group_filter)
        config["GROUP_TYPE"] = group_type()
    if settings.HELPDESK_LDAP_DENY_GROUP:
        config["DENY_GROUP"] = settings.HELPDESK_LDAP_DENY_GROUP
    return config


def _first(attrs, name: str) -> str:
    values = (attrs or {}).get(name) or [""]
    return str(values[0])


def identity_from_ldap(ldap_user) -> DirectoryIdentity:
    attrs = ldap_user.attrs
    groups = (*sorted(ldap_user.group_dns), *sorted(ldap_user.group_names)) if ldap_user.settings.GROUP_TYPE else ()
    return DirectoryIdentity(
        source="ldap",
        username=_first(attrs, settings.HELPDESK_LDAP_USERNAME_ATTRIBUTE).strip().lower() or ldap_user._username,
        email=_first(attrs, "mail").strip(),
        first_name=_first(attrs, "givenName").strip(),
        last_name=_first(attrs, "sn").strip(),
        groups=groups,
        attributes={key: list(values) for key, values in (attrs or {}).items()},
    )


class DirectoryLDAPBackend(LDAPBackend):
    """django-auth-ldap configured from HELPDESK_LDAP_*, whose accounts directory_user_sync writes."""

    @property
    def default_settings(self) -> dict:
        return django_auth_ldap_settings()

    # The request's user in one query, as for a local sign-in (accounts.backends).
    def get_user(self, user_id):
        return user_in_one_query(user_id)

    def authenticate(self, request, username=None, password=None, **kwargs):
        if is_break_glass(request):
            return None
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except DirectoryAccessDenied as refusal:
            # The password was right: the login form shows why this person may not come in
            # (accounts.views.LoginView); PermissionDenied stops Django from trying the other backends.
            if request is not None:
                request.directory_refusal = refusal
            raise PermissionDenied from refusal

    def get_or_build_user(self, username, ldap_user):
        # Reached after the bind as the person succeeded and the deny group was checked.
        return directory_user_sync(identity=identity_from_ldap(ldap_user)), False


def _note_directory_unreachable(sender, context, user, request=None, exception=None, **kwargs):
    """The login form says the directory did not answer, rather than "wrong password"."""
    if request is not None and isinstance(exception, ldap.SERVER_DOWN | ldap.TIMEOUT | ldap.CONNECT_ERROR):
        request.directory_unreachable = True


ldap_error.connect(_note_directory_unreachable, sender=DirectoryLDAPBackend)
