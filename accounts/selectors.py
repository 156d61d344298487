"""Reads about people that every app makes: who belongs to a support group, the organisations."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from core.cache import reference

from .models import Organisation
from .roles import AGENT_GROUPS, MANAGER_GROUP

GROUP_MEMBERS = "accounts.group_members"
ORGANISATIONS = "accounts.organisations"
# What the cached members carry: enough to notify and to show them, no password hash in the cache.
MEMBER_FIELDS = ("id", "username", "first_name", "last_name", "email", "is_active", "is_superuser")


def active_members(*groups: str) -> QuerySet:
    """The active users of any of `groups` (a level N1–N4, Manager), each once, by username."""
    return get_user_model().objects.filter(groups__name__in=groups, is_active=True).distinct().order_by("username")


def _load_group_members() -> dict[str, list]:
    through = get_user_model().groups.through
    members: dict[str, list] = {name: [] for name in (*AGENT_GROUPS, MANAGER_GROUP)}
    rows = (through.objects.filter(group__name__in=list(members), user__is_active=True)
            .select_related("group", "user").only("group__name", *(f"user__{field}" for field in MEMBER_FIELDS)))
    for row in rows:
        members[row.group.name].append(row.user)
    for users in members.values():
        users.sort(key=lambda user: user.username)
    return members


def group_members(group: str) -> list:
    """active_members(group) as a list, from the reference cache (core.cache; accounts.receivers gives it
    a new version when a user, their groups or a group change). Shared: read them, never change them."""
    return list(reference(GROUP_MEMBERS, _load_group_members).get(group, ()))


def organisations() -> list[Organisation]:
    """Every organisation by name, from the reference cache (renewed when one is saved or deleted)."""
    return reference(ORGANISATIONS, lambda: list(Organisation.objects.order_by("name")))
