"""Every automatic assignment explains itself, in French by default and in the reader's language."""

from __future__ import annotations

import html

from django.utils import translation

from dispatch.explain import duration_text, explain_assignment
from dispatch.models import Policy
from tests.factories import make_ticket
from tickets.models import EventKind
from tickets.templatetags.ticket_tags import describe_event

from .conftest import set_policy

WHY = {"by": "dispatch", "policy": "deadline_aware", "trigger": "created", "skill": "ERP", "open": 3, "max": 8,
       "until": "2026-03-04T17:00:00+00:00", "margin": 2 * 3600 + 10 * 60}


def test_the_explanation_reads_like_the_specification_in_french():
    with translation.override("fr"):
        assert explain_assignment(WHY) == (
            "compétence ERP, 3 tickets ouverts sur 8, présent jusqu'à 18:00, marge estimée 2 h 10")


def test_the_explanation_in_english():
    with translation.override("en"):
        assert explain_assignment(WHY) == (
            "skill ERP, 3 open tickets of 8, present until 18:00, estimated margin 2 h 10")


def test_durations_and_late_margins():
    with translation.override("fr"):
        assert duration_text(45 * 60) == "45 min"
        assert duration_text(-(3600 + 5 * 60)) == "dépassement de 1 h 05"
        assert duration_text(2 * 86400 + 3 * 3600) == "2 j 3 h"


def test_the_timeline_line_names_the_agent_and_why(team, requester, erp):
    set_policy(Policy.DEADLINE_AWARE)
    ticket = make_ticket(requester=requester, category=erp)
    event = ticket.events.get(kind=EventKind.ASSIGNED)
    with translation.override("fr"):
        line = html.unescape(str(describe_event(event)))  # the line is escaped HTML (an apostrophe too)
    assert line.startswith("a attribué le ticket à Julien Roux — compétence ERP, 0 ticket ouvert sur 8, "
                           "présent jusqu'à 18:00, marge estimée")


def test_a_refusal_and_a_round_robin_choice_say_so():
    why = {**WHY, "policy": "round_robin", "margin": None, "until": None,
           "refusal": {"name": "Sarah Lemoine", "reason": "<b>congés</b>"}}
    with translation.override("fr"):
        text = explain_assignment(why)
    assert text == ("compétence ERP, 3 tickets ouverts sur 8, présent, tour de rôle "
                    "(refusé par Sarah Lemoine : <b>congés</b>)")


def test_a_refusal_reason_is_escaped_in_the_timeline(team, requester, erp):
    from dispatch.services import assignment_refuse

    set_policy(Policy.ROUND_ROBIN)
    ticket = make_ticket(requester=requester, category=erp)
    ticket.refresh_from_db()
    assignment_refuse(ticket=ticket, actor=ticket.assignee, reason="<script>x</script>")
    event = ticket.events.filter(kind=EventKind.ASSIGNED).latest("pk")
    line = str(describe_event(event))
    assert "<script>" not in line and "&lt;script&gt;" in line
