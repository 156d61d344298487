"""Reads of the audit log: the admins' page, newest first by keyset on (at, id), and the CSV."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from .models import AuditEntry


def entries():
    return AuditEntry.objects.select_related("actor", "subject", "content_type")


def encode_cursor(entry: AuditEntry) -> str:
    raw = json.dumps([entry.at.isoformat(), entry.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """(at, id) of a cursor, or None for a missing or forged one (the first page)."""
    if not cursor:
        return None
    try:
        at, pk = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(pk, int):
            return None
        return moment, pk
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    older: str | None  # cursor of the "plus anciens" link
    newer: str | None  # cursor of the "plus récents" link


def audit_page(queryset: QuerySet, *, older: str | None = None, newer: str | None = None,
               size: int = 50) -> AuditPage:
    """One page of `queryset` (filtered already), newest first: one query, whatever the page."""
    going_newer = decode_cursor(newer) is not None
    position = decode_cursor(newer) if going_newer else decode_cursor(older)
    if position is None:
        rows = list(queryset.order_by("-at", "-id")[: size + 1])
        return AuditPage(rows[:size], older=encode_cursor(rows[size - 1]) if len(rows) > size else None,
                         newer=None)
    at, pk = position
    if going_newer:
        rows = list(queryset.filter(Q(at__gt=at) | Q(at=at, id__gt=pk), at__gte=at).order_by("at", "id")[: size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        return AuditPage(rows, older=encode_cursor(rows[-1]) if rows else None,
                         newer=encode_cursor(rows[0]) if more and rows else None)
    rows = list(queryset.filter(Q(at__lt=at) | Q(at=at, id__lt=pk), at__lte=at).order_by("-at", "-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return AuditPage(rows, older=encode_cursor(rows[-1]) if more and rows else None,
                     newer=encode_cursor(rows[0]) if rows else None)
