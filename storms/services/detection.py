"""Finding bursts as tickets arrive (docs/storms.md, "Detection").

`storms_detect(ticket_ids)` is the one implementation: the ticket-creation path calls it after commit
with a list of one (through a task), the beat pass `storms_scan` with the last hour's tickets not yet in
a storm. It reads the window's tickets, the open storms, the words the database finds close (typos) and
the baselines (four queries whatever the number of tickets), then, for each new ticket in the order they
arrived and looking only at tickets created up to it (so a rescan finds the same storms):

1. a ticket matching an open storm joins it (a dismissed storm grown enough is suggested again; a
   storm declared a major incident links the ticket to the incident);
2. else, for each of its keys in turn — its category, its parent category, its organisation, then its
   words, rarest first — the people who filed a ticket with that key in the window are counted; over
   the best span ending at this ticket, a count the key's usual rate (× STORM_RATE_FACTOR, at least
   STORM_FLOOR_PER_HOUR) gives with a Poisson probability under STORM_ALPHA is a burst: a storm opens
   with the key's tickets since the span's start (reaching back to earlier ones at most twice the
   burst's mean gap apart), and is suggested to the agents.
"""

from __future__ import annotations

import bisect
import logging
import math
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from core.db import update_rows
from tickets.models import Ticket

from ..conf import StormSettings, storm_settings
from ..models import BaselineKind, Storm, StormBaseline, StormKind, StormState, StormTicket
from ..similarity import MIN_LENGTH as SIMILAR_MIN_LENGTH
from ..similarity import close_in_titles
from ..text import ticket_terms

logger = logging.getLogger(__name__)

# A burst's span is never taken shorter than this: five tickets in the same second are not infinitely
# unlikely, they are five tickets in a minute or two.
MIN_SPAN = timedelta(minutes=5)
# A burst reaches back to an earlier report of its key at most this far before the next one (see
# _Detection.reach_limit), and a key's tickets are a storm's "related" key when this share of its
# tickets hold it (see related_keys).
REACH_BACK_MAX = timedelta(minutes=10)
RELATED_SHARE = 0.6
RELATED_MIN_TICKETS = 3


def hour_of_week(moment: datetime) -> int:
    """Monday 0 h = 0 … Sunday 23 h = 167, in local time (the baseline's buckets)."""
    local = timezone.localtime(moment)
    return local.weekday() * 24 + local.hour


def poisson_tail(m: int, lam: float) -> float:
    """P(X ≥ m) for X ~ Poisson(lam)."""
    if m <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    term = math.exp(-lam)
    below = term
    for k in range(1, m):
        term *= lam / k
        below += term
    return max(0.0, 1.0 - below)


@dataclass
class _Row:
    id: int
    created_at: datetime
    category_id: int | None
    parent_id: int | None
    organisation_id: int | None
    requester_id: int | None
    terms: set[str]
    storm_id: int | None

    def storm_keys(self) -> list[tuple[str, str]]:
        found = [(StormKind.CATEGORY, str(c)) for c in (self.category_id, self.parent_id) if c is not None]
        if self.organisation_id is not None:
            found.append((StormKind.ORGANISATION, str(self.organisation_id)))
        found += [(StormKind.WORDING, term) for term in self.terms]
        return found


@dataclass
class DetectResult:
    examined: int = 0
    joined: int = 0
    suggested: list[int] = field(default_factory=list)  # storms suggested (new, or grown after a dismissal)
    linked: int = 0  # tickets linked to a declared storm's incident


