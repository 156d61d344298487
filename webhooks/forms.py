from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EventType


class EndpointForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https",
                         help_text=_("Where the events are POSTed (https recommended). Redirects are not followed."))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=_("Events"), choices=EventType.choices,
                                       widget=forms.CheckboxSelectMultiple)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
