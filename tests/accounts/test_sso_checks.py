"""accounts.checks: a wrong directory sign-in setting is told by manage.py check, not by a failed login."""

from __future__ import annotations

from accounts.checks import directory_sign_in_settings


def ids() -> list[str]:
    return [problem.id for problem in directory_sign_in_settings(None)]


def test_the_default_settings_pass(settings):
    assert ids() == []


def test_an_unknown_role_in_the_map_is_an_error(settings):
    settings.HELPDESK_SSO_ROLE_MAP = {"helpdesk-n2": "N5"}

    assert ids() == ["accounts.E001"]


def test_an_unknown_default_role_is_an_error(settings):
    settings.HELPDESK_SSO_DEFAULT_ROLE = "everyone"

    assert ids() == ["accounts.E002"]


def test_an_organisation_map_that_is_not_an_object_is_an_error(settings):
    settings.HELPDESK_SSO_ORGANISATION_MAP = ["acme.example"]

    assert ids() == ["accounts.E003"]


def test_a_provider_without_client_credentials_is_an_error(settings):
    settings.HELPDESK_OIDC_ISSUER = "https://idp.example/realms/acme"
    settings.OIDC_RP_CLIENT_ID = ""
    settings.HELPDESK_SSO_DEFAULT_ROLE = "requester"

    assert ids() == ["accounts.E004"]


def test_ldap_without_a_search_base_or_with_an_unknown_group_type_is_an_error(settings):
    settings.HELPDESK_LDAP_SERVER_URI = "ldaps://ad.example"
    settings.HELPDESK_LDAP_USER_SEARCH_BASE = ""
    settings.HELPDESK_LDAP_GROUP_TYPE = "nisNetgroup"
    settings.HELPDESK_SSO_DEFAULT_ROLE = "requester"

    assert set(ids()) >= {"accounts.E006", "accounts.E007"}


def test_local_login_off_without_a_directory_warns_that_only_superusers_get_in(settings):
    settings.HELPDESK_LOCAL_LOGIN = False

    assert ids() == ["accounts.W001"]
