"""The queue's markup kept per process (`{% fragment %}`, core.cache.derived): the filter form, the views' tabs,
the keyboard help and the bulk actions are the same bytes as a fresh render for every query string and language,
and a change to what they show (a new category, a renamed agent, a new organisation) is on the next page."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.urls import reverse, set_script_prefix

from core import cache as reference_cache
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, make_ticket

QUERIES = [
    "", "?view=mine", "?view=unassigned&sort=priority", "?priority=P3&status=waiting", "?level=N2&sla=breached",
    "?q=%3Cscript%3E%22%26amp%3B", "?category={category}&organisation={organisation}",
    "?created_after=2026-01-01&updated_before=2026-11-01&ticket_type=incident&channel=email",
    "?assignee={agent}", "?priority=bogus", "?view=nope&category=999999", "?priority=P1&priority=P2",
    "?ticket_type=incident", "?view=level&q=imprimante",
]
TOKENS = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def _page(client, url: str, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200
    return TOKENS.sub(r"\1…", response.content.decode())


@pytest.fixture
def queue_data(requester, agent_n1, category):
    organisation = OrganisationFactory(name="Acme & <Cie>")
    requester.organisation = organisation
    requester.save()
    CategoryFactory(name="VPN <b>", parent=category)
    make_ticket(requester=requester, category=category, title="Imprimante <script>")
    return {"category": category.pk, "organisation": organisation.pk, "agent": agent_n1.pk}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_kept_markup_is_a_fresh_render(client, agent_n1, queue_data, settings, language):
    client.force_login(agent_n1)
    client.cookies["django_language"] = language
    urls = [reverse("agent:queue") + query.format(**queue_data) for query in QUERIES]
    kept = [(_page(client, url), _page(client, url, HTTP_HX_REQUEST="true")) for url in urls]
    kept_again = [(_page(client, url), _page(client, url, HTTP_HX_REQUEST="true")) for url in reversed(urls)]
    assert reference_cache._derived, "the fragments were not kept"

    settings.HELPDESK_REFERENCE_CACHE = False  # derived() builds every time: the templates as they are
    fresh = [(_page(client, url), _page(client, url, HTTP_HX_REQUEST="true")) for url in urls]

    assert kept == fresh
    assert kept_again == list(reversed(fresh))
    assert "Imprimante &lt;script&gt;" in fresh[0][0] and '<option value="P3" selected>' in fresh[3][0]
    assert "&lt;script&gt;&quot;&amp;amp;" in fresh[5][0]  # the search text, escaped in its input


def test_a_new_category_a_renamed_agent_and_a_new_organisation_show_on_the_next_page(
        client, agent_n1, queue_data, category):
    client.force_login(agent_n1)
    url = reverse("agent:queue")
    before = _page(client, url)
    assert _page(client, url) == before

    CategoryFactory(name="Téléphonie fixe", parent=category)
    agent_n1.first_name = "Renommé"
    agent_n1.save()
    OrganisationFactory(name="Nouvelle organisation")
    after = _page(client, url)

    assert "Téléphonie fixe" in after and "Nouvelle organisation" in after
    # The agent's new name in the filter's "Assigned to" and in the bulk action's "Assign to".
    assert after.count(f'<option value="{agent_n1.pk}">Renommé {agent_n1.last_name}</option>') == 2
    assert "Téléphonie fixe" not in before


def test_a_new_agent_is_offered_by_the_bulk_actions_of_the_htmx_table(client, agent_n1, queue_data):
    client.force_login(agent_n1)
    url = reverse("agent:queue")
    assert "Nouvel Agent" not in _page(client, url, HTTP_HX_REQUEST="true")

    newcomer = UserFactory(username="nouvel_agent", groups=["N1"], first_name="Nouvel", last_name="Agent")

    assert f'<option value="{newcomer.pk}">Nouvel Agent</option>' in _page(client, url, HTTP_HX_REQUEST="true")


def test_without_the_cache_every_page_is_rendered(client, agent_n1, queue_data):
    """The cache not answering (no version): nothing that reads reference data is kept, the page as usual."""
    client.force_login(agent_n1)
    url = reverse("agent:queue") + "?priority=P3"
    expected = _page(client, url)
    reference_cache.forget_local()

    with mock.patch("core.cache._current_version", return_value=None):
        assert _page(client, url) == expected
    # Only the markup that reads no reference data was kept (the tabs, the keyboard help, the table head).
    assert {key[3][0] for key in reference_cache._derived} == {"queue.views", "queue.help", "queue.head"}


def test_derived_keeps_the_most_recent_values_only(db, monkeypatch):
    monkeypatch.setattr(reference_cache._derived, "size", 3)
    built = []

    def value(key):
        return reference_cache.derived(("tickets.categories",), key, lambda: built.append(key) or f"v{key}")

    assert [value(key) for key in (1, 2, 3, 1, 4, 1, 2)] == ["v1", "v2", "v3", "v1", "v4", "v1", "v2"]
    assert built == [1, 2, 3, 4, 2]  # 1 was used again before 4 came, so 2 went first
    assert len(reference_cache._derived) == 3


def test_kept_markup_asks_the_cache_once_per_name_and_trust_delay(db, monkeypatch):
    """Versions are checked as `reference` checks them: none within LOCAL_TRUST of the last check, then one round
    trip per name; another process's change (a new version in the shared cache) is built anew after that delay, and
    nothing kept outlives LOCAL_MAX_AGE."""
    names = ("tickets.categories", "accounts.organisations")
    clock = [1000.0]
    monkeypatch.setattr(reference_cache.time, "monotonic", lambda: clock[0])
    built = []

    def value():
        return reference_cache.derived(names, "key", lambda: built.append(clock[0]) or len(built))

    asked = []
    real_get = reference_cache.cache.get
    monkeypatch.setattr(reference_cache.cache, "get", lambda key, *a, **k: asked.append(key) or real_get(key, *a, **k))
    assert value() == 1
    asked.clear()
    clock[0] += 1
    assert value() == 1 and asked == []  # within the trust delay: no round trip
    clock[0] += reference_cache.LOCAL_TRUST
    assert value() == 1 and len(asked) == 2  # one per name

    reference_cache.cache.set("ref:tickets.categories:version", "renewed-elsewhere")
    assert value() == 1  # within the delay: this process's
    clock[0] += reference_cache.LOCAL_TRUST
    assert value() == 2
    clock[0] += reference_cache.LOCAL_MAX_AGE - 1
    assert value() == 2
    clock[0] += 1
    assert value() == 3


def test_kept_markup_follows_the_script_prefix(client, agent_n1, queue_data):
    """{% url %} inside a fragment writes the request's script prefix (an app served under a path)."""
    client.force_login(agent_n1)
    url = reverse("agent:queue")
    assert 'action="/agent/"' in _page(client, url)

    set_script_prefix("/helpdesk/")  # what the WSGI handler sets from SCRIPT_NAME (the test client does not)
    try:
        assert 'action="/helpdesk/agent/"' in _page(client, url)
    finally:
        set_script_prefix("/")
    assert 'action="/agent/"' in _page(client, url)
