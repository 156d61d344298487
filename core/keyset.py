"""Keyset pagination over (a timestamp, id): the lists that can grow long (docs/architecture.md, "Reads").

A page is read from a cursor, never with OFFSET nor a COUNT(*) of everything: "next" is the rows after
the cursor in reading order, "previous" the rows before it, each one index range scan that stops after
a page, so page 500 costs what page 1 costs. The id breaks ties between rows of the same instant, so
no row is skipped or repeated across pages. A list that is the union of several conditions ("mine or
my organisation's") is given as one queryset per condition: each is read by its own index and the
pages are merged here (an OR would make PostgreSQL gather and sort every matching row of both).

A cursor is an opaque URL-safe string; a missing or forged one means the first page, never an error.
Totals, where worth showing, are capped: `capped_count` stops reading at `cap + 1` rows.

A side may come with its leading column, `(queryset, "requester_id")`, for an index (leading, -timestamp,
-id) whose leading value the queryset fixes with a range (`requester_id >= X AND requester_id <= X`): the
order then starts with that column, so only that index gives it. With `requester_id = X` and ORDER BY the
timestamp alone, PostgreSQL may walk an index on the timestamp backwards hoping to meet X's rows soon,
which reads most of the table when X's rows are all old (bench/RESULTS.md, issue 23).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

COUNT_CAP = 1000


def encode_cursor(moment: datetime, pk: int) -> str:
    raw = json.dumps([moment.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """(timestamp, id) of a cursor, or None for a missing or forged one (the first page)."""
    if not cursor:
        return None
    try:
        moment, pk = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        moment = parse_datetime(moment) if isinstance(moment, str) else None
    except (ValueError, TypeError, binascii.Error):
        return None
    if moment is None or moment.tzinfo is None or not isinstance(pk, int) or isinstance(pk, bool):
        return None
    return moment, pk


@dataclass
class KeysetPage:
    rows: list
    next: str | None  # cursor of the following page in reading order ("plus anciens" newest first)
    previous: str | None  # cursor of the page before ("plus récents")


Side = QuerySet | tuple[QuerySet, str]


def _sides(querysets: Side | Iterable[Side]) -> list[tuple[QuerySet, str | None]]:
    if isinstance(querysets, QuerySet) or (isinstance(querysets, tuple) and isinstance(querysets[0], QuerySet)
                                           and len(querysets) == 2 and isinstance(querysets[1], str)):
        querysets = [querysets]
    return [(side, None) if isinstance(side, QuerySet) else (side[0], side[1]) for side in querysets]


def _order(field: str, leading: str | None, *, descending: bool) -> tuple[str, ...]:
    # Indexes are declared (leading, -field, -id): read forwards for newest first, backwards for oldest first.
    if descending:
        return (*((leading,) if leading else ()), f"-{field}", "-pk")
    return (*((f"-{leading}",) if leading else ()), field, "pk")


def _slice(queryset: QuerySet, field: str, position: tuple[datetime, int] | None, *, descending: bool,
           size: int, leading: str | None = None) -> list:
    """Up to `size` rows of `queryset` beyond `position` in the scan's direction."""
    if position is not None:
        moment, pk = position
        op = "lt" if descending else "gt"
        # The redundant bound (field <= moment) lets the index scan start at the cursor instead of
        # filtering every row before it (as tickets.queue._after does).
        queryset = queryset.filter(Q(**{f"{field}__{op}": moment}) | Q(**{field: moment, f"pk__{op}": pk}),
                                   **{f"{field}__{op}e": moment})
    return list(queryset.order_by(*_order(field, leading, descending=descending))[:size])


def keyset_page(querysets: Side | Sequence[Side], *, field: str, after: str | None = None,
                before: str | None = None, size: int, descending: bool = True) -> KeysetPage:
    """One page of the union of `querysets` ordered by (`field`, id), newest first unless not `descending`.

    `after` is a `next` cursor, `before` a `previous` one. Queries: one index range scan per queryset."""
    sides = _sides(querysets)
    back = decode_cursor(before) is not None and decode_cursor(after) is None
    position = decode_cursor(before) if back else decode_cursor(after)
    scan_descending = descending != back
    merged: dict[int, object] = {}
    for queryset, leading in sides:
        for row in _slice(queryset, field, position, descending=scan_descending, size=size + 1, leading=leading):
            merged[row.pk] = row
    rows = sorted(merged.values(), key=lambda row: (getattr(row, field), row.pk), reverse=scan_descending)
    rows = rows[: size + 1]
    more = len(rows) > size
    rows = rows[:size]
    if back:
        rows.reverse()
    if not rows:
        return KeysetPage(rows=[], next=None, previous=None)
    has_next = more if not back else True  # going back, the page we came from follows
    has_previous = more if back else position is not None
    return KeysetPage(
        rows=rows,
        next=encode_cursor(getattr(rows[-1], field), rows[-1].pk) if has_next else None,
        previous=encode_cursor(getattr(rows[0], field), rows[0].pk) if has_previous else None,
    )


def capped_count(querysets: Side | Sequence[Side], *, cap: int = COUNT_CAP, field: str | None = None) -> int:
    """How many rows the union holds, reading at most `cap + 1` ids per queryset: a result above `cap`
    means "more than `cap`". One query per queryset (a COUNT over an OR would read every row of both).
    A side with its leading column is read in its index's order (`field` given), as keyset_page reads it."""
    sides = _sides(querysets)

    def first_ids(queryset, leading):
        order = _order(field, leading, descending=True) if leading and field else ()
        return queryset.order_by(*order)[: cap + 1]

    if len(sides) == 1:
        return first_ids(*sides[0]).count()
    ids: set[int] = set()
    for queryset, leading in sides:
        ids.update(first_ids(queryset, leading).values_list("pk", flat=True))
    return len(ids)
