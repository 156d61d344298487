"""Reads about people that every app makes: who belongs to a support group, the organisations."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from core.cache import reference

from .models import Organisation
from .roles import AGENT_GROUPS, MANAGER_GROUP

GROUP_MEMBERS = "accounts.group_members"
AGENTS = "accounts.agents"
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


def agent_queryset() -> QuerySet:
    """Everyone who works tickets: the agents of every level, the managers and the superusers, by name."""
    return (
        get_user_model().objects.filter(is_active=True)
        .filter(Q(groups__name__in=[*AGENT_GROUPS, MANAGER_GROUP]) | Q(is_superuser=True))
        .distinct()
        # Listed by name, as they are shown (accounts.people.user_display).
        .order_by("first_name", "last_name", "username")
    )


def agent_list() -> list:
    """agent_queryset() as a list, from the reference cache (renewed with the group members). Shared:
    read them, never change them."""
    return reference(AGENTS, lambda: list(agent_queryset().only(*MEMBER_FIELDS)))
