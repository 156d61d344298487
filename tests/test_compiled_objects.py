"""core.db's compiled statements build the objects Django would: a plain model without Model.__init__ (its
attributes from the row, its state loaded, the columns not read still deferred), any other through from_db."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db.models import signals

from accounts.models import Organisation
from core import db as core_db
from core import fsm as core_fsm
from core.db import objects_compiled
from tests.factories import CategoryFactory, OrganisationFactory, UserFactory, make_ticket
from tickets.models import Category, Ticket

pytestmark = pytest.mark.django_db


def fields(obj) -> dict:
    return {name: value for name, value in vars(obj).items() if not name.startswith("_")}


def test_plain_models_are_built_without_init_and_equal_djangos():
    parent = CategoryFactory(name="Réseau")
    child = CategoryFactory(name="Wi-Fi", parent=parent)
    organisation = OrganisationFactory(name="Boulangerie Martin", is_vip=True)
    requester = UserFactory(username="vendeur", organisation=organisation)
    ticket = make_ticket(requester=requester, category=child)
    assert ticket.organisation_id == organisation.pk

    def build():
        return (Ticket.objects.filter(pk=ticket.pk).select_related("requester", "category__parent", "organisation")
                .only("reference", "title", "requester__username", "requester__first_name", "category__name",
                      "category__parent__name", "organisation__is_vip"))

    [found] = objects_compiled(("test", ticket.pk), build)
    [expected] = build()
    assert fields(found) == fields(expected)
    for name in ("requester", "category", "organisation"):
        built, django = getattr(found, name), getattr(expected, name)
        assert type(built) is type(django) and fields(built) == fields(django)
        assert not built._state.adding and built._state.db == "default"
        assert built._state.fields_cache.keys() == django._state.fields_cache.keys()
    assert fields(found.category.parent) == fields(expected.category.parent)
    assert found.category.parent.name == "Réseau"
    # A column not read is deferred, as on Django's object: read on first use.
    assert "email" not in vars(found.requester)
    assert found.requester.email == requester.email
    assert found.organisation.name == "Boulangerie Martin"
    # Saved like any object loaded from the database (an UPDATE of what changed).
    found.organisation.is_vip = False
    found.organisation.save(update_fields=["is_vip"])
    assert Organisation.objects.get(pk=organisation.pk).is_vip is False


def test_which_models_are_plain():
    assert core_db._plain(User) is False and core_db._plain(Category) is False
    assert core_db._plain(Organisation) is False  # plain, nothing to finish
    # No receiver watches them either: the first test builds them the plain way.
    assert not any(signal.has_listeners(model) for signal in (signals.pre_init, signals.post_init)
                   for model in (User, Category, Organisation, Ticket))
    # The ticket's state machine: django-fsm's descriptors, and the states read recorded once built.
    assert core_db._plain(Ticket) is core_fsm._record_initial_states
    ticket = make_ticket(requester=UserFactory())
    # What ConcurrentTransitionMixin.__init__ records, whether the state was read or is deferred (then loaded).
    for column in ("status", "title"):
        [built] = objects_compiled(("test-states", column), lambda column=column: Ticket.objects.filter(pk=ticket.pk).only(column))
        [django] = Ticket.objects.filter(pk=ticket.pk).only(column)
        assert built._ConcurrentTransitionMixin__initial_states == django._ConcurrentTransitionMixin__initial_states
        assert built._ConcurrentTransitionMixin__initial_states == {"status": ticket.status}


def test_a_post_init_receiver_sees_every_object_built(requester):
    UserFactory(username="seen")
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.username)

    signals.post_init.connect(receiver, sender=User)
    try:
        found = objects_compiled("test-users", lambda: User.objects.filter(username="seen").only("username"))
    finally:
        signals.post_init.disconnect(receiver, sender=User)
    assert [user.username for user in found] == seen == ["seen"]


def test_a_ticket_built_plain_keeps_its_state_machine_and_its_concurrency_check(requester, agent_n1, agent_n2):
    from django_fsm import ConcurrentTransition

    from core.exceptions import ActionRefused
    from tickets import services

    ticket = make_ticket(requester=requester)
    [found] = objects_compiled(("test-fsm", ticket.pk), lambda: Ticket.objects.filter(pk=ticket.pk))
    [same] = objects_compiled(("test-fsm", ticket.pk), lambda: Ticket.objects.filter(pk=ticket.pk))
    django = Ticket.objects.get(pk=ticket.pk)
    assert fields(found) == fields(django)
    recorded = "_ConcurrentTransitionMixin__initial_states"  # what ConcurrentTransitionMixin.__init__ records
    assert getattr(found, recorded) == getattr(django, recorded)
    assert getattr(found, recorded)["status"] == "new"
    with pytest.raises(AttributeError):  # the protected state, as on any ticket read
        found.status = "resolved"
    services.ticket_take(ticket=found, actor=agent_n1)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent_n1.pk
    # `same` was read before that change: its recorded state no longer matches, so its save is refused.
    with pytest.raises((ConcurrentTransition, ActionRefused)):
        services.ticket_take(ticket=same, actor=agent_n2)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent_n1.pk



def test_a_model_with_its_own_from_db_is_built_through_it(monkeypatch):
    organisation = OrganisationFactory(name="Quincaillerie")
    django_from_db = Organisation.from_db

    def from_db(cls, db, field_names, values):
        obj = django_from_db(db, field_names, values)
        obj.loaded_through_from_db = True
        return obj

    monkeypatch.setattr(core_db, "_PLAIN_MODELS", {})  # decided per model once: decide again
    monkeypatch.setattr(Organisation, "from_db", classmethod(from_db))
    assert core_db._plain(Organisation) is None

    def build(pk):
        return Organisation.objects.filter(pk=pk)

    found = core_db.object_compiled_once("test-own-from-db", build, organisation.pk)
    assert found.name == "Quincaillerie" and found.loaded_through_from_db is True
    assert core_db.object_compiled_once("test-own-from-db", build, organisation.pk + 1000) is None


def test_a_statement_is_compiled_once_per_key_and_run_as_compiled():
    from django.db.models import Count

    from core.db import statement_compiled

    OrganisationFactory(name="Alpha", is_vip=True)
    OrganisationFactory(name="Beta")
    builds = []

    def build(name):
        builds.append(name)
        return Organisation.objects.filter(name=name).values("is_vip").annotate(n=Count("id"))

    first = statement_compiled(("test-statement", "Alpha"), lambda: build("Alpha"))
    again = statement_compiled(("test-statement", "Alpha"), lambda: build("Alpha"))
    other = statement_compiled(("test-statement", "Beta"), lambda: build("Beta"))
    nothing = statement_compiled(("test-statement", "none"), lambda: Organisation.objects.filter(pk__in=[]))

    assert builds == ["Alpha", "Beta"]
    assert again is first and other is not first
    compiler, sql, params = first
    assert sql and params == ("Alpha",)
    assert nothing[1] is None and nothing[2] == ()  # the compiler would send no statement