class _Detection:
    def __init__(self, conf: StormSettings, rows: list[_Row], storms: list[Storm], baseline: dict):
        self.conf, self.rows, self.baseline = conf, rows, baseline
        self.by_key: dict[tuple[str, str], list[_Row]] = defaultdict(list)
        for row in rows:  # rows come in creation order: each list stays sorted by time
            for key in row.storm_keys():
                self.by_key[key].append(row)
        self.open = {(storm.kind, storm.key): storm for storm in storms}
        self.members: dict[int, list[_Row]] = defaultdict(list)  # storm id → rows added now
        self.closed: list[Storm] = []
        self.created: list[Storm] = []
        self.resuggested: list[Storm] = []
        self.to_link: list[tuple[Storm, int]] = []
        self._related: dict[int, set[tuple[str, str]]] = {}  # storm id → its related keys (cached)
        self._free: tuple[int | None, int] = (None, 0)  # (examined ticket, tickets of its window in no storm)

    def share(self, kind: str, key: str) -> float:
        return self.baseline.get((kind if kind != StormKind.WORDING else BaselineKind.TERM, key), 0.0)

    def usual(self, kind: str, key: str, at: datetime) -> float:
        """The key's usual rate at that hour (tickets per hour), as the history says."""
        return self.baseline.get((BaselineKind.HOUR, str(hour_of_week(at))), 0.0) * self.share(kind, key)

    def rate(self, kind: str, key: str, row: _Row, key_tickets: int) -> float:
        """The rate a burst of the key is tested against: its usual rate (its share of the tickets of the
        hour), or its share of the tickets arriving now when the whole helpdesk is busier than usual (a
        busy Monday morning raises every key with it), × STORM_RATE_FACTOR, at least the floor.
        `key_tickets`: the key's tickets in the window up to `row` that are in no storm."""
        share = self.share(kind, key)
        usual = self.usual(kind, key, row.created_at)
        if share < 1:
            # All tickets per hour over the window, as the key's own tickets and the tickets of storms
            # already found leave it: those of the other keys, scaled back up by the key's share (a storm
            # of the key does not raise its own usual rate).
            others = self.free_in_window(row) - key_tickets
            usual = max(usual, share * others / (self.conf.window.total_seconds() / 3600) / (1 - share))
        return max(usual * self.conf.rate_factor, self.conf.floor_per_hour)

    def free_in_window(self, row: _Row) -> int:
        """How many tickets of the window up to `row` are in no storm (counted once per examined ticket)."""
        if self._free[0] != row.id:
            low = bisect.bisect_left(self.rows, row.created_at - self.conf.window, key=lambda r: r.created_at)
            high = bisect.bisect_right(self.rows, row.created_at, key=lambda r: r.created_at)
            self._free = (row.id, sum(1 for r in self.rows[low:high] if r.storm_id is None))
        return self._free[1]

    def reach_limit(self, kind: str, key: str, at: datetime) -> timedelta:
        """How far before the burst's next report an earlier one may be and still be taken in, besides
        twice the burst's mean gap: a quarter of the key's usual mean gap (an ordinary ticket of the key
        falls in such a gap about one time in five), at most REACH_BACK_MAX."""
        usual = self.usual(kind, key, at)
        if usual <= 0:
            return REACH_BACK_MAX
        return min(REACH_BACK_MAX, timedelta(hours=1 / (4 * usual)))

    def related_keys(self, kind: str, key: str, members: list[_Row]) -> set[tuple[str, str]]:
        """The other key most of a storm's tickets share (RELATED_SHARE of them, RELATED_MIN_TICKETS at
        least), by which later tickets join it too: a wording storm's category (an "Outlook" storm takes
        in the Outlook tickets titled "La messagerie…"), a category storm's words no more common than
        the category itself (a VPN storm takes in "VPN coupé" filed under Wifi). An organisation's storm
        has none (a site down is about everything)."""
        if kind == StormKind.ORGANISATION or len(members) < RELATED_MIN_TICKETS:
            return set()
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for member in members:
            if kind == StormKind.WORDING and member.category_id is not None:
                counts[(StormKind.CATEGORY, str(member.category_id))] += 1
            elif kind == StormKind.CATEGORY:
                for term in member.terms:
                    counts[(StormKind.WORDING, term)] += 1
        needed = max(RELATED_MIN_TICKETS, math.ceil(RELATED_SHARE * len(members)))
        found = {k for k, n in counts.items() if n >= needed and k != (kind, key)}
        if kind == StormKind.CATEGORY:
            found = {k for k in found if self.share(*k) <= self.share(kind, key)}
        return found

    def _storm_related(self, storm: Storm) -> set[tuple[str, str]]:
        if storm.pk not in self._related:
            members = [r for r in self.rows if r.storm_id == storm.pk]
            self._related[storm.pk] = self.related_keys(storm.kind, storm.key, members)
        return self._related[storm.pk]

    def open_storm_of(self, row: _Row) -> Storm | None:
        """The open storm a ticket joins: one of its keys is the storm's key (a category first, then an
        organisation, then a word), else one of its keys is the storm's related key."""
        keys = row.storm_keys()
        for kind in (StormKind.CATEGORY, StormKind.ORGANISATION, StormKind.WORDING):
            for key in (k for k in keys if k[0] == kind):
                storm = self.open.get(key)
                if storm is not None:
                    return storm
        wanted = set(keys)
        for storm in sorted(self.open.values(), key=lambda s: (s.started_at, s.pk)):
            if wanted & self._storm_related(storm):
                return storm
        return None

    def examine(self, row: _Row, now: datetime) -> None:
        for storm in list(self.open.values()):
            if storm.last_at < row.created_at - self.conf.quiet:
                storm.is_open = False
                self.closed.append(storm)
                del self.open[(storm.kind, storm.key)]
        if row.storm_id is not None:
            return
        storm = self.open_storm_of(row)
        if storm is not None:
            self.join(storm, [row])
            return
        for kind, key in self._in_order(row.storm_keys()):
            start = self.burst_start(kind, key, row)
            if start is not None:
                self.open_storm(kind, key, row, start, now)
                return

    def _in_order(self, keys):
        words = sorted((k for k in keys if k[0] == StormKind.WORDING),
                       key=lambda k: (self.baseline.get((BaselineKind.TERM, k[1]), 0.0), k[1]))
        return [k for k in keys if k[0] != StormKind.WORDING] + words

    def candidates(self, kind: str, key: str, row: _Row) -> list[_Row]:
        rows = self.by_key.get((kind, key), [])
        low = bisect.bisect_left(rows, row.created_at - self.conf.window, key=lambda r: r.created_at)
        high = bisect.bisect_right(rows, row.created_at, key=lambda r: r.created_at)
        return [r for r in rows[low:high] if r.storm_id is None]

    def burst_start(self, kind: str, key: str, row: _Row) -> datetime | None:
        """The start of the widest span ending at `row` whose count of people is a burst, or None."""
        firsts: dict[int | None, datetime] = {}
        candidates = self.candidates(kind, key, row)
        for candidate in candidates:
            firsts.setdefault(candidate.requester_id, candidate.created_at)
        times = sorted(firsts.values())
        n = len(times)
        if n < self.conf.min_requesters:
            return None
        per_hour = self.rate(kind, key, row, len(candidates))
        for m in range(n, self.conf.min_requesters - 1, -1):
            span = max(row.created_at - times[n - m], MIN_SPAN)
            if poisson_tail(m, per_hour * span.total_seconds() / 3600) < self.conf.alpha:
                return self._reach_back(times[: n - m], times[n - m], (row.created_at - times[n - m]) / (m - 1),
                                        at_least=self.reach_limit(kind, key, row.created_at))
        return None

    @staticmethod
    def _reach_back(earlier: list[datetime], start: datetime, gap, at_least=timedelta(0)) -> datetime:
        """The burst's first reports often come a little apart, before the tight span the test found:
        take in each earlier one at most twice the burst's mean gap (or `at_least`) before the next."""
        limit = max(2 * gap, at_least)
        for moment in reversed(earlier):
            if start - moment > limit:
                break
            start = moment
        return start

    def open_storm(self, kind: str, key: str, row: _Row, start: datetime, now: datetime) -> None:
        rows = [r for r in self.candidates(kind, key, row) if r.created_at >= start]
        # The tickets of its span that share its related key join it too (a wording storm takes in its
        # category's tickets worded otherwise).
        chosen = {r.id for r in rows}
        for related in sorted(self.related_keys(kind, key, rows)):
            for r in self.candidates(*related, row):
                if r.created_at >= start and r.id not in chosen:
                    chosen.add(r.id)
                    rows.append(r)
        rows.sort(key=lambda r: (r.created_at, r.id))
        storm = Storm(kind=kind, key=key, label="", state=StormState.SUGGESTED, started_at=rows[0].created_at,
                      last_at=row.created_at, suggested_at=now, ticket_count=0)
        if kind == StormKind.CATEGORY:
            storm.category_id = int(key)
        elif kind == StormKind.ORGANISATION:
            storm.organisation_id = int(key)
        else:
            storm.term = key
        storm.label = _label(storm)
        try:
            with transaction.atomic():
                storm.save(force_insert=True)
        except IntegrityError:
            # Another worker opened it a moment ago: join it.
            storm = Storm.objects.get(kind=kind, key=key, is_open=True)
            self.open[(kind, key)] = storm
            self.join(storm, [row])
            return
        self.open[(kind, key)] = storm
        self.created.append(storm)
        self.join(storm, rows)

    def join(self, storm: Storm, rows: list[_Row]) -> None:
        self._related.pop(storm.pk, None)
        for row in rows:
            row.storm_id = storm.pk
            self.members[storm.pk].append(row)
            if storm.last_at < row.created_at:
                storm.last_at = row.created_at
            if storm.state == StormState.DECLARED and storm.incident_id:
                self.to_link.append((storm, row.id))


