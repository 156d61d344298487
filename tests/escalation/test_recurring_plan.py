"""The recurring rule's count runs on every submission: it must read two short index ranges (the requester's
and the organisation's tickets of one category in the window), never every ticket of the window, and the two
problems' last alerts by their unique key."""

import pytest
from django.db import connection
from django.utils import timezone

from escalation import services
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, make_ticket
from tests.plans import plan_nodes
from tickets.models import Ticket

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")


def test_the_recurring_count_reads_the_requester_and_organisation_category_indexes(db):
    organisation = OrganisationFactory(name="Mairie")
    requester = UserFactory(username="claire", organisation=organisation)
    categories = [CategoryFactory(name=f"Catégorie {number}") for number in range(4)]
    ticket = make_ticket(requester=requester, category=categories[0])
    # Many tickets of other requesters and categories in the same window: what a scan by date would read.
    others = [UserFactory(username=f"other{number}") for number in range(5)]
    template = Ticket.objects.get(pk=ticket.pk)
    rows = []
    for number in range(3000):
        row = Ticket(**{field.attname: getattr(template, field.attname) for field in Ticket._meta.concrete_fields
                        if not field.primary_key})
        row.reference = f"~plan{number:05d}"
        row.requester_id = others[number % 5].pk
        row.organisation_id = None if number % 3 else organisation.pk
        row.category_id = categories[1 + number % 3].pk
        rows.append(row)
    Ticket.objects.bulk_create(rows)
    since = timezone.now() - timezone.timedelta(days=30)
    window = [ticket.category_id, since, timezone.now(), services.RECURRING_COUNTED]
    quiet = [ticket.category_id, timezone.now() - timezone.timedelta(hours=24)]
    params = [ticket.requester_id, *window, ticket.organisation_id, *window, ticket.requester_id, *quiet,
              ticket.organisation_id, *quiet]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("SET LOCAL enable_seqscan = off")  # the alerts' table is empty here: read as when it is not
    nodes = plan_nodes(services._RECENT_IN_CATEGORY, params)
    indexes = {node.get("Index Name") for node in nodes} - {None}
    scans = {node["Node Type"] for node in nodes}
    assert indexes == {"ticket_requester_category", "ticket_organisation_category", "recurring_alert_per_problem"}, \
        nodes
    assert "Seq Scan" not in scans
    assert "Limit" in scans  # each count stops at its limit

    counts = services._recent_in_category(Ticket.objects.get(pk=ticket.pk), since, limit=100, quiet_since=quiet[1])
    assert counts == {"requester": 1, "organisation": 1, "requester_alerted": False, "organisation_alerted": False}
