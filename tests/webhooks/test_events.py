"""Every event type reaches the endpoints that listen to it, and only those."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from escalation.services import escalation_escalate
from postmortem import services as postmortem_services
from postmortem.models import MajorIncident, Postmortem
from sla.services import sla_check_deadlines
from tests.factories import UserFactory, advance, make_ticket
from tickets import services as ticket_services
from tickets.models import Scale, Survey
from webhooks import services
from webhooks.models import EventType, WebhookAttempt, WebhookDelivery


def test_a_p1_declares_a_major_incident_which_is_updated_resolved_and_postmortemed(
        endpoint, receiver, requester, category, agent_n1, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=requester, category=category, urgency=Scale.HIGH, impact=Scale.HIGH)
    incident = MajorIncident.objects.get(ticket=ticket)
    with django_capture_on_commit_callbacks(execute=True):
        postmortem_services.incident_post_update(incident=incident, author=agent_n1, body="Bascule en cours.")
        ticket = advance(ticket, to="resolved", agent=agent_n1)
        postmortem = Postmortem.objects.get(incident=incident)
        postmortem_services.postmortem_update(postmortem=postmortem, actor=agent_n1, root_cause="Disque plein",
                                              lessons_learned="Superviser l'espace disque")
        postmortem_services.postmortem_submit(postmortem=postmortem, actor=agent_n1)
        postmortem_services.postmortem_publish(postmortem=postmortem, actor=manager)

    # In the order things happened in the ticket's history, whichever app reacted first.
    types = receiver.types()
    assert types[:2] == ["ticket.created", "incident.declared"]
    assert types.index("incident.updated") < types.index("ticket.status_changed")
    resolved = [p["data"].get("transition") for p in receiver.received if p["type"] == "ticket.status_changed"]
    assert resolved[-1] == "resolve"
    assert types.index("incident.resolved") > len(types) - 1 - types[::-1].index("ticket.status_changed")
    assert types[-1] == "postmortem.published"
    declared = receiver.received[types.index("incident.declared")]["data"]
    assert declared["ticket"]["priority"] == "P1" and declared["incident_id"] == incident.pk
    assert receiver.received[types.index("incident.updated")]["data"]["reason"] == "Bascule en cours."


def test_level_and_priority_changes(endpoint, receiver, ticket, agent_n1, django_capture_on_commit_callbacks):
    UserFactory(username="n2", groups=["N2"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = advance(ticket, to="in_progress", agent=agent_n1)
        ticket = ticket_services.ticket_change_priority(ticket=ticket, actor=agent_n1, priority="P2",
                                                        reason="Service dégradé")
        escalation_escalate(ticket=ticket, actor=agent_n1, reason="skill_unavailable",
                            followup="Journaux lus, pilote réinstallé, le problème vient du serveur.")

    level = next(p for p in receiver.received if p["type"] == "ticket.level_changed")["data"]
    priority = next(p for p in receiver.received if p["type"] == "ticket.priority_changed")["data"]
    assert (level["from"], level["to"], level["reason"]) == ("N1", "N2", "skill_unavailable")
    assert (priority["from"], priority["to"]) == ("P3", "P2")


def test_sla_warning_and_breach(endpoint, receiver, ticket, django_capture_on_commit_callbacks):
    ticket.refresh_from_db()
    with time_machine.travel(ticket.response_due_at - timedelta(minutes=1)), django_capture_on_commit_callbacks(execute=True):
        sla_check_deadlines()
    with time_machine.travel(ticket.response_due_at + timedelta(minutes=1)), django_capture_on_commit_callbacks(execute=True):
        sla_check_deadlines()

    sla = [(p["type"], p["data"]["target"]) for p in receiver.received if p["type"].startswith("sla.")]
    assert sla == [("sla.warning", "response"), ("sla.breached", "response")]


def test_survey_answered(endpoint, receiver, ticket, agent_n1, requester, django_capture_on_commit_callbacks):
    advance(ticket, to="closed", agent=agent_n1)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.survey_answer(survey=Survey.objects.get(ticket=ticket), score=4, comment="Rapide",
                                      actor=requester)

    [answer] = [p["data"] for p in receiver.received if p["type"] == "survey.answered"]
    assert (answer["score"], answer["comment"], answer["ticket"]["reference"]) == (4, "Rapide", ticket.reference)


def test_an_endpoint_gets_only_the_events_it_listens_to(allow_private, receiver, manager, requester, category,
                                                        agent_n1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        endpoint = services.endpoint_create(actor=manager, url=receiver.url, events=[EventType.TICKET_CREATED])
    receiver.secret = endpoint.secret
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=requester, category=category)
        advance(ticket, to="in_progress", agent=agent_n1)

    assert receiver.types() == ["ticket.created"]


def test_a_disabled_endpoint_gets_nothing(endpoint, receiver, manager, requester, category,
                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_update(endpoint=endpoint, actor=manager, url=endpoint.url, events=endpoint.events,
                                 is_active=False)
        make_ticket(requester=requester, category=category)

    assert receiver.received == [] and not WebhookDelivery.objects.exists()


def test_a_rolled_back_change_sends_nothing(endpoint, receiver, requester, category,
                                            django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                make_ticket(requester=requester, category=category)
                raise RuntimeError("the request failed after the change")
        except RuntimeError:
            pass

    assert receiver.received == [] and not WebhookDelivery.objects.exists()


def test_the_test_button_sends_a_signed_test_event(endpoint, receiver, client, manager,
                                                   django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/webhooks/{endpoint.pk}/test/")

    assert response.status_code == 302
    assert receiver.types() == ["webhook.test"]
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "webhook.test" in page and "200" in page


def test_timing_of_retries_follows_the_backoff(endpoint, receiver, requester, category,
                                               django_capture_on_commit_callbacks):
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(requester=requester, category=category)
    delivery = WebhookDelivery.objects.get()
    for _attempt in range(3):
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
            services.webhooks_drain()
        delivery.refresh_from_db()

    attempts = WebhookAttempt.objects.order_by("at")
    waits = [round((attempt.retry_at - attempt.at).total_seconds()) for attempt in attempts]
    assert waits == [10, 30, 120, 300] and delivery.attempts == 4


def test_a_vip_ticket_tells_its_start_at_n2_as_a_level_change(endpoint, receiver, category, agent_n2,
                                                              django_capture_on_commit_callbacks):
    from tests.factories import OrganisationFactory

    requester = UserFactory(username="vip_requester", organisation=OrganisationFactory(name="Acme", is_vip=True))
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(requester=requester, category=category)

    level = next(p for p in receiver.received if p["type"] == "ticket.level_changed")["data"]
    assert (level["from"], level["to"], level["reason"], level["rule"], level["actor"]) == (
        "N1", "N2", "vip", "vip_start", None)
    assert level["ticket"]["reference"] == ticket.reference
    assert receiver.types().index("ticket.created") < receiver.types().index("ticket.level_changed")
