"""Tokens: sent as a Bearer header, stored hashed, scoped, expiring, revocable; the session still works."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from api.models import ApiToken, Scope, hash_token
from api.services import api_token_create, api_token_revoke
from tests.api.conftest import ApiClient, token_for


def test_a_token_acts_as_its_user(requester):
    response = ApiClient(token_for(requester, write=False)).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json() == {"username": "requester", "name": "Alice Martin", "is_agent": False,
                               "is_manager": False, "token": "script", "scope": "read", "language": None}


def test_me_says_the_language_the_person_chose(requester, client):
    from accounts.models import Profile

    client.force_login(requester)
    client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})

    assert Profile.objects.get(user=requester).language == "en"
    assert ApiClient(token_for(requester, write=False)).get("/api/v1/me/").json()["language"] == "en"


def test_only_the_hash_of_a_token_is_stored(requester):
    created = api_token_create(user=requester, name="monitoring", scope=Scope.WRITE)

    token = ApiToken.objects.get()
    assert created.raw.startswith("hd_") and len(created.raw) > 40
    assert token.key_hash == hash_token(created.raw) != created.raw
    assert created.raw not in {token.key_hash, token.prefix, token.name}


@pytest.mark.parametrize("header", ["Bearer hd_not-a-token", "Bearer", "Bearer a b"])
def test_an_unknown_or_malformed_token_is_a_401_problem(requester, header):
    response = ApiClient().get("/api/v1/tickets/", HTTP_AUTHORIZATION=header, **{"Authorization": header})

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def test_no_credentials_is_a_401(db):
    assert ApiClient().get("/api/v1/tickets/").status_code == 401


def test_a_revoked_token_is_refused_at_once(requester):
    created = api_token_create(user=requester, name="old", scope=Scope.READ)
    api_token_revoke(token=created.token, actor=requester)

    assert ApiClient(created.raw).get("/api/v1/me/").status_code == 401


def test_an_expired_token_is_refused(requester):
    created = api_token_create(user=requester, name="short", expires_at=timezone.now() + timedelta(minutes=1))
    ApiToken.objects.filter(pk=created.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert ApiClient(created.raw).get("/api/v1/me/").status_code == 401


def test_a_deactivated_users_token_is_refused(requester):
    raw = token_for(requester)
    requester.is_active = False
    requester.save()

    assert ApiClient(raw).get("/api/v1/me/").status_code == 401


def test_a_read_only_token_cannot_write(requester, ticket):
    client = ApiClient(token_for(requester, write=False))

    created = client.post("/api/v1/tickets/", {"title": "Écran noir", "description": "Depuis ce matin."})
    replied = client.post(f"/api/v1/tickets/{ticket.reference}/followups/", {"body": "Toujours en panne."})

    assert created.status_code == replied.status_code == 403
    assert "read-only" in created.json()["detail"] or "lecture seule" in created.json()["detail"]
    assert client.get(f"/api/v1/tickets/{ticket.reference}/").status_code == 200
    assert ticket.followups.count() == 0


def test_last_use_is_recorded_at_most_once_a_minute(requester):
    created = api_token_create(user=requester, name="cron")
    client = ApiClient(created.raw)

    client.get("/api/v1/me/")
    first = ApiToken.objects.get().last_used_at
    client.get("/api/v1/me/")

    assert first is not None
    assert ApiToken.objects.get().last_used_at == first


def test_the_browser_session_works_without_a_token(client, requester):
    client.force_login(requester)

    response = client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["token"] is None


def test_the_session_needs_the_csrf_token_to_write(requester):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(requester)

    response = browser.post("/api/v1/tickets/", {"title": "x", "description": "y"}, content_type="application/json")

    assert response.status_code == 403


def test_the_management_command_prints_a_new_token(requester, capsys):
    call_command("api_token_create", "requester", "--name", "supervision", "--write")

    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(name="supervision")
    assert token.key_hash == hash_token(raw) and token.scope == Scope.WRITE
    assert ApiClient(raw).get("/api/v1/me/").json()["scope"] == "write"


def test_the_management_command_makes_read_tokens_by_default(requester, capsys):
    call_command("api_token_create", "requester", "--name", "lecture")

    assert ApiToken.objects.get(name="lecture").scope == Scope.READ


def test_a_person_creates_a_token_on_their_page_sees_it_once_and_revokes_it(client, requester):
    client.force_login(requester)

    response = client.post("/account/api-tokens/", {"name": "script", "scope": "write", "expires_in": "30"})

    raw = response.context["new_token"]
    assert response.status_code == 200 and raw.startswith("hd_")
    assert response["Cache-Control"] == "no-store"
    assert raw not in client.get("/account/api-tokens/").content.decode()
    token = ApiToken.objects.get()
    assert token.expires_at is not None and token.scope == Scope.WRITE

    client.post(f"/account/api-tokens/{token.pk}/revoke/")

    assert ApiClient(raw).get("/api/v1/me/").status_code == 401


def test_nobody_revokes_another_persons_token(client, requester, other_requester):
    token = api_token_create(user=requester, name="mine").token
    client.force_login(other_requester)

    assert client.post(f"/account/api-tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_an_admin_creates_a_service_accounts_token_in_the_admin(client, requester):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post("/admin/api/apitoken/add/", {"user": requester.pk, "name": "supervision",
                                                        "scope": "write"}, follow=True)

    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.user == requester and token.created_by == admin
    shown = [str(message) for message in response.context["messages"]]
    assert any(token.prefix in message for message in shown)
    assert client.get(f"/admin/api/apitoken/{token.pk}/change/").status_code == 200
