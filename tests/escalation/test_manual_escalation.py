"""Manual escalation from the workspace: reason and detailed followup required, next level's group."""

import re

import pytest
from django.urls import reverse

from escalation.models import Escalation
from escalation.services import escalation_escalate
from tests.factories import UserFactory, advance

FOLLOWUP = "Redémarrage du service et vidage du cache faits ; l'erreur 502 persiste côté proxy."


@pytest.fixture
def working_ticket(ticket, agent_n1):
    return advance(ticket, to="in_progress", agent=agent_n1)


def escalate_url(ticket):
    return reverse("escalation:escalate", args=[ticket.reference])


def test_agent_escalates_n1_to_n2_with_reason_and_detailed_followup(client, working_ticket, agent_n1, agent_n2):
    client.force_login(agent_n1)

    response = client.post(escalate_url(working_ticket), {
        "version": working_ticket.version, "reason": "complex_incident", "followup": FOLLOWUP,
    })

    assert response.status_code == 302
    working_ticket.refresh_from_db()
    assert working_ticket.level == "N2"
    assert working_ticket.assignee is None  # handed to the N2 group
    escalation = Escalation.objects.get(ticket=working_ticket)
    assert (escalation.from_level, escalation.to_level, escalation.reason) == ("N1", "N2", "complex_incident")
    assert escalation.actor == agent_n1
    assert escalation.followup.body == FOLLOWUP
    assert not escalation.followup.is_public


def test_escalation_can_hand_to_a_chosen_agent_of_the_next_level(client, working_ticket, agent_n1, agent_n2):
    client.force_login(agent_n1)

    client.post(escalate_url(working_ticket), {
        "version": working_ticket.version, "reason": "skill_unavailable", "followup": FOLLOWUP,
        "assignee": agent_n2.pk,
    })

    working_ticket.refresh_from_db()
    assert working_ticket.assignee == agent_n2


@pytest.mark.parametrize("data", [
    {"reason": "", "followup": FOLLOWUP},
    {"reason": "complex_incident", "followup": "trop court"},
    {"reason": "sla_breach", "followup": FOLLOWUP},  # automatic-only reason
])
def test_escalation_without_reason_or_with_a_short_followup_is_refused_and_nothing_saved(
    client, working_ticket, agent_n1, data
):
    client.force_login(agent_n1)
    version = working_ticket.version

    response = client.post(escalate_url(working_ticket), {"version": version, **data})

    assert response.status_code == 400
    assert b"invalid-feedback" in response.content
    working_ticket.refresh_from_db()
    assert (working_ticket.level, working_ticket.version) == ("N1", version)
    assert not Escalation.objects.exists()
    assert not working_ticket.followups.exists()


def test_handing_to_an_agent_of_another_level_is_refused(client, working_ticket, agent_n1):
    other_n1 = UserFactory(username="n1bis", groups=["N1"])
    client.force_login(agent_n1)

    response = client.post(escalate_url(working_ticket), {
        "version": working_ticket.version, "reason": "complex_incident", "followup": FOLLOWUP,
        "assignee": other_n1.pk,
    })

    assert response.status_code == 400
    working_ticket.refresh_from_db()
    assert working_ticket.level == "N1"


def test_de_escalation_goes_one_level_down_with_a_reason(client, working_ticket, agent_n1, agent_n2):
    client.force_login(agent_n1)
    client.post(escalate_url(working_ticket), {
        "version": working_ticket.version, "reason": "complex_incident", "followup": FOLLOWUP,
    })
    working_ticket.refresh_from_db()
    client.force_login(agent_n2)

    response = client.post(reverse("escalation:deescalate", args=[working_ticket.reference]), {
        "version": working_ticket.version, "followup": "Simple mot de passe expiré, le N1 peut finir la procédure.",
    })

    assert response.status_code == 302
    working_ticket.refresh_from_db()
    assert working_ticket.level == "N1"
    assert Escalation.objects.filter(reason="de_escalation", from_level="N2", to_level="N1").count() == 1


def test_requester_sees_a_specialist_took_over_but_not_the_private_followup(
    client, working_ticket, agent_n1, requester
):
    client.force_login(agent_n1)
    client.post(escalate_url(working_ticket), {
        "version": working_ticket.version, "reason": "complex_incident", "followup": FOLLOWUP,
    })
    client.force_login(requester)

    page = client.get(working_ticket.get_absolute_url())

    assert page.status_code == 200
    assert FOLLOWUP.encode() not in page.content
    assert b"event-escalation" in page.content


def test_new_level_group_is_emailed_after_commit(client, working_ticket, agent_n1, agent_n2, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    client.force_login(agent_n1)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(escalate_url(working_ticket), {
            "version": working_ticket.version, "reason": "complex_incident", "followup": FOLLOWUP,
        })

    assert [m.to for m in mailoutbox] == [[agent_n2.email]]


def test_requester_gets_404_on_escalation_urls(client, working_ticket, requester):
    client.force_login(requester)

    for name in ("escalation:escalate", "escalation:deescalate"):
        response = client.post(reverse(name, args=[working_ticket.reference]), {
            "version": working_ticket.version, "reason": "complex_incident", "followup": FOLLOWUP,
        })
        assert response.status_code == 404
    for name in ("escalation:log", "escalation:rules"):
        assert client.get(reverse(name)).status_code == 404
    working_ticket.refresh_from_db()
    assert working_ticket.level == "N1"


def test_escalation_log_is_for_managers_and_filters_by_level(client, working_ticket, agent_n1, manager):
    client.force_login(agent_n1)
    client.post(escalate_url(working_ticket), {
        "version": working_ticket.version, "reason": "complex_incident", "followup": FOLLOWUP,
    })
    assert client.get(reverse("escalation:log")).status_code == 404
    client.force_login(manager)

    matching = client.get(reverse("escalation:log"), {"to_level": "N2"})
    other = client.get(reverse("escalation:log"), {"to_level": "N4"})

    assert working_ticket.reference.encode() in matching.content
    assert working_ticket.reference.encode() not in other.content


def test_cannot_escalate_past_n4(working_ticket, agent_n1):
    from core.exceptions import ActionRefused
    from escalation.services import escalation_escalate
    from tickets import services

    services.ticket_set_level(ticket=working_ticket, actor=agent_n1, level="N4", reason="test")
    working_ticket.refresh_from_db()

    with pytest.raises(ActionRefused):
        escalation_escalate(ticket=working_ticket, actor=agent_n1, reason="complex_incident", followup=FOLLOWUP)


def test_each_escalation_form_of_the_workspace_sends_one_csrf_token(client, working_ticket, agent_n1, agent_n2):
    # At N2 the panel offers both directions: up to N3 and back to N1.
    escalation_escalate(ticket=working_ticket, actor=agent_n1, reason="complex_incident", followup=FOLLOWUP,
                        assignee=agent_n2)
    client.force_login(agent_n2)

    html = client.get(working_ticket.get_agent_url()).content.decode()

    forms = re.findall(r'<form[^>]*action="/escalation/[^"]*"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert len(forms) == 2
    assert [form.count('name="csrfmiddlewaretoken"') for form in forms] == [1, 1]
