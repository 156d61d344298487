"""factory_boy factories. Tickets are created through the service so history and references are real."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import Organisation, Profile
from tickets import services
from tickets.models import Category, Scale, TicketType

User = get_user_model()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organisation {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Test"
    last_name = factory.LazyAttribute(lambda u: u.username.title())
    password = factory.PostGenerationMethodCall("set_password", "demo")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get_or_create(name=name)[0])
        self.save()

    @factory.post_generation
    def organisation(self, create, extracted, **kwargs):
        if create and extracted:
            Profile.objects.update_or_create(user=self, defaults={"organisation": extracted})


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name", "parent")

    name = factory.Sequence(lambda n: f"Category {n}")
    parent = None


def make_ticket(*, requester, category=None, title="Imprimante en panne", description="Elle n'imprime plus.",
                ticket_type=TicketType.INCIDENT, urgency=Scale.MEDIUM, impact=Scale.MEDIUM, **kwargs):
    """A new ticket, created as a requester would through the web form."""
    return services.ticket_create(
        requester=requester, title=title, description=description, ticket_type=ticket_type,
        urgency=urgency, impact=impact, category=category or CategoryFactory(), **kwargs,
    )


def advance(ticket, *, to: str, agent, requester=None):
    """Walk a ticket through the services up to status `to` (in_progress, waiting, resolved, closed)."""
    requester = requester or ticket.requester
    ticket = services.ticket_take(ticket=ticket, actor=agent)
    if to == "in_progress":
        return ticket
    if to == "waiting":
        return services.ticket_wait(ticket=ticket, actor=agent, message="Quelle version utilisez-vous ?")
    ticket = services.ticket_resolve(ticket=ticket, actor=agent, solution="Pilote réinstallé.")
    if to == "resolved":
        return ticket
    return services.ticket_close(ticket=ticket, actor=requester)


def restore_reference_data() -> None:
    """Put back the rows the data migrations create: the default SLA policy and its calendars, the
    escalation rules, the DPO group. A transactional test ends with a flush that empties them, and with --reuse-db
    the next session starts from that empty state. Both functions are idempotent (get_or_create).

    Signals are muted, as a migration's historical models send none to the apps' receivers: otherwise the
    audit log would record these rows as settings a person created, and the next test would find them."""
    import importlib

    from django.apps import apps
    from django.db.models import signals
    from factory.django import mute_signals

    with mute_signals(signals.pre_save, signals.post_save, signals.m2m_changed):
        importlib.import_module("sla.migrations.0002_default_policy").create_defaults(apps, None)
        importlib.import_module("escalation.migrations.0002_default_rules").create_rules(apps, None)
        importlib.import_module("dispatch.migrations.0002_default_settings").create_settings(apps, None)
        importlib.import_module("accounts.migrations.0003_dpo_role").create_dpo_group(apps, None)
