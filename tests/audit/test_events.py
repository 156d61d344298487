"""What the audit log records by itself: sign-ins and their failures, lockouts and sign-outs, group and
account status changes (the directory's sync too, only what changed), settings, API tokens."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from accounts.directory import DirectoryIdentity
from accounts.models import DirectoryRoleMapping
from accounts.services import directory_user_sync
from api.services import api_token_create, api_token_revoke
from audit import context
from audit.models import Action, AuditEntry, username_digest
from escalation.models import EscalationRule
from privacy.models import RetentionAction, RetentionRule
from tests.factories import UserFactory

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def entries(*actions):
    return list(AuditEntry.objects.filter(action__in=actions).order_by("at", "pk"))


@pytest.fixture
def as_manager(manager):
    """The manager's request is the current one: entries take their actor, address and browser from it."""
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT=BROWSER)
    request.user = manager
    token = context.bind(request)
    yield manager
    context.unbind(token)


def test_a_sign_in_records_who_from_where_and_with_what(client, requester):
    client.post(reverse("login"), {"username": "requester", "password": "demo"}, REMOTE_ADDR="198.51.100.4",
                HTTP_USER_AGENT=BROWSER)

    [entry] = entries(Action.LOGIN)
    assert (entry.actor, entry.subject, entry.ip, entry.user_agent) == (requester, requester, "198.51.100.4", BROWSER)


def test_the_address_is_the_client_behind_the_trusted_proxy(client, requester, settings):
    settings.PROXY_COUNT = 1
    client.post(reverse("login"), {"username": "requester", "password": "demo"}, REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert entries(Action.LOGIN)[0].ip == "192.0.2.99"


def test_a_long_user_agent_is_cut(client, requester):
    client.post(reverse("login"), {"username": "requester", "password": "demo"}, HTTP_USER_AGENT="x" * 5000)

    assert len(entries(Action.LOGIN)[0].user_agent) == 200


def test_a_wrong_password_names_the_account_and_never_the_password(client, requester):
    client.post(reverse("login"), {"username": "requester", "password": "s3cret-typo"}, REMOTE_ADDR="198.51.100.4")

    [entry] = entries(Action.LOGIN_FAILED)
    assert (entry.actor, entry.subject, entry.ip, entry.details) == (None, requester, "198.51.100.4", {})
    assert "s3cret" not in str(AuditEntry.objects.values_list().get(pk=entry.pk))


def test_an_unknown_username_is_kept_only_as_a_short_digest(client, db):
    client.post(reverse("login"), {"username": "Jean.Inconnu", "password": "x"})

    [entry] = entries(Action.LOGIN_FAILED)
    assert entry.subject is None and entry.details == {"unknown_username": username_digest("jean.inconnu")}
    assert len(entry.details["unknown_username"]) == 12
    assert "inconnu" not in str(AuditEntry.objects.values_list().get(pk=entry.pk)).lower()


def test_the_lockout_after_too_many_failures_is_recorded(client, requester, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "requester", "password": "wrong"})

    [locked] = entries(Action.LOCKED_OUT)
    assert locked.subject == requester
    assert len(entries(Action.LOGIN_FAILED)) == settings.AXES_FAILURE_LIMIT


def test_a_sign_out_is_recorded(client, requester):
    client.force_login(requester)
    client.post(reverse("logout"))

    [entry] = entries(Action.LOGOUT)
    assert entry.actor == entry.subject == requester


def test_group_changes_record_only_actual_changes_with_the_actor(as_manager, requester):
    n1, _created = Group.objects.get_or_create(name="N1")
    n2, _created = Group.objects.get_or_create(name="N2")

    requester.groups.add(n1)
    requester.groups.add(n1)  # already there: nothing
    requester.groups.remove(n2)  # never there: nothing
    requester.groups.remove(n1)
    n2.user_set.add(requester)  # from the group's side
    requester.groups.clear()

    got = [(e.action, e.details["group"], e.subject_id, e.actor_id, e.ip)
           for e in entries(Action.GROUP_ADDED, Action.GROUP_REMOVED) if e.subject_id == requester.pk]
    m, r, ip = as_manager.pk, requester.pk, "203.0.113.7"
    assert got == [(Action.GROUP_ADDED, "N1", r, m, ip), (Action.GROUP_REMOVED, "N1", r, m, ip),
                   (Action.GROUP_ADDED, "N2", r, m, ip), (Action.GROUP_REMOVED, "N2", r, m, ip)]


def test_staff_superuser_and_active_changes_are_recorded_and_a_login_stamp_is_not(as_manager, requester):
    requester.is_staff = True
    requester.save()
    requester.save()  # no change: nothing
    requester.save(update_fields=["last_login"])
    requester.is_active = False
    requester.save(update_fields=["is_active"])

    assert [e.details for e in entries(Action.ACCOUNT_CHANGED)] == [{"is_staff": True}, {"is_active": False}]
    assert entries(Action.ACCOUNT_CHANGED)[0].actor == as_manager


