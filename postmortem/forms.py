"""Forms validate input; crispy lays them out; postmortem.services does the saving."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from tickets.models import Category, Ticket
from tickets.selectors import agents

from .models import IncidentState, MajorIncident, PostmortemState, RecurrenceWindow
from .selectors import postmortem_is_overdue_q, requesters
from .services import ENTRY_CLOCK_TOLERANCE

User = get_user_model()
REFERENCE_PATTERN = re.compile(r"^\d{4}-\d{6}$")


def _helper(submit: str | None = None, css_class: str = "btn-primary") -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True  # the template's <form> carries the token
    if submit:
        button = Submit("submit", submit)
        button.field_classes = f"btn {css_class}"  # Submit's default "btn-primary" would fight the colour
        helper.add_input(button)
    return helper


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class DeclareForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it a major incident?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Managers, N4 and the stakeholders are alerted at once."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Declare a major incident"), "btn-danger")


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it not a major incident?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the ticket's history. Raising the ticket from P2 to P1 alerts again."),
    )
    # Which page the form was sent from, to show it again there with its errors.
    origin = forms.ChoiceField(choices=[("war_room", "war_room"), ("workspace", "workspace")], required=False,
                               widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Not a major incident"), "btn-secondary")


class EntryForm(forms.Form):
    """A "HH:MM – what happened" line. Without a date, today (Paris time); a time still to come today
    means yesterday, for an outage that started before midnight, but only once the author has seen
    and confirmed that day: the form comes back with "will be recorded as 22/11 23:50" and a checkbox
    whose value is that very moment, so a confirmation never covers another time."""

    time = forms.TimeField(label=_("Time (HH:MM)"), input_formats=["%H:%M", "%H:%M:%S"],
                           widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}))
    date = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                           help_text=_("Empty: today. A time still to come today means yesterday, which "
                                       "you will be asked to confirm."))
    text = forms.CharField(label=_("What happened"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    # The inferred moment the author confirmed ("2026-11-22T23:50"); a checkbox shown only when needed.
    confirm = forms.CharField(required=False, max_length=16)

    CONFIRM_FORMAT = "%Y-%m-%dT%H:%M"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Add to the timeline"))
        self.inferred_at: datetime | None = None  # set when the inferred day needs a confirmation

    @property
    def confirm_value(self) -> str:
        return self.inferred_at.strftime(self.CONFIRM_FORMAT) if self.inferred_at else ""

    def clean(self):
        data = super().clean()
        time = data.get("time")
        if time is None:
            return data
        now = timezone.localtime()
        given = data.get("date")
        at = timezone.make_aware(datetime.combine(given or now.date(), time))
        explicit = given is not None
        if not explicit and at > now + ENTRY_CLOCK_TOLERANCE:
            at -= timedelta(days=1)
        if not explicit and at.date() != now.date():
            if data.get("confirm") != at.strftime(self.CONFIRM_FORMAT):
                self.inferred_at = at
                raise ValidationError(
                    _("%(time)s is still to come today: this entry will be recorded as %(when)s, yesterday. "
                      "Tick the box to confirm, or enter the date.")
                    % {"time": time.strftime("%H:%M"), "when": date_format(at, "d/m H:i")},
                    code="confirm_date",
                )
            explicit = True  # the author saw the day and confirmed it
        if at > now + ENTRY_CLOCK_TOLERANCE:
            raise ValidationError({"time": _("%(when)s is in the future: a timeline entry records what has "
                                             "already happened.") % {"when": date_format(at, "d/m H:i")}})
        data["at"] = at
        data["date_explicit"] = explicit
        return data


class StatusUpdateForm(forms.Form):
    body = forms.CharField(label=_("Status update"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Emailed to the managers, N4, the stakeholders, the war room and the "
                                       "requesters of the affected tickets, who also see it on their "
                                       "ticket: write it for them."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Send the update"))


class LinkTicketForm(forms.Form):
    reference = forms.CharField(label=_("Ticket reference"), max_length=11,
                                widget=forms.TextInput(attrs={"placeholder": "2026-000123"}),
                                help_text=_("Another ticket reporting the same outage; resolved with it."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Link the ticket"), "btn-outline-primary")

    def clean_reference(self) -> Ticket:
        reference = self.cleaned_data["reference"].strip()
        ticket = Ticket.objects.filter(reference=reference).first() if REFERENCE_PATTERN.match(reference) else None
        if ticket is None:
            raise ValidationError(_("No ticket has this reference."))
        return ticket


class PostmortemForm(forms.Form):
    """The template's fields. Saved by services.postmortem_update, never by the form."""

    title = forms.CharField(label=_("Title"), max_length=200)
    started_at = forms.DateTimeField(label=_("Start of the outage"), input_formats=["%Y-%m-%dT%H:%M"],
                                     widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M",
                                                                attrs={"type": "datetime-local"}))
    ended_at = forms.DateTimeField(label=_("End of the outage"), input_formats=["%Y-%m-%dT%H:%M"],
                                   widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M",
                                                              attrs={"type": "datetime-local"}))
    impact_users = forms.CharField(label=_("Users affected"), required=False, max_length=2000,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    business_loss = forms.CharField(label=_("Business loss"), required=False, max_length=2000,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    timeline = forms.CharField(label=_("Timeline"), required=False, max_length=50000,
                               widget=forms.Textarea(attrs={"rows": 10}),
                               help_text=_("Pre-filled from the war room; one line per event: “- HH:MM - …”."))
    root_cause = forms.CharField(label=_("Root cause"), required=False, max_length=20000,
                                 widget=forms.Textarea(attrs={"rows": 5}))
    lessons_learned = forms.CharField(label=_("Lessons learned"), required=False, max_length=20000,
                                      widget=forms.Textarea(attrs={"rows": 4}))
    internal_notes = forms.CharField(label=_("Internal notes"), required=False, max_length=20000,
                                     widget=forms.Textarea(attrs={"rows": 3}),
                                     help_text=_("Agents only: never shown to requesters, not exported."))
    owner = AgentChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = agents()
        self.helper = _helper(_("Save"))

    def clean(self):
        data = super().clean()
        if data.get("started_at") and data.get("ended_at") and data["ended_at"] < data["started_at"]:
            self.add_error("ended_at", _("The outage cannot end before it starts."))
        return data


class CorrectiveActionForm(forms.Form):
    description = forms.CharField(label=_("Action"), max_length=300)
    owner = AgentChoiceField(label=_("Owner"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    recurrence_days = forms.TypedChoiceField(
        label=_("Recurrence check: no incident again for"), required=False, coerce=int, empty_value=None,
        choices=[("", _("no check")), *RecurrenceWindow.choices],
        help_text=_("Checked once the action is done; a new incident reopens it."))
    recurrence_category = forms.ModelChoiceField(label=_("in the category"), queryset=Category.objects.none(),
                                                 required=False)
    recurrence_organisation = forms.ModelChoiceField(label=_("for the organisation"),
                                                     queryset=Organisation.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = agents()
        self.fields["recurrence_category"].queryset = Category.objects.filter(is_active=True).select_related("parent")
        self.fields["recurrence_organisation"].queryset = Organisation.objects.order_by("name")
        self.helper = _helper(_("Add the action"), "btn-outline-primary")

    def clean(self):
        data = super().clean()
        if data.get("recurrence_days") and not (data.get("recurrence_category") or data.get("recurrence_organisation")):
            self.add_error("recurrence_category", _("Choose the category or the organisation to watch."))
        return data


class ShareForm(forms.Form):
    users = forms.ModelMultipleChoiceField(label=_("Requesters"), queryset=User.objects.none(), required=False,
                                           widget=forms.SelectMultiple(attrs={"size": 6}))
    organisations = forms.ModelMultipleChoiceField(label=_("Organisations"), queryset=Organisation.objects.none(),
                                                   required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = requesters()
        self.fields["users"].label_from_instance = lambda user: (
            f"{user.get_full_name() or user.get_username()} ({user.get_username()})"
        )
        self.fields["organisations"].queryset = Organisation.objects.order_by("name")
        self.helper = _helper(_("Save the sharing"), "btn-outline-secondary")


OPEN = "open"


class IncidentFilter(django_filters.FilterSet):
    """The list's filters: incident state, postmortem state, overdue, period of declaration."""

    state = django_filters.ChoiceFilter(label=_("Incident state"), method="filter_state",
                                        choices=[(OPEN, _("Under way (alert or mobilisation)")),
                                                 *IncidentState.choices])
    postmortem_state = django_filters.ChoiceFilter(label=_("Postmortem"), field_name="postmortem__state",
                                                   choices=PostmortemState.choices)
    overdue = django_filters.BooleanFilter(label=_("Postmortem overdue"), method="filter_overdue")
    declared_after = django_filters.DateFilter(field_name="declared_at", lookup_expr="date__gte", label=_("From"),
                                               widget=forms.DateInput(attrs={"type": "date"}))
    declared_before = django_filters.DateFilter(field_name="declared_at", lookup_expr="date__lte", label=_("To"),
                                                widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = MajorIncident
        fields = ["state"]

    def filter_state(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(state__in=[IncidentState.ALERT, IncidentState.MOBILISATION])
        return queryset.filter(state=value) if value else queryset

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = postmortem_is_overdue_q()
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
