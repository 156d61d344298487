from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from accounts.people import PersonChoiceField
from accounts.roles import Level
from tickets.models import Category, Priority
from tickets.selectors import agents

from .periods import PRESETS


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), required=False, initial="30d",
                               choices=[*((k, v[0]) for k, v in PRESETS.items()), ("custom", _("Custom"))])
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.ChoiceField(label=_("Priority"), required=False, choices=[("", _("All")), *Priority.choices])
    level = forms.ChoiceField(label=_("Level"), required=False, choices=[("", _("All")), *Level.choices])
    # Category.__str__ shows the parent: select_related, or one query per option.
    category = forms.ModelChoiceField(label=_("Category"), required=False,
                                      queryset=Category.objects.select_related("parent"),
                                      empty_label=_("All"))
    agent = PersonChoiceField(label=_("Agent"), required=False, queryset=None, empty_label=_("All"))
    organisation = forms.ModelChoiceField(label=_("Organisation"), required=False,
                                          queryset=Organisation.objects.all(), empty_label=_("All"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents()

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom" and not (data.get("start") and data.get("end")):
            raise forms.ValidationError(_("A custom period needs a start and an end date."))
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The start date must come before the end date."))
        return data

    def ticket_filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "priority": data.get("priority") or None,
            "level": data.get("level") or None,
            "category": data["category"].pk if data.get("category") else None,
            "agent": data["agent"].pk if data.get("agent") else None,
            "organisation": data["organisation"].pk if data.get("organisation") else None,
        }
