"""Reads of storms: the queue's banner, the storm page, and the words of a suggestion."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import is_agent
from tickets.models import Ticket

from .models import Storm, StormState

# The queue's banner shows at most this many suggestions (the newest).
BANNER_LIMIT = 3


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
