"""With an organisation filter, the dashboard reads the organisation's monthly and weekly rollups plus
the edges of the period live, and shows exactly the figures of the live aggregation."""

from datetime import timedelta

import pytest
import time_machine
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from dashboard import rollups
from dashboard.models import OrgMonthAgentStat, OrgMonthStat, OrgWeekResolutionStat, OrgWeekStat, RollupState
from dashboard.services import rollups_rebuild, rollups_refresh
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, advance, make_ticket
from tickets import services
from tickets.models import Scale, Survey, Ticket

from .test_rollups import shown

pytestmark = pytest.mark.django_db

DAYS = 78  # two whole months at least, whatever today is, and about ten whole weeks (a multiple of 6)


@pytest.fixture(autouse=True)
def afternoon():
    """Today at 14:00 in Paris, the clock running. The history is laid out from now in whole days back: in
    the small hours (before 02:00 in Paris) `now - 6 days - 2 h` fell seven calendar days back, and one
    organisation's 7-day period was empty (a CI run at 23:00-01:00 UTC failed)."""
    with time_machine.travel(timezone.localtime().replace(hour=14, minute=0), tick=True):
        yield


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def acme(db):
    return OrganisationFactory(name="Acme")


@pytest.fixture
def globex(db):
    return OrganisationFactory(name="Globex")


@pytest.fixture
def network(category):
    return category


@pytest.fixture
def printers(db):
    return CategoryFactory(name="Imprimantes")


@pytest.fixture
def org_history(acme, globex, agent_n1, agent_n2, network, printers):
    """Tickets over the last DAYS days and today for two organisations and none: P1 and P3, two
    categories, two agents, N1 and N2, resolved the same day, the next day or a week later (across
    weeks and months), closed, waiting, reopened, surveys answered."""
    alice = UserFactory(username="alice_acme", organisation=acme)
    bob = UserFactory(username="bob_globex", organisation=globex)
    carol = UserFactory(username="carol_alone")
    now = timezone.now()
    made = []
    for i, days_ago in enumerate(range(DAYS, -1, -6)):
        with time_machine.travel(now - timedelta(days=days_ago, hours=2), tick=False) as clock:
            p1 = make_ticket(requester=alice, category=network, urgency=Scale.HIGH, impact=Scale.HIGH)
            p3 = make_ticket(requester=alice if i % 2 else bob, category=printers if i % 4 else network)
            other = make_ticket(requester=carol if i % 3 else bob, category=printers) if i % 4 != 3 else None
            clock.shift(timedelta(minutes=30))
            agent = agent_n1 if i % 2 else agent_n2
            if days_ago:
                p1 = advance(p1, to="closed" if i % 3 else "resolved", agent=agent)
                clock.shift(timedelta(days=(0, 1, 8)[i % 3], hours=1))
                p3 = advance(p3, to=("resolved", "waiting", "closed", "in_progress")[i % 4], agent=agent)
                if other and i % 3 == 0:
                    advance(other, to="closed", agent=agent_n1)
            made.append((days_ago, p1, p3))
    for i, (days_ago, p1, _p3) in enumerate(made):
        survey = Survey.objects.filter(ticket=p1, answered_at__isnull=True).first()
        if survey and i % 5 != 1:
            services.survey_answer(survey=survey, score=i % 5 + 1, comment="")
        if 30 <= days_ago <= 50 and p1.status == "resolved":
            services.ticket_reopen(ticket=p1, actor=p1.requester, reason="Toujours en panne")
    return made


def page(client, params):
    response = client.get(reverse("dashboard:index"), params)
    assert response.status_code == 200
    return response


