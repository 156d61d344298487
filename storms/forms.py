from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _


def _helper(label, css: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.add_input(Submit("submit", label, css_class=css))
    return helper


class DeclareStormForm(forms.Form):
    update = forms.CharField(
        label=_("First status update to the requesters"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the requester of every ticket linked to the incident."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Declare a major incident"), "btn-danger")


class DismissStormForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it not a major incident?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("It is suggested again only if it keeps growing."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Not a major incident"), "btn-secondary")


class FollowForm(forms.Form):
    """The new-ticket form, sent to the follow URL: only its title is kept, as what the requester typed."""

    title = forms.CharField(max_length=200, required=False)
