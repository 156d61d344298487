"""Grouping: which tickets a storm holds besides those of its own key (docs/storms.md, "Detection")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storms.conf import storm_settings
from storms.models import BaselineKind, Storm, StormBaseline, StormKind
from storms.services.detection import REACH_BACK_MAX, _Detection, _Row, hour_of_week
from tests.factories import CategoryFactory

from .conftest import T0, file, person

pytestmark = pytest.mark.django_db

ZOOM = ["Zoom ne démarre plus", "Impossible de lancer Zoom", "Zoom plante", "Réunion Zoom : écran noir",
        "Zoom me déconnecte"]


def _row(pk, *, category=1, organisation=None, terms=(), at=T0):
    return _Row(id=pk, created_at=at, category_id=category, parent_id=None, organisation_id=organisation,
                requester_id=pk, terms=set(terms), storm_id=None)


def _detection(baseline: dict | None = None) -> _Detection:
    return _Detection(storm_settings(), [], [], baseline or {})


@pytest.fixture
def visio(db):
    """A category busy at this hour (6 tickets an hour, every ticket of the hour): five of its tickets in
    ten minutes are no burst of the category, while a word never seen is at the floor rate."""
    category = CategoryFactory(name="Visio")
    StormBaseline.objects.bulk_create([
        *[StormBaseline(kind=BaselineKind.HOUR, key=str(hour), rate=0.0) for hour in range(168)],
        StormBaseline(kind=BaselineKind.CATEGORY, key=str(category.pk), rate=1.0),
    ])
    StormBaseline.objects.filter(kind=BaselineKind.HOUR, key=str(hour_of_week(T0))).update(rate=6.0)
    return category


def test_a_wording_storm_takes_in_its_categorys_tickets_of_its_span_worded_otherwise(visio):
    zoom = [file(T0 + timedelta(minutes=2 * i), requester=person(f"z{i}", f"Org {i}"), category=visio, title=title)
            for i, title in enumerate(ZOOM[:2])]
    other = file(T0 + timedelta(minutes=3), requester=person("o", "Autre"), category=visio,
                 title="La visio coupe le son")
    zoom += [file(T0 + timedelta(minutes=4 + 2 * i), requester=person(f"y{i}", f"Site {i}"), category=visio,
                  title=title) for i, title in enumerate(ZOOM[2:])]

    storm = Storm.objects.get()
    assert (storm.kind, storm.term) == (StormKind.WORDING, "zoom")
    assert set(storm.tickets.values_list("pk", flat=True)) == {t.pk for t in [*zoom, other]}


def test_a_later_ticket_joins_a_wording_storm_by_its_category(visio):
    for i, title in enumerate(ZOOM):
        file(T0 + timedelta(minutes=2 * i), requester=person(f"z{i}", f"Org {i}"), category=visio, title=title)
    later = file(T0 + timedelta(minutes=20), requester=person("late", "Lyon"), category=visio,
                 title="La visio coupe le son")
    elsewhere = file(T0 + timedelta(minutes=21), requester=person("else", "Lyon"),
                     category=CategoryFactory(name="Écran"), title="Écran noir au démarrage")

    storm = Storm.objects.get()
    assert storm.tickets.filter(pk=later.pk).exists() and not storm.tickets.filter(pk=elsewhere.pk).exists()


def test_a_ticket_worded_like_a_category_storm_joins_it_from_another_category(baseline):
    vpn = CategoryFactory(name="VPN")
    for i in range(5):
        file(T0 + timedelta(minutes=2 * i), requester=person(f"v{i}", f"Org {i}"), category=vpn)
    wifi = CategoryFactory(name="Wifi")
    worded = file(T0 + timedelta(minutes=15), requester=person("w1"), category=wifi, title="VPN coupé au bureau")
    unrelated = file(T0 + timedelta(minutes=16), requester=person("w2"), category=wifi, title="Borne muette")

    storm = Storm.objects.get()
    assert (storm.kind, storm.category) == (StormKind.CATEGORY, vpn)
    assert storm.tickets.filter(pk=worded.pk).exists() and not storm.tickets.filter(pk=unrelated.pk).exists()


def test_related_keys_are_what_most_of_a_storms_tickets_share():
    detection = _detection({(BaselineKind.CATEGORY, "1"): 0.1, (BaselineKind.TERM, "vpn"): 0.05,
                            (BaselineKind.TERM, "lent"): 0.2})
    # A wording storm: the category of 3 of its 5 tickets (60 %); 2 of 5 is not enough.
    rows = [_row(i, category=1 if i < 3 else i) for i in range(5)]
    assert detection.related_keys(StormKind.WORDING, "zoom", rows) == {(StormKind.CATEGORY, "1")}
    rows = [_row(i, category=1 if i < 2 else i) for i in range(5)]
    assert detection.related_keys(StormKind.WORDING, "zoom", rows) == set()
    # A category storm: its words held by most of its tickets and no more common than the category.
    rows = [_row(i, terms={"vpn", "lent"}) for i in range(5)]
    assert detection.related_keys(StormKind.CATEGORY, "1", rows) == {(StormKind.WORDING, "vpn")}
    # An organisation's storm has none; nor has a storm of two tickets.
    assert detection.related_keys(StormKind.ORGANISATION, "4", [_row(i, category=1) for i in range(5)]) == set()
    assert detection.related_keys(StormKind.WORDING, "zoom", [_row(i, category=1) for i in range(2)]) == set()


def test_a_burst_reaches_back_further_when_its_key_is_usually_quiet():
    hour = str(hour_of_week(T0))
    # 6.4 tickets an hour, a quarter of them Outlook: 1.6 an hour, a mean gap of 37.5 min; a quarter is 9.4 min.
    detection = _detection({(BaselineKind.HOUR, hour): 6.4, (BaselineKind.CATEGORY, "7"): 0.25})
    assert detection.reach_limit(StormKind.CATEGORY, "7", T0) == timedelta(minutes=9.375)
    # Never seen: REACH_BACK_MAX; very busy (16 an hour): under a minute.
    assert detection.reach_limit(StormKind.WORDING, "zoom", T0) == REACH_BACK_MAX
    busy = _detection({(BaselineKind.HOUR, hour): 64.0, (BaselineKind.CATEGORY, "7"): 0.25})
    assert busy.reach_limit(StormKind.CATEGORY, "7", T0) == timedelta(seconds=56.25)

    start, gap = T0 + timedelta(minutes=10), timedelta(minutes=1)
    first = start - timedelta(minutes=7)  # the first report, 7 min before the tight span
    assert _Detection._reach_back([first], start, gap) == start
    assert _Detection._reach_back([first], start, gap, at_least=timedelta(minutes=9.375)) == first
    assert _Detection._reach_back([first], start, gap, at_least=timedelta(seconds=56.25)) == start


def test_the_database_finds_the_titles_holding_a_word_close_to_a_term(db):
    """pg_trgm's word similarity on PostgreSQL, the FTS5 trigram index on SQLite (storms.similarity)."""
    from storms.similarity import close_in_titles

    vpn = CategoryFactory(name="VPN")
    titles = ["Outlok ne démarre plus", "Écran noir au bureau", "Le wifi est coupé", "Mon mail est bloqué",
              "Outlook lent"]
    ids = [file(T0, requester=person(f"w{i}"), category=vpn, title=title, detect=False).pk
           for i, title in enumerate(titles)]

    found = close_in_titles((pk, term) for pk in ids for term in ["outlook", "ecran", "imprimante", "main"])

    # A typo ("Outlok") and accents ("Écran") forgiven; "imprimante" is in no title; "main" is too short to
    # be compared by trigrams (it is not "mail").
    assert found == {(ids[0], "outlook"), (ids[4], "outlook"), (ids[1], "ecran")}
    assert close_in_titles((pk, "outlook") for pk in ids[1:4]) == set()


