"""The requester's list, /tickets/, at any size (issue 23): open first, newest first, by keyset.

The list opens on the tickets still under way ("En cours": new, in progress, waiting, and resolved ones
that wait for the requester's confirmation), with the closed ones in their own tab and every ticket in a
third, as the portals of Zendesk or Freshdesk do ("Open requests" / "Solved requests"). A page is read from
a cursor (core.keyset: "plus anciens", "plus récents"), never with OFFSET nor a COUNT(*) of everything: its
cost is the same for a requester with 10 tickets and one with 100,000.

"Mine or my organisation's" is not one query with an OR (PostgreSQL would gather every matching row of
both, 56,000 for the largest organisation, and sort them) but two index range scans, one per side, each
stopping after a page, merged in core.keyset. The indexes: `ticket_requester_keyset` and
`ticket_organisation_keyset` (requester or organisation, -created_at, -id) for the closed tab and "all";
their partial twins over the tickets under way, `ticket_requester_active` and `ticket_organisation_active`,
for the default tab, so a requester with 100,000 closed tickets and 3 open ones reads 3 index entries, not
100,000 filtered ones. The total shown is capped: counting stops at COUNT_CAP + 1 rows ("plus de 1 000").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_agent
from core.keyset import COUNT_CAP, capped_count, decode_cursor, encode_cursor, keyset_page

from .models import ACTIVE_STATUSES, Status, Ticket

__all__ = ["COUNT_CAP", "TABS", "PortalPage", "decode_cursor", "requester_page", "requester_sides", "ticket_cursor"]

# tab code → (label, statuses or None for every ticket). The first is the default.
TABS = {
    "active": (_("Under way"), ACTIVE_STATUSES),
    "closed": (_("Closed"), (Status.CLOSED,)),
    "all": (_("All"), None),
}
DEFAULT_TAB = "active"


def ticket_cursor(ticket: Ticket) -> str:
    """The cursor that points at `ticket` in the list (its page after it)."""
    return encode_cursor(ticket.created_at, ticket.pk)


def _columns(user) -> list[tuple[str, int]]:
    """The (column, value) pairs whose union the requester sees (Ticket.objects.visible_to, split for the
    indexes)."""
    if is_agent(user):
        return [("requester_id", user.pk)]
    sides = [("requester_id", user.pk)]
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    if profile is not None and profile.organisation_id and profile.organisation.share_tickets:
        sides.append(("organisation_id", profile.organisation_id))
    return sides


def requester_sides(user, *, statuses=None) -> list[tuple[QuerySet[Ticket], str]]:
    """One queryset per side of what `user` sees as a requester ("mine", "my organisation's"), with the
    leading column of its index (core.keyset); `statuses` narrows each. The web list and the API's
    requester list read these. The value is written as a range (>= and <=, the same rows as =) so that
    PostgreSQL keeps the order (column, -created_at, -id), which only the side's index gives: with `=` it
    drops the column from the order and may walk `ticket_created` backwards instead, 140 ms for a requester
    whose tickets are all old (bench/RESULTS.md, issue 23)."""
    sides = [(Ticket.objects.filter(**{f"{column}__gte": value, f"{column}__lte": value}), column)
             for column, value in _columns(user)]
    if statuses is not None:
        sides = [(side.filter(status__in=list(statuses)), column) for side, column in sides]
    return sides


@dataclass
class PortalPage:
    tickets: list[Ticket]
    older: str | None  # cursor of the "plus anciens" link
    newer: str | None  # cursor of the "plus récents" link
    count: int  # capped at COUNT_CAP
    capped: bool
    tab: str = DEFAULT_TAB


def requester_page(user, *, tab: str = DEFAULT_TAB, older: str | None = None, newer: str | None = None,
                   size: int) -> PortalPage:
    """One page of the tab's tickets `user` sees as a requester, newest first.

    Queries: one range scan and one capped count per side (a member of an organisation that shares its
    tickets has two sides), whatever the number of tickets."""
    tab = tab if tab in TABS else DEFAULT_TAB
    sides = requester_sides(user, statuses=TABS[tab][1])
    page = keyset_page([(side.select_related("category"), column) for side, column in sides], field="created_at",
                       after=older, before=newer, size=size)
    count = capped_count(sides, field="created_at")
    return PortalPage(tickets=page.rows, older=page.next, newer=page.previous, count=min(count, COUNT_CAP),
                      capped=count > COUNT_CAP, tab=tab)
