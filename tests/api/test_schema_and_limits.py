"""The OpenAPI schema and its docs (no CDN), and the rate limit per token that fails open."""

from __future__ import annotations

import secrets

from django.core.management import call_command

from tests.api.conftest import ApiClient, token_for


def fresh_rate(count: int) -> str:
    """`count` per a period of its own: counters of an earlier run in a shared Redis never match it."""
    return f"{count}/{1000 + secrets.randbelow(9000)}s"


def test_the_schema_is_openapi_3_in_json(client, requester):
    client.force_login(requester)

    response = client.get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/tickets/{reference}/take/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    # The command raises on an invalid schema or a warning; what it wrote is the OpenAPI 3 document.
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")


def test_the_docs_are_served_from_our_own_static_files(client, requester):
    client.force_login(requester)

    swagger = client.get("/api/v1/docs/").content.decode()
    redoc = client.get("/api/v1/docs/redoc/").content.decode()

    assert "drf_spectacular_sidecar" in swagger and "drf_spectacular_sidecar" in redoc
    for page in (swagger, redoc):
        assert "cdn" not in page.lower() and "googleapis" not in page and "<style>" not in page


def test_each_token_has_its_own_rate_limit(settings, requester, agent_n1):
    settings.RATELIMIT_ENABLE = True
    settings.HELPDESK_RATE_API = fresh_rate(3)
    mine, other = ApiClient(token_for(requester, name="a")), ApiClient(token_for(agent_n1, name="b"))

    statuses = [mine.get("/api/v1/me/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    limited = mine.get("/api/v1/me/")
    assert limited["Content-Type"] == "application/problem+json" and int(limited["Retry-After"]) >= 1
    assert other.get("/api/v1/me/").status_code == 200


def test_the_rate_limit_fails_open_when_the_cache_is_down(settings, requester):
    settings.RATELIMIT_ENABLE = True
    settings.HELPDESK_RATE_API = "1/m"
    settings.RATELIMIT_USE_CACHE = "broken"
    settings.CACHES = {**settings.CACHES, "broken": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1}}}
    client = ApiClient(token_for(requester))

    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]


def test_tickets_created_through_the_api_spend_the_web_forms_budget(settings, client, requester, category):
    settings.RATELIMIT_ENABLE = True
    settings.HELPDESK_RATE_TICKET_CREATE = fresh_rate(2)
    client.force_login(requester)
    api = ApiClient(token_for(requester))
    body = {"title": "Panne", "description": "Encore.", "ticket_type": "incident", "urgency": "low", "impact": "low"}

    web = client.post("/tickets/new/", body)
    first = api.post("/api/v1/tickets/", body)
    second = api.post("/api/v1/tickets/", body)

    assert (web.status_code, first.status_code, second.status_code) == (302, 201, 429)
