"""Who is who. Roles are Django groups; the names are part of the stable interface (the specification)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    N1 = "N1", _("N1 – Support front")
    N2 = "N2", _("N2 – Support technique")
    N3 = "N3", _("N3 – Développeur")
    N4 = "N4", _("N4 – Lead/Architecte")


MANAGER_GROUP = "Manager"
# The data protection officer: the privacy tools and the audit log, no agent rights on tickets.
DPO_GROUP = "DPO"
AGENT_GROUPS = tuple(Level.values)


class Role(models.TextChoices):
    """What the organisation's directory can make a person here (accounts.directory, docs/sso.md)."""

    REQUESTER = "requester", _("Requester")
    N1 = "N1", Level.N1.label
    N2 = "N2", Level.N2.label
    N3 = "N3", Level.N3.label
    N4 = "N4", Level.N4.label
    MANAGER = "manager", _("Manager")
    DPO = "dpo", _("Data protection officer")
    ADMIN = "admin", _("Administrator")


def group_names(user) -> frozenset[str]:
    """The user's group names, fetched once per request-bound user object."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_helpdesk_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._helpdesk_groups = cached
    return cached


def is_manager(user) -> bool:
    return bool(getattr(user, "is_superuser", False)) or MANAGER_GROUP in group_names(user)


def is_dpo(user) -> bool:
    """The data protection officer (the DPO group): the privacy tools and the audit log, not tickets."""
    return DPO_GROUP in group_names(user)


def is_privacy_officer(user) -> bool:
    """Who may export or anonymise anyone, run retention and read the audit log: managers (superusers
    included) and the DPO."""
    return is_manager(user) or is_dpo(user)


def is_agent(user) -> bool:
    """Agents of any level, managers and superusers work tickets."""
    return is_manager(user) or bool(group_names(user) & set(AGENT_GROUPS))


def agent_level(user) -> str | None:
    """The highest level the agent belongs to (N4 > N1), or None."""
    levels = sorted(group_names(user) & set(AGENT_GROUPS))
    return levels[-1] if levels else None


def next_level(level: str) -> str | None:
    values = Level.values
    index = values.index(level)
    return values[index + 1] if index + 1 < len(values) else None
