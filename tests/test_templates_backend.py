"""core.templates: once a page is written, the objects its context reached are freed by reference counting, not
left in a reference cycle (context ↔ ContextDict) for the garbage collector (bench/RESULTS.md, issue 16, session 11)."""

from __future__ import annotations

import gc
import weakref

import pytest
from django.template import engines
from django.template.backends.django import DjangoTemplates as DjangosOwn
from django.test import RequestFactory

PAGE = "{% for row in rows %}{% with name=row.name %}<p>{{ name }}</p>{% endwith %}{% endfor %}"


class Row:
    def __init__(self, name: str) -> None:
        self.name = name


@pytest.fixture
def collector_off():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def _written_and_kept(backend) -> tuple[str, weakref.ref]:
    """A page rendered for a request, as every view's: its RequestContext holds the view's dict as a pushed
    ContextDict, which points back at the context."""
    row = Row("Imprimante <en panne>")
    kept = weakref.ref(row)
    html = backend.from_string(PAGE).render({"rows": [row]}, RequestFactory().get("/agent/"))
    del row
    return html, kept


def test_the_page_is_written_and_its_objects_freed_at_once(collector_off):
    html, kept = _written_and_kept(engines["django"])

    assert html == "<p>Imprimante &lt;en panne&gt;</p>"
    assert kept() is None  # freed without the collector


def test_with_djangos_own_backend_they_wait_for_the_collector(collector_off):
    """What core.templates changes: Django's backend leaves the context in a cycle."""
    own = DjangosOwn({"NAME": "own", "DIRS": [], "APP_DIRS": False, "OPTIONS": {}})
    html, kept = _written_and_kept(own)

    assert html == "<p>Imprimante &lt;en panne&gt;</p>"
    assert kept() is not None
    gc.collect()
    assert kept() is None


def test_a_missing_template_is_reported_as_by_djangos_backend():
    from django.template import TemplateDoesNotExist

    with pytest.raises(TemplateDoesNotExist):
        engines["django"].get_template("nulle/part.html")


def test_the_test_clients_copy_of_the_context_is_kept(client, requester):
    client.force_login(requester)
    response = client.get("/tickets/new/")

    assert response.status_code == 200 and response.context["form"] is not None
