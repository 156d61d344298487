"""Reads about people that every app makes: who belongs to a support group."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet


def active_members(*groups: str) -> QuerySet:
    """The active users of any of `groups` (a level N1–N4, Manager), each once, by username."""
    return get_user_model().objects.filter(groups__name__in=groups, is_active=True).distinct().order_by("username")
