import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.db.models.functions import Cast

from dashboard.periods import period_from
from dashboard.selectors import dashboard_data
from dashboard.services import rollups_rebuild
from postmortem.models import IncidentFollower
from privacy.models import Anonymisation
from privacy.services import pseudonym_code
from tickets.models import Attachment, InboundEmail, Notification, Survey, Ticket, TicketEvent

from .conftest import EMAIL, PHONE


def _figures(organisation=None) -> dict:
    rollups_rebuild()
    figures = {key: dashboard_data(period=period_from(key=key), filters={}) for key in ("7d", "30d", "today")}
    if organisation is not None:  # the organisation's rollups and live edges
        figures.update({(key, "organisation"): dashboard_data(period=period_from(key=key),
                                                              filters={"organisation": organisation.pk})
                        for key in ("30d", "quarter")})
    for data in figures.values():
        data.pop("as_of", None)
    return figures


def _anonymise(django_capture_on_commit_callbacks, username="requester"):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("personal_data_anonymise", username)


def _text_columns():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField, models.JSONField)):
                yield model, field


def _found(needle: str) -> list[str]:
    hits = []
    for model, field in _text_columns():
        rows = model._default_manager.annotate(_t=Cast(field.name, models.TextField())).filter(_t__icontains=needle)
        hits += [f"{model._meta.label}.{field.name} #{pk}" for pk in rows.values_list("pk", flat=True)]
    raw = InboundEmail.objects.values_list("pk", "raw")
    hits += [f"InboundEmail.raw #{pk}" for pk, blob in raw if needle.lower().encode() in bytes(blob).lower()]
    return hits


def test_the_name_email_and_phone_are_nowhere_in_the_database_afterwards(world, alice,
                                                                          django_capture_on_commit_callbacks):
    assert _found("Alice Martin") and _found(EMAIL) and _found(PHONE)

    _anonymise(django_capture_on_commit_callbacks)

    for needle in ("Alice Martin", "Martin Alice", EMAIL, PHONE, PHONE.replace(" ", ""), "0612345678"):
        assert _found(needle) == [], needle
    # Her own tickets lose the first name alone too; Bob keeps everything.
    assert "Alice" not in Ticket.objects.get(pk=world["ticket"].pk).description
    assert Ticket.objects.get(pk=world["bobs"].pk).description == "BOB-SECRET-DESCRIPTION Bob Durand"


def test_the_person_becomes_a_stable_pseudonym_who_cannot_log_in(world, alice, django_capture_on_commit_callbacks):
    _anonymise(django_capture_on_commit_callbacks)

    user = get_user_model().objects.get(pk=alice.pk)
    code = pseudonym_code(alice.pk)
    assert f"{user.first_name} {user.last_name}" == f"Demandeur #{code}"
    assert (user.email, user.is_active, user.has_usable_password(), user.profile.phone) == ("", False, False, "")
    assert re.fullmatch(r"[0-9A-F]{6}", code) and pseudonym_code(alice.pk) == code
    assert Anonymisation.objects.filter(user=alice).exists()
    ticket = Ticket.objects.get(pk=world["ticket"].pk)
    assert f"Demandeur #{code}" in ticket.title
    assert Survey.objects.get(ticket=ticket).comment == f"Merci, Demandeur #{code} ici"
    # What she typed to follow an incident ("me too") loses her first name alone, as her tickets do.
    assert IncidentFollower.objects.get(user=alice).query == f"Imprimante en panne, Demandeur #{code}"
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.data["reason"] == "données personnelles anonymisées" and not event.is_public


def test_files_unsent_notifications_and_tokens_go(world, alice, django_capture_on_commit_callbacks, settings):
    attachment = Attachment.objects.get(uploaded_by=alice)
    path = settings.MEDIA_ROOT / attachment.file.name
    assert path.exists()
    Notification.objects.filter(recipient=alice).update(sent_at=None)
    sent_elsewhere = Notification.objects.exclude(recipient=alice).count()

    _anonymise(django_capture_on_commit_callbacks)

    assert not path.exists() and not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not Notification.objects.filter(recipient=alice).exists()
    assert Notification.objects.exclude(recipient=alice).count() == sent_elsewhere
    assert not alice.api_tokens.exists()


def test_the_dashboard_figures_are_the_same_before_and_after(world, alice, shared_org,
                                                             django_capture_on_commit_callbacks):
    before = _figures(shared_org)
    statuses = list(Ticket.objects.order_by("pk").values_list("status", "created_at", "closed_at", "category_id",
                                                                "priority", "response_due_at"))

    _anonymise(django_capture_on_commit_callbacks)

    assert _figures(shared_org) == before
    assert before[("30d", "organisation")]["overall"]["total"] == Ticket.objects.filter(organisation=shared_org).count() > 0
    assert list(Ticket.objects.order_by("pk").values_list("status", "created_at", "closed_at", "category_id",
                                                            "priority", "response_due_at")) == statuses
    assert Survey.objects.get(ticket=world["ticket"]).score == 4


def test_an_agent_becomes_a_former_agent(world, agent_n1, django_capture_on_commit_callbacks):
    _anonymise(django_capture_on_commit_callbacks, username="agent1")

    agent = get_user_model().objects.get(pk=agent_n1.pk)
    assert f"{agent.first_name} {agent.last_name}" == f"ancien technicien #{pseudonym_code(agent_n1.pk)}"
    assert _found("Nadia Petit") == []


def test_the_anonymise_command_refuses_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("personal_data_anonymise", "nobody")


def test_a_manager_anonymises_from_the_admin(world, alice, manager, client, django_capture_on_commit_callbacks):
    from django.urls import reverse

    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:privacy_person_changelist"),
                               {"action": "anonymise_personal_data", "_selected_action": [alice.pk]})
    assert response.status_code == 302
    assert Anonymisation.objects.filter(user=alice).exists() and _found(EMAIL) == []


def test_a_refusal_reason_loses_the_requesters_names_and_the_agents_too(alice, category,
                                                                       django_capture_on_commit_callbacks):
    from dispatch.models import Assignment, Policy
    from dispatch.services import assignment_refuse
    from tests.dispatch.conftest import make_agent, set_policy
    from tests.factories import make_ticket

    set_policy(Policy.ROUND_ROBIN)
    julien = make_agent("jroux", "Julien", "Roux")
    make_agent("slemoine", "Sarah", "Lemoine")
    ticket = make_ticket(requester=alice, category=category, title="Écran")
    ticket.refresh_from_db()
    refuser = ticket.assignee
    reason = f"Alice Martin ({EMAIL}) veut que ce soit Sarah ; Alice a rappelé deux fois"
    assignment_refuse(ticket=ticket, actor=refuser, reason=reason)
    assert _found("Alice Martin")

    _anonymise(django_capture_on_commit_callbacks)

    refused = Assignment.objects.get(ticket=ticket, refused_at__isnull=False)
    assert "Alice" not in refused.refusal_reason and EMAIL not in refused.refusal_reason
    assert "Requester #" in refused.refusal_reason or "Demandeur #" in refused.refusal_reason
    assert "Sarah" in refused.refusal_reason  # only her names go
    event = ticket.events.filter(kind="assigned", data__why__has_key="refusal").get()
    assert "Alice" not in str(event.data["why"]["refusal"])
    assert _found("Alice Martin") == [] and _found(EMAIL) == []

    # The agent who refused, anonymised in turn: their full name leaves the history the refusal wrote.
    name = refuser.get_full_name()
    assert _found(name)
    _anonymise(django_capture_on_commit_callbacks, username=refuser.username)
    assert _found(name) == []
    assert julien.pk  # the cast: two agents, one refused
