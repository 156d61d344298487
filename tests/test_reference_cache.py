"""The reference-data cache (core.cache): read once, renewed by every change, never a reason to fail."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import cache as reference_cache
from escalation.models import EscalationRule
from escalation.services import active_rule
from sla.models import SlaPolicy, SlaTarget
from sla.selectors import policy_for, policy_target
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, make_ticket
from tickets.models import Ticket
from tickets.selectors import active_categories


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def test_a_second_read_costs_no_query(db):
    first = _queries(active_categories)
    again = _queries(active_categories)

    assert first == 1 and again == 0


def test_saving_a_category_renews_the_cached_list(db):
    category = CategoryFactory(name="Réseau")
    assert [c.name for c in active_categories()] == ["Réseau"]

    category.name = "Réseau et Wi-Fi"
    category.save()
    CategoryFactory(name="Téléphonie")

    assert sorted(c.name for c in active_categories()) == ["Réseau et Wi-Fi", "Téléphonie"]
    category.delete()
    assert [c.name for c in active_categories()] == ["Téléphonie"]


def test_switching_a_rule_off_reaches_the_next_read(db):
    assert active_rule("recurring") is not None
    rule = EscalationRule.objects.get(code="recurring")
    rule.is_active = False
    rule.save()

    assert active_rule("recurring") is None


def test_a_policy_change_reaches_the_next_ticket(category):
    organisation = OrganisationFactory(name="Acme")
    requester = UserFactory(username="acme_user", organisation=organisation)
    first = make_ticket(requester=requester, category=category)
    default = SlaPolicy.objects.get(is_default=True)
    assert policy_for(first).pk == default.pk

    own = SlaPolicy.objects.create(name="Acme", organisation=organisation, calendar=default.calendar)
    SlaTarget.objects.create(policy=own, priority=first.priority, response_value=5, response_unit="minutes",
                             resolution_value=1, resolution_unit="hours")
    second = make_ticket(requester=requester, category=category)

    assert policy_for(second).pk == own.pk
    assert policy_target(policy_for(second), second.priority).response_value == 5
    assert (second.response_due_at - second.created_at).total_seconds() == 300


def test_the_version_is_renewed_again_at_commit(db, django_capture_on_commit_callbacks):
    """A reader between the change and its COMMIT would cache the old rows under the first new version."""
    active_categories()
    with django_capture_on_commit_callbacks(execute=True):
        category = CategoryFactory(name="Réseau")
        version_during = cache.get("ref:tickets.categories:version")
    assert cache.get("ref:tickets.categories:version") != version_during
    assert [c.pk for c in active_categories()] == [category.pk]


def test_with_the_cache_down_every_read_goes_to_the_database(db):
    CategoryFactory(name="Réseau")
    with mock.patch.object(cache, "get", return_value=None), mock.patch.object(cache, "add", return_value=False), \
            mock.patch.object(cache, "set", return_value=None):
        assert [c.name for c in active_categories()] == ["Réseau"]
        assert _queries(active_categories) == 1  # nothing kept: the database each time
        CategoryFactory(name="Téléphonie")
        assert len(active_categories()) == 2


@pytest.mark.django_db(transaction=True)
def test_a_request_succeeds_with_redis_unreachable(client, requester, category, settings):
    """django-redis with IGNORE_EXCEPTIONS on a closed port: the cache answers nothing, the submission
    reads its reference data from the database and is saved."""
    settings.CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25}}}
    reference_cache.forget_local()
    client.force_login(requester)

    response = client.post("/tickets/new/", {
        "ticket_type": "incident", "category": category.pk, "title": "Sans Redis",
        "description": "Le cache est arrêté.", "urgency": "medium", "impact": "low"})

    assert response.status_code == 302
    assert Ticket.objects.get(title="Sans Redis").sla_clocks.count() == 2


def test_off_means_the_database(db, settings):
    settings.HELPDESK_REFERENCE_CACHE = False
    CategoryFactory(name="Réseau")

    assert _queries(active_categories) == 1
    assert _queries(active_categories) == 1


def test_another_processs_change_is_seen_once_the_trust_delay_is_over(db):
    """Another process renews the version in the shared cache: this one sees it within LOCAL_TRUST seconds."""
    category = CategoryFactory(name="Réseau")
    assert [c.name for c in active_categories()] == ["Réseau"]
    type(category).objects.filter(pk=category.pk).update(name="Réseau et Wi-Fi")  # no signal here
    cache.set("ref:tickets.categories:version", "renewed-elsewhere")

    assert [c.name for c in active_categories()] == ["Réseau"]  # within the delay: this process's copy
    with mock.patch("core.cache.time.monotonic", return_value=reference_cache.time.monotonic() + 3):
        assert [c.name for c in active_categories()] == ["Réseau et Wi-Fi"]
