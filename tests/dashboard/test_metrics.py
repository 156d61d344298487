"""Each dashboard metric against a hand-built data set whose answer is worked out here by hand."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_ticket
from tickets import services
from tickets.models import Scale, Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_set(requester, agent_n1, category):
    """Four tickets created the same morning (times in hours after creation):

    T1 P1: taken at 0:10, resolved at 3:00, closed, survey 5.
    T2 P3: taken at 5:00 (after its 4 h response target), waits 2 h, resolved at 8:00, reopened,
           resolved again at 12:00, closed, survey 2.
    T3 P4: never taken.
    T4 P3: taken at 1:00, still in progress, no survey.
    """
    start = timezone.now() - timedelta(days=2)
    with time_machine.travel(start, tick=False) as clock:
        t1 = make_ticket(requester=requester, category=category, urgency=Scale.HIGH, impact=Scale.HIGH)
        t2 = make_ticket(requester=requester, category=category)
        t3 = make_ticket(requester=requester, category=category, urgency=Scale.LOW, impact=Scale.LOW)
        t4 = make_ticket(requester=requester, category=category)
        clock.move_to(start + timedelta(minutes=10))
        t1 = services.ticket_take(ticket=t1, actor=agent_n1)
        clock.move_to(start + timedelta(hours=1))
        services.ticket_take(ticket=t4, actor=agent_n1)
        clock.move_to(start + timedelta(hours=3))
        t1 = services.ticket_resolve(ticket=t1, actor=agent_n1, solution="Serveur redémarré")
        services.ticket_close(ticket=t1, actor=requester)
        clock.move_to(start + timedelta(hours=5))
        t2 = services.ticket_take(ticket=t2, actor=agent_n1)
        t2 = services.ticket_wait(ticket=t2, actor=agent_n1, message="Quel navigateur ?")
        clock.move_to(start + timedelta(hours=7))
        t2 = services.followup_add(ticket=t2, author=requester, body="Firefox").ticket
        clock.move_to(start + timedelta(hours=8))
        t2 = services.ticket_resolve(ticket=t2, actor=agent_n1, solution="Cache vidé")
        t2 = services.ticket_reopen(ticket=t2, actor=requester, reason="Toujours lent")
        clock.move_to(start + timedelta(hours=12))
        t2 = services.ticket_resolve(ticket=t2, actor=agent_n1, solution="Extension désactivée")
        services.ticket_close(ticket=t2, actor=requester)
    services.survey_answer(survey=Survey.objects.get(ticket=t1), score=5, comment="")
    services.survey_answer(survey=Survey.objects.get(ticket=t2), score=2, comment="")
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4}


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def overall(client, **params):
    return client.get(reverse("dashboard:index"), {"period": "7d", **params}).context["overall"]


def test_mttr_is_the_mean_time_to_the_last_resolution_of_resolved_tickets(manager_client, data_set):
    figures = overall(manager_client)

    assert figures["mttr_hours"] == 7.5  # (3 h + 12 h) / 2; T3 and T4 are not resolved
    assert figures["mttr_p1_hours"] == 3.0
    assert figures["ok"]["mttr"] is True  # P1 under 4 h


def test_first_response_time_and_share_within_the_sla(manager_client, data_set):
    figures = overall(manager_client)

    assert figures["first_response_hours"] == round((10 / 60 + 5 + 1) / 3, 2)  # T3 never answered
    assert figures["response_met_pct"] == 66.7  # T1 and T4 in time, T2 late
    assert figures["ok"]["first_response"] is False


def test_resolution_rate_counts_resolved_or_closed_tickets_of_the_cohort(manager_client, data_set):
    figures = overall(manager_client)

    assert (figures["total"], figures["resolved"], figures["resolution_rate"]) == (4, 2, 50.0)
    assert figures["ok"]["resolution_rate"] is False


def test_csat_averages_answered_surveys_only(manager_client, data_set):
    figures = overall(manager_client)

    assert (figures["csat"], figures["csat_count"]) == (3.5, 2)
    assert figures["ok"]["csat"] is False


def test_reopening_rate_is_over_tickets_resolved_at_least_once(manager_client, data_set):
    figures = overall(manager_client)

    assert figures["reopening_rate"] == 50.0  # T2 of {T1, T2}
    assert figures["ok"]["reopening_rate"] is False


def test_breakdown_by_priority_and_filters(manager_client, data_set):
    rows = {row["key"]: row for row in manager_client.get(reverse("dashboard:index"), {"period": "7d"})
            .context["by_priority"]}

    assert set(rows) == {"P1", "P3", "P4"}
    assert (rows["P1"]["total"], rows["P1"]["mttr_hours"], rows["P1"]["response_met_pct"]) == (1, 3.0, 100.0)
    assert (rows["P3"]["total"], rows["P3"]["mttr_hours"], rows["P3"]["response_met_pct"]) == (2, 12.0, 50.0)
    assert overall(manager_client, priority="P4")["total"] == 1


def test_an_empty_period_shows_dashes_not_errors(manager_client, data_set):
    later = timezone.localdate() + timedelta(days=30)
    response = manager_client.get(reverse("dashboard:index"), {
        "period": "custom", "start": later.isoformat(), "end": (later + timedelta(days=1)).isoformat(),
    })

    assert response.status_code == 200


def test_time_per_phase_is_shared_over_closed_tickets(manager_client, data_set):
    rows = {row["phase"]: row for row in manager_client.get(reverse("dashboard:index"), {"period": "7d"})
            .context["phases"]}

    assert sum(row["share"] for row in rows.values()) == pytest.approx(100, abs=0.5)
    assert {"reception", "diagnostic", "resolution", "closure"} == set(rows)


def test_backlog_counts_open_tickets_by_status(manager_client, data_set):
    backlog = manager_client.get(reverse("dashboard:index")).context["backlog"]

    assert {row["status"]: row["count"] for row in backlog["status"]} == {"new": 1, "in_progress": 1}


def test_csv_export_matches_the_page(manager_client, data_set):
    page = overall(manager_client)

    response = manager_client.get(reverse("dashboard:index"), {"period": "7d", "export": "overview"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, values = rows[0], rows[1]
    as_dict = dict(zip(header[1:], values[1:], strict=True))
    assert float(as_dict[next(h for h in header if "MTTR" in h)]) == page["mttr_hours"]
    assert float(as_dict[next(h for h in header if "CSAT" in h)]) == page["csat"]
    assert int(values[1]) == page["total"]


def test_only_managers_reach_the_dashboard(client, data_set, manager, agent_n1, requester):
    assert client.get(reverse("dashboard:index")).status_code == 302
    client.force_login(requester)
    assert client.get(reverse("dashboard:index")).status_code == 404
    client.force_login(agent_n1)
    assert client.get(reverse("dashboard:index")).status_code == 403
    assert client.get(reverse("dashboard:agent", args=[agent_n1.pk])).status_code == 403
    client.force_login(manager)
    assert client.get(reverse("dashboard:index")).status_code == 200


def test_per_agent_view(manager_client, data_set, agent_n1):
    response = manager_client.get(reverse("dashboard:agent", args=[agent_n1.pk]), {"period": "7d"})

    assert response.status_code == 200
    assert response.context["overall"]["total"] == 3  # T3 was never assigned


@pytest.mark.parametrize("size", [3, 30])
def test_dashboard_query_count_does_not_grow_with_tickets(manager_client, requester, category, size,
                                                          django_assert_max_num_queries):
    for _ in range(size):
        make_ticket(requester=requester, category=category)

    # session, user (2); rollup state (1); overall, by priority, level and category (1); by agent (1); trend
    # created and resolved (2); backlog (1); escalations (1); incidents, overdue postmortems, incident followers,
    # repeat rate, overdue actions per owner (5); deflections (1); the filter form's agents, categories and
    # organisations (3).
    with django_assert_max_num_queries(18):
        assert manager_client.get(reverse("dashboard:index")).status_code == 200


def test_the_incident_figures_leave_out_alerts_dismissed_as_not_major(requester, category, agent_n1):
    from datetime import timedelta

    from django.utils import timezone

    from dashboard.selectors import incidents
    from postmortem.models import IncidentState, MajorIncident
    from tests.factories import make_ticket

    for _ in range(2):
        make_ticket(requester=requester, category=category, urgency="high", impact="high")  # P1: declared
    MajorIncident.objects.filter(pk=MajorIncident.objects.order_by("pk").first().pk).update(
        state=IncidentState.DISMISSED)
    now = timezone.now()

    class Period:
        start, end = now - timedelta(days=1), now + timedelta(minutes=1)

    assert incidents(period=Period)["declared"] == 1
