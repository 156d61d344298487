"""Who may receive tickets and when (profiles, absences, skills), how each level assigns, the assignment
log that explains every automatic choice, the observed handling times and the breach forecast."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Level
from sla.models import BusinessCalendar
from tickets.models import Category, Ticket


class Policy(models.TextChoices):
    OFF = "off", _("Off (agents pick tickets themselves)")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    DEADLINE_AWARE = "deadline_aware", _("Deadline-aware")


class Trigger(models.TextChoices):
    CREATED = "created", _("ticket created")
    ESCALATED = "escalated", _("level changed")
    REOPENED = "reopened", _("ticket reopened")
    AWAY = "away", _("agent went away")
    REFUSED = "refused", _("refused by the previous agent")
    SWEEP = "sweep", _("agent became available")
    OFF_DUTY = "off_duty", _("agent off duty")
    REBALANCE = "rebalance", _("loads evened out")
    AT_RISK = "at_risk", _("deadline out of reach in the agent's queue")


class LevelSetting(models.Model):
    """How one support level hands out its tickets."""

    level = models.CharField(_("level"), max_length=2, choices=Level.choices, unique=True)
    policy = models.CharField(_("automatic assignment"), max_length=20, choices=Policy.choices, default=Policy.OFF)
    max_open = models.PositiveSmallIntegerField(
        _("maximum open tickets per agent"), default=8,
        help_text=_("An agent who already has this many open tickets receives no more."),
    )

    class Meta:
        ordering = ["level"]
        verbose_name = _("assignment setting")
        verbose_name_plural = _("assignment settings")

    def __str__(self) -> str:
        return f"{self.level}: {self.get_policy_display()}"


class AgentProfile(models.Model):
    """An agent's availability: working hours (a business calendar; none means always), the top bar's
    available/away toggle, and when they last received a ticket (the rotation that breaks ties)."""

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dispatch_profile",
                                 verbose_name=_("agent"))
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("working hours"),
                                 help_text=_("Empty: the agent may receive tickets at any hour."))
    is_available = models.BooleanField(_("available"), default=True)
    last_assigned_at = models.DateTimeField(_("last automatic assignment"), null=True, blank=True)
    # The rotation: a counter, not a time, so two choices in one batch (or one frozen instant) still order.
    rotation = models.PositiveBigIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("agent availability")
        verbose_name_plural = _("agents' availability")

    def __str__(self) -> str:
        return str(self.agent)


class Absence(models.Model):
    """Days an agent is away (holidays, training), both ends included."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences",
                              verbose_name=_("agent"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to (included)"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="absence_ends_after_start")]
        indexes = [models.Index(fields=["agent", "ends_on"], name="absence_agent_end")]

    def __str__(self) -> str:
        return f"{self.agent} {self.starts_on}–{self.ends_on}"


class Skill(models.Model):
    """A category (with its sub-categories) an agent handles at a level; no category: every category.
    Only agents with a skill at a level receive that level's tickets automatically."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dispatch_skills",
                              verbose_name=_("agent"))
    level = models.CharField(_("level"), max_length=2, choices=Level.choices)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"), help_text=_("Empty: every category."))

    class Meta:
        ordering = ["agent_id", "level"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [
            models.UniqueConstraint(fields=["agent", "level", "category"], name="skill_unique"),
            models.UniqueConstraint(fields=["agent", "level"], condition=Q(category__isnull=True),
                                    name="skill_unique_any_category"),
        ]
        indexes = [models.Index(fields=["level", "category"], name="skill_level_category")]

    def __str__(self) -> str:
        return f"{self.agent} {self.level} {self.category or '*'}"


class Assignment(models.Model):
    """The assignment log: one row per automatic choice, with what explains it; a refusal is kept on it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="dispatch_assignments")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                              verbose_name=_("agent"))
    level = models.CharField(_("level"), max_length=2, choices=Level.choices)
    policy = models.CharField(_("policy"), max_length=20, choices=Policy.choices)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    skill = models.CharField(_("skill"), max_length=300, blank=True)
    open_count = models.PositiveIntegerField(_("open tickets before"))
    max_open = models.PositiveIntegerField(_("maximum"))
    present_until = models.DateTimeField(_("present until"), null=True, blank=True)
    margin_seconds = models.IntegerField(_("estimated margin (s)"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    refused_at = models.DateTimeField(_("refused at"), null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusing"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("automatic assignment")
        verbose_name_plural = _("automatic assignments")
        indexes = [models.Index(fields=["ticket", "-created_at"], name="assignment_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.agent_id}"


class HandlingStat(models.Model):
    """Observed times per category × level (category None: the whole level), recomputed by beat:
    first response (creation → first response) and handling (first response → resolution), in
    working seconds, median and 90th percentile."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    level = models.CharField(max_length=2, choices=Level.choices)
    samples = models.PositiveIntegerField(default=0)
    response_p50 = models.PositiveIntegerField(default=0)
    response_p90 = models.PositiveIntegerField(default=0)
    handling_p50 = models.PositiveIntegerField(default=0)
    handling_p90 = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("observed handling time")
        verbose_name_plural = _("observed handling times")
        constraints = [
            models.UniqueConstraint(fields=["category", "level"], name="handling_stat_unique"),
            models.UniqueConstraint(fields=["level"], condition=Q(category__isnull=True),
                                    name="handling_stat_unique_level"),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.category_id or '*'}: {self.handling_p50}s"


class Forecast(models.Model):
    """The breach forecast of one open ticket, kept by the forecast sweep: when its first response and
    resolution are expected, the margin to each deadline (negative: at risk), and whether the
    managers were alerted (once per ticket at risk)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="forecast")
    response_expected_at = models.DateTimeField(null=True, blank=True)
    resolution_expected_at = models.DateTimeField(null=True, blank=True)
    margin_seconds = models.IntegerField(null=True, blank=True)
    at_risk = models.BooleanField(default=False)
    risk_target = models.CharField(max_length=10, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    flagged_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("breach forecast")
        verbose_name_plural = _("breach forecasts")
        indexes = [
            # The "À risque" view: at-risk tickets, least margin first.
            models.Index(fields=["margin_seconds", "ticket"], condition=Q(at_risk=True), name="forecast_at_risk"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.margin_seconds}"