def test_the_trigram_index_follows_the_titles_as_they_change(db):
    from storms.similarity import close_in_titles
    from tickets.models import Ticket

    ticket = file(T0, requester=person("w"), category=CategoryFactory(name="VPN"), title="Outlok figé", detect=False)
    assert close_in_titles([(ticket.pk, "outlook")]) == {(ticket.pk, "outlook")}

    Ticket.objects.filter(pk=ticket.pk).update(title="Imprimante bloquée")
    assert close_in_titles([(ticket.pk, "outlook"), (ticket.pk, "imprimante")]) == {(ticket.pk, "imprimante")}

    Ticket.objects.filter(pk=ticket.pk).delete()
    assert close_in_titles([(ticket.pk, "imprimante")]) == set()


def test_a_typo_counts_towards_and_joins_the_storm_of_its_word(baseline):
    titles = ["Outlook ne démarre plus", "Outlok figé", "Outlook rame", "Mon Outlook refuse", "Outlok est tombé"]
    tickets = [file(T0 + timedelta(minutes=2 * i), requester=person(f"t{i}", f"Org {i}"),
                    category=CategoryFactory(name=f"Cat {i}"), title=title) for i, title in enumerate(titles)]
    later = file(T0 + timedelta(minutes=20), requester=person("late", "Lyon"), category=CategoryFactory(name="Wifi"),
                 title="Connexion Outloook impossible")

    storm = Storm.objects.get()
    assert (storm.kind, storm.term) == (StormKind.WORDING, "outlook")
    assert set(storm.tickets.values_list("pk", flat=True)) == {t.pk for t in [*tickets, later]}


def test_a_word_close_to_another_in_the_same_title_is_not_read_as_it(baseline):
    """"Plante au démarrage" holds a word close to "demarre" (the database says so), but neither "plante"
    (another first letter) nor "demarrage" (two letters more) is a typo of it: it does not count towards
    a storm of "demarre"."""
    from storms.services.detection import _fix_typos, _window_rows

    for i in range(3):
        file(T0 + timedelta(minutes=i), requester=person(f"d{i}"), category=CategoryFactory(name=f"C{i}"),
             title="Le poste ne démarre plus", detect=False)
    other = file(T0 + timedelta(minutes=4), requester=person("d4"), category=CategoryFactory(name="C4"),
                 title="Plante au démarrage", detect=False)
    typo = file(T0 + timedelta(minutes=5), requester=person("d5"), category=CategoryFactory(name="C5"),
                title="Le poste ne demarer plus", detect=False)
    rows = _window_rows(T0 - timedelta(hours=1), T0 + timedelta(hours=1), 100)

    _fix_typos(rows, [])

    terms = {row.id: row.terms for row in rows}
    assert terms[other.pk] == {"plant", "demarrag"}
    assert terms[typo.pk] == {"post", "demarr"}  # "demarer" (stem "demar"): a typo of "demarre"
