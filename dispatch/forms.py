from django import forms
from django.utils.translation import gettext_lazy as _


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Why you cannot take it"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))
