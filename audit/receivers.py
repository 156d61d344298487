"""What the audit log records by listening (docs/gdpr.md, "Audit log"): sign-ins, their failures and
lockouts, sign-outs, group and account status changes, and every save or deletion of the settings in
audit.registry. Each receiver runs inside the change's transaction (the signals are sent there)."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save, pre_save

from .models import Action, AuditEntry, username_digest
from .registry import AUDITED_MODELS

User = get_user_model()
ACCOUNT_FLAGS = ("is_active", "is_staff", "is_superuser")


def _backend(user) -> str:
    return getattr(user, "backend", "").rpartition(".")[2][:40]


def logged_in(sender, request, user, **kwargs):
    AuditEntry.objects.record(Action.LOGIN, actor=user, subject=user, request=request,
                              details={"backend": _backend(user)} if _backend(user) else {})


def logged_out(sender, request, user, **kwargs):
    if user is not None:
        AuditEntry.objects.record(Action.LOGOUT, actor=user, subject=user, request=request)


def _account(username: str):
    if not username:
        return None
    return User._default_manager.filter(**{User.USERNAME_FIELD: username}).only("pk").first()


def login_failed(sender, credentials, request=None, **kwargs):
    """The account tried, when there is one; for a name that matches none, only a short keyed digest
    of it (what was typed may be anyone's personal data, or a password typed in the wrong field)."""
    username = str(credentials.get("username") or "")
    account = _account(username)
    details = {} if account is not None or not username else {"unknown_username": username_digest(username)}
    AuditEntry.objects.record(Action.LOGIN_FAILED, actor=None, subject=account, request=request,
                              details=details)


def locked_out(sender, request, username=None, ip_address=None, **kwargs):
    """django-axes locked a username and address out (AXES_FAILURE_LIMIT failures)."""
    username = username or ""
    account = _account(username)
    details = {"unknown_username": username_digest(username)} if account is None and username else {}
    AuditEntry.objects.record(Action.LOCKED_OUT, actor=None, subject=account, request=request, details=details)


# --- Groups and account status ----------------------------------------------------------------------

def groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """User.groups, from either side. Only actual changes: an add's pk_set holds only the new groups
    (Django leaves out the ones already there); a removal is checked against the rows before it."""
    if action not in ("post_add", "pre_remove", "pre_clear"):
        return
    through = User.groups.through
    if action == "pre_clear":
        rows = through.objects.filter(**({"group": instance} if reverse else {"user": instance}))
    elif action == "pre_remove":
        if not pk_set:
            return
        rows = (through.objects.filter(group=instance, user_id__in=pk_set) if reverse
                else through.objects.filter(user=instance, group_id__in=pk_set))
    else:
        if not pk_set:
            return
        rows = None
    if rows is not None:
        pairs = list(rows.values_list("user_id", "group_id"))
    elif reverse:
        pairs = [(pk, instance.pk) for pk in pk_set]
    else:
        pairs = [(instance.pk, pk) for pk in pk_set]
    if not pairs:
        return
    names = dict(Group.objects.filter(pk__in={group for _user, group in pairs}).values_list("pk", "name"))
    kind = Action.GROUP_ADDED if action == "post_add" else Action.GROUP_REMOVED
    AuditEntry.objects.record_many(
        AuditEntry.objects.entry(kind, subject=user, obj=f"group:{group}", details={"group": names.get(group, "")})
        for user, group in sorted(pairs))


def user_saving(sender, instance, raw=False, update_fields=None, **kwargs):
    """Before a save that may change the account flags: their stored values, to record only the ones the
    save changes. Read here, one statement per such save (rare: a login saves last_login only), rather than
    kept by a post_init receiver at every load of a user (the queue's page loads about fifty)."""
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(ACCOUNT_FLAGS):
        return
    instance._audit_flags = sender._default_manager.filter(pk=instance.pk).values(*ACCOUNT_FLAGS).first() or {}


def user_saved(sender, instance, created, update_fields=None, **kwargs):
    before = instance.__dict__.pop("_audit_flags", None) or {}
    if created:
        return
    changed = {name: getattr(instance, name) for name in ACCOUNT_FLAGS
               if name in before and before[name] != getattr(instance, name)}
    if changed:
        AuditEntry.objects.record(Action.ACCOUNT_CHANGED, subject=instance, obj=instance, details=changed)


# --- Settings: one receiver for the models of the registry ----------------------------------------

def _field_names(model) -> list[str]:
    """The fields a person sets (not the key, nor a timestamp Django stamps on every save)."""
    return [field.attname for field in model._meta.concrete_fields
            if not field.primary_key and not getattr(field, "auto_now", False)]


def setting_loaded(sender, instance, **kwargs):
    instance._audit_values = {name: instance.__dict__[name] for name in _field_names(sender)
                              if name in instance.__dict__}


def setting_saved(sender, instance, created, raw=False, **kwargs):
    if raw:  # loading a fixture
        return
    before = getattr(instance, "_audit_values", None)
    now = {name: instance.__dict__[name] for name in _field_names(sender) if name in instance.__dict__}
    instance._audit_values = now
    if created or before is None:
        AuditEntry.objects.record(Action.SETTING_CREATED, obj=instance)
        return
    # The names of the fields that changed, never their values (a mapping may hold a person's group).
    changed = sorted(name.removesuffix("_id") if name.endswith("_id") and name != "id" else name
                     for name, value in now.items() if name in before and before[name] != value)
    if changed:
        AuditEntry.objects.record(Action.SETTING_CHANGED, obj=instance, details={"fields": changed})


def setting_deleted(sender, instance, **kwargs):
    AuditEntry.objects.record(Action.SETTING_DELETED, obj=instance)


def connect_registry() -> None:
    user_logged_in.connect(logged_in, dispatch_uid="audit.logged_in")
    user_logged_out.connect(logged_out, dispatch_uid="audit.logged_out")
    user_login_failed.connect(login_failed, dispatch_uid="audit.login_failed")
    user_locked_out.connect(locked_out, dispatch_uid="audit.locked_out")
    m2m_changed.connect(groups_changed, sender=User.groups.through, dispatch_uid="audit.groups_changed")
    pre_save.connect(user_saving, sender=User, dispatch_uid="audit.user_saving")
    post_save.connect(user_saved, sender=User, dispatch_uid="audit.user_saved")
    for label in AUDITED_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:  # an app left out of INSTALLED_APPS
            continue
        post_init.connect(setting_loaded, sender=model, dispatch_uid=f"audit.loaded.{label}")
        post_save.connect(setting_saved, sender=model, dispatch_uid=f"audit.saved.{label}")
        post_delete.connect(setting_deleted, sender=model, dispatch_uid=f"audit.deleted.{label}")
