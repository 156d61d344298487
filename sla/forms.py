"""Forms of the managers' SLA pages: they validate, crispy lays them out, sla.services saves.

A page is one main form plus inline formsets; `PolicyForms` and `CalendarForms` bundle them so the
view validates the whole page at once and hands plain values to `sla_policy_save` /
`sla_calendar_save`, which replace the rows in one transaction.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date, time
from zoneinfo import available_timezones

import holidays as holidays_lib
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from tickets.models import Priority

from .models import BusinessCalendar, Holiday, SlaPolicy, SlaTarget, Unit, Weekday, WorkingHours

MIDNIGHT = time(0)

# Offered in the time zone list; a calendar saved with another zone (through the admin) keeps it.
COMMON_TIME_ZONES = [
    "Europe/Paris", "Europe/Brussels", "Europe/Luxembourg", "Europe/Zurich", "Europe/Monaco",
    "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Madrid", "Europe/Rome", "Europe/Berlin",
    "Europe/Amsterdam", "Europe/Warsaw", "Europe/Athens", "Europe/Bucharest", "Europe/Helsinki",
    "Europe/Istanbul", "Africa/Casablanca", "Africa/Algiers", "Africa/Tunis", "Africa/Dakar",
    "Africa/Abidjan", "Africa/Johannesburg", "Indian/Reunion", "Indian/Mayotte", "Indian/Mauritius",
    "America/Guadeloupe", "America/Martinique", "America/Cayenne", "America/Toronto", "America/New_York",
    "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo", "Asia/Dubai",
    "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
    "Pacific/Noumea", "Pacific/Tahiti", "UTC",
]

# The the specification table, offered for a new policy: (response value, unit), (resolution value, unit).
SPEC_TARGETS = {
    "P1": (15, Unit.MINUTES, 4, Unit.HOURS),
    "P2": (1, Unit.HOURS, 8, Unit.HOURS),
    "P3": (4, Unit.HOURS, 48, Unit.HOURS),
    "P4": (24, Unit.HOURS, 5, Unit.DAYS),
}

# At most a year of working time per target: the deadline walk in sla.calendar gives up after three
# calendar years, and a longer target is a typing mistake rather than a service level.
UNIT_MAX = {Unit.MINUTES: 365 * 24 * 60, Unit.HOURS: 365 * 24, Unit.DAYS: 365}
MINUTES_PER_UNIT = {Unit.MINUTES: 1, Unit.HOURS: 60}


def _helper() -> FormHelper:
    """The page holds several forms in one <form>: crispy lays out fields, the template owns the tag."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


@functools.cache
def supported_countries() -> dict[str, tuple[str, ...]]:
    """Two-letter country codes the `holidays` package knows, with their region codes."""
    return {code: tuple(regions) for code, regions in holidays_lib.list_supported_countries().items()
            if len(code) == 2}


# --- Policies


