"""Ticket storms: bursts of tickets that share a category, an organisation or a word, suggested to the
agents as a major incident (docs/storms.md). States change only through storms.services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from postmortem.models import MajorIncident
from tickets.models import Category, Ticket


class StormKind(models.TextChoices):
    CATEGORY = "category", _("Category")
    ORGANISATION = "organisation", _("Organisation")
    WORDING = "wording", _("Wording")


class StormState(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    DISMISSED = "dismissed", _("Dismissed")
    DECLARED = "declared", _("Declared a major incident")


class Storm(models.Model):
    """A burst: tickets sharing a key (a category and its subcategories, an organisation, or a term)
    arriving well above that key's usual rate. Open while tickets keep coming (STORM_QUIET_MINUTES);
    a new ticket matching an open storm joins it. One open storm per key."""

    kind = models.CharField(_("kind"), max_length=12, choices=StormKind.choices)
    key = models.CharField(_("key"), max_length=100)
    label = models.CharField(_("about"), max_length=200)
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"))
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("organisation"))
    term = models.CharField(_("word"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=StormState.choices, default=StormState.SUGGESTED)
    is_open = models.BooleanField(_("open"), default=True)
    started_at = models.DateTimeField(_("first ticket at"))
    last_at = models.DateTimeField(_("last ticket at"))
    suggested_at = models.DateTimeField(_("suggested at"), default=timezone.now)
    ticket_count = models.PositiveIntegerField(_("tickets"), default=0)
    organisation_count = models.PositiveIntegerField(_("organisations"), default=0)
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("dismissed by"))
    dismiss_reason = models.TextField(_("why it is not an incident"), blank=True)
    # The size when dismissed: suggested again only once it has grown past storm_regrowth_threshold.
    dismissed_count = models.PositiveIntegerField(_("tickets when dismissed"), default=0)
    incident = models.ForeignKey(MajorIncident, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="storms", verbose_name=_("major incident"))
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("declared by"))
    tickets = models.ManyToManyField(Ticket, through="StormTicket", related_name="storms",
                                     verbose_name=_("tickets"))

    class Meta:
        ordering = ["-suggested_at", "-id"]
        verbose_name = _("ticket storm")
        verbose_name_plural = _("ticket storms")
        constraints = [
            # Two detections at once (two workers) cannot open the same storm twice.
            models.UniqueConstraint(fields=["kind", "key"], condition=Q(is_open=True), name="storm_open_once"),
        ]
        indexes = [models.Index(fields=["state", "-suggested_at"], name="storm_state_suggested")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"

    def get_absolute_url(self) -> str:
        return reverse("storms:detail", args=[self.pk])

    @property
    def minutes(self) -> int:
        return max(1, round((self.last_at - self.started_at).total_seconds() / 60))


class StormTicket(models.Model):
    """A ticket of a storm; a ticket belongs to one storm at most."""

    storm = models.ForeignKey(Storm, on_delete=models.CASCADE, related_name="members")
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="storm_link",
                                  verbose_name=_("ticket"))
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        ordering = ["ticket__created_at", "id"]
        verbose_name = _("storm ticket")
        verbose_name_plural = _("storm tickets")

    def __str__(self) -> str:
        return f"{self.storm_id} ← {self.ticket_id}"


class BaselineKind(models.TextChoices):
    HOUR = "hour", _("All tickets, per hour of the week")
    CATEGORY = "category", _("Share of a category")
    ORGANISATION = "organisation", _("Share of an organisation")
    TERM = "term", _("Share of a word")


class StormBaseline(models.Model):
    """The usual rate, from the history (rebuilt by the beat job storms.tasks.refresh_storm_baselines):
    for kind "hour", the tickets per hour at that hour of the week (key 0–167, Monday 0 h = 0); for the
    other kinds, the share of all tickets that a category (with its subcategories), an organisation or a
    word takes. A key's usual rate at an hour = that hour's rate × the key's share."""

    kind = models.CharField(_("kind"), max_length=12, choices=BaselineKind.choices)
    key = models.CharField(_("key"), max_length=100)
    rate = models.FloatField(_("rate"))
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("storm baseline")
        verbose_name_plural = _("storm baselines")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="storm_baseline_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.rate:.4f}"