def _cases(acme, globex, network):
    today = timezone.localdate()
    month_start = (today - timedelta(days=DAYS - 10)).replace(day=1)
    for organisation in (acme.pk, globex.pk):
        yield {"period": "30d", "organisation": organisation}
        yield {"period": "quarter", "organisation": organisation}  # weekly trend
        yield {"period": "7d", "organisation": organisation}
        yield {"period": "today", "organisation": organisation}
        yield {"period": "custom", "start": (today - timedelta(days=DAYS)).isoformat(), "end": today.isoformat(),
               "organisation": organisation}
    # A period starting on the first of a month and ending before today; another on a Monday, in the past.
    yield {"period": "custom", "start": month_start.isoformat(), "end": (today - timedelta(days=3)).isoformat(),
           "organisation": acme.pk}
    monday = today - timedelta(days=today.weekday() + 63)
    yield {"period": "custom", "start": monday.isoformat(), "end": (monday + timedelta(days=62)).isoformat(),
           "organisation": acme.pk}
    yield {"period": "custom", "start": monday.isoformat(), "end": (monday + timedelta(days=69)).isoformat(),
           "organisation": acme.pk}
    # The organisation filter combined with the others.
    yield {"period": "quarter", "organisation": acme.pk, "priority": "P1"}
    yield {"period": "quarter", "organisation": acme.pk, "priority": "P3", "level": "N1"}
    yield {"period": "quarter", "organisation": acme.pk, "level": "N1"}
    yield {"period": "quarter", "organisation": acme.pk, "category": network.pk}
    yield {"period": "30d", "organisation": acme.pk, "priority": "P1", "category": network.pk}


def test_organisation_rollups_give_the_live_figures(manager_client, org_history, acme, globex, network):
    cases = list(_cases(acme, globex, network))
    live = [shown(page(manager_client, params).context) for params in cases]

    rollups_refresh()

    assert OrgMonthStat.objects.filter(organisation=acme).values("day").distinct().count() >= 2
    assert OrgWeekStat.objects.filter(organisation=acme).values("day").distinct().count() >= 9
    for params, expected in zip(cases, live, strict=True):
        response = page(manager_client, params)
        assert response.context["as_of"] is not None
        assert shown(response.context) == expected, params
    # The cases are not empty: the figures compared are real ones.
    assert [params for figures, params in zip(live, cases, strict=True) if not figures["overall"]["total"] and params["period"] != "today"] == []
    assert any(figures["overall"]["reopened"] for figures in live)
    assert any(figures["overall"]["csat_count"] for figures in live)


def test_the_organisations_rollups_hold_only_their_tickets(org_history, acme, globex):
    rollups_refresh()
    today = timezone.localdate()

    rolled = sum(OrgMonthStat.objects.filter(organisation=acme).values_list("total", flat=True))
    first_month = OrgMonthStat.objects.order_by("day").values_list("day", flat=True).first()
    tickets = Ticket.objects.filter(organisation=acme, created_at__gte=_midnight(first_month),
                                    created_at__lt=_midnight(today.replace(day=1))).count()
    assert rolled == tickets > 0
    assert not OrgMonthStat.objects.filter(organisation__isnull=True).exists()
    assert not OrgMonthStat.objects.filter(day__gte=today.replace(day=1)).exists()
    assert not OrgWeekStat.objects.filter(day__gt=today - timedelta(days=7)).exists()


def _midnight(day):
    from dashboard.periods import midnight

    return midnight(day)


def rows():
    return [sorted(model.objects.values_list(*[f.attname for f in model._meta.concrete_fields if f.name != "id"]))
            for model in (OrgMonthStat, OrgMonthAgentStat, OrgWeekStat, OrgWeekResolutionStat)]


def test_refreshing_twice_or_rebuilding_changes_nothing(org_history):
    rollups_refresh()
    first = rows()

    rollups_refresh()
    assert rows() == first
    rollups_rebuild()
    assert rows() == first
    assert all(first)