@pytest.fixture
def mapping(settings):
    settings.HELPDESK_SSO_ROLE_MAP = {"helpdesk-n2": "N2", "helpdesk-managers": "manager", "helpdesk-dpo": "dpo"}
    settings.HELPDESK_SSO_DEFAULT_ROLE = ""
    settings.HELPDESK_SSO_ORGANISATION_MAP = {}
    settings.HELPDESK_SSO_ORGANISATION_ATTRIBUTE = ""


def _identity(*groups):
    return DirectoryIdentity(source="ldap", username="jdupont", email="jean.dupont@acme.example",
                             first_name="Jean", last_name="Dupont", groups=groups)


def test_the_directory_sync_records_only_the_roles_that_changed(mapping, db):
    user = directory_user_sync(identity=_identity("helpdesk-n2"))
    directory_user_sync(identity=_identity("helpdesk-n2"))  # the same roles: nothing more
    directory_user_sync(identity=_identity("helpdesk-managers"))

    got = [(e.action, e.details.get("group")) for e in entries(Action.GROUP_ADDED, Action.GROUP_REMOVED)]
    assert got == [(Action.GROUP_ADDED, "N2"), (Action.GROUP_REMOVED, "N2"), (Action.GROUP_ADDED, "Manager")]
    assert all(e.subject_id == user.pk and e.actor is None for e in entries(Action.GROUP_ADDED))
    assert [e.details for e in entries(Action.ACCOUNT_CHANGED)] == [{"is_staff": True}]


def test_the_dpo_role_of_the_directory_gives_the_dpo_group_and_the_admin_site(mapping, db):
    from accounts.roles import is_agent, is_dpo

    user = directory_user_sync(identity=_identity("helpdesk-dpo"))

    assert is_dpo(user) and user.is_staff and not is_agent(user)


def test_settings_record_creation_the_names_of_the_changed_fields_and_deletion(as_manager, db):
    rule = RetentionRule.objects.create(action=RetentionAction.DELETE_ATTACHMENTS, days=30)
    rule = RetentionRule.objects.get(pk=rule.pk)
    rule.days, rule.is_active = 60, False
    rule.save()
    rule.save()  # nothing changed: nothing recorded
    pk = rule.pk
    rule.delete()

    got = [(e.action, e.content_type.model, e.object_id, e.details)
           for e in entries(Action.SETTING_CREATED, Action.SETTING_CHANGED, Action.SETTING_DELETED)]
    assert got == [(Action.SETTING_CREATED, "retentionrule", str(pk), {}),
                   (Action.SETTING_CHANGED, "retentionrule", str(pk), {"fields": ["days", "is_active"]}),
                   (Action.SETTING_DELETED, "retentionrule", str(pk), {})]
    assert all(e.actor == as_manager for e in entries(Action.SETTING_CHANGED))


def test_an_escalation_rule_and_a_directory_mapping_are_audited_settings(as_manager, db):
    rule = EscalationRule.objects.first()
    rule.is_active = not rule.is_active
    rule.save()
    DirectoryRoleMapping.objects.create(group="helpdesk-n4", role="N4")

    [changed] = entries(Action.SETTING_CHANGED)
    assert changed.content_type.model == "escalationrule" and changed.details == {"fields": ["is_active"]}
    assert entries(Action.SETTING_CREATED)[-1].content_type.model == "directoryrolemapping"


def test_an_api_token_created_and_revoked_once(requester, manager):
    created = api_token_create(user=requester, name="Mon script perso", created_by=manager)
    api_token_revoke(token=created.token, actor=requester)
    api_token_revoke(token=created.token, actor=requester)  # again: nothing changes, nothing recorded

    [made] = entries(Action.TOKEN_CREATED)
    [revoked] = entries(Action.TOKEN_REVOKED)
    assert (made.actor, made.subject, made.object_id, made.details) == (manager, requester, str(created.token.pk),
                                                                         {"scope": "read"})
    assert (revoked.actor, revoked.subject) == (requester, requester)
    # Neither the token's name (typed text) nor any part of its secret.
    stored = str(list(AuditEntry.objects.values_list()))
    assert "script" not in stored and created.raw[:10] not in stored


def test_an_entry_rolls_back_with_its_change(requester):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        api_token_create(user=requester, name="x")
        raise RuntimeError

    assert entries(Action.TOKEN_CREATED) == []


def test_a_second_user_factory_group_is_recorded_once(db):
    UserFactory(username="n3", groups=["N3"])

    assert [e.details["group"] for e in entries(Action.GROUP_ADDED)] == ["N3"]


def test_loading_users_runs_no_receiver(db):
    """The account flags' audit reads the stored flags when a user is saved, not at every load: a queue page
    loads about fifty users, and a post_init receiver cost each one a signal dispatch."""
    from django.contrib.auth.models import User
    from django.db.models.signals import post_init

    assert not post_init.has_listeners(User)

