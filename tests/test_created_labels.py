"""“Created” is a date column (“Créé le”), a number of tickets (“Créés”) and an event (“Création”): one
English word, three French ones, told apart by a translation context (B7). The postmortem history's
event keeps the bare msgid (its label is part of postmortem's migration state), so it alone says
“Création”."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import translation

from postmortem.models import PostmortemEvent


def test_a_date_column_reads_cree_le(client, requester, ticket):
    client.force_login(requester)

    html = client.get(reverse("tickets:list")).content.decode()

    assert '<th scope="col">Créé le</th>' in html


def test_the_dashboard_trend_counts_tickets_created_and_resolved(client, manager, ticket):
    client.force_login(manager)

    html = client.get(reverse("dashboard:index")).content.decode()
    export = client.get(reverse("dashboard:index"), {"export": "trend"}).content.decode("utf-8-sig")

    assert re.search(r"<th[^>]*>Période</th><th[^>]*>Créés</th><th[^>]*>Résolus</th>", html)
    assert export.splitlines()[0] == "Période;Créés;Résolus;MTTR (h);CSAT"


def test_the_postmortem_history_names_its_first_event_creation():
    with translation.override("fr"):
        assert str(PostmortemEvent.Action.CREATED.label) == "Création"
    with translation.override("en"):
        assert str(PostmortemEvent.Action.CREATED.label) == "Created"
