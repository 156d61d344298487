"""accounts.backends.HelpdeskBackend: the request's user in one query, roles and organisation included."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.backends import HelpdeskBackend
from accounts.roles import agent_level, group_names, is_agent, is_manager
from tests.factories import OrganisationFactory, UserFactory


def test_the_user_its_organisation_and_its_roles_cost_one_query(db):
    organisation = OrganisationFactory(name="Acme")
    user = UserFactory(username="nadia", groups=["N1", "N3"], organisation=organisation)

    with CaptureQueriesContext(connection) as captured:
        loaded = HelpdeskBackend().get_user(user.pk)
        roles = (group_names(loaded), is_agent(loaded), is_manager(loaded), agent_level(loaded))
        organisation_name = loaded.profile.organisation.name

    assert len(captured) == 1
    assert roles == (frozenset({"N1", "N3"}), True, False, "N3")
    assert organisation_name == "Acme"


def test_a_user_in_no_group_without_organisation(db):
    user = UserFactory(username="alice")

    loaded = HelpdeskBackend().get_user(user.pk)

    assert loaded == user
    assert group_names(loaded) == frozenset() and not is_agent(loaded)


def test_an_inactive_or_unknown_user_is_nobody(db):
    user = UserFactory(username="parti", is_active=False)

    assert HelpdeskBackend().get_user(user.pk) is None
    assert HelpdeskBackend().get_user(10**9) is None


def test_a_group_joined_after_login_counts_on_the_next_request(client, db):
    user = UserFactory(username="hugo")
    client.force_login(user)
    assert client.get("/agent/").status_code in (302, 403, 404)

    user.groups.add(Group.objects.get_or_create(name="N2")[0])

    assert client.get("/agent/").status_code == 200


def test_the_users_query_is_compiled_once_and_reads_the_row_afresh_each_time(db, monkeypatch):
    """Compiled and its converters found once per connection; the row read and converted each time (the
    dates compared below are converted from SQLite's text)."""
    from django.db.models.sql.compiler import SQLCompiler

    organisation = OrganisationFactory(name="Acme")
    user = UserFactory(username="nadia", groups=["N1"], organisation=organisation)
    expected = (type(user)._default_manager.select_related("profile__organisation").get(pk=user.pk))
    HelpdeskBackend().get_user(user.pk)  # this connection compiles it (perhaps already done)
    compiled = []
    original, converters = SQLCompiler.as_sql, SQLCompiler.get_converters

    def get_user(user_id):
        monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k))
        monkeypatch.setattr(SQLCompiler, "get_converters",
                            lambda self, *a, **k: compiled.append(2) or converters(self, *a, **k))
        try:
            return HelpdeskBackend().get_user(user_id)
        finally:
            monkeypatch.setattr(SQLCompiler, "as_sql", original)
            monkeypatch.setattr(SQLCompiler, "get_converters", converters)

    first = get_user(user.pk)
    type(user)._default_manager.filter(pk=user.pk).update(first_name="Nadège")
    user.groups.add(Group.objects.get_or_create(name="N2")[0])
    second = get_user(user.pk)

    assert compiled == []
    assert [(f.attname, getattr(first, f.attname)) for f in first._meta.concrete_fields] == [
        (f.attname, getattr(expected, f.attname)) for f in expected._meta.concrete_fields]
    assert first.profile.organisation == organisation and first._state.adding is False
    assert (second.first_name, group_names(second)) == ("Nadège", frozenset({"N1", "N2"}))
    assert HelpdeskBackend().get_user(str(user.pk)) == user
    assert HelpdeskBackend().get_user("pas un nombre") is None
