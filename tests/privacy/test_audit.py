"""The privacy tools write the audit log (docs/gdpr.md, "Audit log"): exports asked for, made and
downloaded, anonymisations, redactions and retention runs; the export holds the entries about the person
and nothing about others; anonymising leaves the entries, pointing at the pseudonym, and no trace of the
name; the DPO uses every privacy tool without agent rights on tickets."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEntry
from privacy.models import PersonalDataExport, RetentionAction, RetentionRule
from tests.factories import UserFactory, make_ticket

from .conftest import EMAIL, PHONE
from .test_anonymise import _found


def entries(*actions):
    return list(AuditEntry.objects.filter(action__in=actions).order_by("at", "pk"))


@pytest.fixture
def dpo(db):
    return UserFactory(username="dpo", groups=["DPO"], is_staff=True, first_name="Dora", last_name="Protect")


def _zip(blob: bytes) -> dict:
    return json.loads(zipfile.ZipFile(io.BytesIO(blob)).read("data.json"))


def test_a_self_service_export_is_recorded_when_asked_for_and_when_downloaded(client, world, alice,
                                                                               django_capture_on_commit_callbacks):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("privacy:my_data_export"), REMOTE_ADDR="198.51.100.8")
    export = PersonalDataExport.objects.get()
    client.get(reverse("privacy:export_download", args=[export.pk]), REMOTE_ADDR="198.51.100.8")

    [asked] = entries(Action.EXPORT_REQUESTED)
    [downloaded] = entries(Action.EXPORT_DOWNLOADED)
    for entry in (asked, downloaded):
        assert (entry.actor, entry.subject, entry.object_id, entry.ip) == (alice, alice, str(export.pk),
                                                                          "198.51.100.8")


def test_a_manager_export_from_the_admin_and_by_command_are_recorded(client, world, alice, manager, tmp_path):
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    client.post(reverse("admin:privacy_person_changelist"),
                {"action": "export_personal_data", "_selected_action": [alice.pk]})
    call_command("personal_data_export", "requester", "--output", str(tmp_path / "x.zip"))

    got = [(e.actor_id, e.subject_id, e.details) for e in entries(Action.EXPORT)]
    assert got == [(manager.pk, alice.pk, {"via": "admin"}), (None, alice.pk, {"via": "command"})]


def test_the_export_holds_the_entries_about_the_person_and_nothing_about_others(client, world, alice, bob,
                                                                                manager, tmp_path):
    client.force_login(alice)  # her own sign-in: with her address
    client.force_login(bob)  # Bob's: not hers
    AuditEntry.objects.record(Action.ACCOUNT_CHANGED, actor=manager, subject=alice, details={"is_active": True},
                              request=None)
    call_command("personal_data_export", "requester", "--output", str(tmp_path / "x.zip"))

    data = _zip((tmp_path / "x.zip").read_bytes())

    log = data["audit_log"]
    assert [row["action"] for row in log] == ["token_created", "login", "account_changed"]
    assert [row["by"] for row in log] == ["you", "you", "support"]
    assert log[2]["details"] == {"is_active": True} and log[2]["ip"] is None
    assert log[1]["label"] == "Connexion"
    assert "other_requester" not in json.dumps(log) and "manager" not in json.dumps(log)
    summary = zipfile.ZipFile(tmp_path / "x.zip").read("summary.html").decode()
    assert "Entrées du journal d’audit vous concernant (3)" in summary and "Connexion" in summary


def test_anonymising_records_it_keeps_the_entries_and_leaves_no_trace_of_the_name(
        client, world, alice, manager, django_capture_on_commit_callbacks):
    client.force_login(alice)
    client.post(reverse("login"), {"username": "requester", "password": "wrong"})
    before = set(AuditEntry.objects.about(alice).values_list("pk", flat=True))
    manager.is_staff = True
    manager.save()
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:privacy_person_changelist"),
                    {"action": "anonymise_personal_data", "_selected_action": [alice.pk]})

    [entry] = entries(Action.ANONYMISED)
    assert (entry.actor, entry.subject_id) == (manager, alice.pk)
    assert before <= set(AuditEntry.objects.about(alice).values_list("pk", flat=True))
    for needle in ("Alice Martin", EMAIL, PHONE, "requester"):
        assert [hit for hit in _found(needle) if hit.startswith("audit.")] == [], needle
    assert _found("Alice Martin") == [] and _found(EMAIL) == []


def test_a_redaction_is_recorded_with_the_ticket_and_the_kinds(client, requester, agent_n1, category):
    ticket = make_ticket(requester=requester, category=category, description="Ma carte 4111 1111 1111 1111")
    client.force_login(agent_n1)

    client.post(f"/privacy/tickets/{ticket.reference}/redact/", {"target": "description"})

    [entry] = entries(Action.REDACTED)
    assert (entry.actor, entry.subject, entry.content_type.model, entry.object_id) == (
        agent_n1, requester, "ticket", str(ticket.pk))
    assert entry.details == {"target": "description", "kinds": ["card"]}


def test_each_retention_run_is_one_entry_with_its_counts_and_purges_the_old_log(requester, settings):
    settings.HELPDESK_AUDIT_RETENTION_DAYS = 30
    RetentionRule.objects.create(action=RetentionAction.DELETE_ATTACHMENTS, days=30)
    old = AuditEntry.objects.record(Action.LOGIN, actor=requester, at=timezone.now() - timedelta(days=31))
    recent = AuditEntry.objects.record(Action.LOGIN, actor=requester, at=timezone.now() - timedelta(days=29))

    call_command("retention_run", "--dry-run")
    assert AuditEntry.objects.filter(pk=old.pk).exists()
    call_command("retention_run")

    dry, real = entries(Action.RETENTION_RUN)
    assert dry.details == {"dry_run": True, "people_anonymised": 0, "attachments_deleted": 0,
                           "audit_entries_purged": 1}
    assert real.details == {**dry.details, "dry_run": False} and real.actor is None
    assert not AuditEntry.objects.filter(pk=old.pk).exists() and AuditEntry.objects.filter(pk=recent.pk).exists()


def test_with_no_audit_retention_the_log_is_kept(requester, settings):
    settings.HELPDESK_AUDIT_RETENTION_DAYS = 0
    old = AuditEntry.objects.record(Action.LOGIN, actor=requester, at=timezone.now() - timedelta(days=3000))

    call_command("retention_run")

    assert AuditEntry.objects.filter(pk=old.pk).exists()
    assert entries(Action.RETENTION_RUN)[0].details["audit_entries_purged"] == 0


# --- The DPO ------------------------------------------------------------------------------------

def test_the_dpo_is_no_agent_and_gets_404_on_the_queue_and_tickets(client, dpo, requester, category):
    ticket = make_ticket(requester=requester, category=category)
    client.force_login(dpo)

    assert client.get(reverse("agent:queue")).status_code == 404
    assert client.get(f"/agent/tickets/{ticket.reference}/").status_code == 404
    assert client.post(f"/privacy/tickets/{ticket.reference}/redact/", {"target": "description"}).status_code == 404


def test_the_dpo_exports_and_anonymises_from_the_admin_and_reads_the_log(client, world, alice, dpo,
                                                                         django_capture_on_commit_callbacks):
    client.force_login(dpo)
    people = reverse("admin:privacy_person_changelist")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(people).status_code == 200
    response = client.post(people, {"action": "export_personal_data", "_selected_action": [alice.pk]})
    assert _zip(response.content)["person"]["username"] == "requester"
    assert client.get(reverse("admin:privacy_retentionrule_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
    assert client.get(reverse("audit:log")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(people, {"action": "anonymise_personal_data", "_selected_action": [alice.pk]})
    assert entries(Action.ANONYMISED)[0].actor == dpo


def test_the_dpo_downloads_someone_elses_export_an_agent_cannot(client, world, alice, dpo, agent_n1,
                                                                django_capture_on_commit_callbacks):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("privacy:my_data_export"))
    link = reverse("privacy:export_download", args=[PersonalDataExport.objects.get().pk])

    client.force_login(agent_n1)
    assert client.get(link).status_code == 404
    client.force_login(dpo)
    assert client.get(link).status_code == 200


@pytest.mark.parametrize("who", ["requester", "agent_n1"])
def test_requesters_and_agents_get_no_privacy_admin(request, client, who):
    user = request.getfixturevalue(who)
    user.is_staff = True  # even with the admin site open to them
    user.save()
    client.force_login(user)

    assert client.get(reverse("admin:privacy_person_changelist")).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 403
    assert client.get(reverse("audit:log")).status_code == 404
