from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Scope

EXPIRIES = [("30", _("30 days")), ("90", _("90 days")), ("365", _("1 year")), ("", _("Never"))]


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80,
                           help_text=_("What the token is for, e.g. “monitoring script”."))
    scope = forms.ChoiceField(label=_("Scope"), choices=Scope.choices, initial=Scope.READ,
                              widget=forms.RadioSelect)
    expires_in = forms.ChoiceField(label=_("Expires"), choices=EXPIRIES, initial="90", required=False)

    def expires_at(self):
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + timedelta(days=int(days)) if days else None