class SlaPolicyForm(forms.ModelForm):
    """Name, scope (default, one organisation, or a contract), calendar and warning threshold.

    Scope rules, which `sla.services.policy_for` relies on: exactly one default policy, which covers
    every ticket no other policy covers; any other policy is for one organisation or for one
    contract, never both, and a contract has at most one policy.
    """

    warning_percent = forms.IntegerField(
        label=SlaPolicy._meta.get_field("warning_percent").verbose_name, min_value=1, max_value=99,
        help_text=SlaPolicy._meta.get_field("warning_percent").help_text,
    )

    class Meta:
        model = SlaPolicy
        fields = ["name", "is_default", "organisation", "contract", "calendar", "warning_percent"]
        widgets = {"contract": forms.TextInput(attrs={"list": "sla-known-contracts", "autocomplete": "off"})}
        error_messages = {"name": {"unique": _("A policy with this name already exists.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        self.fields["organisation"].empty_label = _("— none —")
        self.fields["calendar"].queryset = BusinessCalendar.objects.order_by("name")
        self.fields["calendar"].empty_label = None
        self.fields["calendar"].help_text = _(
            "With a business calendar, hours count only working hours and days count working days."
        )
        self.helper = _helper()
        self.helper.layout = Layout(
            Row(Column("name", css_class="col-md-6"), Column("calendar", css_class="col-md-6")),
            "is_default",
            Row(Column("organisation", css_class="col-md-6"), Column("contract", css_class="col-md-6")),
            Row(Column("warning_percent", css_class="col-md-6")),
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("The name cannot be empty."))
        return name

    def clean_contract(self) -> str:
        return self.cleaned_data["contract"].strip()

    def clean_organisation(self) -> Organisation | None:
        organisation = self.cleaned_data["organisation"]
        if organisation is not None:
            other = SlaPolicy.objects.filter(organisation=organisation).exclude(pk=self.instance.pk).first()
            if other is not None:
                raise ValidationError(
                    _("%(organisation)s already has its own policy, “%(policy)s”: edit that one instead."),
                    params={"organisation": organisation, "policy": other},
                )
        return organisation

    def clean(self) -> dict:
        data = super().clean()
        is_default = data.get("is_default", False)
        organisation, contract = data.get("organisation"), data.get("contract", "")
        if organisation is not None and contract:
            self.add_error("contract", _(
                "A policy is for one organisation or for every organisation with a contract, not both: "
                "empty one of the two fields."
            ))
        if is_default and (organisation is not None or contract):
            self.add_error("is_default", _(
                "The default policy covers every ticket that no other policy covers, so it cannot be "
                "limited to an organisation or a contract."
            ))
        elif is_default:
            current = SlaPolicy.objects.filter(is_default=True).exclude(pk=self.instance.pk).first()
            if current is not None:
                self.add_error("is_default", ValidationError(
                    _("“%(policy)s” is already the default policy and there can be only one: edit its "
                      "targets instead."), params={"policy": current},
                ))
        elif organisation is None and not contract and "organisation" not in self.errors:
            if self.instance.pk and self.instance.is_default:
                self.add_error("is_default", _(
                    "There must always be a default policy: tickets of organisations without their own "
                    "policy use it. Keep this box ticked and change its targets or calendar instead."
                ))
            else:
                self.add_error("organisation", _(
                    "Choose an organisation or a contract: a policy that is neither the default nor "
                    "limited to one of them would apply to no ticket."
                ))
        if contract and "contract" not in self.errors:
            other = (SlaPolicy.objects.filter(organisation__isnull=True, contract__iexact=contract)
                     .exclude(pk=self.instance.pk).first())
            if other is not None:
                self.add_error("contract", ValidationError(
                    _("The policy “%(policy)s” already applies to the contract “%(contract)s”; a contract "
                      "has only one policy."), params={"policy": other, "contract": other.contract},
                ))
        return data

    def known_contracts(self) -> list[str]:
        """The contracts organisations have, offered as suggestions (a <datalist>, no script)."""
        return list(Organisation.objects.exclude(contract="").order_by("contract")
                    .values_list("contract", flat=True).distinct())


class SlaTargetForm(forms.ModelForm):
    """One priority's targets. The priority is fixed by the row, never taken from the request."""

    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices, disabled=True)
    response_value = forms.IntegerField(label=_("first response within"), min_value=1)
    response_unit = forms.ChoiceField(label=_("unit"), choices=Unit.choices)
    resolution_value = forms.IntegerField(label=_("resolution within"), min_value=1)
    resolution_unit = forms.ChoiceField(label=_("unit"), choices=Unit.choices)

    class Meta:
        model = SlaTarget
        fields = ["priority", "response_value", "response_unit", "resolution_value", "resolution_unit"]

    def clean(self) -> dict:
        data = super().clean()
        for prefix in ("response", "resolution"):
            value, unit = data.get(f"{prefix}_value"), data.get(f"{prefix}_unit")
            if value is not None and unit in UNIT_MAX and value > UNIT_MAX[unit]:
                self.add_error(f"{prefix}_value", ValidationError(
                    _("At most %(max)s %(unit)s (one year)."),
                    params={"max": UNIT_MAX[unit], "unit": Unit(unit).label},
                ))
        response, resolution = self._minutes("response"), self._minutes("resolution")
        if response is not None and resolution is not None and resolution < response:
            self.add_error("resolution_value", _("The resolution target cannot be shorter than the first "
                                                 "response target."))
        return data

    def _minutes(self, prefix: str) -> int | None:
        """Comparable length of a target; None for days, whose length depends on the calendar
        (a day is 9 hours on a 9:00–18:00 calendar), unless both targets are in days."""
        value, unit = self.cleaned_data.get(f"{prefix}_value"), self.cleaned_data.get(f"{prefix}_unit")
        if value is None or unit is None:
            return None
        if unit == Unit.DAYS:
            other = "resolution" if prefix == "response" else "response"
            return value * 24 * 60 if self.cleaned_data.get(f"{other}_unit") == Unit.DAYS else None
        return value * MINUTES_PER_UNIT[unit]

    def validate_unique(self) -> None:
        """The priorities come from the rows themselves and are checked once per page by the formset;
        sla_policy_save writes them by priority."""


class BaseSlaTargetFormSet(BaseInlineFormSet):
    """Exactly one row per priority, P1 to P4. Priorities a policy lacks (all four for a new policy)
    are offered with the the specification values."""

    def __init__(self, data=None, *, instance: SlaPolicy, **kwargs):
        existing = set(instance.targets.values_list("priority", flat=True)) if instance.pk else set()
        kwargs.setdefault("initial", [
            {"priority": priority, "response_value": rv, "response_unit": ru,
             "resolution_value": sv, "resolution_unit": su}
            for priority, (rv, ru, sv, su) in SPEC_TARGETS.items() if priority not in existing
        ])
        super().__init__(data, instance=instance, **kwargs)
        self.helper = _helper()

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        priorities = sorted(form.cleaned_data.get("priority") or "" for form in self.forms)
        if priorities != sorted(Priority.values):
            raise ValidationError(_("The policy needs exactly one row per priority: P1, P2, P3 and P4."))

    def cleaned_targets(self) -> dict[str, dict]:
        """{priority: {response_value, response_unit, resolution_value, resolution_unit}} for the service."""
        fields = ("response_value", "response_unit", "resolution_value", "resolution_unit")
        return {form.cleaned_data["priority"]: {name: form.cleaned_data[name] for name in fields}
                for form in self.forms}


SlaTargetFormSet = inlineformset_factory(
    SlaPolicy, SlaTarget, form=SlaTargetForm, formset=BaseSlaTargetFormSet,
    extra=0, min_num=len(Priority.values), max_num=len(Priority.values), validate_max=True, can_delete=False,
)


class PolicyForms:
    """The policy page: the policy form and its targets, validated together."""

    def __init__(self, data=None, *, instance: SlaPolicy):
        self.policy = SlaPolicyForm(data, instance=instance)
        self.targets = SlaTargetFormSet(data, instance=instance, prefix="targets")

    def is_valid(self) -> bool:
        # Both, so every error of the page shows at once.
        return all([self.policy.is_valid(), self.targets.is_valid()])


# --- Calendars


def _time_zone_choices(current: str | None) -> list[tuple[str, str]]:
    known = available_timezones()
    zones = [zone for zone in COMMON_TIME_ZONES if zone in known or zone == "UTC"]
    if current and current not in zones:
        zones.append(current)
    return [(zone, zone.replace("_", " ")) for zone in zones]


class BusinessCalendarForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("time zone"), initial="Europe/Paris",
                                  help_text=_("Working hours are read in this time zone."))

    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "always_open", "holiday_country", "holiday_subdivision"]
        error_messages = {"name": {"unique": _("A calendar with this name already exists.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zone_choices(self.instance.time_zone)
        self.fields["holiday_country"].widget.attrs.update(size=4, autocomplete="off")
        self.helper = _helper()
        self.helper.layout = Layout(
            Row(Column("name", css_class="col-md-6"), Column("time_zone", css_class="col-md-6")),
            "always_open",
            Row(Column("holiday_country", css_class="col-md-6"),
                Column("holiday_subdivision", css_class="col-md-6")),
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("The name cannot be empty."))
        return name

    def clean_holiday_country(self) -> str:
        code = self.cleaned_data["holiday_country"].strip().upper()
        if code and code not in supported_countries():
            raise ValidationError(
                _("“%(code)s” is not a country whose public holidays are known. Use a two-letter ISO code "
                  "such as FR, BE, CH or LU, or leave the field empty for no public holidays."),
                params={"code": code},
            )
        return code

    def clean(self) -> dict:
        data = super().clean()
        subdivision = (data.get("holiday_subdivision") or "").strip()
        country = data.get("holiday_country")
        if not subdivision or "holiday_country" in self.errors:
            data["holiday_subdivision"] = subdivision
            return data
        if not country:
            self.add_error("holiday_subdivision", _("A region needs a country: fill in the country first."))
            return data
        regions = supported_countries()[country]
        match = next((region for region in regions if region.casefold() == subdivision.casefold()), None)
        if match is None:
            if regions:
                message = ValidationError(
                    _("“%(code)s” is not a region of %(country)s. Known regions: %(regions)s."),
                    params={"code": subdivision, "country": country, "regions": ", ".join(regions)},
                )
            else:
                message = ValidationError(
                    _("No regions are known for %(country)s: leave this field empty."), params={"country": country}
                )
            self.add_error("holiday_subdivision", message)
        else:
            data["holiday_subdivision"] = match
        return data


class WorkingHoursForm(forms.ModelForm):
    class Meta:
        model = WorkingHours
        fields = ["weekday", "start", "end"]
        widgets = {
            "start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end"].help_text = ""

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end != MIDNIGHT and end <= start:
            self.add_error("end", _("The end must be after the start (00:00 means midnight, the end of the day)."))
        return data

    def _post_clean(self) -> None:
        # WorkingHours.clean() compares start and end: run the model's checks only when both are valid
        # (this form has already said why one is missing or wrong, on the field itself).
        if self.cleaned_data.get("start") is not None and self.cleaned_data.get("end") is not None:
            super()._post_clean()


def _end_minutes(end: time) -> int:
    return 24 * 60 if end == MIDNIGHT else end.hour * 60 + end.minute


class BaseWorkingHoursFormSet(BaseInlineFormSet):
    """The week's periods; no two periods of a day may overlap (they may touch: 9–12 and 12–18)."""

    # Set by CalendarForms from the calendar form: a 24/7 calendar needs no working hours.
    always_open = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def periods(self) -> list[tuple[int, time, time]]:
        """(weekday, start, end) of the rows kept, in order; call after is_valid()."""
        rows = []
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            data = getattr(form, "cleaned_data", {})
            if data.get("weekday") is not None and data.get("start") is not None and data.get("end") is not None:
                rows.append((int(data["weekday"]), data["start"], data["end"]))
        return sorted(rows)

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        by_day: dict[int, list[tuple[time, time]]] = defaultdict(list)
        for weekday, start, end in self.periods():
            by_day[weekday].append((start, end))
        errors = []
        for weekday, periods in sorted(by_day.items()):
            for (start, end), (next_start, next_end) in zip(periods, periods[1:], strict=False):
                if next_start.hour * 60 + next_start.minute < _end_minutes(end):
                    errors.append(ValidationError(
                        _("%(day)s: %(first)s and %(second)s overlap. Periods of the same day must not "
                          "overlap (they may touch, as 09:00–12:00 and 12:00–18:00)."),
                        params={"day": Weekday(weekday).label, "first": _period_label(start, end),
                                "second": _period_label(next_start, next_end)},
                    ))
        if not by_day and not self.always_open:
            errors.append(ValidationError(_(
                "Add at least one working period, or tick “24/7”: a calendar without working time never "
                "reaches a deadline."
            )))
        if errors:
            raise ValidationError(errors)


def _period_label(start: time, end: time) -> str:
    return f"{start:%H:%M}–{'24:00' if end == MIDNIGHT else f'{end:%H:%M}'}"


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["day", "name"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def validate_unique(self) -> None:
        """Checked across the rows by the formset: sla_calendar_save replaces all of a calendar's
        holidays at once, so comparing one row with the stored ones would refuse swapping two days."""


class BaseHolidayFormSet(BaseInlineFormSet):
    """Custom closing days, on top of the public holidays; at most one per day."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def days(self) -> list[tuple[date, str]]:
        """(day, name) of the rows kept, in order; call after is_valid()."""
        rows = []
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            data = getattr(form, "cleaned_data", {})
            if data.get("day") is not None:
                rows.append((data["day"], data.get("name", "").strip()))
        return sorted(rows)

    def clean(self) -> None:
        # Our own duplicate check replaces the formset's generic "Please correct the duplicate data".
        if any(self.errors):
            return
        seen: set[date] = set()
        errors = []
        for day, _name in self.days():
            if day in seen:
                errors.append(ValidationError(
                    _("%(day)s is listed twice: a calendar has at most one custom holiday per day."),
                    params={"day": day.strftime("%d/%m/%Y")},
                ))
            seen.add(day)
        if errors:
            raise ValidationError(errors)


WorkingHoursFormSet = inlineformset_factory(
    BusinessCalendar, WorkingHours, form=WorkingHoursForm, formset=BaseWorkingHoursFormSet,
    extra=3, can_delete=True, max_num=50, validate_max=True,
)
HolidayFormSet = inlineformset_factory(
    BusinessCalendar, Holiday, form=HolidayForm, formset=BaseHolidayFormSet,
    extra=3, can_delete=True, max_num=200, validate_max=True,
)


class CalendarForms:
    """The calendar page: the calendar form, its working hours and its custom holidays."""

    def __init__(self, data=None, *, instance: BusinessCalendar):
        self.calendar = BusinessCalendarForm(data, instance=instance)
        self.hours = WorkingHoursFormSet(data, instance=instance, prefix="hours")
        self.holidays = HolidayFormSet(data, instance=instance, prefix="holidays")

    def is_valid(self) -> bool:
        calendar_valid = self.calendar.is_valid()
        self.hours.always_open = bool(self.calendar.cleaned_data.get("always_open"))
        return all([calendar_valid, self.hours.is_valid(), self.holidays.is_valid()])
