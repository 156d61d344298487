"""Headers, CSP without inline scripts, login lockout and rate limits."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import advance
from tickets.models import Survey, Ticket
from tickets.surveys import survey_token

SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


@pytest.fixture
def limits_on(settings):
    settings.RATELIMIT_ENABLE = True
    cache.clear()
    yield settings
    cache.clear()


def pages_for(ticket, manager, agent, requester):
    return [
        (requester, reverse("tickets:list")), (requester, reverse("tickets:new")),
        (requester, ticket.get_absolute_url()), (agent, reverse("agent:queue")), (agent, ticket.get_agent_url()),
        (manager, reverse("dashboard:index")), (manager, reverse("escalation:log")), (agent, reverse("postmortem:list")),
        (None, reverse("login")),
    ]


def test_every_page_has_a_strict_csp_and_no_inline_script(client, ticket, manager, agent_n1, requester):
    for user, url in pages_for(ticket, manager, agent_n1, requester):
        client.logout()
        if user:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert "frame-ancestors 'none'" in policy
        for attributes in SCRIPT.findall(response.content.decode()):
            assert "src=" in attributes, f"inline <script> on {url}"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_login_is_locked_after_five_failures_even_with_the_right_password(client, requester):
    for _ in range(5):
        client.post(reverse("login"), {"username": "requester", "password": "wrong"})

    response = client.post(reverse("login"), {"username": "requester", "password": "demo"})

    assert response.status_code in (403, 429)
    assert b'data-testid="locked-out"' in response.content
    assert "_auth_user_id" not in client.session


def test_a_good_password_before_the_limit_logs_in(client, requester):
    for _ in range(3):
        client.post(reverse("login"), {"username": "requester", "password": "wrong"})

    response = client.post(reverse("login"), {"username": "requester", "password": "demo"})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(requester.pk)


def test_ticket_creation_is_rate_limited_per_user(client, requester, category, limits_on):
    limits_on.HELPDESK_RATE_TICKET_CREATE = "3/h"
    client.force_login(requester)
    data = {"ticket_type": "incident", "category": category.pk, "title": "Panne", "description": "x",
            "urgency": "low", "impact": "low"}

    codes = [client.post(reverse("tickets:new"), data).status_code for _ in range(4)]

    assert codes == [302, 302, 302, 429]
    assert Ticket.objects.filter(requester=requester).count() == 3


def test_survey_links_are_rate_limited_per_ip(client, ticket, agent_n1, limits_on):
    limits_on.HELPDESK_RATE_SURVEY = "2/h"
    closed = advance(ticket, to="closed", agent=agent_n1)
    url = reverse("tickets:survey_link", args=[survey_token(Survey.objects.get(ticket=closed))[:-3] + "xyz"])

    codes = [client.post(url, {"score": 3}).status_code for _ in range(3)]

    assert codes == [400, 400, 429]


def test_failed_logins_are_rate_limited_per_username_and_ip(client, requester, limits_on):
    limits_on.HELPDESK_RATE_LOGIN = "2/h"
    codes = [client.post(reverse("login"), {"username": "requester", "password": "x"}).status_code
             for _ in range(3)]

    assert codes[-1] == 429


def test_a_csrf_less_post_is_refused(requester, ticket):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(requester)

    response = strict.post(reverse("tickets:reply", args=[ticket.reference]), {"version": ticket.version,
                                                                              "body": "hello"})

    assert response.status_code == 403
    assert not ticket.followups.exists()


def test_production_settings_pass_check_deploy(monkeypatch):
    import subprocess
    import sys

    env = {"DEBUG": "0", "SECRET_KEY": "x" * 60 + "-not-a-real-key-but-long-and-random-enough-1234",
           "ALLOWED_HOSTS": "helpdesk.example.org", "SECURE_HSTS_SECONDS": "31536000", "SECURE_SSL_REDIRECT": "1",
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            capture_output=True, text=True, env=env, check=False)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_ticket_form_never_makes_a_500_on_garbage(client, requester):
    client.force_login(requester)

    response = client.post(reverse("tickets:new"), {"ticket_type": "<x>", "category": "'; DROP", "urgency": "9",
                                                    "impact": [], "title": "\x00" * 3, "description": "a" * 30000})

    assert response.status_code == 400
    assert not Ticket.objects.exists()
