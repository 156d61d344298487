"""SLA policies, business calendars, per-ticket clocks and the warning/breach events."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from tickets.models import Priority, Ticket

from .calendar import WorkingCalendar


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class BusinessCalendar(models.Model):
    """Weekly working hours in a time zone, minus public and custom holidays; or 24/7."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris",
                                 validators=[validate_timezone])
    always_open = models.BooleanField(_("24/7"), default=False,
                                      help_text=_("Every hour of every day counts; working hours are ignored."))
    holiday_country = models.CharField(
        _("public holidays of"), max_length=2, blank=True, default="FR",
        help_text=_("Country code (FR, BE, CH…) whose public holidays are not worked; empty for none."),
    )
    holiday_subdivision = models.CharField(_("region"), max_length=10, blank=True,
                                           help_text=_("Optional region code, e.g. 57 for Moselle."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def as_working_calendar(self) -> WorkingCalendar:
        """The immutable calendar the arithmetic uses (two queries: hours and holidays, unless prefetched)."""
        if self.always_open:
            return WorkingCalendar.twenty_four_seven()
        periods: dict[int, list[tuple[time, time]]] = {}
        for hours in self.working_hours.all():
            periods.setdefault(hours.weekday, []).append((hours.start, hours.end))
        return WorkingCalendar(
            tz=ZoneInfo(self.time_zone),
            periods=periods,
            holiday_country=self.holiday_country,
            holiday_subdivision=self.holiday_subdivision,
            extra_holidays=frozenset(holiday.day for holiday in self.holidays.all()),
        )


class WorkingHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.end != time(0) and self.end <= self.start:
            raise ValidationError(_("The end must be after the start."))


class Holiday(models.Model):
    """A custom non-working day (company closure, bridge day), on top of public holidays."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    day: date = models.DateField(_("day"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="holiday_once_per_day")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}"


class SlaPolicy(models.Model):
    """Targets per priority, on a calendar. The default applies unless an organisation's or a
    contract's policy matches the ticket (organisation first, then contract)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(_("default policy"), default=False)
    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="sla_policy",
        verbose_name=_("for organisation"),
    )
    contract = models.CharField(_("for contract"), max_length=100, blank=True,
                                help_text=_("Applies to organisations with this contract (e.g. Gold)."))
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="policies",
                                 verbose_name=_("calendar"))
    warning_percent = models.PositiveSmallIntegerField(
        _("warning threshold (percent of the target elapsed)"), default=75,
        help_text=_("A warning is recorded once this share of the target has elapsed."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Set in the transaction that changes the policy or its calendar, cleared once its open tickets'
    # deadlines are recomputed: a recompute the broker lost is sent again by the beat drain.
    recompute_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                    name="sla_one_default_policy"),
            models.CheckConstraint(condition=Q(warning_percent__gte=1, warning_percent__lte=99),
                                   name="sla_warning_percent_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Unit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    response_value = models.PositiveIntegerField(_("first response within"))
    response_unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    resolution_value = models.PositiveIntegerField(_("resolution within"))
    resolution_unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)

    class Meta:
        ordering = ["priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_per_priority")]

    def __str__(self) -> str:
        return f"{self.policy} {self.priority}"


class Target(models.TextChoices):
    RESPONSE = "response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class Stage(models.TextChoices):
    WARNING = "warning", _("Warning")
    BREACH = "breach", _("Breach")


class SlaClockQuerySet(models.QuerySet):
    def due_for_check(self, *, at) -> SlaClockQuerySet:
        """Clocks whose next warning or breach time has come: served by the partial index below."""
        return self.filter(next_check_at__lte=at)


class SlaClock(models.Model):
    """One running target of one ticket. `next_check_at` is the next instant the sweep must look at
    (the warning time, then the deadline), or NULL when nothing is left to watch (met, paused,
    breached, closed) — so the sweep reads only the rows that are due."""

    # Looked up by the constraint sla_clock_per_target (ticket, target), which starts with it.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks", db_index=False)
    target = models.CharField(max_length=10, choices=Target.choices)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, related_name="+")
    started_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(help_text="Target as working time.")
    warn_at = models.DateTimeField()
    due_at = models.DateTimeField()
    next_check_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0, help_text="Working time spent paused.")

    objects = SlaClockQuerySet.as_manager()

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [models.UniqueConstraint(fields=["ticket", "target"], name="sla_clock_per_target")]
        indexes = [
            # The beat sweep: WHERE next_check_at <= now. Partial, so the millions of met or
            # finished clocks (next_check_at NULL) are not even in the index.
            models.Index(fields=["next_check_at"], name="sla_clock_next_check",
                         condition=Q(next_check_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} due {self.due_at:%Y-%m-%d %H:%M}"

    def state(self, *, at=None) -> str:
        """met, breached, paused, warning or on_time, for display."""
        at = at or timezone.now()
        if self.met_at:
            return "met" if self.met_at <= self.due_at else "breached"
        if self.paused_at:
            return "paused"
        if at >= self.due_at:
            return "breached"
        if at >= self.warn_at:
            return "warning"
        return "on_time"


class SlaEvent(models.Model):
    """A warning or breach, recorded once per ticket, target and stage: the unique constraint is
    what makes concurrent or repeated sweeps harmless."""

    # Looked up by the constraint sla_event_once (ticket, target, stage), which starts with it.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_events", db_index=False)
    target = models.CharField(max_length=10, choices=Target.choices)
    stage = models.CharField(max_length=10, choices=Stage.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "stage"], name="sla_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.stage}"
