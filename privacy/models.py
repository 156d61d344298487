"""Retention rules (docs/gdpr.md): what happens to personal data once a ticket is long closed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Category, TicketType


class RetentionAction(models.TextChoices):
    ANONYMISE_REQUESTERS = "anonymise", _("Anonymise the requesters of tickets closed for N days")
    DELETE_ATTACHMENTS = "attachments", _("Delete the attachments of tickets closed for N days")


class RetentionRule(models.Model):
    """One rule of `manage.py retention_run`, scoped by category and/or ticket type (empty: every ticket)."""

    action = models.CharField(_("action"), max_length=12, choices=RetentionAction.choices)
    days = models.PositiveIntegerField(_("days after closing"), validators=[MinValueValidator(1)])
    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"))
    ticket_type = models.CharField(_("type"), max_length=30, choices=TicketType.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["action", "days", "id"]
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.days})"


class Anonymisation(models.Model):
    """That a person was anonymised, and when (no name: the pseudonym derives from the key)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("anonymisation")
        verbose_name_plural = _("anonymisations")

    def __str__(self) -> str:
        return f"{self.user_id} {self.at:%Y-%m-%d}"


class Person(User):
    """The people, as the managers' page of personal data in the admin (export, anonymise) shows them."""

    class Meta:
        proxy = True
        verbose_name = _("person (personal data)")
        verbose_name_plural = _("people (personal data)")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("In progress")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


IN_FLIGHT = (ExportStatus.PENDING, ExportStatus.RUNNING)


class PersonalDataExport(models.Model):
    """One export of a person's data asked for from their page (docs/gdpr.md, "Right of access"): built
    by the task `privacy.tasks.build_personal_data_export`, which reports its progress here; the ZIP is
    stored under MEDIA_ROOT/exports/ and served only to the person and to managers until `expires_at`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices,
                              default=ExportStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)  # percent
    file = models.CharField(max_length=200, blank=True)  # the storage name, once ready
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("available until"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="privacy_export_user_recent")]
        verbose_name = _("personal data export")
        verbose_name_plural = _("personal data exports")

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def in_flight(self) -> bool:
        return self.status in IN_FLIGHT

    def is_available(self, now=None) -> bool:
        return (self.status == ExportStatus.READY and bool(self.file)
                and self.expires_at is not None and self.expires_at > (now or timezone.now()))
