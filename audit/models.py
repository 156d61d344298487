"""The audit log (docs/gdpr.md, "Audit log"): an append-only record of security and data events.

One writer, `AuditEntry.objects.record(...)` / `record_many(...)` (one INSERT for many), called inside the
change's transaction so that the entry commits or rolls back with it. An entry holds ids, codes and counts
only, never a name, an email, a text a person typed, a password or a token's secret: anonymising a person
leaves their entries as they are, pointing at the pseudonym.

Nothing changes or deletes an entry but the retention purge (`AuditEntryQuerySet.purge_before`): the model
refuses save() of an existing row and delete(), the QuerySet refuses update() and delete(), the admin
is read-only, and a database trigger (migration 0002) refuses UPDATE, and on PostgreSQL DELETE too unless
the purge's flag is set in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER_AGENT_LENGTH = 200
OBJECT_ID_LENGTH = 40
# The flag the purge sets for its own transaction, which the PostgreSQL trigger lets through.
PG_PURGE_SETTING = "helpdesk.audit_purge"


class AppendOnly(Exception):
    """An attempt to change or delete an audit entry (only the retention purge deletes)."""


class Action(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOCKED_OUT = "locked_out", _("Sign-in locked out")
    LOGOUT = "logout", _("Signed out")
    GROUP_ADDED = "group_added", _("Added to a group")
    GROUP_REMOVED = "group_removed", _("Removed from a group")
    ACCOUNT_CHANGED = "account_changed", _("Account status changed")
    EXPORT = "export", _("Personal data exported")
    EXPORT_REQUESTED = "export_requested", _("Personal data export requested")
    EXPORT_DOWNLOADED = "export_downloaded", _("Personal data export downloaded")
    ANONYMISED = "anonymised", _("Person anonymised")
    REDACTED = "redacted", _("Personal data masked")
    RETENTION_RUN = "retention_run", _("Retention run")
    SETTING_CREATED = "setting_created", _("Setting created")
    SETTING_CHANGED = "setting_changed", _("Setting changed")
    SETTING_DELETED = "setting_deleted", _("Setting deleted")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")


class _FromRequest:
    """The default actor: whoever is signed in on the current request (audit.context), else the system."""

    def __repr__(self) -> str:
        return "FROM_REQUEST"


FROM_REQUEST = _FromRequest()


def username_digest(username: str) -> str:
    """A short keyed digest of a typed username that matches no account: repeated tries at one name can be
    told apart without keeping what was typed (docs/gdpr.md)."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, username.strip().casefold().encode(), hashlib.sha256).hexdigest()[:12]


def _request_meta(request) -> tuple[str | None, str]:
    from accounts.client_ip import client_ip

    ip = client_ip(request) or None
    agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH]
    return ip, agent


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit entries cannot be changed")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnly("audit entries cannot be changed")

    def delete(self):
        raise AppendOnly("audit entries are deleted only by the retention purge")

    delete.queryset_only = True

    def about(self, user) -> AuditEntryQuerySet:
        """The entries about a person: those whose subject they are, and those they caused."""
        return self.filter(models.Q(subject=user) | models.Q(actor=user))

    def purge_before(self, cutoff) -> int:
        """Delete the entries older than `cutoff`; how many. The one deletion path (the retention run,
        which records that it did): it sets the flag the database trigger lets through, for its own
        transaction only."""
        table = self.model._meta.db_table
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            postgresql = connection.vendor == "postgresql"
            if postgresql:
                cursor.execute("SELECT set_config(%s, 'on', true)", [PG_PURGE_SETTING])
            cursor.execute(f"DELETE FROM {table} WHERE at < %s", [cutoff])  # noqa: S608 - our table's name
            deleted = cursor.rowcount
            if postgresql:  # off again for the rest of the caller's transaction
                cursor.execute("SELECT set_config(%s, 'off', true)", [PG_PURGE_SETTING])
        return deleted


class AuditEntryManager(models.Manager.from_queryset(AuditEntryQuerySet)):
    def entry(self, action: str, *, actor=FROM_REQUEST, subject=None, obj=None, details: dict | None = None,
              request=None, at=None) -> AuditEntry:
        """An unsaved entry, its actor, address and browser taken from `request` or the current one."""
        from .context import current_request

        request = request if request is not None else current_request()
        if actor is FROM_REQUEST:
            user = getattr(request, "user", None) if request is not None else None
            actor = user if getattr(user, "is_authenticated", False) else None
        ip, agent = _request_meta(request) if request is not None else (None, "")
        content_type, object_id = None, ""
        if isinstance(obj, models.Model):
            content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
            object_id = str(obj.pk)[:OBJECT_ID_LENGTH]
        elif obj is not None:
            object_id = str(obj)[:OBJECT_ID_LENGTH]
        return AuditEntry(at=at or timezone.now(), action=Action(action).value,
                          actor_id=getattr(actor, "pk", actor), subject_id=getattr(subject, "pk", subject),
                          content_type=content_type, object_id=object_id, ip=ip, user_agent=agent,
                          details=details or {})

    def record(self, action: str, **kwargs) -> AuditEntry:
        """Record one entry (a batch of one)."""
        return self.record_many([self.entry(action, **kwargs)])[0]

    def record_many(self, entries: Iterable[AuditEntry]) -> list[AuditEntry]:
        """Record entries built by `entry()` in one INSERT."""
        entries = list(entries)
        return self.bulk_create(entries) if entries else []


class AuditEntry(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("person concerned"))
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("object type"))
    object_id = models.CharField(_("object"), max_length=OBJECT_ID_LENGTH, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=USER_AGENT_LENGTH, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEntryManager()

    class Meta:
        ordering = ["-at", "-id"]
        # Each filter of the page and the CSV reads its own index, newest first (bench/audit_log.py).
        indexes = [
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(fields=["ip", "at"], name="audit_ip_at"),
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
            models.Index(fields=["subject", "at"], name="audit_subject_at"),
        ]
        default_permissions = ("view",)
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit entries are deleted only by the retention purge")
