"""HELPDESK_LOCAL_LOGIN=0: the directory is the only way in, except superusers' break-glass form."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory


@pytest.fixture
def oidc_only(settings):
    settings.HELPDESK_LOCAL_LOGIN = False
    settings.HELPDESK_LDAP_SERVER_URI = ""
    settings.HELPDESK_OIDC_ISSUER = "http://127.0.0.1:9/realms/example"  # never reached by these pages
    settings.OIDC_RP_CLIENT_ID = "helpdesk"
    settings.HELPDESK_OIDC_BUTTON_LABEL = "Keycloak"
    return settings


def test_the_login_page_offers_the_provider_button_beside_the_form(settings, client, db):
    settings.HELPDESK_OIDC_ISSUER = "http://127.0.0.1:9/realms/example"
    settings.OIDC_RP_CLIENT_ID = "helpdesk"
    settings.HELPDESK_OIDC_BUTTON_LABEL = "Keycloak"

    html = client.get("/accounts/login/?next=/agent/").content.decode()

    assert 'href="/accounts/oidc/start/?next=/agent/"' in html
    assert "Se connecter avec Keycloak" in html
    assert 'name="password"' in html


def test_without_a_provider_there_is_no_button(client, db):
    html = client.get("/accounts/login/").content.decode()

    assert 'data-testid="oidc-login"' not in html
    assert 'name="password"' in html


def test_with_local_login_off_the_page_has_only_the_button(oidc_only, client, db):
    html = client.get("/accounts/login/").content.decode()

    assert "Se connecter avec Keycloak" in html
    assert 'name="password"' not in html


def test_with_local_login_off_a_local_password_signs_no_one_in(oidc_only, client, db):
    UserFactory(username="agent", groups=["N1"])
    UserFactory(username="root", is_superuser=True, is_staff=True)

    for username in ("agent", "root"):
        client.post("/accounts/login/", {"username": username, "password": "demo"})
        assert "_auth_user_id" not in client.session


def test_a_superuser_signs_in_on_the_break_glass_form(oidc_only, client, db):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)

    page = client.get("/accounts/login/local/").content.decode()
    response = client.post("/accounts/login/local/", {"username": "root", "password": "demo"})

    assert 'name="password"' in page and 'data-testid="oidc-login"' not in page
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(root.pk)


def test_anyone_else_is_refused_on_the_break_glass_form(oidc_only, client, db):
    UserFactory(username="manager", groups=["Manager"], is_staff=True)

    response = client.post("/accounts/login/local/", {"username": "manager", "password": "demo"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_provider_button_answers_404_when_no_provider_is_configured(client, db):
    assert client.get("/accounts/oidc/start/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


def test_an_unreachable_provider_gives_a_clear_page_not_a_500(oidc_only, client, db):
    from accounts.oidc import forget_provider

    forget_provider()
    response = client.get("/accounts/oidc/start/")

    assert response.status_code == 503
    assert 'data-reason="unavailable"' in response.content.decode()
    assert "Impossible de joindre Keycloak" in response.content.decode()
