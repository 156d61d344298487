"""The dashboard's escalation figures (escalation.selectors.escalation_counts): by target level, by reason and how
many a rule made, for the period and the filters, from one statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation.models import Escalation, EscalationRule
from escalation.selectors import escalation_counts
from tests.factories import OrganisationFactory, UserFactory, make_ticket


def _log(ticket, *, to_level, reason, rule=None, at):
    Escalation.objects.create(ticket=ticket, from_level="N1", to_level=to_level, reason=reason, rule=rule,
                              created_at=at)


@pytest.fixture
def period():
    now = timezone.now()
    return now - timedelta(days=30), now + timedelta(minutes=1)


@pytest.fixture
def log(category, period):
    """Two organisations' tickets; level changes by hand and by rules, in the period and before it."""
    start, _end = period
    ours, theirs = OrganisationFactory(name="Nous"), OrganisationFactory(name="Eux")
    ticket = make_ticket(requester=UserFactory(username="ours", organisation=ours), category=category)
    other = make_ticket(requester=UserFactory(username="theirs", organisation=theirs), category=category)
    Escalation.objects.all().delete()  # whatever the creation's rules logged: the log below is the whole log
    recurring, breach = EscalationRule.objects.get(code="recurring"), EscalationRule.objects.get(code="sla_breach")
    inside = start + timedelta(days=1)
    _log(ticket, to_level="N2", reason="diagnostic_timeout", at=inside)
    _log(ticket, to_level="N2", reason="recurring", rule=recurring, at=inside)
    _log(ticket, to_level="N3", reason="sla_breach", rule=breach, at=inside)
    _log(ticket, to_level="N3", reason="diagnostic_timeout", at=inside)
    _log(ticket, to_level="N1", reason="de_escalation", at=inside)
    _log(other, to_level="N2", reason="vip", at=inside)
    _log(ticket, to_level="N4", reason="critical", rule=breach, at=start - timedelta(seconds=1))  # before the period
    return ours, theirs


def test_counts_by_level_reason_and_rule_for_the_period(log, period):
    start, end = period

    counts = escalation_counts(start=start, end=end)

    assert counts["to_level"] == [{"to_level": "N1", "count": 1}, {"to_level": "N2", "count": 3},
                                  {"to_level": "N3", "count": 2}]
    # Most frequent first; equal counts by their code, so the order holds from one request to the next.
    assert counts["reason"] == [{"reason": "diagnostic_timeout", "count": 2}, {"reason": "de_escalation", "count": 1},
                                {"reason": "recurring", "count": 1}, {"reason": "sla_breach", "count": 1},
                                {"reason": "vip", "count": 1}]
    assert counts["automatic"] == 2


def test_an_organisation_filter_counts_its_tickets_only(log, period):
    ours, theirs = log
    start, end = period

    assert escalation_counts(start=start, end=end, ticket_filters={"organisation_id": theirs.pk}) == {
        "to_level": [{"to_level": "N2", "count": 1}], "reason": [{"reason": "vip", "count": 1}], "automatic": 0}
    ours_counts = escalation_counts(start=start, end=end, ticket_filters={"organisation_id": ours.pk})
    assert sum(row["count"] for row in ours_counts["to_level"]) == 5
    assert ours_counts["automatic"] == 2


def test_nothing_in_the_period_gives_empty_figures(log, period):
    start, _end = period

    assert escalation_counts(start=start - timedelta(days=60), end=start - timedelta(days=30)) == {
        "to_level": [], "reason": [], "automatic": 0}


def test_the_three_figures_come_from_one_statement(log, period):
    start, end = period

    with CaptureQueriesContext(connection) as queries:
        escalation_counts(start=start, end=end, ticket_filters={"organisation_id": log[0].pk})

    assert len(queries.captured_queries) == 1
