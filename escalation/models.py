"""Escalation: the log of every level change, the configurable rules and their recorded firings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Level
from tickets.models import Followup, Ticket


class Reason(models.TextChoices):
    """GLPI's escalation conditions and the template's, plus the automatic causes."""

    DIAGNOSTIC_TIMEOUT = "diagnostic_timeout", _("Diagnostic over 30 min without progress")
    SKILL_UNAVAILABLE = "skill_unavailable", _("Skill not available at this level")
    VIP = "vip", _("VIP client or specific contract")
    BUSINESS_IMPACT = "business_impact", _("Significant business impact")
    COMPLEX_INCIDENT = "complex_incident", _("Complex incident")
    RECURRING = "recurring", _("Recurring problem")
    MISSING_RIGHTS = "missing_rights", _("Missing rights or access")
    SLA_BREACH = "sla_breach", _("SLA breached")
    CRITICAL = "critical", _("Critical incident (P1)")
    DE_ESCALATION = "de_escalation", _("Back to a lower level")
    MANUAL = "manual", _("Level changed by hand")


MANUAL_REASONS = [
    Reason.DIAGNOSTIC_TIMEOUT, Reason.SKILL_UNAVAILABLE, Reason.VIP, Reason.BUSINESS_IMPACT,
    Reason.COMPLEX_INCIDENT, Reason.RECURRING, Reason.MISSING_RIGHTS,
]


class RuleCode(models.TextChoices):
    STALLED_DIAGNOSTIC = "stalled_diagnostic", _("Diagnostic without agent activity → next level")
    SLA_BREACH = "sla_breach", _("SLA breach → next level, managers notified")
    VIP_START = "vip_start", _("VIP organisation or contract → starts at a higher level")
    P1_ALERT = "p1_alert", _("P1 → the top level is alerted and joins")
    RECURRING = "recurring", _("Same requester or organisation, same precise category, again → flagged recurring")


class EscalationRule(models.Model):
    """One automatic rule; managers switch it on or off and tune it. Codes are fixed."""

    code = models.CharField(_("rule"), max_length=30, choices=RuleCode.choices, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    threshold_minutes = models.PositiveIntegerField(
        _("after (minutes)"), default=30, help_text=_("Stalled diagnostic: minutes without agent activity.")
    )
    window_days = models.PositiveIntegerField(
        _("window (days)"), default=30, help_text=_("Recurring: tickets counted over this many days.")
    )
    ticket_count = models.PositiveIntegerField(
        _("ticket count"), default=3, help_text=_("Recurring: the requester's n-th ticket in the category.")
    )
    organisation_ticket_count = models.PositiveIntegerField(
        _("ticket count (organisation)"), default=5,
        help_text=_("Recurring: the organisation's n-th ticket in the category, whoever asks (0: not counted)."),
    )
    alert_quiet_hours = models.PositiveIntegerField(
        _("alert again after (hours)"), default=24,
        help_text=_("Recurring: the level hears of a requester's (or organisation's) problem in a category once, "
                    "then again only after this many hours; the tickets meanwhile are flagged all the same "
                    "(0: an alert for every ticket)."),
    )
    target_level = models.CharField(
        _("target level"), max_length=2, choices=Level.choices, blank=True,
        help_text=_("Empty: the next level up."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self) -> str:
        return self.get_code_display()


class RuleFiring(models.Model):
    """That a rule acted on a ticket for a cause. The unique constraint is the "never twice" guarantee."""

    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="rule_firings")
    cause = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        constraints = [models.UniqueConstraint(fields=["rule", "ticket", "cause"], name="rule_fires_once")]

    def __str__(self) -> str:
        return f"{self.rule.code} {self.ticket_id} {self.cause}"


class RecurringAlert(models.Model):
    """When the recurring rule last alerted a level about one problem: a requester's (or an organisation's) tickets
    in one category. One row per problem, claimed by a conditional upsert (escalation.services): at a busy
    organisation every ticket of a category is recurring, and each used to alert every agent of the level."""

    class Scope(models.TextChoices):
        REQUESTER = "requester", _("requester")
        ORGANISATION = "organisation", _("organisation")

    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    subject_id = models.PositiveBigIntegerField(_("requester or organisation"))
    category = models.ForeignKey("tickets.Category", on_delete=models.CASCADE, related_name="+")
    alerted_at = models.DateTimeField(_("alerted at"))
    reference = models.CharField(_("alerting ticket"), max_length=20)

    class Meta:
        verbose_name = _("recurring problem alert")
        verbose_name_plural = _("recurring problem alerts")
        constraints = [models.UniqueConstraint(fields=["scope", "subject_id", "category"],
                                               name="recurring_alert_per_problem")]

    def __str__(self) -> str:
        return f"{self.scope} {self.subject_id} {self.category_id} {self.alerted_at:%Y-%m-%d %H:%M}"


class Escalation(models.Model):
    """A level change of a ticket, up or down, by an agent or a rule."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations")
    from_level = models.CharField(_("from"), max_length=2, choices=Level.choices)
    to_level = models.CharField(_("to"), max_length=2, choices=Level.choices)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    # By the rule's fixed code: the log's writer names the rule without reading it (escalation.services).
    rule = models.ForeignKey(EscalationRule, on_delete=models.SET_NULL, null=True, blank=True, to_field="code",
                             db_column="rule_code", related_name="escalations", verbose_name=_("rule"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("handed to"))
    followup = models.ForeignKey(Followup, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        indexes = [models.Index(fields=["to_level", "-created_at"], name="escalation_level_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.from_level}→{self.to_level}"

    @property
    def is_up(self) -> bool:
        return self.to_level > self.from_level
