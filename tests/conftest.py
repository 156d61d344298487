"""The fixed cast (docs/architecture.md, "Tests"): requester owns, other_requester must get nothing, agents work."""

from __future__ import annotations

import pytest

from tests.factories import (
    CategoryFactory,
    OrganisationFactory,
    UserFactory,
    make_ticket,
    restore_reference_data,
)

# The OpenID Connect provider's fixtures (identity_provider, oidc_settings) for tests/accounts and tests/browser.
pytest_plugins = ["tests.oidc_idp"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads of each test in a folder of its own (the rest of the test settings: helpdesk.settings_test)."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: what a previous test cached (reference data, rate-limit
    counters) belongs to rows its rollback removed."""
    from django.core.cache import cache

    from core.cache import forget_local

    cache.clear()
    forget_local()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """A reused test database may come from a session that ended with a transactional test's flush."""
    with django_db_blocker.unblock():
        restore_reference_data()


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """Every transactional test (live server, real threads or processes) begins after another one's
    flush, which empties what the data migrations created: put it back, as every deployment has it."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("db")
        restore_reference_data()


@pytest.fixture
def requester(db):
    return UserFactory(username="requester", first_name="Alice", last_name="Martin")


@pytest.fixture
def other_requester(db):
    return UserFactory(username="other_requester", first_name="Bob", last_name="Durand")


@pytest.fixture
def agent_n1(db):
    return UserFactory(username="agent1", groups=["N1"], first_name="Nadia", last_name="Petit")


@pytest.fixture
def agent_n2(db):
    return UserFactory(username="agent2", groups=["N2"], first_name="Hugo", last_name="Bernard")


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", groups=["Manager"], first_name="Claire", last_name="Moreau")


@pytest.fixture
def vip_organisation(db):
    return OrganisationFactory(name="Acme", is_vip=True)


@pytest.fixture
def category(db):
    return CategoryFactory(name="Réseau")


@pytest.fixture
def ticket(requester, category):
    return make_ticket(requester=requester, category=category)


def login(client, user):
    client.force_login(user)
    return client
