"""What a detection costs under load (issue 16, session 23): each new ticket's detection reads the window's tickets
again, and their titles' terms are kept per process by title instead of being folded and stemmed again each time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storms import text
from storms.models import Storm
from storms.services import storms_detect
from storms.services.detection import _window_rows

from .conftest import T0, burst, file, person


@pytest.fixture
def folded(monkeypatch):
    """The titles storms.text folds and stems (what ticket_terms does not find kept)."""
    seen = []
    real = text.terms

    def counting(title):
        seen.append(title)
        return real(title)

    monkeypatch.setattr(text, "terms", counting)
    text.ticket_terms.cache_clear()
    yield seen
    text.ticket_terms.cache_clear()


def test_each_title_of_the_window_is_folded_once_across_detections(vpn, baseline, folded):
    titles = [f"Imprimante {name} hors service" for name in ("Accueil", "Compta", "Direction", "Atelier")]
    for i, title in enumerate(titles):
        file(T0 + timedelta(minutes=i), requester=person(f"p{i}", f"Org {i}"), category=vpn, title=title)

    # Four detections, each reading the window's tickets up to its own: every title folded once.
    assert sorted(folded) == sorted(titles)


def test_an_edited_title_is_read_anew(vpn, baseline, folded):
    ticket = file(T0, requester=person("p", "Acme"), category=vpn, title="Imprimante hors service")
    type(ticket).objects.filter(pk=ticket.pk).update(title="Scanner en panne")

    (row,) = [r for r in _window_rows(T0 - timedelta(minutes=1), T0 + timedelta(minutes=1), 10) if r.id == ticket.pk]

    assert any(term.startswith("scan") for term in row.terms)
    assert not any(term.startswith("imprim") for term in row.terms)
    assert folded == ["Imprimante hors service", "Scanner en panne"]


def test_a_burst_is_found_as_before_with_the_terms_kept(vpn, baseline, folded):
    tickets = burst(6, category=vpn, organisations=("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark"))

    storm = Storm.objects.get()
    assert set(storm.tickets.values_list("pk", flat=True)) == {t.pk for t in tickets}
    assert folded.count("Le VPN ne se connecte plus") == 1
    assert storms_detect(ticket_ids=[t.pk for t in tickets]).examined == 0  # in a storm already
