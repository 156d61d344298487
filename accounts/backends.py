"""The login backend: Django's ModelBackend, whose get_user (run by every request with a session) loads the
user, their profile and organisation and their group names in one query, so that neither the roles
(accounts.roles.group_names) nor the organisation (ticket visibility, a new ticket's organisation) query
again during the request."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db.models import Aggregate, CharField, OuterRef, Subquery

SEPARATOR = "\x1f"  # never in a group name


class GroupNames(Aggregate):
    """The names of the aggregated groups joined by SEPARATOR (string_agg on PostgreSQL, group_concat on
    SQLite)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, '" + SEPARATOR + "')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra)


class HelpdeskBackend(ModelBackend):
    def get_user(self, user_id):
        names = (Group.objects.filter(user=OuterRef("pk")).order_by().values("user")
                 .annotate(names=GroupNames("name")).values("names"))
        user = (get_user_model()._default_manager.select_related("profile__organisation")
                .annotate(helpdesk_group_names=Subquery(names)).filter(pk=user_id).first())
        if user is None or not self.user_can_authenticate(user):
            return None
        joined = user.helpdesk_group_names
        user._helpdesk_groups = frozenset(joined.split(SEPARATOR)) if joined else frozenset()
        return user
