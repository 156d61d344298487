"""What is said on a ticket: followups, attachments, canned replies, the survey, mail received, and
the agents' saved queue views."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import InboundStatus
from .ticket import Ticket


class CannedReply(models.Model):
    """A ready-made answer agents insert into a reply; managed by managers."""

    title = models.CharField(_("title"), max_length=120, unique=True)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title


class Survey(models.Model):
    """The satisfaction survey of a closed ticket: sent once, answered once (1–5 and a comment)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="survey")
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                                   name="survey_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score or '—'}"


class InboundEmail(models.Model):
    """Every message received on the support address, kept whatever became of it: nothing is lost.
    Message-ID is unique, so a message delivered twice (webhook retry, IMAP re-poll) counts once.

    `note` says why a message made no ticket: the two set reasons as codes, said in the reader's language
    (note_label); a refused attachment or reply as the worker wrote it, in the language of that moment."""

    UNKNOWN_SENDER, AUTOMATIC = "unknown sender", "automatic message"
    NOTE_LABELS = {UNKNOWN_SENDER: _("Unknown sender"), AUTOMATIC: _("Automatic message (out of office, bounce)")}

    message_id = models.CharField(max_length=500, unique=True)
    from_address = models.EmailField(_("from"), max_length=254)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body = models.TextField(_("text"), blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=InboundStatus.choices, db_index=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(_("why"), max_length=300, blank=True)
    raw = models.BinaryField(editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject}"

    @property
    def note_label(self) -> str:
        return str(self.NOTE_LABELS.get(self.note, self.note))


class SavedView(models.Model):
    """An agent's named queue filter: the query string of /agent/ they want back in one click."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint(fields=["agent", "name"], name="saved_view_unique_name")]

    def __str__(self) -> str:
        return self.name


class Followup(models.Model):
    # Looked up by the index followup_ticket_created (ticket, created_at), which starts with it.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followups", db_index=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("message"))
    is_public = models.BooleanField(
        _("public"), default=True, help_text=_("Public replies are shown and emailed to the requester.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("followup")
        verbose_name_plural = _("followups")
        indexes = [models.Index(fields=["ticket", "created_at"], name="followup_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket.reference} #{self.pk}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name on disk: the original name is kept in the row and never used as a path.
    import uuid

    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    followup = models.ForeignKey(
        Followup, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("tickets:attachment", args=[self.ticket.reference, self.pk])

    @property
    def is_public(self) -> bool:
        return self.followup_id is None or self.followup.is_public
