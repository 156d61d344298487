from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Action


class AuditFilterForm(forms.Form):
    """The page's filters (and the CSV's: the same query string). A person is named by their username."""

    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("All")), *Action.choices])
    actor = forms.CharField(label=_("By (username)"), required=False, max_length=150)
    subject = forms.CharField(label=_("Person concerned (username)"), required=False, max_length=150)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ip = forms.GenericIPAddressField(label=_("IP address"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def filter(self, queryset):
        """The entries the valid filters select (an invalid one filters nothing: its error is shown)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("action"):
            queryset = queryset.filter(action=data["action"])
        users = get_user_model()._default_manager
        username = get_user_model().USERNAME_FIELD
        for name in ("actor", "subject"):
            if data.get(name):
                # By id, found first (one small query), so that the planner reads the (actor, at) or
                # (subject, at) index newest first instead of joining the whole log (bench/audit_log.py).
                people = list(users.filter(**{f"{username}__iexact": data[name].strip()}).values_list("pk", flat=True))
                queryset = queryset.filter(**{f"{name}_id__in": people})
        # Bounds on the indexed column itself, midnight to midnight in the site's time zone.
        if data.get("since"):
            queryset = queryset.filter(at__gte=_midnight(data["since"]))
        if data.get("until"):
            queryset = queryset.filter(at__lt=_midnight(data["until"] + timedelta(days=1)))
        if data.get("ip"):
            queryset = queryset.filter(ip=data["ip"])
        return queryset


def _midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
