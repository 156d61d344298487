"""Reads of storms: the queue's banner, the storm page, and the words of a suggestion."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import is_agent
from postmortem.models import IncidentState, MajorIncident
from tickets.models import Category, Ticket

from .models import Storm, StormKind, StormState
from .text import share_a_word, terms

# The queue's banner shows at most this many suggestions (the newest).
BANNER_LIMIT = 3
# "Me too": the banners shown at most, and the incidents under way looked at (the newest).
MATCH_LIMIT = 2
SCAN_LIMIT = 20


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


def _about(incident: MajorIncident, storm: Storm | None) -> str:
    if storm is not None and storm.kind != StormKind.WORDING:
        return storm.label
    if incident.ticket.category_id:
        return incident.ticket.category.name
    return incident.ticket.title


def incidents_matching(*, user, title: str, category_id: int | None, limit: int = MATCH_LIMIT) -> list[IncidentMatch]:
    """Major incidents with their war room open that the typed title or chosen category matches: the same
    category (or its parent or child), or a word in common (one typo forgiven: storms.text.near) with the
    incident's title, its storm's word or its category's name. An organisation's storm matches its members, only them, whatever they type
    (a site is down); incidents the user
    already follows or filed are left out. Three queries at most, whatever the number of incidents."""
    words = terms(title)
    if not words and not category_id:
        return []
    incidents = list(
        MajorIncident.objects.filter(state=IncidentState.MOBILISATION)
        .exclude(ticket__requester=user).exclude(followers__user=user)
        .select_related("ticket__category").prefetch_related("storms")
        .order_by("-declared_at", "-id")[:SCAN_LIMIT]
    )
    if not incidents:
        return []
    chosen_parent = (Category.objects.filter(pk=category_id).values_list("parent_id", flat=True).first()
                     if category_id else None)
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    organisation_id = profile.organisation_id if profile is not None else None
    found = []
    for incident in incidents:
        if len(found) >= limit:
            break
        storm = next(iter(incident.storms.all()), None)
        if storm is not None and storm.kind == StormKind.ORGANISATION:
            # A site or an organisation down: whatever its members type, and no one else.
            if storm.organisation_id == organisation_id:
                found.append(IncidentMatch(incident=incident, about=_about(incident, storm)))
            continue
        category = incident.ticket.category
        same_category = bool(category_id and category is not None and (
            category.pk == category_id or category.parent_id == category_id or category.pk == chosen_parent))
        described = terms(" ".join(filter(None, [incident.ticket.title, category.name if category else "",
                                                 storm.term if storm else ""])))
        if same_category or share_a_word(words, described):
            found.append(IncidentMatch(incident=incident, about=_about(incident, storm)))
    return found


def get_incident_to_follow(pk: int) -> MajorIncident:
    """An incident a requester may follow: its war room open; 404 otherwise."""
    incident = MajorIncident.objects.filter(pk=pk, state=IncidentState.MOBILISATION).select_related("ticket").first()
    if incident is None:
        raise Http404
    return incident
