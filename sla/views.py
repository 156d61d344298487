"""The managers' SLA pages: an overview of policies and calendars, and one edit page for each.

Views are adapters (docs/architecture.md, "Refusals and stale forms"): the page's forms validate, `sla_policy_save` / `sla_calendar_save`
write in one transaction and schedule the deadline recompute after commit.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from django.contrib import messages
from django.db import IntegrityError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import manager_required
from tickets.models import Priority

from . import services
from .calendar import WorkingCalendar
from .forms import CalendarForms, PolicyForms
from .models import BusinessCalendar, SlaPolicy, Unit, Weekday

UPCOMING_HOLIDAYS = 5
# How far ahead the overview looks for the next holidays (a calendar may have none at all).
HOLIDAY_HORIZON = timedelta(days=400)


# --- Overview


def _target_label(value: int, unit: str) -> str:
    if unit == Unit.MINUTES:
        return _("%(count)d min") % {"count": value}
    if unit == Unit.HOURS:
        return _("%(count)d h") % {"count": value}
    return ngettext("%(count)d day", "%(count)d days", value) % {"count": value}


def _scope_label(policy: SlaPolicy) -> str:
    if policy.is_default:
        return _("Default: every ticket no other policy covers")
    if policy.organisation is not None:
        return _("Organisation %(name)s") % {"name": policy.organisation.name}
    if policy.contract:
        return _("Contract %(name)s") % {"name": policy.contract}
    return _("No ticket (neither default nor scoped)")


def _policy_rows() -> list[dict]:
    policies = SlaPolicy.objects.select_related("calendar", "organisation").prefetch_related("targets")
    rows = []
    for policy in policies:
        by_priority = {target.priority: target for target in policy.targets.all()}
        rows.append({
            "policy": policy,
            "scope": _scope_label(policy),
            "targets": [
                {
                    "priority": priority,
                    "response": _target_label(target.response_value, target.response_unit) if target else None,
                    "resolution": _target_label(target.resolution_value, target.resolution_unit)
                    if target else None,
                }
                for priority in Priority.values
                for target in [by_priority.get(priority)]
            ],
        })
    return rows


def _period_label(start: time, end: time) -> str:
    return f"{start:%H:%M}–{'24:00' if end == time(0) else f'{end:%H:%M}'}"


def _hours_summary(calendar: BusinessCalendar) -> list[str]:
    """"Monday–Friday 09:00–18:00": consecutive days with the same periods on one line."""
    by_day: dict[int, list[str]] = defaultdict(list)
    for hours in calendar.working_hours.all():  # prefetched, ordered by weekday and start
        by_day[hours.weekday].append(_period_label(hours.start, hours.end))
    lines: list[str] = []
    group: list[int] = []
    for weekday in range(8):  # one step past Sunday closes the last group
        periods = by_day.get(weekday)
        if group and (weekday == 7 or periods != by_day[group[0]] or weekday != group[-1] + 1):
            days = Weekday(group[0]).label if len(group) == 1 else f"{Weekday(group[0]).label}–{Weekday(group[-1]).label}"
            lines.append(f"{days} {', '.join(by_day[group[0]])}")
            group = []
        if periods:
            group.append(weekday)
    return lines


@functools.lru_cache(maxsize=128)
def _public_holiday_names(country: str, subdivision: str, year: int, language: str) -> dict[date, str]:
    """Names of a year's public holidays, in the page's language when the package has it."""
    calendar = holidays_lib.country_holidays(country, subdiv=subdivision or None)
    supported = getattr(calendar, "supported_languages", ())
    wanted = next((code for code in (language, f"{language}_US", f"{language}_{language.upper()}")
                   if code in supported), None)
    return dict(holidays_lib.country_holidays(country, subdiv=subdivision or None, years=year, language=wanted))


@dataclass(frozen=True)
class UpcomingHoliday:
    day: date
    name: str
    custom: bool


def _next_holidays(calendar: BusinessCalendar, *, today: date) -> list[UpcomingHoliday]:
    """The next non-working holidays of a calendar, public and custom, as the deadline arithmetic sees
    them (WorkingCalendar.is_holiday), from its prefetched custom days: no query per calendar."""
    custom = {holiday.day: holiday.name for holiday in calendar.holidays.all()}
    working = WorkingCalendar(
        tz=ZoneInfo(calendar.time_zone), holiday_country=calendar.holiday_country,
        holiday_subdivision=calendar.holiday_subdivision, extra_holidays=frozenset(custom),
    )
    language = (translation.get_language() or "fr").split("-")[0]
    upcoming = []
    day = today
    while day <= today + HOLIDAY_HORIZON and len(upcoming) < UPCOMING_HOLIDAYS:
        if working.is_holiday(day):
            name = custom.get(day) or (
                _public_holiday_names(calendar.holiday_country, calendar.holiday_subdivision, day.year, language)
                .get(day, "") if calendar.holiday_country else ""
            )
            upcoming.append(UpcomingHoliday(day=day, name=name, custom=day in custom))
        day += timedelta(days=1)
    return upcoming


def _calendar_rows() -> list[dict]:
    calendars = (BusinessCalendar.objects.annotate(policy_count=Count("policies"))
                 .prefetch_related("working_hours", "holidays").order_by("name"))
    rows = []
    for calendar in calendars:
        today = timezone.localdate(timezone=ZoneInfo(calendar.time_zone))
        try:
            upcoming = [] if calendar.always_open else _next_holidays(calendar, today=today)
            holidays_error = False
        except (NotImplementedError, KeyError, LookupError):
            # A country or region the package no longer knows (set through the admin): say so, don't crash.
            upcoming, holidays_error = [], True
        rows.append({
            "calendar": calendar,
            "hours": [] if calendar.always_open else _hours_summary(calendar),
            "upcoming": upcoming,
            "holidays_error": holidays_error,
        })
    return rows


@manager_required
@require_GET
def overview(request):
    policies = _policy_rows()
    return render(request, "sla/overview.html", {
        "policies": policies,
        "calendars": _calendar_rows(),
        "priorities": Priority.choices,
        "has_default": any(row["policy"].is_default for row in policies),
    })


# --- Policies


def _settings_page(request, *, page, form, save, saved_message, template: str, context: dict):
    """Validate a settings page and save it through `save()`, or show it again with its errors (400), or
    with a conflict (409) when another manager's save meanwhile broke a uniqueness rule (a second default,
    the same name): the typed values stay in the page either way."""
    status = 200
    if request.method == "POST":
        status = 400
        if page.is_valid():
            try:
                saved = save()
            except IntegrityError:
                form.add_error(None, _("Another change was saved at the same time and conflicts "
                                       "with this one. Check the values and save again."))
                status = 409
            else:
                messages.success(request, saved_message(saved))
                return redirect("sla:overview")
    return render(request, template, {"page": page, **context}, status=status)


def _policy_page(request, policy: SlaPolicy):
    stored_name = policy.name  # the form writes the submitted values onto the instance
    page = PolicyForms(request.POST if request.method == "POST" else None, instance=policy)
    return _settings_page(
        request, page=page, form=page.policy,
        save=lambda: services.sla_policy_save(policy=page.policy.save(commit=False),
                                              targets=page.targets.cleaned_targets()),
        saved_message=lambda saved: _("The policy “%(name)s” is saved; the deadlines of its open "
                                      "tickets are being recomputed.") % {"name": saved.name},
        template="sla/policy_form.html",
        context={"policy": policy if policy.pk else None, "policy_name": stored_name,
                 "known_contracts": page.policy.known_contracts()},
    )


@manager_required
@require_http_methods(["GET", "POST"])
def policy_create(request):
    return _policy_page(request, SlaPolicy())


@manager_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, pk: int):
    return _policy_page(request, get_object_or_404(SlaPolicy, pk=pk))


# --- Calendars


def _calendar_page(request, calendar: BusinessCalendar):
    stored_name = calendar.name  # the form writes the submitted values onto the instance
    page = CalendarForms(request.POST if request.method == "POST" else None, instance=calendar)
    return _settings_page(
        request, page=page, form=page.calendar,
        save=lambda: services.sla_calendar_save(calendar=page.calendar.save(commit=False),
                                                hours=page.hours.periods(), holidays=page.holidays.days()),
        saved_message=lambda saved: _("The calendar “%(name)s” is saved; the deadlines of the open "
                                      "tickets that use it are being recomputed.") % {"name": saved.name},
        template="sla/calendar_form.html",
        context={"calendar": calendar if calendar.pk else None, "calendar_name": stored_name},
    )


@manager_required
@require_http_methods(["GET", "POST"])
def calendar_create(request):
    return _calendar_page(request, BusinessCalendar())


@manager_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request, pk: int):
    return _calendar_page(request, get_object_or_404(BusinessCalendar, pk=pk))
