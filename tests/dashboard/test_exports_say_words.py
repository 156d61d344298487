"""The dashboard's CSV exports name dimensions, values and phases as the page does, not by their codes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from escalation.services import escalation_escalate
from tests.factories import advance

FOLLOWUP = "Redémarrage du service et vidage du cache faits ; l'erreur 502 persiste côté proxy."


@pytest.mark.parametrize("table", ["backlog", "escalations", "phases", "agent", "trend"])
def test_an_export_has_no_code_in_it(client, manager, ticket, agent_n1, table):
    ticket = advance(ticket, to="in_progress", agent=agent_n1)
    escalation_escalate(ticket=ticket, actor=agent_n1, reason="diagnostic_timeout", followup=FOLLOWUP)
    client.force_login(manager)

    export = client.get(reverse("dashboard:index"), {"export": table}).content.decode("utf-8-sig")

    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", export), export
    if table == "escalations":
        assert "Motif;Diagnostic de plus de 30 min sans avancée;1" in export.splitlines()
    if table == "backlog":
        assert "Statut;En cours;1" in export.splitlines()
