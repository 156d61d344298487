"""Nobody changes or deletes an audit entry through the product: the model, the QuerySet, the admin and
(on PostgreSQL, for DELETE too) the database refuse; the retention purge is the one deletion."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AppendOnly, AuditEntry


@pytest.fixture
def entry(requester):
    return AuditEntry.objects.record(Action.LOGIN, actor=requester, subject=requester)


def test_the_model_refuses_to_save_an_existing_entry_or_to_delete_one(entry):
    entry.action = Action.LOGOUT
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()

    assert AuditEntry.objects.get(pk=entry.pk).action == Action.LOGIN


def test_the_queryset_refuses_update_bulk_update_and_delete(entry):
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(action=Action.LOGOUT)
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.bulk_update([entry], ["action"])

    assert AuditEntry.objects.filter(pk=entry.pk, action=Action.LOGIN).exists()


def _raw(sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_an_update_by_sql(entry):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["logout", entry.pk])

    assert AuditEntry.objects.get(pk=entry.pk).action == Action.LOGIN


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the DELETE trigger is PostgreSQL's")
def test_on_postgresql_the_database_refuses_a_delete_by_sql_without_the_purge_flag(entry):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    # The flag is the purge's, for its own transaction only: set and reset, the next DELETE is refused.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('helpdesk.audit_purge', 'on', true)")
        cursor.execute("SELECT set_config('helpdesk.audit_purge', 'off', true)")
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_purge_deletes_only_the_entries_older_than_the_cutoff(requester):
    now = timezone.now()
    old = AuditEntry.objects.record(Action.LOGIN, actor=requester, at=now - timedelta(days=400))
    recent = AuditEntry.objects.record(Action.LOGIN, actor=requester, at=now - timedelta(days=10))

    assert AuditEntry.objects.purge_before(now - timedelta(days=365)) == 1

    assert list(AuditEntry.objects.filter(pk__in=[old.pk, recent.pk]).values_list("pk", flat=True)) == [recent.pk]
    # And after it, in the same transaction, a change is refused again.
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["logout", recent.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"):
            _raw("DELETE FROM audit_auditentry WHERE id = %s", [recent.pk])


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_the_admin_is_read_only_even_for_a_superuser(client, superuser, entry):
    client.force_login(superuser)
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])

    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_delete", args=[entry.pk])).status_code == 403
    page = client.get(change)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    client.post(change, {"action": "logout"})
    client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    assert AuditEntry.objects.get(pk=entry.pk).action == Action.LOGIN
