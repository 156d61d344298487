"""The dashboard shows the same figures from its daily rollups as from the live aggregation."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dashboard.models import DailyAgentStat, DailyResolutionStat, DailyTicketStat, RollupState
from dashboard.services import rollups_rebuild, rollups_refresh
from tests.factories import CategoryFactory, advance, make_ticket
from tickets import services
from tickets.models import Scale, Survey

pytestmark = pytest.mark.django_db

SHOWN = ("total", "resolved", "responded", "response_met", "resolution_met", "resolved_ever", "reopened",
         "csat_count", "mttr_hours", "mttr_p1_hours", "first_response_hours", "response_met_pct",
         "resolution_met_pct", "resolution_rate", "reopening_rate", "csat", "ok", "key", "label")
CASES = [
    {"period": "7d"},
    {"period": "30d"},
    {"period": "today"},
    {"period": "quarter"},  # weekly trend buckets
    {"period": "7d", "priority": "P1"},
    {"period": "7d", "level": "N1"},
]


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def network(category):
    return category


@pytest.fixture
def printers(db):
    return CategoryFactory(name="Imprimantes")


@pytest.fixture
def history(requester, agent_n1, agent_n2, network, printers):
    """Tickets created over the last six days and today, in every state: P1 and P3, two categories,
    two agents, one reopened, surveys answered, some resolved on a later day than created."""
    now = timezone.now()
    tickets = {}
    for days_ago in range(6, -1, -1):
        with time_machine.travel(now - timedelta(days=days_ago, hours=3), tick=False) as clock:
            p1 = make_ticket(requester=requester, category=network, urgency=Scale.HIGH, impact=Scale.HIGH)
            p3 = make_ticket(requester=requester, category=printers if days_ago % 2 else network)
            make_ticket(requester=requester, category=printers)  # stays new
            clock.shift(timedelta(minutes=20))
            agent = agent_n1 if days_ago % 2 else agent_n2
            if days_ago:
                p1 = advance(p1, to="closed", agent=agent)
                clock.shift(timedelta(hours=26 if days_ago > 1 else 1))  # resolved the next day
                p3 = advance(p3, to="resolved" if days_ago % 3 else "waiting", agent=agent)
            else:
                advance(p3, to="in_progress", agent=agent)
            tickets[days_ago] = (p1, p3)
    for days_ago in (5, 3):
        survey = Survey.objects.get(ticket=tickets[days_ago][0])
        services.survey_answer(survey=survey, score=days_ago - 1, comment="")
    return tickets


def shown(context) -> dict:
    def rows(items):
        return [{key: row[key] for key in SHOWN} for row in items]

    return {
        "overall": {key: context["overall"][key] for key in SHOWN if key not in ("key", "label")},
        **{name: rows(context[name]) for name in ("by_priority", "by_level", "by_category", "by_agent")},
        "phases": context["phases"], "trend": context["trend"], "backlog": context["backlog"],
    }


def page(client, params, path=None):
    response = client.get(path or reverse("dashboard:index"), params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("params", CASES)
def test_rollups_give_the_live_figures(manager_client, history, params):
    live = page(manager_client, params)
    assert live.context["as_of"] is None

    rollups_refresh()
    rolled = page(manager_client, params)

    assert rolled.context["as_of"] is not None
    assert shown(rolled.context) == shown(live.context)


def test_a_category_filter_reads_the_agents_live_and_the_rest_from_rollups(manager_client, history, network):
    params = {"period": "7d", "category": network.pk}
    live = shown(page(manager_client, params).context)

    rollups_refresh()

    assert shown(page(manager_client, params).context) == live


def test_agent_filters_stay_live(manager_client, history, agent_n1):
    rollups_refresh()

    assert page(manager_client, {"period": "7d", "agent": agent_n1.pk}).context["as_of"] is None
    assert page(manager_client, {"period": "7d"}, reverse("dashboard:agent", args=[agent_n1.pk])).context[
        "as_of"] is None


def test_the_page_says_as_of_when_figures_come_from_rollups(manager_client, history):
    with time_machine.travel(timezone.localtime().replace(hour=9, minute=41), tick=False):
        rollups_refresh()

    content = page(manager_client, {"period": "30d"}).content.decode()

    assert "à jour à 09:41" in content


def test_a_change_to_an_old_ticket_is_picked_up_by_the_next_refresh(manager_client, history, requester, agent_n1):
    rollups_refresh()
    p1, p3 = history[4]  # p3 resolved four days ago (next day): reopen it and answer p1's survey
    services.ticket_reopen(ticket=p3, actor=requester, reason="Toujours en panne")
    services.survey_answer(survey=Survey.objects.get(ticket=p1), score=5, comment="")
    stale = shown(page(manager_client, {"period": "7d"}).context)

    rollups_refresh()
    fresh = page(manager_client, {"period": "7d"})
    RollupState.objects.all().delete()
    live = page(manager_client, {"period": "7d"})

    assert shown(fresh.context) == shown(live.context)
    assert fresh.context["overall"]["reopened"] == stale["overall"]["reopened"] + 1
    assert fresh.context["overall"]["csat_count"] == stale["overall"]["csat_count"] + 1
    assert sum(row["resolved"] for row in fresh.context["trend"]) == sum(row["resolved"] for row in stale["trend"]) - 1


def test_days_that_became_past_are_rolled_up_the_next_day(manager_client, history):
    rollups_refresh()
    tomorrow = timezone.now() + timedelta(days=1)
    with time_machine.travel(tomorrow, tick=False):
        live = shown(page(manager_client, {"period": "7d"}).context)
        result = rollups_refresh()
        assert result.created_days >= 1
        assert shown(page(manager_client, {"period": "7d"}).context) == live
    assert RollupState.objects.get().complete_until == timezone.localtime(tomorrow).date()


def rows():
    return [sorted(model.objects.values_list(*[f.attname for f in model._meta.concrete_fields if f.name != "id"]))
            for model in (DailyTicketStat, DailyAgentStat, DailyResolutionStat)]


def test_refreshing_twice_or_rebuilding_changes_nothing(history):
    rollups_refresh()
    first = rows()

    rollups_refresh()
    assert rows() == first
    rollups_rebuild()
    assert rows() == first
    assert first[0] and first[1] and first[2]


def test_today_is_never_rolled_up(history):
    rollups_refresh()

    assert not DailyTicketStat.objects.filter(day__gte=timezone.localdate()).exists()


def test_the_beat_task_refreshes(history):
    from dashboard.tasks import refresh_daily_rollups

    result = refresh_daily_rollups.delay().get()

    assert result["rebuilt"] is True
    assert refresh_daily_rollups.delay().get()["rebuilt"] is False


@pytest.mark.parametrize("days", [2, 6])
def test_query_count_from_rollups_does_not_grow_with_days(manager_client, history, days,
                                                          django_assert_max_num_queries):
    rollups_refresh()
    start = timezone.localdate() - timedelta(days=days)

    # session, user (2); rollup state (1); ticket rollup by priority/level/category, its categories' names, and
    # by day; agent rollup, its agents' names; resolution rollup (6); today live: cohort, agents, resolved (3);
    # backlog (1); escalations of the rolled-up days and of today (2); incidents, overdue postmortems, incident
    # followers, repeat rate, overdue actions per owner (5); deflections (1); the filter form's agents, categories
    # and organisations (3).
    with django_assert_max_num_queries(24):
        page(manager_client, {"period": "custom", "start": start.isoformat(), "end": timezone.localdate().isoformat()})


@pytest.mark.parametrize("key", ["30d", "7d", "today"])
def test_the_live_figures_are_the_sql_aggregates_of_the_cohort(history, key, agent_n1):
    # The live path adds up grouped sums in Python, as the rollups do: checked here against the plain SQL
    # aggregates of metrics.AGGREGATES over the same tickets, the independent definition of each figure.
    from dashboard import metrics, selectors
    from dashboard.periods import period_from

    period = period_from(key=key)
    for filters in ({}, {"agent": agent_n1.pk}):
        tickets = selectors.cohort(period=period, filters=filters)
        data = selectors._live(period=period, filters=filters)

        def figures(rows):
            return [{name: row.get(name) for name in SHOWN} for row in rows]

        assert figures([data["overall"]]) == figures([metrics.overall(tickets)])
        assert figures(data["by_priority"]) == figures(metrics.breakdown(tickets, "priority"))
        assert figures(data["by_level"]) == figures(metrics.breakdown(tickets, "level"))
        assert figures(data["by_category"]) == figures(metrics.breakdown(tickets, "category_id", "category__name"))
        assert data["phases"] == metrics.phase_shares(tickets)
        assert data["overall"]["total"] > 0 or key == "today"


def _sums_through_values(queryset, fields) -> list[dict]:
    """What rollups.ticket_sums returned before session 18 of issue 16: Django's values(), every sum through its
    converter, then rollups._as_int."""
    from dashboard.rollups import SUM_FIELDS, SUMS, _as_int, local_bucket

    if "day" in fields:
        queryset = queryset.annotate(day=local_bucket("created_at"))
    return [{**row, **{name: _as_int(row[name]) for name in SUM_FIELDS}}
            for row in queryset.order_by().values(*fields).annotate(**SUMS)]


@pytest.mark.parametrize("fields", [("day", "priority", "level", "category_id", "category__name"),
                                    ("assignee_id", "priority"), ("day",)])
def test_the_sums_read_from_raw_rows_are_values_sums(history, fields):
    from dashboard.rollups import ticket_sums
    from tickets.models import Ticket

    def key(row):
        return tuple(str(row[field]) for field in fields)

    read = sorted(ticket_sums(Ticket.objects.all(), fields), key=key)
    reference = sorted(_sums_through_values(Ticket.objects.all(), fields), key=key)

    assert read == reference
    assert any(row["resolution_us"] for row in read) and any(row["csat_count"] for row in read)
    assert {type(value) for row in read for name, value in row.items() if name not in fields} == {int}
    if "day" in fields:
        assert {type(row["day"]) for row in read} == {type(timezone.localdate())}
