"""No internal code reaches a person: every email template (subject, text, HTML) and every kind of
history event, in French and in English, read as words.

A realistic history is played through the services (a ticket waited on, resumed, raised to P2,
escalated, reassigned, resolved, closed and rated; a P1; a recurring problem; SLA warnings and
breaches; a major incident with its status update, postmortem and overdue action). Then every
outbox row is rendered by tickets.outbox.build_message and every event by the timeline
partial, and the text is searched for a snake_case token (a code such as `diagnostic_timeout`) and,
in French, for English words left untranslated (in English, for French ones).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import strip_tags

from dispatch.models import HandlingStat, Skill
from dispatch.services import forecasts_refresh
from escalation.services import escalation_escalate
from postmortem import services as postmortem_services
from postmortem.models import MajorIncident, Postmortem
from sla.tasks import check_sla_deadlines
from storms.services import storm_baselines_refresh, storms_detect
from tests.factories import CategoryFactory, UserFactory, make_ticket, restore_reference_data
from tickets import services
from tickets.models import EventKind, LinkKind, Notification, Scale, Survey, TicketEvent
from tickets.outbox import build_message
from tickets.selectors import ticket_timeline

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
EMAIL_TEMPLATES = {
    path.name.removesuffix("_subject.txt")
    for path in (Path(settings.BASE_DIR) / "templates" / "emails").glob("*_subject.txt")
}

# A code: lower-case words joined by underscores. URLs and addresses are removed before the search.
SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")
URL_OR_ADDRESS = re.compile(r"https?://\S+|\S+@\S+")
# Words of our own templates and labels that, left untranslated, give the other language away. The
# history played below is written so that no user-typed text contains them.
NOT_FRENCH = re.compile(
    r"\b(the|and|from|hello|priority|resumed|created|timeline|escalated|reason|rule|assigned|deadline|"
    r"status|level|reply|replied|resolved|closed|system|policy|breached|warning)\b",
    re.IGNORECASE,
)
NOT_ENGLISH = re.compile(r"\b(priorité|reprise|créé|création|motif|règle|bonjour|système|échéances?)\b",
                         re.IGNORECASE)


def raw_words(text: str, language: str) -> list[str]:
    """What in `text` (HTML or plain) is a code or a word of the other language."""
    text = URL_OR_ADDRESS.sub(" ", html.unescape(strip_tags(text)))
    found = SNAKE_CASE.findall(text)
    found += (NOT_FRENCH if language == "fr" else NOT_ENGLISH).findall(text)
    return found


@pytest.fixture
def cast(db, requester, agent_n1, agent_n2, manager):
    restore_reference_data()
    return {
        "requester": requester, "agent_n1": agent_n1, "agent_n2": agent_n2, "manager": manager,
        "agent_n4": UserFactory(username="agent4", groups=["N4"], first_name="Léa", last_name="Roux"),
    }


@pytest.fixture
def history(cast, category):
    """Every email template and every event kind, played through the services on a frozen clock."""
    requester, n1, n2, manager, n4 = (cast[name] for name in ("requester", "agent_n1", "agent_n2", "manager",
                                                                "agent_n4"))
    with time_machine.travel(T0, tick=False) as clock:
        # A P3 through its whole life.
        ticket = make_ticket(requester=requester, category=category, title="Imprimante du 2e étage en panne",
                             description="Elle affiche une erreur de bourrage papier.")
        ticket = services.ticket_take(ticket=ticket, actor=n1)
        services.followup_add(ticket=ticket, author=n1, body="Pouvez-vous redémarrer l'imprimante ?")
        services.followup_add(ticket=ticket, author=n1, body="Pilote à vérifier.", is_public=False)
        ticket = services.ticket_wait(ticket=ticket, actor=n1, message="Quel modèle exactement ?")
        clock.shift(timedelta(minutes=30))
        services.followup_add(ticket=ticket, author=requester, body="Une Brother HL-L2350.")  # resumes it
        ticket.refresh_from_db()
        services.ticket_check_item(ticket=ticket, actor=n1, code="reproduced", done=True)
        ticket = services.ticket_change_priority(ticket=ticket, actor=n1, priority="P2",
                                                 reason="Tout l'étage est bloqué.")  # a major incident too
        incident = MajorIncident.objects.get(ticket=ticket)
        # Someone of the floor follows it instead of filing a ticket ("me too"): the update reaches them too.
        postmortem_services.incident_follow(incident=incident, user=UserFactory(username="follower"), query="Imprimante")
        postmortem_services.incident_post_update(incident=incident, author=n1,
                                                 body="Diagnostic en cours, contournement : imprimante du 1er.")
        escalation_escalate(ticket=ticket, actor=n1, reason="diagnostic_timeout",
                            followup="Bourrage introuvable après démontage du bac ; carte mère suspectée.")
        ticket.refresh_from_db()
        ticket = services.ticket_assign(ticket=ticket, actor=manager, assignee=n2)
        ticket = services.ticket_record_root_cause(ticket=ticket, actor=n2, root_cause="Capteur papier encrassé.")
        ticket = services.ticket_resolve(ticket=ticket, actor=n2, solution="Capteur nettoyé, impression testée.")
        ticket = services.ticket_close(ticket=ticket, actor=requester)
        services.survey_answer(survey=Survey.objects.get(ticket=ticket), score=4, comment="Rapide et efficace.")
        postmortem = Postmortem.objects.get(incident=incident)
        postmortem_services.corrective_action_add(postmortem=postmortem, actor=n2, owner=n2,
                                                  description="Nettoyer les capteurs tous les mois.",
                                                  due_date=date(2026, 3, 10), recurrence_days=30,
                                                  recurrence_category=category)
        # What the system records that no service writes today, as a service would.
        TicketEvent.objects.record(ticket=ticket, kind=EventKind.SOLUTION, actor=n2,
                                   data={"solution": "Capteur nettoyé."})
        TicketEvent.objects.record(ticket=ticket, kind=EventKind.NOTIFICATION, public=False,
                                   data={"template": "ticket_resolved"})

        # A P1 (the top level alerted and added), then the requester's third ticket in the category.
        critical = make_ticket(requester=requester, category=category, title="Réseau coupé au siège",
                               urgency=Scale.HIGH, impact=Scale.HIGH)
        recurring = make_ticket(requester=requester, category=category, title="Imprimante du 1er en panne")
        services.ticket_link(ticket=recurring, actor=n1, other=ticket, kind=LinkKind.RELATES)

        # The SLA sweep: warnings, then breaches, which the rule escalates.
        for hours in (0.75, 1, 3, 4.1):
            clock.move_to(T0 + timedelta(hours=hours))
            check_sla_deadlines()
        # The postmortem's reminder, then the overdue postmortem and action.
        postmortem.refresh_from_db()
        clock.move_to(postmortem.due_at - timedelta(hours=6))
        postmortem_services.postmortems_remind()
        clock.move_to(postmortem.due_at + timedelta(hours=1))
        postmortem_services.postmortems_remind()
        # Written, reviewed, shared with the requester and published: they are told.
        postmortem = postmortem_services.postmortem_update(
            postmortem=postmortem, actor=n2, root_cause="Capteur papier encrassé.",
            lessons_learned="Nettoyer les capteurs chaque mois.")
        postmortem = postmortem_services.postmortem_submit(postmortem=postmortem, actor=n2)
        postmortem = postmortem_services.postmortem_share(postmortem=postmortem, actor=n2, users=[requester],
                                                          organisations=[])
        postmortem_services.postmortem_publish(postmortem=postmortem, actor=manager)
        # The action is done, and the same outage comes back: a recurrence, owner and managers told.
        postmortem_services.corrective_action_complete(action=postmortem.actions.get(), actor=n2)
        clock.shift(timedelta(days=2))
        make_ticket(requester=requester, category=category, title="Imprimantes du 2e étage en panne",
                    urgency=Scale.HIGH, impact=Scale.HIGH)
        postmortem_services.recurrences_check()
        # A storm of tickets: five people of the helpdesk's users within minutes, suggested to the managers.
        storm_baselines_refresh()
        clock.shift(timedelta(days=1))
        wifi = CategoryFactory(name="Wifi")
        for i in range(5):
            clock.shift(timedelta(minutes=2))
            storms_detect(ticket_ids=[make_ticket(requester=UserFactory(username=f"storm{i}"), category=wifi,
                                                  title="Plus de wifi au siège").pk])
        # The dispatch: an N1 skill, a ticket given automatically (its reason in the timeline), and the
        # breach forecast alerting the managers of a ticket that will miss its deadline.
        Skill.objects.create(agent=n1, level="N1")
        dispatched = make_ticket(requester=requester, category=category, title="Écran noir au démarrage",
                                 urgency=Scale.HIGH)
        HandlingStat.objects.create(level="N1", samples=10, handling_p50=9 * 3600, handling_p90=18 * 3600)
        forecasts_refresh()
    return [ticket, critical, recurring, dispatched]


@pytest.fixture(params=["fr", "en"])
def language(request, settings):
    # build_message writes in the helpdesk's language, LANGUAGE_CODE.
    settings.LANGUAGE_CODE = request.param
    with translation.override(request.param):
        yield request.param


def test_the_history_covers_every_email_template_and_every_event_kind(history):
    assert set(Notification.objects.values_list("template", flat=True)) == EMAIL_TEMPLATES
    assert set(TicketEvent.objects.values_list("kind", flat=True)) == set(EventKind.values)
    # The cases the review found: a manual and a rule escalation, an SLA recompute on a priority change
    # and on a resume, one participant added.
    escalations = TicketEvent.objects.filter(notifications__template="ticket_escalated").distinct()
    assert {event.data["reason"] for event in escalations} >= {"diagnostic_timeout", "sla_breach"}
    assert {event.data["rule"] for event in escalations} >= {"", "sla_breach"}
    reasons = set(TicketEvent.objects.filter(kind=EventKind.SLA).values_list("data__reason", flat=True))
    assert {"priority P3 → P2", "resumed"} <= reasons
    assert TicketEvent.objects.filter(kind=EventKind.PARTICIPANTS, data__added=["agent4"]).exists()


def test_every_email_reads_as_words(history, language):
    for notification in Notification.objects.select_related("recipient", "event__ticket", "event__actor",
                                                            "event__followup").order_by("id"):
        message = build_message(notification)
        for part, text in (("subject", message.subject), ("text", message.body),
                           ("html", message.alternatives[0][0])):
            assert not raw_words(text, language), (notification.template, part, raw_words(text, language), text)


def test_every_timeline_event_reads_as_words(history, agent_n1, language):
    for ticket in history:
        for event in ticket_timeline(ticket=ticket, user=agent_n1):
            text = render_to_string("tickets/partials/timeline.html", {"timeline": [event]})
            assert not raw_words(text, language), (event.kind, event.data, raw_words(text, language), text)


def test_an_escalation_email_names_the_reason_and_the_rule(history, language):
    bodies = [build_message(notification).body
              for notification in Notification.objects.filter(template="ticket_escalated").order_by("id")]

    if language == "fr":
        assert any("Motif: Diagnostic de plus de 30 min sans avancée" in body for body in bodies), bodies
        assert any("Dépassement SLA → niveau supérieur, responsables notifiés" in body for body in bodies), bodies
    else:
        assert any("Reason: Diagnostic over 30 min without progress" in body for body in bodies), bodies
        assert any("By the automatic rule: SLA breach → next level, managers notified" in body
                   for body in bodies), bodies


def test_the_sla_recompute_says_why_in_the_readers_language(history, agent_n1, language):
    ticket = history[0]
    details = [strip_tags(render_to_string("tickets/partials/timeline.html", {"timeline": [event]}))
               for event in ticket_timeline(ticket=ticket, user=agent_n1) if event.kind == EventKind.SLA]
    text = " ".join(" ".join(details).split())

    if language == "fr":
        assert "priorité P3 → P2" in text and "reprise" in text
    else:
        assert "priority P3 → P2" in text and "resumed" in text


def test_a_participant_is_named_in_the_singular(history, agent_n1, language):
    critical = history[1]
    [event] = [event for event in ticket_timeline(ticket=critical, user=agent_n1)
               if event.kind == EventKind.PARTICIPANTS]
    text = " ".join(strip_tags(render_to_string("tickets/partials/timeline.html", {"timeline": [event]})).split())

    expected = "a ajouté Léa Roux comme participant " if language == "fr" else "added Léa Roux as participant "
    assert expected in text + " "