def test_a_change_to_a_ticket_of_a_whole_month_is_picked_up_by_the_next_refresh(manager_client, org_history, acme,
                                                                                 globex):
    rollups_refresh()
    untouched = {model: set(model.objects.filter(organisation=globex).values_list("pk", flat=True))
                 for model in (OrgMonthStat, OrgMonthAgentStat, OrgWeekStat, OrgWeekResolutionStat)}
    rewritten = set(OrgMonthStat.objects.filter(organisation=acme).values_list("pk", flat=True))
    params = {"period": "custom", "start": (timezone.localdate() - timedelta(days=DAYS)).isoformat(),
              "end": timezone.localdate().isoformat(), "organisation": acme.pk}
    stale = shown(page(manager_client, params).context)
    old = timezone.now() - timedelta(days=45)
    survey = Survey.objects.filter(ticket__organisation=acme, ticket__created_at__lt=old, answered_at__isnull=True).first()
    services.survey_answer(survey=survey, score=2, comment="")
    taken = Ticket.objects.get(organisation=acme, created_at__lt=old, status="in_progress")
    services.ticket_resolve(ticket=taken, actor=taken.assignee, solution="Fait.")

    rollups_refresh()
    fresh = shown(page(manager_client, params).context)
    # Only the organisation whose tickets changed had its months and weeks recomputed.
    assert {model: set(model.objects.filter(organisation=globex).values_list("pk", flat=True))
            for model in untouched} == untouched
    assert set(OrgMonthStat.objects.filter(organisation=acme).values_list("pk", flat=True)) != rewritten
    RollupState.objects.all().delete()
    live = shown(page(manager_client, params).context)

    assert fresh == live
    assert fresh["overall"]["csat_count"] == stale["overall"]["csat_count"] + 1
    assert fresh["overall"]["resolved"] == stale["overall"]["resolved"] + 1


def test_months_and_weeks_that_became_whole_are_rolled_up(manager_client, manager, org_history, acme):
    rollups_refresh()
    later = timezone.now() + timedelta(days=35)
    params = {"period": "quarter", "organisation": acme.pk}
    with time_machine.travel(later, tick=False):
        manager_client.force_login(manager)
        live = shown(page(manager_client, {**params}).context)
        months = OrgMonthStat.objects.values("day").distinct().count()
        rollups_refresh()
        assert OrgMonthStat.objects.values("day").distinct().count() == months + 1
        assert shown(page(manager_client, params).context) == live


def test_the_migration_leaves_a_rebuild_to_the_next_refresh(org_history):
    import importlib

    from django.apps import apps

    rollups_refresh()
    importlib.import_module("dashboard.migrations.0002_organisation_rollups").forget_rollup_state(apps, None)

    assert rollups_refresh().rebuilt is True
    assert OrgMonthStat.objects.exists()


def test_query_count_with_an_organisation_does_not_grow_with_the_period(manager_client, org_history, acme,
                                                                         django_assert_max_num_queries):
    rollups_refresh()
    rollups.forget_kept()
    today = timezone.localdate()
    # session, user (2); the filter's organisation (1); rollup state (1); the edges' rolled-up days and today, the
    # months by priority/level/category, their categories' names (4); the agents' months, edges (rolled-up days,
    # today) and names (4); the weeks and their resolutions, where the period has whole weeks (2); the edges'
    # resolutions (rolled-up days, today) (2); backlog (1); escalations (rolled-up days, today) (2); incidents (5);
    # deflections (1); the filter form's agents, categories and organisations (3).
    for days in (40, DAYS):
        start = today - timedelta(days=days)
        with django_assert_max_num_queries(28):
            page(manager_client, {"period": "custom", "start": start.isoformat(), "end": today.isoformat(),
                                  "organisation": acme.pk})
    # Again under the same rollups' version: what the rolled-up days gave is kept (the rollup tables' and the edges'),
    # and the filter form's markup; today's tickets are read again (edges, agents' edges, resolutions: 3), and
    # today's escalations.
    for days in (40, DAYS):
        start = today - timedelta(days=days)
        with django_assert_max_num_queries(17):
            page(manager_client, {"period": "custom", "start": start.isoformat(), "end": today.isoformat(),
                                  "organisation": acme.pk})


