"""The local sign-in (username and password in our database), the request's user in one query, and what
django-axes leaves alone.

Every request with a session runs its backend's get_user: HelpdeskBackend loads the user, their profile and
organisation and their group names in one query, so that neither the roles (accounts.roles.group_names) nor
the organisation (ticket visibility, a new ticket's organisation) query again during the request.

With HELPDESK_LOCAL_LOGIN=0 the organisation's directory is the only way in, except for superusers on the
break-glass form (/accounts/login/local/, accounts.views.BreakGlassLoginView), for the day the directory is
down. Directory accounts have an unusable password, so LocalBackend never signs them in.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db.models import Aggregate, CharField, OuterRef, Subquery

from core.db import object_compiled_once

SEPARATOR = "\x1f"  # never in a group name


class GroupNames(Aggregate):
    """The names of the aggregated groups joined by SEPARATOR (string_agg on PostgreSQL, group_concat on
    SQLite)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, '" + SEPARATOR + "')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra)


def user_in_one_query(user_id):
    """The active user of this id with their profile, organisation and group names, in one query; None
    when there is none (what every backend's get_user answers, the directory ones included)."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None  # a session's id that is no number (ModelBackend: pk.to_python fails, nobody)
    # Bound: one prepared statement for every user (core.postgres.bound_cursor).
    user = object_compiled_once("accounts.request_user", _user_with_groups, user_id, bound=True)
    if user is None or not user.is_active:
        return None
    joined = user.helpdesk_group_names
    user._helpdesk_groups = frozenset(joined.split(SEPARATOR)) if joined else frozenset()
    return user


def _user_with_groups(user_id):
    names = (Group.objects.filter(user=OuterRef("pk")).order_by().values("user")
             .annotate(names=GroupNames("name")).values("names"))
    return (get_user_model()._default_manager.select_related("profile__organisation")
            .annotate(helpdesk_group_names=Subquery(names)).filter(pk=user_id))


class HelpdeskBackend(ModelBackend):
    def get_user(self, user_id):
        return user_in_one_query(user_id)


def is_break_glass(request) -> bool:
    return bool(getattr(request, "helpdesk_break_glass", False))


class LocalBackend(HelpdeskBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        break_glass = is_break_glass(request)
        if not (settings.HELPDESK_LOCAL_LOGIN or break_glass):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and break_glass and not user.is_superuser:
            return None
        return user


def is_oidc_attempt(request, credentials) -> bool:
    """AXES_WHITELIST_CALLABLE: an OpenID Connect callback (accounts.oidc.CallbackView marks it) is neither
    counted nor locked out; a password typed in our form always is."""
    return bool(getattr(request, "helpdesk_oidc", False))
