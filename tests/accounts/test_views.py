"""/healthz for load balancers; logging in and out; the header; switching the interface language."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import OperationalError
from django.utils import translation

# The project's catalogs are committed compiled; if they were missing, only the lang attribute could
# tell the languages apart (source strings are English).
CATALOGS_COMPILED = all(
    (settings.BASE_DIR / "locale" / code / "LC_MESSAGES" / "django.mo").exists() for code in ("fr", "en")
)


@pytest.fixture(autouse=True)
def _restore_language():
    """LocaleMiddleware leaves the last request's language active in the thread: put it back."""
    language = translation.get_language()
    yield
    translation.activate(language)


def _html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang=…>"
    return match.group(1)


# --- /healthz


def test_healthz_is_200_json_when_the_database_and_the_broker_answer(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_needs_no_login_and_is_not_cached(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_broker_check_fails(client, db, monkeypatch):
    monkeypatch.setattr("accounts.views._broker_ok", lambda: (False, "x"))

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "x"}


class _BrokenConnection:
    def cursor(self):
        raise OperationalError("could not connect to server")


def test_healthz_is_503_when_the_database_check_fails(client, db, monkeypatch):
    monkeypatch.setattr("accounts.views.connection", _BrokenConnection())
    monkeypatch.setattr("accounts.views._broker_ok", lambda: (True, "ok"))

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "OperationalError", "broker": "ok"}


# --- Logging in


def test_the_login_page_renders_with_french_labels_by_default(client, db):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert _html_lang(response) == "fr"
    assert "Nom d’utilisateur" in html  # Django's own French catalog
    assert "Mot de passe" in html
    if CATALOGS_COMPILED:
        assert "Connexion au helpdesk" in html


def test_a_requester_who_logs_in_lands_on_my_tickets(client, requester):
    response = client.post("/accounts/login/", {"username": "requester", "password": "demo"}, follow=True)

    assert response.redirect_chain[-1] == ("/tickets/", 302)
    assert response.status_code == 200
    assert response.wsgi_request.user == requester


def test_an_agent_who_logs_in_lands_on_the_queue(client, agent_n1):
    response = client.post("/accounts/login/", {"username": "agent1", "password": "demo"}, follow=True)

    assert response.redirect_chain[-1] == ("/agent/", 302)
    assert response.status_code == 200
    assert response.wsgi_request.user == agent_n1


def test_a_wrong_password_shows_the_form_again_without_logging_in(client, requester):
    response = client.post("/accounts/login/", {"username": "requester", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not response.wsgi_request.user.is_authenticated


def test_login_does_not_redirect_to_another_site(client, requester):
    response = client.post("/accounts/login/?next=https://evil.example/",
                           {"username": "requester", "password": "demo", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


# --- Logging out


def test_logout_by_get_is_refused_and_keeps_the_session(client, requester):
    client.force_login(requester)

    response = client.get("/accounts/logout/")

    assert response.status_code == 405
    assert client.get("/tickets/").status_code == 200


def test_logout_by_post_ends_the_session(client, requester):
    client.force_login(requester)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/tickets/").status_code == 302


def test_the_logout_button_is_a_post_form(client, requester):
    client.force_login(requester)

    html = client.get("/tickets/").content.decode()

    assert re.search(r'<form action="/accounts/logout/" method="post">', html)


# --- The header


@pytest.mark.parametrize(("user", "name"), [("requester", "Alice Martin"), ("agent_n1", "Nadia Petit")])
def test_the_header_shows_the_logged_in_users_name(client, request, user, name):
    client.force_login(request.getfixturevalue(user))

    html = client.get("/tickets/").content.decode()

    match = re.search(r'data-testid="current-user">\s*([^<]+?)\s*<', html)
    assert match and match.group(1) == name


# --- Language


def test_switching_to_english_shows_the_english_interface(client, requester):
    client.force_login(requester)
    french = client.get("/tickets/")

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})
    english = client.get("/tickets/")

    assert response.status_code == 302
    assert response["Location"] == "/tickets/"
    assert _html_lang(french) == "fr"
    assert _html_lang(english) == "en"
    if CATALOGS_COMPILED:
        assert "Mes tickets" in french.content.decode()
        assert "My tickets" in english.content.decode()
        assert "Mes tickets" not in english.content.decode()


def test_switching_back_to_french(client, requester):
    client.force_login(requester)
    client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})

    client.post("/i18n/setlang/", {"language": "fr", "next": "/tickets/"})
    response = client.get("/tickets/")

    assert _html_lang(response) == "fr"
    if CATALOGS_COMPILED:
        assert "Mes tickets" in response.content.decode()
