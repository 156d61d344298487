"""Writes about people (docs/architecture.md, "Services")."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from .directory import (
    ADMIN,
    DPO,
    MANAGER,
    DirectoryAccessDenied,
    DirectoryIdentity,
    groups_for,
    organisation_name_for,
    roles_for,
)
from .models import Organisation, Profile
from .roles import AGENT_GROUPS, DPO_GROUP, MANAGER_GROUP

logger = logging.getLogger(__name__)

MANAGED_GROUPS = (*AGENT_GROUPS, MANAGER_GROUP, DPO_GROUP)


def _find_user(identity: DirectoryIdentity):
    """The account the identity signs into: by username for LDAP (the directory's uid / sAMAccountName),
    by email for OpenID Connect (providers name people by an opaque subject). Locked for the update."""
    users = get_user_model().objects.select_for_update()
    if identity.source == "ldap":
        return users.filter(username__iexact=identity.username).first()
    matches = list(users.filter(email__iexact=identity.email)[:2])
    if len(matches) > 1:
        raise DirectoryAccessDenied("ambiguous", identity.email)
    return matches[0] if matches else None


def _free_username(wanted: str) -> str:
    users = get_user_model().objects
    username, suffix = wanted[:150], 1
    while users.filter(username__iexact=username).exists():
        suffix += 1
        username = f"{wanted[:140]}-{suffix}"
    return username


def directory_user_sync(*, identity: DirectoryIdentity):
    """Provision or update the account of a person the directory has just authenticated, and return it.

    Applied at every login: the roles the mapping gives (accounts.directory.roles_for) replace the user's
    N1–N4, Manager and DPO groups (other groups are left alone), admin makes a superuser and manager or dpo
    a staff member, and nothing else does; the organisation the mapping names (created if new) replaces the
    profile's, while a person it names none for keeps theirs; name and email follow the directory. A new
    account gets an unusable password: only the directory signs it in. Raises DirectoryAccessDenied, and
    changes nothing, for a person with no role, without an email (OpenID Connect), whose email several
    accounts share, or whose account was disabled here. Nothing is ever deleted: tickets stay.
    """
    if identity.source == "oidc" and not identity.email:
        raise DirectoryAccessDenied("no_email", identity.username)
    roles = roles_for(identity)
    if not roles:
        logger.info("Directory login refused, no mapped group: %s (%s)", identity.username, identity.source)
        raise DirectoryAccessDenied("no_role", identity.username)
    organisation_name = organisation_name_for(identity)
    User = get_user_model()

    with transaction.atomic():
        user = _find_user(identity)
        if user is None:
            user = User(username=_free_username(identity.username))
            user.set_unusable_password()
        elif not user.is_active:
            raise DirectoryAccessDenied("inactive", identity.username)
        if identity.email:
            user.email = identity.email
        user.first_name = identity.first_name[:150] or user.first_name
        user.last_name = identity.last_name[:150] or user.last_name
        user.is_superuser = ADMIN in roles
        user.is_staff = bool(roles & {ADMIN, MANAGER, DPO})  # the admin site: the privacy tools
        user.save()

        wanted = groups_for(roles)
        for name in wanted:
            Group.objects.get_or_create(name=name)
        user.groups.remove(*Group.objects.filter(name__in=set(MANAGED_GROUPS) - wanted))
        user.groups.add(*Group.objects.filter(name__in=wanted))
        user.__dict__.pop("_helpdesk_groups", None)

        if organisation_name:
            organisation, _ = Organisation.objects.get_or_create(name=organisation_name)
            Profile.objects.update_or_create(user=user, defaults={"organisation": organisation})

    logger.info("Directory login: %s (%s) as %s", user.username, identity.source, ", ".join(sorted(roles)))
    return user


def language_remember(*, user, language: str) -> None:
    """The language `user` picked in the pages, for the emails sent to them (Profile.language)."""
    Profile.objects.update_or_create(user=user, defaults={"language": language})