def test_sums_by_day_only_where_asked_add_up_to_the_sums_by_day(org_history, acme):
    """rollups.ticket_sums with `days_of`: the tickets it matches grouped by day as without it, the others by the
    other fields only (day None), so the edges of a long period read one row per combination outside the trend's
    days instead of one per day and combination."""
    now = timezone.now()
    own = Ticket.objects.filter(organisation=acme)
    fields = ("day", "priority", "level", "category_id", "category__name")
    recent = Q(created_at__gte=now - timedelta(days=20))

    rows = rollups.ticket_sums(own, fields, days_of=recent)
    by_day = rollups.ticket_sums(own, fields)

    recent_days = {row["day"] for row in rollups.ticket_sums(own.filter(recent), ("day",))}
    assert {row["day"] for row in rows} - {None} == recent_days
    assert sorted(map(_key, (row for row in rows if row["day"] is not None))) == sorted(
        map(_key, rollups.ticket_sums(own.filter(recent), fields)))
    older = [row for row in rows if row["day"] is None]
    assert len(older) < len([row for row in by_day if row["day"] not in recent_days])  # fewer rows, the point
    for name in rollups.SUM_FIELDS:
        assert sum(row[name] for row in rows) == sum(row[name] for row in by_day), name
    assert sum(row["total"] for row in older) == own.exclude(recent).count() > 0


def _key(row: dict) -> tuple:
    return tuple(sorted(row.items(), key=lambda item: item[0]))


def _rollup_statements(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries
            if "dashboard_" in query["sql"] and "dashboard_rollupstate" not in query["sql"]]


