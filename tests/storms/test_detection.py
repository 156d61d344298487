"""Detection: bursts of a category, an organisation or a word, well above the usual rate."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from storms.models import Storm, StormKind, StormState, StormTicket
from storms.services import poisson_tail, storm_baselines_refresh, storms_detect, storms_scan
from tests.factories import CategoryFactory

from .conftest import T0, burst, file, person

pytestmark = pytest.mark.django_db


def test_poisson_tail_is_the_probability_of_at_least_m():
    assert poisson_tail(0, 2.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - 0.1353352832, rel=1e-6)
    assert poisson_tail(3, 0.5) == pytest.approx(0.0143876, rel=1e-4)
    assert poisson_tail(5, 0.0) == 0.0


def test_five_people_in_a_category_within_minutes_open_a_suggested_storm(baseline, vpn):
    tickets = burst(5, category=vpn)

    storm = Storm.objects.get()
    assert (storm.kind, storm.key, storm.label, storm.state) == (StormKind.CATEGORY, str(vpn.pk), "VPN",
                                                                 StormState.SUGGESTED)
    assert set(storm.tickets.values_list("pk", flat=True)) == {t.pk for t in tickets}
    assert (storm.ticket_count, storm.organisation_count, storm.minutes) == (5, 3, 8)


def test_four_people_are_not_a_storm(baseline, vpn):
    burst(4, category=vpn)

    assert not Storm.objects.exists()


def test_one_person_filing_many_tickets_is_not_a_storm(baseline, vpn):
    someone = person("busy", "Acme")
    for i in range(10):
        file(T0 + timedelta(minutes=i), requester=someone, category=vpn)

    assert not Storm.objects.exists()


def test_a_category_as_busy_as_usual_at_that_hour_is_not_a_storm(vpn):
    # Eight weeks of Tuesdays with 20 VPN tickets at 10 h: 5 in ten minutes is the usual rate.
    for week in range(1, 9):
        for i in range(20):
            file(T0 - timedelta(weeks=week) + timedelta(minutes=3 * i), requester=person(f"h{week}-{i}"),
                 category=vpn, detect=False)
    with time_machine.travel(T0 - timedelta(hours=1), tick=False):
        storm_baselines_refresh()

    burst(5, category=vpn)

    assert not Storm.objects.exists()


def test_subcategories_add_up_to_a_storm_of_their_parent(baseline, vpn):
    wifi = CategoryFactory(name="Wifi", parent=vpn.parent)
    burst(3, category=vpn, prefix="a")
    burst(3, category=wifi, prefix="b", start=T0 + timedelta(minutes=1), title="Pas de wifi au 2e étage")

    storm = Storm.objects.get()
    assert (storm.kind, storm.label, storm.ticket_count) == (StormKind.CATEGORY, "Réseau", 6)


def test_one_organisation_filing_about_many_things_is_a_storm_of_that_organisation(baseline):
    titles = ["Imprimante hors ligne", "Pas d'accès au partage", "Messagerie lente", "Téléphone muet",
              "Écran noir au démarrage"]
    for i, title in enumerate(titles):
        file(T0 + timedelta(minutes=2 * i), requester=person(f"lyon{i}", "Lyon"),
             category=CategoryFactory(name=f"Cat {i}"), title=title)

    storm = Storm.objects.get()
    assert (storm.kind, storm.label, storm.ticket_count, storm.organisation_count) == (
        StormKind.ORGANISATION, "Lyon", 5, 1)


def test_close_wording_across_categories_and_organisations_is_a_storm_of_that_word(baseline):
    titles = ["Teams ne démarre plus", "Impossible d'ouvrir Teams", "Teams plante", "Teams : écran blanc",
              "Ma réunion Teams ne s'ouvre pas"]
    for i, title in enumerate(titles):
        file(T0 + timedelta(minutes=2 * i), requester=person(f"w{i}", f"Org {i}"),
             category=CategoryFactory(name=f"Cat {i}"), title=title, description="Voir le titre.")

    storm = Storm.objects.get()
    assert (storm.kind, storm.term, storm.ticket_count, storm.organisation_count) == (StormKind.WORDING, "team", 5, 5)


def test_a_later_ticket_joins_the_open_storm_and_a_quiet_hour_closes_it(baseline, vpn):
    burst(5, category=vpn)
    late = file(T0 + timedelta(minutes=30), requester=person("late"), category=vpn)

    storm = Storm.objects.get()
    assert StormTicket.objects.filter(storm=storm, ticket=late).exists()
    assert (storm.ticket_count, storm.last_at) == (6, late.created_at)

    again = T0 + timedelta(hours=3)
    burst(5, category=vpn, start=again, prefix="q")

    first, second = Storm.objects.order_by("started_at")
    assert (first.is_open, second.is_open, second.ticket_count) == (False, True, 5)


def test_without_a_baseline_nothing_is_examined(vpn):
    burst(6, category=vpn)

    assert not Storm.objects.exists()


def test_the_beat_pass_finds_the_storm_of_tickets_never_examined(baseline, vpn):
    burst(6, category=vpn, detect=False)
    assert not Storm.objects.exists()

    result = storms_scan(now=T0 + timedelta(minutes=12))

    assert Storm.objects.get().ticket_count == 6 and result.suggested == [Storm.objects.get().pk]
    assert storms_scan(now=T0 + timedelta(minutes=13)).suggested == []  # a second pass changes nothing


def test_the_beat_pass_rebuilds_a_missing_baseline(vpn):
    burst(6, category=vpn, detect=False)

    storms_scan(now=T0 + timedelta(minutes=12))

    assert Storm.objects.count() == 1


@pytest.mark.parametrize("window", [10, 60])
def test_detecting_one_ticket_costs_the_same_queries_whatever_the_window_holds(
        baseline, vpn, window, manager, django_assert_max_num_queries):
    others = CategoryFactory(name="Autre")
    for i in range(window):
        file(T0 + timedelta(seconds=30 * i), requester=person(f"o{i}"), category=others,
             title=f"Objet{i}", description=f"Texte{i}", detect=False)  # no word in common
    burst(4, category=vpn, start=T0 + timedelta(minutes=31))
    fifth = file(T0 + timedelta(minutes=40), requester=person("fifth"), category=vpn, detect=False)

    # Reads: the tickets, the window, the open storms, the words the database finds close, the baselines;
    # writes: the storm, its tickets, its counts; the suggestion: its tickets, the event, the stakeholders,
    # the outbox row.
    with django_assert_max_num_queries(21):
        result = storms_detect(ticket_ids=[fifth.pk])

    assert len(result.suggested) == 1, list(Storm.objects.values("kind", "key", "ticket_count"))


def test_a_burst_reaches_back_to_reports_close_before_its_tight_span():
    from storms.services.detection import _Detection

    start = T0 + timedelta(minutes=10)
    gap = timedelta(minutes=1)  # the burst's mean gap

    # 2 min before (≤ 2 gaps): taken in, then 1.5 min before that too; 5 min earlier still: left out.
    earlier = [T0, start - timedelta(minutes=3.5), start - timedelta(minutes=2)]
    assert _Detection._reach_back(earlier, start, gap) == start - timedelta(minutes=3.5)
    assert _Detection._reach_back([start - timedelta(minutes=3)], start, gap) == start
    assert _Detection._reach_back([], start, gap) == start


def test_a_helpdesk_busier_than_usual_raises_the_rate_each_key_is_tested_against(settings):
    from storms.conf import storm_settings
    from storms.models import BaselineKind
    from storms.services.detection import _Detection, _Row, hour_of_week

    settings.STORM_RATE_FACTOR = 2

    def row(pk, category, minutes_before):
        return _Row(id=pk, created_at=T0 - timedelta(minutes=minutes_before), category_id=category, parent_id=None,
                    organisation_id=None, requester_id=pk, terms=set(), storm_id=None)

    # Usually 10 tickets an hour at this hour, a tenth of them in category 1: 1 an hour.
    baseline = {(BaselineKind.HOUR, str(hour_of_week(T0))): 10.0, (BaselineKind.CATEGORY, "1"): 0.1}
    own = [row(i, 1, 5 - i) for i in range(6)]
    others = [row(100 + i, 2, 59 - 2 * i) for i in range(27)]  # 27 others in the hour: 30 an hour in all
    rows = sorted([*own, *others], key=lambda r: r.created_at)

    def rate(rows):
        return _Detection(storm_settings(), rows, [], baseline).rate(StormKind.CATEGORY, "1", own[-1], len(own))

    assert rate(own) == pytest.approx(10 * 0.1 * 2)  # a quiet hour: the usual rate, × 2
    assert rate(rows) == pytest.approx(27 / 0.9 * 0.1 * 2)  # a busy morning: its share of what arrives now
    for other in others:
        other.storm_id = 9  # the tickets of a storm already found are no usual traffic
    assert rate(rows) == pytest.approx(10 * 0.1 * 2)
