from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from privacy.models import Anonymisation, RetentionAction, RetentionRule
from tests.factories import UserFactory, advance, make_ticket
from tickets import services
from tickets.models import Attachment, TicketType


def _closed_ticket(requester, agent, category, *, days_ago: int, ticket_type=TicketType.INCIDENT, file=False):
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
        ticket = make_ticket(requester=requester, category=category, ticket_type=ticket_type)
        if file:
            services.followup_add(ticket=ticket, author=requester, body="pièce",
                                  attachments=[SimpleUploadedFile("a.txt", b"x", content_type="text/plain")])
            ticket.refresh_from_db()
        return advance(ticket, to="closed", agent=agent)


@pytest.fixture
def history(agent_n1, category):
    old = UserFactory(username="old_requester", first_name="Odile", last_name="Ancienne")
    recent = UserFactory(username="recent_requester", first_name="Rémi", last_name="Récent")
    both = UserFactory(username="both_requester", first_name="Bea", last_name="Deux")
    _closed_ticket(old, agent_n1, category, days_ago=400, file=True)
    _closed_ticket(recent, agent_n1, category, days_ago=10, file=True)
    _closed_ticket(both, agent_n1, category, days_ago=400)
    make_ticket(requester=both, category=category)  # still open: Bea stays herself
    RetentionRule.objects.create(action=RetentionAction.ANONYMISE_REQUESTERS, days=365)
    RetentionRule.objects.create(action=RetentionAction.DELETE_ATTACHMENTS, days=30)
    return {"old": old, "recent": recent, "both": both}


def _run(capsys, *args) -> list[str]:
    call_command("retention_run", *args)
    return capsys.readouterr().out.splitlines()


def test_the_dry_run_prints_exactly_what_the_run_then_does_and_changes_nothing(
        history, capsys, django_capture_on_commit_callbacks):
    attachments = Attachment.objects.count()

    dry = _run(capsys, "--dry-run")

    assert Attachment.objects.count() == attachments and not Anonymisation.objects.exists()
    assert dry[-1] == "2 steps (dry run)"
    with django_capture_on_commit_callbacks(execute=True):
        real = _run(capsys)
    assert real[:-1] == dry[:-1] and real[-1] == "2 steps"
    assert list(Anonymisation.objects.values_list("user_id", flat=True)) == [history["old"].pk]
    # The old ticket's file went with its requester and by the 30-day rule; the recent one stays.
    assert list(Attachment.objects.values_list("uploaded_by_id", flat=True)) == [history["recent"].pk]
    people = get_user_model().objects.in_bulk([u.pk for u in history.values()])
    assert people[history["old"].pk].first_name == "Demandeur" and not people[history["old"].pk].is_active
    assert people[history["both"].pk].first_name == "Bea" and people[history["recent"].pk].first_name == "Rémi"

    assert _run(capsys) == ["0 steps"]  # nothing twice


def test_a_rule_applies_only_to_its_category_and_type(history, capsys, category, agent_n1):
    RetentionRule.objects.all().delete()
    RetentionRule.objects.create(action=RetentionAction.ANONYMISE_REQUESTERS, days=30,
                                 ticket_type=TicketType.COMPLAINT)
    assert _run(capsys, "--dry-run") == ["0 steps (dry run)"]
    other = UserFactory(username="complainer")
    _closed_ticket(other, agent_n1, category, days_ago=60, ticket_type=TicketType.COMPLAINT)
    [line, _total] = _run(capsys, "--dry-run")
    assert f"anonymise user {other.pk}" in line


def test_the_statements_of_a_run_do_not_grow_with_the_number_of_files(history, capsys, agent_n1, category,
                                                                       django_assert_max_num_queries):
    RetentionRule.objects.filter(action=RetentionAction.ANONYMISE_REQUESTERS).delete()
    for n in range(6):
        _closed_ticket(UserFactory(username=f"filer{n}"), agent_n1, category, days_ago=90, file=True)
    with django_assert_max_num_queries(12):
        call_command("retention_run")
    assert Attachment.objects.count() == 1


def test_the_beat_runs_retention_nightly(settings):
    from privacy.tasks import run_retention

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "privacy.tasks.run_retention"]
    assert len(entries) == 1 and run_retention.name == "privacy.tasks.run_retention"
