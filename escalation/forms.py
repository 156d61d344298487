from __future__ import annotations

import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.people import PersonChoiceFilter, user_display
from accounts.roles import Level
from accounts.selectors import group_members
from core.forms import CachedModelChoiceField
from tickets.selectors import agents

from .models import MANUAL_REASONS, Escalation, EscalationRule, Reason
from .services import MIN_FOLLOWUP_LENGTH


class HandoverForm(forms.Form):
    """Escalate (reason + detailed followup + optional agent of the next level) or de-escalate."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *[(r.value, r.label) for r in MANUAL_REASONS]])
    followup = forms.CharField(
        label=_("Detailed followup"), min_length=MIN_FOLLOWUP_LENGTH, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was tried, what was found, what is expected. Private: the requester does not see it."),
    )
    # The level's members from the reference cache (accounts.selectors.group_members): the workspace shows
    # this form on every open ticket, and a queryset cost a query per page.
    assignee = CachedModelChoiceField(label=_("Hand to"), objects=list, required=False,
                                      label_from_instance=user_display,
                                      empty_label=_("the whole group of that level"),
                                      help_text=_("Handed to the whole group, the ticket has no assignee any "
                                                  "more until one of them takes it."))

    def __init__(self, *args, to_level: str | None, down: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].objects = lambda: group_members(to_level) if to_level else []
        if down:
            del self.fields["reason"]
            self.fields["followup"].help_text = _("Why the ticket goes back down, and what is left to do.")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", _("Escalate") if not down else _("Send back down"),
                                     css_class="btn-warning" if not down else "btn-outline-secondary"))


class EscalationRuleForm(forms.ModelForm):
    class Meta:
        model = EscalationRule
        fields = ["is_active", "threshold_minutes", "window_days", "ticket_count", "organisation_ticket_count",
                  "alert_quiet_hours", "target_level"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("threshold_minutes", "window_days", "ticket_count"):
            self.fields[name].min_value = 1
            self.fields[name].widget.attrs["min"] = 1
        self.helper = FormHelper()
        self.helper.form_tag = False


class EscalationFilter(django_filters.FilterSet):
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte",
                                              label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte",
                                               label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    to_level = django_filters.ChoiceFilter(label=_("To level"), choices=Level.choices)
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=Reason.choices)
    actor = PersonChoiceFilter(label=_("By"), queryset=agents())
    automatic = django_filters.BooleanFilter(field_name="rule", lookup_expr="isnull", exclude=True,
                                             label=_("Automatic (by a rule)"))

    class Meta:
        model = Escalation
        fields = ["to_level", "reason", "rule", "actor"]