def _label(storm: Storm) -> str:
    if storm.kind == StormKind.CATEGORY:
        return str(Ticket._meta.get_field("category").related_model.objects.filter(pk=storm.category_id)
                   .values_list("name", flat=True).first() or storm.key)
    if storm.kind == StormKind.ORGANISATION:
        return str(Ticket._meta.get_field("organisation").related_model.objects.filter(pk=storm.organisation_id)
                   .values_list("name", flat=True).first() or storm.key)
    return f"« {storm.term} »"


def regrowth_threshold(dismissed_count: int, conf: StormSettings | None = None) -> int:
    """How many tickets a dismissed storm must reach to be suggested again: STORM_REGROW_FACTOR times
    its size when dismissed, and at least STORM_REGROW_MIN more."""
    conf = conf or storm_settings()
    return max(math.ceil(dismissed_count * conf.regrow_factor), dismissed_count + conf.regrow_min)


def _window_rows(start: datetime, end: datetime, limit: int) -> list[_Row]:
    values = (
        Ticket.objects.filter(created_at__gte=start, created_at__lte=end)
        .annotate(category_parent=F("category__parent_id"), storm=F("storm_link__storm_id"))
        .order_by("-created_at", "-id")
        .values_list("id", "created_at", "category_id", "category_parent", "organisation_id", "requester_id", "title",
                     "storm")[:limit]
    )
    return [_Row(id=i, created_at=c, category_id=cat, parent_id=parent, organisation_id=org, requester_id=req,
                 terms=ticket_terms(title), storm_id=storm)
            for i, c, cat, parent, org, req, title, storm in reversed(list(values))]


