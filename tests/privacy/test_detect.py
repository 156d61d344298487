import pytest

from privacy.detect import find_personal_data, iban_valid, luhn_valid, nir_valid, redact
from tests.factories import make_ticket
from tickets import services
from tickets.models import Followup, TicketEvent

TEXT = ("Écrivez à alice.martin@example.org ou au 06 12 34 56 78 (+33 6 12 34 56 78). "
        "IBAN FR76 3000 6000 0112 3456 7890 189, carte 4111 1111 1111 1111, NIR 1 85 05 78 006 084 91.")


def test_each_kind_is_found_with_its_checksum():
    kinds = [f.kind for f in find_personal_data(TEXT)]
    assert kinds == ["email", "phone", "phone", "iban", "card", "nir"]


@pytest.mark.parametrize("text", [
    "ticket 2026-000001", "prix 1234567890123", "carte 4111 1111 1111 1112", "IBAN FR76 3000 6000 0112 3456 7890 188",
    "NIR 1 85 05 78 006 084 90", "version 10.2.3.4",
])
def test_lookalikes_with_a_wrong_checksum_are_not_flagged(text):
    assert find_personal_data(text) == []


def test_the_checksums():
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid("GB82 WEST 1234 5698 7654 33")
    assert luhn_valid("4970 1012 3456 7890") is False and luhn_valid("5555 5555 5555 4444")
    assert nir_valid("185057800608491") and not nir_valid("185057800608492")


def test_redaction_keeps_the_rest_of_the_text():
    text, findings = redact("Mon IBAN : FR76 3000 6000 0112 3456 7890 189. Merci")
    assert len(findings) == 1 and text.startswith("Mon IBAN : [") and text.endswith("]. Merci")
    assert "3000" not in text


def test_the_workspace_flags_it_and_one_click_masks_it(client, requester, agent_n1, category):
    ticket = make_ticket(requester=requester, category=category, description=TEXT)
    services.followup_add(ticket=ticket, author=requester, body="Mon numéro : 07 98 76 54 32")
    client.force_login(agent_n1)
    page = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()
    assert 'data-testid="privacy-panel"' in page and "carte 4111 1111 1111 1111" in page  # until masked
    assert page.count('name="target" value="description"') == 1
    findings = client.get(f"/privacy/tickets/{ticket.reference}/personal-data/", HTTP_HX_REQUEST="true")
    assert findings.content.decode().count('name="target"') == 2  # the description and the followup
    assert client.get(f"/privacy/tickets/{ticket.reference}/personal-data/").status_code == 200

    response = client.post(f"/privacy/tickets/{ticket.reference}/redact/", {"target": "description"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert "4111" not in ticket.description and "alice.martin" not in ticket.description
    followup = Followup.objects.get(ticket=ticket)
    client.post(f"/privacy/tickets/{ticket.reference}/redact/", {"target": f"followup:{followup.pk}"})
    followup.refresh_from_db()
    assert "07 98" not in followup.body
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.data["privacy"] == "redacted" and not event.is_public and event.actor == agent_n1
    findings = client.get(f"/privacy/tickets/{ticket.reference}/personal-data/", HTTP_HX_REQUEST="true")
    assert 'name="target"' not in findings.content.decode()


def test_a_requester_cannot_redact_nor_reach_someone_elses_ticket(client, requester, other_requester, category):
    ticket = make_ticket(requester=other_requester, category=category, description=TEXT)
    client.force_login(requester)
    response = client.post(f"/privacy/tickets/{ticket.reference}/redact/", {"target": "description"})
    assert response.status_code in (302, 403, 404)
    assert client.get(f"/privacy/tickets/{ticket.reference}/personal-data/").status_code in (302, 403, 404)
    ticket.refresh_from_db()
    assert ticket.description == TEXT


def test_each_kind_is_masked_by_its_french_name():
    from django.utils import translation

    with translation.override("fr"):
        text, _findings = redact(TEXT)

    for word in ("[adresse e-mail]", "[numéro de téléphone]", "[IBAN]", "[numéro de carte]"):
        assert word in text, word