def test_a_second_view_under_the_same_rollups_reads_no_rollup_table(manager_client, org_history, acme):
    """What a statement over the rollup tables read is kept per process for the rollups' version: a second
    manager (or the same one, or a CSV export of the same page) reads only the page's live parts again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rollups_refresh()
    params = {"period": "custom", "start": (timezone.localdate() - timedelta(days=DAYS)).isoformat(),
              "end": timezone.localdate().isoformat(), "organisation": acme.pk}
    # Each capture read at once: the next request's start empties the connection's log.
    with CaptureQueriesContext(connection) as queries:
        expected = shown(page(manager_client, params).context)
    first = _rollup_statements(queries)
    with CaptureQueriesContext(connection) as queries:
        again = shown(page(manager_client, params).context)
    second = _rollup_statements(queries)
    csv = manager_client.get(reverse("dashboard:index"), {**params, "export": "category"})

    # Months, agents' months, weeks and their resolutions the first time; none the second.
    assert len(first) == 4, first
    assert second == []
    assert again == expected
    assert csv.status_code == 200 and str(expected["by_category"][0]["total"]) in csv.content.decode("utf-8-sig")


def test_each_write_of_the_rollups_gives_them_a_new_version_even_in_the_same_instant(org_history):
    with time_machine.travel(timezone.now(), tick=False):
        rollups_refresh()
        first = RollupState.objects.get().version
        rollups_refresh()
        second = RollupState.objects.get().version
        rollups_rebuild()
        third = RollupState.objects.get().version

    assert len({first, second, third}) == 3


def test_the_rows_kept_are_never_the_callers(org_history, acme):
    rollups_refresh()
    version = RollupState.objects.get().version
    read = lambda: rollups.rollup_sums(OrgMonthStat, {"organisation": acme},  # noqa: E731
                                       ("priority", "level", "category_id"), version=version)
    expected = [dict(row) for row in read()]
    given = read()
    given[0]["total"] += 1000
    given[0]["category__name"] = "written by a caller"
    given.pop()

    assert read() == expected
    assert rollups.rollup_sums(OrgMonthStat, {"organisation": acme},
                               ("priority", "level", "category_id")) == expected  # read anew, without a version


def test_what_is_kept_is_bounded(org_history, acme, globex, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rollups_refresh()
    version = RollupState.objects.get().version
    monkeypatch.setattr(rollups._kept, "size", 2)
    rollups.forget_kept()

    def read(organisation):
        with CaptureQueriesContext(connection) as queries:
            rollups.rollup_sums(OrgMonthStat, {"organisation": organisation}, ("priority",), version=version)
        return len(queries.captured_queries)

    assert [read(acme), read(globex), read(acme), read(None)] == [1, 1, 0, 1]
    # Globex, the least recently used when the third statement came, made room for it; Acme, used since, stayed.
    assert [read(acme), read(globex)] == [0, 1]


def test_a_statement_that_can_match_nothing_gives_no_rows_with_or_without_a_version(org_history, acme):
    rollups_refresh()
    version = RollupState.objects.get().version
    nothing = {"organisation": acme, "pk__in": []}  # the compiler sends no statement; a list is no key

    assert rollups.rollup_sums(OrgMonthStat, nothing, ("priority",)) == []
    assert rollups.rollup_sums(OrgMonthStat, nothing, ("priority",), version=version) == []
    assert rollups.rollup_by_day(OrgMonthStat, nothing, "total", version=version) == []
    assert sorted(rollups.rollup_by_day(OrgMonthStat, {"organisation": acme}, "total", version=version)) == sorted(
        OrgMonthStat.objects.filter(organisation=acme).order_by().values("day").annotate(total=Sum("total"))
        .values_list("day", "total"))


def test_what_is_kept_is_keyed_by_everything_the_caller_asked(org_history, acme, globex):
    """The key is what the caller gave (model, filters, columns, version): each of them changed reads anew, the
    same again reads nothing; each reading gives that reading's figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rollups_refresh()
    version = RollupState.objects.get().version
    rollups.forget_kept()

    def read(model, filters, fields, version=version):
        with CaptureQueriesContext(connection) as queries:
            rows = rollups.rollup_sums(model, filters, fields, version=version)
        assert rows == rollups.rollup_sums(model, filters, fields)  # as read without keeping
        return len(queries.captured_queries)

    asked = [
        (OrgMonthStat, {"organisation": acme}, ("priority",)),
        (OrgMonthStat, {"organisation": globex}, ("priority",)),
        (OrgMonthStat, {"organisation": acme, "priority": "P1"}, ("priority",)),
        (OrgMonthStat, {"organisation": acme}, ("level",)),
        (OrgWeekStat, {"organisation": acme}, ("priority",)),
    ]
    assert [read(*each) for each in asked] == [1, 1, 1, 1, 1]
    assert [read(*each) for each in asked] == [0, 0, 0, 0, 0]
    assert read(*asked[0], version="another") == 1
    # The same filters given in another order are the same question.
    assert read(OrgMonthStat, {"priority": "P1", "organisation": acme}, ("priority",)) == 0


def test_a_second_view_builds_no_live_statement_and_still_reads_todays_tickets(manager_client, org_history, acme,
                                                                               monkeypatch):
    """The live sums (the period's edges, the agents' edges) are built and compiled once per connection for the same
    organisation, filters and days (core.db.statement_compiled); each view runs them again: a ticket created
    between two views is counted in the second."""
    rollups_refresh()
    params = {"period": "custom", "start": (timezone.localdate() - timedelta(days=DAYS)).isoformat(),
              "end": timezone.localdate().isoformat(), "organisation": acme.pk}
    built = []
    monkeypatch.setattr(rollups, "sums_statement",
                        lambda *args, sums_statement=rollups.sums_statement, **kwargs: built.append(1)
                        or sums_statement(*args, **kwargs))
    page(manager_client, params)  # compiles what this connection had not yet
    built.clear()

    before = shown(page(manager_client, params).context)
    make_ticket(requester=UserFactory(username="dora_acme", organisation=acme))
    after = shown(page(manager_client, params).context)
    assert built == []
    other = page(manager_client, {**params, "priority": "P1"})

    # Only the P1 page's, new (the edges' rolled-up days and today, the agents' the same; fewer when this connection
    # compiled some for an earlier test).
    assert 1 <= len(built) <= 4
    assert after["overall"]["total"] == before["overall"]["total"] + 1
    assert other.context["overall"]["total"] < after["overall"]["total"]