def _fix_typos(rows: list[_Row], storms: list[Storm]) -> None:
    """Read a word of a ticket as the more frequent word of the window (or the open storm's word) that the
    database finds close to it in the ticket's title (storms.similarity: pg_trgm on PostgreSQL, the FTS5
    trigram index on SQLite): "Outlok" counts towards, and joins, the Outlook storm. The database says
    which title holds a word close to which word, not which of its words it is: it is asked only about a
    ticket that holds a less frequent word with the same first letter and at most one letter more or
    less (not "plante" nor "demarrage" in "Plante au démarrage", close to "demarre"), and that word is
    the one read so. One query."""
    weights: dict[str, float] = defaultdict(float)
    for row in rows:
        for term in row.terms:
            weights[term] += 1
    for storm in storms:
        if storm.kind == StormKind.WORDING:
            weights[storm.key] = math.inf
    # A word of one ticket is no other word's typo; a tie is no typo either. The database is asked only
    # about a ticket's lighter words that may be a typo of a heavier one.
    heavy: dict[tuple[str, int], list[str]] = defaultdict(list)
    for term, weight in weights.items():
        if weight >= 2 and len(term) >= SIMILAR_MIN_LENGTH:
            heavy[(term[0], len(term))].append(term)
    # The heavier words each word may be a typo of: the same for every ticket that holds it.
    heavier: dict[str, list[str]] = {}
    for word, weight in weights.items():
        if len(word) >= SIMILAR_MIN_LENGTH and weight != math.inf:
            heavier[word] = [term for length in (len(word) - 1, len(word), len(word) + 1)
                             for term in heavy.get((word[0], length), ()) if weight < weights[term]]
    candidates: dict[tuple[int, str], list[str]] = defaultdict(list)  # (ticket, heavier word) → its words
    for row in rows:
        for word in row.terms:
            for term in heavier.get(word, ()):
                if term not in row.terms:
                    candidates[(row.id, term)].append(word)
    by_id = {row.id: row for row in rows}
    for ticket_id, term in sorted(close_in_titles(candidates)):
        row = by_id[ticket_id]
        typo = max(candidates[(ticket_id, term)], key=lambda word: (len(os.path.commonprefix([word, term])), word))
        if typo in row.terms and term not in row.terms:
            row.terms = (row.terms - {typo}) | {term}


