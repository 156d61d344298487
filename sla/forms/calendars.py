"""The calendar page: a business calendar, its weekly hours and its holidays."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date, time
from zoneinfo import available_timezones

import holidays as holidays_lib
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from ..models import BusinessCalendar, Holiday, Weekday, WorkingHours
from .common import form_helper

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

@functools.cache
def supported_countries() -> dict[str, tuple[str, ...]]:
    """Two-letter country codes the `holidays` package knows, with their region codes."""
    return {code: tuple(regions) for code, regions in holidays_lib.list_supported_countries().items()
            if len(code) == 2}


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
        self.helper = form_helper()
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
        self.helper = form_helper()

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
        self.helper = form_helper()

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
