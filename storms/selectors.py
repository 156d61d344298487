"""Reads of storms: the queue's banner, the storm page, and the words of a suggestion."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVector, TrigramWordSimilarity
from django.db import connection
from django.db.models import BooleanField, Case, CharField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat, Greatest
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import is_agent
from postmortem.models import IncidentState, MajorIncident
from tickets.models import Category, Ticket

from .models import Storm, StormKind, StormState
from .similarity import MIN_LENGTH as SIMILAR_MIN_LENGTH
from .similarity import WORD_SIMILARITY, Folded, close_in_titles
from .text import terms, words

# The queue's banner shows at most this many suggestions (the newest).
BANNER_LIMIT = 3
# "Me too": the banners shown at most, and the incidents under way looked at (the newest).
MATCH_LIMIT = 2
SCAN_LIMIT = 20
# The typed words compared at most (a title, not an essay).
MAX_TYPED_WORDS = 12


def storm_summary(storm: Storm) -> str:
    """"12 tickets en 9 min : VPN, 4 organisations"."""
    tickets = ngettext("%(count)d ticket in %(minutes)d min", "%(count)d tickets in %(minutes)d min",
                       storm.ticket_count) % {"count": storm.ticket_count, "minutes": storm.minutes}
    organisations = ngettext("%(count)d organisation", "%(count)d organisations",
                             storm.organisation_count) % {"count": storm.organisation_count}
    return _("%(tickets)s: %(about)s, %(organisations)s") % {"tickets": tickets, "about": storm.label,
                                                             "organisations": organisations}


def suggested_storms(*, limit: int = BANNER_LIMIT) -> list[Storm]:
    """The suggestions awaiting an agent, newest first (one query)."""
    return list(Storm.objects.filter(state=StormState.SUGGESTED, is_open=True)
                .order_by("-suggested_at", "-id")[:limit])


def storms_for_list(*, limit: int = 50) -> list[Storm]:
    return list(Storm.objects.select_related("incident__ticket", "dismissed_by").order_by("-suggested_at", "-id")
                [:limit])


def get_storm_for(user, pk: int) -> Storm:
    """The storm for an agent; a 404 for anyone else (a requester does not learn storms exist)."""
    if not is_agent(user):
        raise Http404
    storm = Storm.objects.select_related("incident__ticket", "dismissed_by", "declared_by").filter(pk=pk).first()
    if storm is None:
        raise Http404
    return storm


def storm_tickets(storm: Storm) -> list[Ticket]:
    return list(Ticket.objects.filter(storm_link__storm=storm)
                .select_related("requester", "organisation", "category").order_by("created_at", "id"))


# --- "Me too": incidents under way that match what a requester is typing


@dataclass(frozen=True)
class IncidentMatch:
    incident: MajorIncident
    about: str


def _about(incident: MajorIncident) -> str:
    if incident.storm_kind and incident.storm_kind != StormKind.WORDING:
        return incident.storm_label
    if incident.ticket.category_id:
        return incident.ticket.category.name
    return incident.ticket.title


def _incidents_under_way(user):
    """The incidents with their war room open, newest first, each with its storm's kind, organisation, word
    and label (subqueries of the same query)."""
    storm = Storm.objects.filter(incident=OuterRef("pk")).order_by("pk")
    return (MajorIncident.objects.filter(state=IncidentState.MOBILISATION)
            .exclude(ticket__requester=user).exclude(followers__user=user)
            .select_related("ticket__category")
            .annotate(storm_kind=Subquery(storm.values("kind")[:1]),
                      storm_organisation=Subquery(storm.values("organisation_id")[:1]),
                      storm_term=Subquery(storm.values("term")[:1]), storm_label=Subquery(storm.values("label")[:1]))
            .order_by("-declared_at", "-id"))


def _said_on_postgresql(incidents, typed: list[str]):
    """Annotate `said`: the typed words meet the incident's wording (its title, its category's name, its
    storm's word, folded): a word in common by full-text search (the 'french' configuration: "imprimantes"
    meets "imprimante"), or a word of SIMILAR_MIN_LENGTH letters or more close to one of it by trigram word
    similarity (pg_trgm: "Outlok" meets "Outlook")."""
    wording = Folded(Concat("ticket__title", Value(" "), Coalesce("ticket__category__name", Value("")), Value(" "),
                            Coalesce("storm_term", Value("")), output_field=CharField()))
    said = Q(wording_vector=SearchQuery(" | ".join(typed), search_type="raw", config="french"))
    incidents = incidents.annotate(wording_vector=SearchVector(wording, config="french"))
    long_words = [word for word in typed if len(word) >= SIMILAR_MIN_LENGTH]
    if long_words:
        closest = (Greatest(*[TrigramWordSimilarity(Value(word), wording) for word in long_words])
                   if len(long_words) > 1 else TrigramWordSimilarity(Value(long_words[0]), wording))
        incidents = incidents.annotate(closeness=closest)
        said |= Q(closeness__gte=WORD_SIMILARITY)
    return incidents.annotate(said=Case(When(said, then=Value(True)), default=Value(False),
                                        output_field=BooleanField()))


def incidents_matching(*, user, title: str, category_id: int | None, limit: int = MATCH_LIMIT) -> list[IncidentMatch]:
    """Major incidents with their war room open that the typed title or chosen category matches: the same
    category (or its parent or child), or the typed title meets the incident's wording — a word in common,
    or a typo of one, as the database finds it (docs/storms.md, "Me too"): on PostgreSQL full-text search
    and trigram word similarity against its title, its category's name and its storm's word, in the query
    that reads the incidents; on SQLite their stemmed words in common, and the FTS5 trigram index for a
    typo of a word of its title (storms.similarity). An organisation's storm matches its members, only
    them, whatever they type (a site is down); incidents the user already follows or filed are left out.
    Three queries at most, whatever the number of incidents."""
    typed = words(title)[:MAX_TYPED_WORDS]
    if not typed and not category_id:
        return []
    incidents = _incidents_under_way(user)
    postgresql = connection.vendor == "postgresql"
    if typed and postgresql:
        incidents = _said_on_postgresql(incidents, typed)
    incidents = list(incidents[:SCAN_LIMIT])
    if not incidents:
        return []
    chosen_parent = (Category.objects.filter(pk=category_id).values_list("parent_id", flat=True).first()
                     if category_id else None)
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    organisation_id = profile.organisation_id if profile is not None else None
    if typed and not postgresql:
        typed_terms = terms(" ".join(typed))
        close = {ticket_id for ticket_id, _word in close_in_titles(
            (incident.ticket_id, word) for incident in incidents for word in typed)}
        for incident in incidents:
            category = incident.ticket.category
            described = terms(" ".join(filter(None, [incident.ticket.title, category.name if category else "",
                                                     incident.storm_term or ""])))
            incident.said = bool(typed_terms & described) or incident.ticket_id in close
    found = []
    for incident in incidents:
        if len(found) >= limit:
            break
        if incident.storm_kind == StormKind.ORGANISATION:
            # A site or an organisation down: whatever its members type, and no one else.
            if incident.storm_organisation == organisation_id:
                found.append(IncidentMatch(incident=incident, about=_about(incident)))
            continue
        category = incident.ticket.category
        same_category = bool(category_id and category is not None and (
            category.pk == category_id or category.parent_id == category_id or category.pk == chosen_parent))
        if same_category or getattr(incident, "said", False):
            found.append(IncidentMatch(incident=incident, about=_about(incident)))
    return found


def get_incident_to_follow(pk: int) -> MajorIncident:
    """An incident a requester may follow: its war room open; 404 otherwise."""
    incident = MajorIncident.objects.filter(pk=pk, state=IncidentState.MOBILISATION).select_related("ticket").first()
    if incident is None:
        raise Http404
    return incident