def _baseline(rows: list[_Row]) -> dict:
    hours = {str(hour_of_week(row.created_at)) for row in rows}
    keys = defaultdict(set)
    for row in rows:
        for kind, key in row.storm_keys():
            keys[kind if kind != StormKind.WORDING else BaselineKind.TERM].add(key)
    condition = Q(kind=BaselineKind.HOUR, key__in=hours)
    for kind, values in keys.items():
        condition |= Q(kind=kind, key__in=values)
    return {(kind, key): rate for kind, key, rate in StormBaseline.objects.filter(condition)
            .values_list("kind", "key", "rate")}


def storms_detect(*, ticket_ids: list[int], now: datetime | None = None) -> DetectResult:
    """Examine these tickets (see the module's docstring). A fixed number of queries for the reads and
    the writes, plus one detail read and one outbox write per storm suggested and the links of the
    tickets joining a declared storm. Without a baseline yet (StormBaseline empty) nothing is examined:
    every key would sit at the floor rate."""
    from .suggestions import link_to_incident, notify_suggested

    result = DetectResult()
    if not ticket_ids:
        return result
    conf = storm_settings()
    news = list(Ticket.objects.filter(pk__in=ticket_ids, storm_link__isnull=True)
                .order_by("created_at", "id").values_list("id", "created_at"))
    if not news:
        return result
    wanted = {pk for pk, _c in news}
    rows = _window_rows(news[0][1] - conf.window, news[-1][1], conf.window_limit)
    with transaction.atomic():
        storms = list(Storm.objects.select_for_update().filter(is_open=True))
        _fix_typos(rows, storms)
        baseline = _baseline([row for row in rows if row.id in wanted])
        if not any(kind == BaselineKind.HOUR for kind, _k in baseline):
            return result
        detection = _Detection(conf, rows, storms, baseline)
        for row in rows:
            if row.id in wanted:
                detection.examine(row, now or row.created_at)
                result.examined += 1
        _write(detection, result, conf)
    for storm in detection.created + detection.resuggested:
        notify_suggested(storm=storm)
    for storm, ticket_id in detection.to_link:
        result.linked += link_to_incident(storm=storm, ticket_id=ticket_id)
    return result


def _write(detection: _Detection, result: DetectResult, conf: StormSettings) -> None:
    links = [StormTicket(storm_id=storm_id, ticket_id=row.id) for storm_id, rows in detection.members.items()
             for row in rows]
    StormTicket.objects.bulk_create(links, ignore_conflicts=True)
    result.joined = len(links)
    touched = {storm.pk: storm for storm in detection.open.values() if storm.pk in detection.members}
    touched.update({storm.pk: storm for storm in detection.closed if storm.pk in detection.members})
    if touched:
        counts = {row["storm"]: row for row in StormTicket.objects.filter(storm__in=list(touched))
                  .values("storm").annotate(n=Count("id"), orgs=Count("ticket__organisation", distinct=True))
                  .order_by()}
        for storm in touched.values():
            storm.ticket_count = counts[storm.pk]["n"]
            storm.organisation_count = counts[storm.pk]["orgs"]
            if (storm.state == StormState.DISMISSED
                    and storm.ticket_count >= regrowth_threshold(storm.dismissed_count, conf)):
                storm.state = StormState.SUGGESTED
                storm.suggested_at = storm.last_at
                detection.resuggested.append(storm)
    changed = list({storm.pk: storm for storm in [*touched.values(), *detection.closed]}.values())
    update_rows(changed, ["last_at", "ticket_count", "organisation_count", "is_open", "state", "suggested_at"])
    result.suggested = [storm.pk for storm in detection.created + detection.resuggested]


def storms_scan(*, now: datetime | None = None) -> DetectResult:
    """The beat pass: every ticket of the last STORM_WINDOW_MINUTES not yet in a storm (those whose
    detection task the broker lost, and storms only visible once several tickets are in). Rebuilds the
    baseline first when there is none, from the history before the window (a burst under way must not
    become its own usual rate)."""
    conf = storm_settings()
    now = now or timezone.now()
    if not StormBaseline.objects.filter(kind=BaselineKind.HOUR).exists():
        from .baseline import storm_baselines_refresh

        storm_baselines_refresh(now=now - conf.window)
    ids = list(Ticket.objects.filter(created_at__gte=now - conf.window, created_at__lte=now,
                                     storm_link__isnull=True).values_list("id", flat=True)[:conf.window_limit])
    return storms_detect(ticket_ids=ids, now=now)
