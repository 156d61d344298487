from django import forms
from django.utils.translation import gettext_lazy as _

from sla.models import BusinessCalendar
from tickets.selectors import all_categories

from .models import LevelSetting


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Why you cannot take it"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))


class LevelSettingForm(forms.ModelForm):
    class Meta:
        model = LevelSetting
        fields = ["policy", "max_open"]


LevelSettingFormSet = forms.modelformset_factory(LevelSetting, form=LevelSettingForm, extra=0, can_delete=False)


class AgentDispatchForm(forms.Form):
    """An agent's working hours and, per level, the categories they handle ("every category" or a list)."""

    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.order_by("name"), required=False, label=_("Working hours"),
        empty_label=_("Any hour"), help_text=_("A business calendar; empty: the agent may receive tickets at any hour."),
    )

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.levels = list(levels)
        # The category tree from the reference cache (full paths without a query per option).
        choices = sorted(((c.pk, c.full_name) for c in all_categories()), key=lambda choice: choice[1])
        for level in self.levels:
            self.fields[f"every_{level}"] = forms.BooleanField(
                required=False, label=_("%(level)s: every category") % {"level": level})
            self.fields[f"categories_{level}"] = forms.TypedMultipleChoiceField(
                choices=choices, coerce=int, required=False, label=_("%(level)s: categories") % {"level": level},
                widget=forms.SelectMultiple(attrs={"size": min(8, max(3, len(choices)))}),
                help_text=_("A category covers its sub-categories."))

    def level_fields(self):
        return [(level, self[f"every_{level}"], self[f"categories_{level}"]) for level in self.levels]

    def skills(self) -> dict[str, list[int | None]]:
        """{level: [category id, …] or [None] for every category}, from the cleaned data."""
        found = {}
        for level in self.levels:
            if self.cleaned_data.get(f"every_{level}"):
                found[level] = [None]
            else:
                found[level] = list(dict.fromkeys(self.cleaned_data.get(f"categories_{level}") or []))
        return found
