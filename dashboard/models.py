"""Daily rollups of the tickets, so that the dashboard reads a few thousand rows instead of a million;
monthly and weekly ones per organisation, for an organisation filter.

Every column is additive (counts, and sums of microseconds or seconds): the figures of
dashboard.metrics are recomputed exactly from their sums over any set of days (dashboard.rollups).
Days are calendar days in the display time zone (settings.TIME_ZONE, Europe/Paris). Written only by
dashboard.rollups (the beat task and `manage.py rebuild_dashboard_rollups`); read by dashboard.selectors.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from tickets.models import Category


class CohortSums(models.Model):
    """The additive columns of the tickets created on `day`, per the dimensions of the subclass."""

    day = models.DateField(_("day"))
    priority = models.CharField(_("priority"), max_length=2)
    level = models.CharField(_("support level"), max_length=2)
    total = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)  # status resolved or closed
    resolution_count = models.PositiveIntegerField(default=0)  # resolved_at set
    resolution_us = models.BigIntegerField(default=0)  # sum of resolved_at - created_at
    responded = models.PositiveIntegerField(default=0)
    first_response_us = models.BigIntegerField(default=0)  # sum of first_response_at - created_at
    response_met = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    resolved_ever = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    csat_sum = models.PositiveIntegerField(default=0)
    csat_count = models.PositiveIntegerField(default=0)
    # Phase counters of the closed tickets only (the dashboard's time-per-phase table).
    closed_reception_seconds = models.BigIntegerField(default=0)
    closed_diagnostic_seconds = models.BigIntegerField(default=0)
    closed_resolution_seconds = models.BigIntegerField(default=0)
    closed_closure_seconds = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class DailyTicketStat(CohortSums):
    """Tickets created on a day, per priority, level and category: every table of the dashboard but
    the agents', under any filter on priority, level and category."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("daily ticket statistics")
        verbose_name_plural = _("daily ticket statistics")
        constraints = [models.UniqueConstraint(fields=["day", "priority", "level", "category"],
                                               name="daily_ticket_stat_grain")]
        indexes = [models.Index(fields=["day"], name="daily_ticket_stat_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.priority} {self.level} {self.category_id}: {self.total}"


class DailyAgentStat(CohortSums):
    """Tickets created on a day, per assignee, priority and level: the agents' table. Category is left
    out, or there would be about one row per ticket; with a category filter that table is live."""

    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("daily agent statistics")
        verbose_name_plural = _("daily agent statistics")
        constraints = [models.UniqueConstraint(fields=["day", "assignee", "priority", "level"],
                                               name="daily_agent_stat_grain")]
        indexes = [models.Index(fields=["day"], name="daily_agent_stat_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.assignee_id} {self.priority} {self.level}: {self.total}"


class DailyResolutionStat(models.Model):
    """Tickets resolved on a day (their current resolved_at), per priority, level and category: the
    'resolved' line of the trend."""

    day = models.DateField(_("day"))
    priority = models.CharField(_("priority"), max_length=2)
    level = models.CharField(_("support level"), max_length=2)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    resolved = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily resolution statistics")
        verbose_name_plural = _("daily resolution statistics")
        constraints = [models.UniqueConstraint(fields=["day", "priority", "level", "category"],
                                               name="daily_resolution_stat_grain")]
        indexes = [models.Index(fields=["day"], name="daily_resolution_stat_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.priority} {self.level} {self.category_id}: {self.resolved}"


class OrgMonthStat(CohortSums):
    """Tickets created in a calendar month, per organisation, priority, level and category: every table
    of the dashboard but the agents' and the trend, under an organisation filter (with any filter on
    priority, level and category). `day` is the first of the month; only months wholly before
    RollupState.complete_until have rows (the edges of a period are read live, by the organisation's
    index)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("monthly organisation statistics")
        verbose_name_plural = _("monthly organisation statistics")
        constraints = [models.UniqueConstraint(fields=["organisation", "day", "priority", "level", "category"],
                                               name="org_month_stat_grain")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m} {self.organisation_id} {self.priority} {self.level} {self.category_id}: {self.total}"


class OrgMonthAgentStat(CohortSums):
    """Tickets created in a calendar month, per organisation, assignee, priority and level: the agents'
    table under an organisation filter (live with a category filter, as DailyAgentStat)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("monthly organisation agent statistics")
        verbose_name_plural = _("monthly organisation agent statistics")
        constraints = [models.UniqueConstraint(fields=["organisation", "day", "assignee", "priority", "level"],
                                               name="org_month_agent_stat_grain")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m} {self.organisation_id} {self.assignee_id} {self.priority} {self.level}: {self.total}"


class OrgWeekStat(CohortSums):
    """Tickets created in a week (Monday to Sunday), per organisation, priority and level: the trend's
    weekly buckets under an organisation filter (live with a category filter). `day` is the Monday;
    only weeks wholly before RollupState.complete_until have rows."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("weekly organisation statistics")
        verbose_name_plural = _("weekly organisation statistics")
        constraints = [models.UniqueConstraint(fields=["organisation", "day", "priority", "level"],
                                               name="org_week_stat_grain")]

    def __str__(self) -> str:
        return f"{self.day} {self.organisation_id} {self.priority} {self.level}: {self.total}"


class OrgWeekResolutionStat(models.Model):
    """Tickets resolved in a week (their current resolved_at), per organisation, priority and level: the
    'resolved' line of the weekly trend under an organisation filter."""

    day = models.DateField(_("day"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    priority = models.CharField(_("priority"), max_length=2)
    level = models.CharField(_("support level"), max_length=2)
    resolved = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("weekly organisation resolution statistics")
        verbose_name_plural = _("weekly organisation resolution statistics")
        constraints = [models.UniqueConstraint(fields=["organisation", "day", "priority", "level"],
                                               name="org_week_resolution_stat_grain")]

    def __str__(self) -> str:
        return f"{self.day} {self.organisation_id} {self.priority} {self.level}: {self.resolved}"


def new_version() -> str:
    return uuid.uuid4().hex


class RollupState(models.Model):
    """One row (pk=1): how far the rollups go. Days before `complete_until` are rolled up; the
    tickets changed before `changes_seen_until` are in them. The refresh locks this row, so two
    runs never interleave. `version` is new each time the rollups are written (in the same transaction):
    what a statement over them read under one version it reads again until the next (dashboard.rollups keeps
    it per process)."""

    complete_until = models.DateField(_("rolled up until (exclusive)"))
    changes_seen_until = models.DateTimeField(_("changes seen until"))
    refreshed_at = models.DateTimeField(_("refreshed at"))
    version = models.CharField(_("version"), max_length=32, default=new_version, editable=False)

    class Meta:
        verbose_name = _("dashboard rollup state")
        verbose_name_plural = _("dashboard rollup state")

    def __str__(self) -> str:
        return f"rolled up until {self.complete_until}, refreshed at {self.refreshed_at:%Y-%m-%d %H:%M}"
