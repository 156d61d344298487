"""The SLA badges written in Python (sla_tags.sla_badges) render what sla/partials/badges.html renders from
the same rows, in every state, compact (the queue) or not (the workspace)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test.html import parse_html
from django.utils import timezone, translation

from sla.templatetags.sla_tags import badge_rows, queue_badges, sla_badges
from tests.factories import advance, make_ticket


def _both(ticket, compact):
    reference = render_to_string("sla/partials/badges.html", badge_rows(ticket, compact=compact))
    return parse_html(str(sla_badges(ticket, compact=compact))), parse_html(reference)


@pytest.mark.parametrize("compact", [True, False], ids=["queue", "workspace"])
@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("moment", ["new", "warning", "breached", "met", "waiting"])
def test_the_python_badges_are_the_templates(requester, category, agent_n1, compact, language, moment):
    ticket = make_ticket(requester=requester, category=category)
    at = timezone.now()
    if moment == "met":
        ticket = advance(ticket, to="in_progress", agent=agent_n1)
    elif moment == "waiting":
        ticket = advance(ticket, to="waiting", agent=agent_n1)
    elif moment == "warning":
        at += (ticket.response_due_at - ticket.created_at) * 0.9
    elif moment == "breached":
        at += timedelta(days=30)
    ticket.refresh_from_db()

    with time_machine.travel(at, tick=False), translation.override(language):
        ours, theirs = _both(ticket, compact)
        queue_cell = queue_badges(ticket)
        general = str(sla_badges(ticket, compact=True))

    assert ours == theirs
    assert queue_cell == general  # byte for byte: the queue's cell, words and date format resolved once


def test_a_ticket_without_clocks(requester, category):
    ticket = make_ticket(requester=requester, category=category)
    ticket.sla_clocks.all().delete()

    for compact in (True, False):
        ours, theirs = _both(ticket, compact)
        assert ours == theirs
    assert queue_badges(ticket) == str(sla_badges(ticket, compact=True)) == '<span class="sla-badges">\n\n</span>'


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York"])
def test_the_queue_cell_follows_the_language_and_zone_of_each_request(requester, category, zone):
    """The words and the date writer are kept per language and zone: switching either changes the cell."""
    ticket = make_ticket(requester=requester, category=category)
    for language in ("fr", "en", "fr"):
        with time_machine.travel(timezone.now(), tick=False), translation.override(language), timezone.override(zone):
            assert queue_badges(ticket) == str(sla_badges(ticket, compact=True))
