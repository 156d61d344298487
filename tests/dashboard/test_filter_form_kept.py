"""The dashboard's filter form, with an option for every agent, category and organisation, is rendered once per
process, query string and version of those reference data (`{% fragment %}`, core.cache.derived; issue 16): the
next request with the same filters reads none of the options again, and a new organisation or a form with errors
is shown at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import OrganisationFactory


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def _option_reads(captured) -> list[str]:
    """The reads of every organisation (the select's options; on PostgreSQL through a server-side cursor)."""
    table = 'FROM "accounts_organisation"'
    return [q["sql"] for q in captured.captured_queries
            if table in q["sql"] and "WHERE" not in q["sql"].split(table, 1)[1]]


def test_the_second_request_reads_no_option_again(manager_client):
    OrganisationFactory(name="Boulangerie Martin")
    url = reverse("dashboard:index")
    with CaptureQueriesContext(connection) as first:
        page = manager_client.get(url, {"period": "7d"}).content.decode()
    with CaptureQueriesContext(connection) as second:
        again = manager_client.get(url, {"period": "7d"}).content.decode()

    assert _option_reads(first) and not _option_reads(second)
    assert len(second.captured_queries) <= len(first.captured_queries) - 3  # agents, categories, organisations
    assert "Boulangerie Martin" in page and "Boulangerie Martin" in again
    form = page[page.index('<form method="get"'):page.index("</form>")]
    assert form == again[again.index('<form method="get"'):again.index("</form>")]


def test_a_new_organisation_and_the_chosen_values_show_at_once(manager_client):
    url = reverse("dashboard:index")
    manager_client.get(url, {"period": "7d"})

    OrganisationFactory(name="Pharmacie du Port")
    page = manager_client.get(url, {"period": "7d"}).content.decode()
    chosen = manager_client.get(url, {"period": "quarter"}).content.decode()

    assert "Pharmacie du Port" in page
    assert 'value="quarter" selected' in chosen and 'value="7d" selected' in page


def test_a_form_with_errors_shows_them(manager_client):
    page = manager_client.get(reverse("dashboard:index"), {"period": "custom"}).content.decode()

    assert "A custom period needs a start and an end date." in page or "Une période personnalisée" in page
