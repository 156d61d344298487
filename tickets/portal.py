"""The requester's list, /tickets/, at any size (issue 23): keyset pagination, newest first.

A page is read from a cursor ("plus anciens": the rows after it, "plus récents": the rows before it), never
with OFFSET nor a COUNT(*) of everything: its cost is the same for a requester with 10 tickets and one with
100,000. "Mine or my organisation's" is not one query with an OR (PostgreSQL would gather every matching
row of both, 56,000 for the largest organisation, and sort them) but two index range scans, one per side
(indexes `ticket_requester_keyset` and `ticket_organisation_keyset`), each stopping after a page, merged
here. The total shown is capped: counting stops at COUNT_CAP + 1 rows ("plus de 1 000").
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from accounts.roles import is_agent

from .models import Ticket

COUNT_CAP = 1000


def encode_cursor(ticket: Ticket) -> str:
    raw = json.dumps([ticket.created_at.isoformat(), ticket.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """(created_at, id) of a cursor, or None for a missing or forged one (the first page)."""
    if not cursor:
        return None
    try:
        created, pk = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        created = parse_datetime(created) if isinstance(created, str) else None
    except (ValueError, TypeError, binascii.Error):
        return None
    if created is None or created.tzinfo is None or not isinstance(pk, int) or isinstance(pk, bool):
        return None
    return created, pk


def _sides(user) -> list[Q]:
    """The conditions whose union the requester sees (Ticket.objects.visible_to, split for the indexes)."""
    sides = [Q(requester_id=user.pk)]
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    if profile is not None and profile.organisation_id and profile.organisation.share_tickets:
        sides.append(Q(organisation_id=profile.organisation_id))
    return sides


@dataclass
class PortalPage:
    tickets: list[Ticket]
    older: str | None  # cursor of the "plus anciens" link
    newer: str | None  # cursor of the "plus récents" link
    count: int  # capped at COUNT_CAP + 1
    capped: bool


def _slice(queryset: QuerySet, position: tuple[datetime, int] | None, *, newer: bool, size: int) -> list[Ticket]:
    """Up to `size` rows of `queryset` after (older) or before (newer) `position`, in reading order
    of the scan: newest first for older pages, oldest first for newer pages."""
    if position is not None:
        created, pk = position
        if newer:
            queryset = queryset.filter(Q(created_at__gt=created) | Q(created_at=created, id__gt=pk),
                                       created_at__gte=created)
        else:
            # The redundant bound lets the index scan start at the cursor (tickets.queue._after).
            queryset = queryset.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=pk),
                                       created_at__lte=created)
    order = ("created_at", "id") if newer else ("-created_at", "-id")
    return list(queryset.order_by(*order)[:size])


def requester_page(user, *, older: str | None = None, newer: str | None = None, size: int) -> PortalPage:
    """One page of the tickets `user` sees as a requester, newest first.

    Queries: one range scan and one capped count per side (a member of an organisation that shares its
    tickets has two sides), whatever the number of tickets."""
    base = Ticket.objects.select_related("category")
    sides = [base.filter(side) for side in _sides(user)] if not is_agent(user) else [base.filter(requester_id=user.pk)]
    going_newer = decode_cursor(newer) is not None and decode_cursor(older) is None
    position = decode_cursor(newer) if going_newer else decode_cursor(older)
    merged: dict[int, Ticket] = {}
    for queryset in sides:
        for ticket in _slice(queryset, position, newer=going_newer, size=size + 1):
            merged[ticket.pk] = ticket
    rows = sorted(merged.values(), key=lambda t: (t.created_at, t.pk), reverse=not going_newer)[: size + 1]
    more = len(rows) > size
    rows = rows[:size]
    if going_newer:
        rows.reverse()
    has_older = more if not going_newer else bool(rows)
    has_newer = (more if going_newer else position is not None) and bool(rows)
    conditions = _sides(user) if not is_agent(user) else [Q(requester_id=user.pk)]
    if len(conditions) == 1:
        count = Ticket.objects.filter(conditions[0]).order_by()[: COUNT_CAP + 1].count()
    else:
        # Up to COUNT_CAP + 1 ids from each side's index (a COUNT over the OR would read every row of both).
        ids: set[int] = set()
        for condition in conditions:
            ids.update(Ticket.objects.filter(condition).order_by().values_list("id", flat=True)[: COUNT_CAP + 1])
        count = len(ids)
    return PortalPage(
        tickets=rows,
        older=encode_cursor(rows[-1]) if has_older and rows else None,
        newer=encode_cursor(rows[0]) if has_newer and rows else None,
        count=min(count, COUNT_CAP),
        capped=count > COUNT_CAP,
    )