def test_the_edges_rolled_up_days_are_read_once_per_version_and_today_each_view(manager_client, org_history, acme):
    """The days of the period's edges before RollupState.complete_until are days the rollups hold: like the whole
    months, they show the figures of the last refresh (every five minutes on beat; the page says "as of"), read once
    per rollups' version; today's tickets are read at each view."""
    rollups_refresh()
    rollups.forget_kept()
    now = timezone.now()
    taken = next(ticket for ticket in Ticket.objects.filter(
        organisation=acme, status="in_progress", created_at__lt=now - timedelta(days=35)).order_by("created_at")
        if timezone.localtime(ticket.created_at).day != 1)
    # The period starts on its day: its first edge (the days before its first whole month) holds it.
    params = {"period": "custom", "start": timezone.localtime(taken.created_at).date().isoformat(),
              "end": timezone.localdate().isoformat(), "organisation": acme.pk}
    first = shown(page(manager_client, params).context)

    services.ticket_resolve(ticket=taken, actor=taken.assignee, solution="Fait.")
    make_ticket(requester=UserFactory(username="fred_acme", organisation=acme))  # today's
    again = shown(page(manager_client, params).context)

    assert again["overall"]["total"] == first["overall"]["total"] + 1  # today's ticket at once
    assert again["overall"]["resolved"] == first["overall"]["resolved"]  # the edge day's change with the refresh

    rollups_refresh()
    refreshed = shown(page(manager_client, params).context)
    assert refreshed["overall"]["resolved"] == first["overall"]["resolved"] + 1
    RollupState.objects.all().delete()
    assert refreshed == shown(page(manager_client, params).context)  # the live figures


def test_the_escalations_of_past_days_are_read_once_per_version_and_todays_each_view(manager_client, org_history,
                                                                                     acme, agent_n1):
    """Level changes of the days the rollups hold show as of the last refresh, as the figures beside them; today's
    at each view."""
    from escalation.models import Reason
    from escalation.services import escalation_escalate

    rollups_refresh()
    rollups.forget_kept()
    params = {"period": "custom", "start": (timezone.localdate() - timedelta(days=DAYS)).isoformat(),
              "end": timezone.localdate().isoformat(), "organisation": acme.pk}
    first = page(manager_client, params).context["escalations"]
    past, today = Ticket.objects.filter(organisation=acme, status="in_progress", level="N1").order_by("pk")[:2]
    with time_machine.travel(timezone.now() - timedelta(days=3), tick=False):
        escalation_escalate(ticket=past, actor=agent_n1, reason=Reason.SKILL_UNAVAILABLE,
                            followup="Tests de connectivité faits, routage correct : besoin d'un spécialiste réseau.")
    escalation_escalate(ticket=today, actor=agent_n1, reason=Reason.BUSINESS_IMPACT, followup="La paie de tout le service est bloquée depuis ce matin, redémarrage sans effet.")
    again = page(manager_client, params).context["escalations"]

    def count(figures, value):
        return sum(row["count"] for row in figures["reason"] if row["reason"] == value)

    assert count(again, Reason.BUSINESS_IMPACT) == count(first, Reason.BUSINESS_IMPACT) + 1  # today's at once
    assert count(again, Reason.SKILL_UNAVAILABLE) == count(first, Reason.SKILL_UNAVAILABLE)  # the past's: refreshed
    rollups_refresh()
    refreshed = page(manager_client, params).context["escalations"]
    assert count(refreshed, Reason.SKILL_UNAVAILABLE) == count(first, Reason.SKILL_UNAVAILABLE) + 1
    RollupState.objects.all().delete()
    assert refreshed == page(manager_client, params).context["escalations"]  # the live figures
