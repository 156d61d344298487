"""The policy page: a policy and its P1–P4 targets."""

from __future__ import annotations

from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from tickets.models import Priority

from ..models import BusinessCalendar, SlaPolicy, SlaTarget, Unit
from .common import form_helper

# The specification's table, offered for a new policy: (response value, unit), (resolution value, unit).
SPEC_TARGETS = {
    "P1": (15, Unit.MINUTES, 4, Unit.HOURS),
    "P2": (1, Unit.HOURS, 8, Unit.HOURS),
    "P3": (4, Unit.HOURS, 48, Unit.HOURS),
    "P4": (24, Unit.HOURS, 5, Unit.DAYS),
}

# At most a year of working time per target: the deadline walk in sla.calendar gives up after three
# calendar years, and a longer target is a typing mistake rather than a service level.
UNIT_MAX = {Unit.MINUTES: 365 * 24 * 60, Unit.HOURS: 365 * 24, Unit.DAYS: 365}
MINUTES_PER_UNIT = {Unit.MINUTES: 1, Unit.HOURS: 60}



class SlaPolicyForm(forms.ModelForm):
    """Name, scope (default, one organisation, or a contract), calendar and warning threshold.

    Scope rules, which `sla.services.policy_for` relies on: exactly one default policy, which covers
    every ticket no other policy covers; any other policy is for one organisation or for one
    contract, never both, and a contract has at most one policy.
    """

    warning_percent = forms.IntegerField(
        label=SlaPolicy._meta.get_field("warning_percent").verbose_name, min_value=1, max_value=99,
        help_text=SlaPolicy._meta.get_field("warning_percent").help_text,
    )

    class Meta:
        model = SlaPolicy
        fields = ["name", "is_default", "organisation", "contract", "calendar", "warning_percent"]
        widgets = {"contract": forms.TextInput(attrs={"list": "sla-known-contracts", "autocomplete": "off"})}
        error_messages = {"name": {"unique": _("A policy with this name already exists.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        self.fields["organisation"].empty_label = _("— none —")
        self.fields["calendar"].queryset = BusinessCalendar.objects.order_by("name")
        self.fields["calendar"].empty_label = None
        self.fields["calendar"].help_text = _(
            "With a business calendar, hours count only working hours and days count working days."
        )
        self.helper = form_helper()
        self.helper.layout = Layout(
            Row(Column("name", css_class="col-md-6"), Column("calendar", css_class="col-md-6")),
            "is_default",
            Row(Column("organisation", css_class="col-md-6"), Column("contract", css_class="col-md-6")),
            Row(Column("warning_percent", css_class="col-md-6")),
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("The name cannot be empty."))
        return name

    def clean_contract(self) -> str:
        return self.cleaned_data["contract"].strip()

    def clean_organisation(self) -> Organisation | None:
        organisation = self.cleaned_data["organisation"]
        if organisation is not None:
            other = SlaPolicy.objects.filter(organisation=organisation).exclude(pk=self.instance.pk).first()
            if other is not None:
                raise ValidationError(
                    _("%(organisation)s already has its own policy, “%(policy)s”: edit that one instead."),
                    params={"organisation": organisation, "policy": other},
                )
        return organisation

    def clean(self) -> dict:
        data = super().clean()
        is_default = data.get("is_default", False)
        organisation, contract = data.get("organisation"), data.get("contract", "")
        if organisation is not None and contract:
            self.add_error("contract", _(
                "A policy is for one organisation or for every organisation with a contract, not both: "
                "empty one of the two fields."
            ))
        if is_default and (organisation is not None or contract):
            self.add_error("is_default", _(
                "The default policy covers every ticket that no other policy covers, so it cannot be "
                "limited to an organisation or a contract."
            ))
        elif is_default:
            current = SlaPolicy.objects.filter(is_default=True).exclude(pk=self.instance.pk).first()
            if current is not None:
                self.add_error("is_default", ValidationError(
                    _("“%(policy)s” is already the default policy and there can be only one: edit its "
                      "targets instead."), params={"policy": current},
                ))
        elif organisation is None and not contract and "organisation" not in self.errors:
            if self.instance.pk and self.instance.is_default:
                self.add_error("is_default", _(
                    "There must always be a default policy: tickets of organisations without their own "
                    "policy use it. Keep this box ticked and change its targets or calendar instead."
                ))
            else:
                self.add_error("organisation", _(
                    "Choose an organisation or a contract: a policy that is neither the default nor "
                    "limited to one of them would apply to no ticket."
                ))
        if contract and "contract" not in self.errors:
            other = (SlaPolicy.objects.filter(organisation__isnull=True, contract__iexact=contract)
                     .exclude(pk=self.instance.pk).first())
            if other is not None:
                self.add_error("contract", ValidationError(
                    _("The policy “%(policy)s” already applies to the contract “%(contract)s”; a contract "
                      "has only one policy."), params={"policy": other, "contract": other.contract},
                ))
        return data

    def known_contracts(self) -> list[str]:
        """The contracts organisations have, offered as suggestions (a <datalist>, no script)."""
        return list(Organisation.objects.exclude(contract="").order_by("contract")
                    .values_list("contract", flat=True).distinct())


class SlaTargetForm(forms.ModelForm):
    """One priority's targets. The priority is fixed by the row, never taken from the request."""

    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices, disabled=True)
    response_value = forms.IntegerField(label=_("first response within"), min_value=1)
    response_unit = forms.ChoiceField(label=_("unit"), choices=Unit.choices)
    resolution_value = forms.IntegerField(label=_("resolution within"), min_value=1)
    resolution_unit = forms.ChoiceField(label=_("unit"), choices=Unit.choices)

    class Meta:
        model = SlaTarget
        fields = ["priority", "response_value", "response_unit", "resolution_value", "resolution_unit"]

    def clean(self) -> dict:
        data = super().clean()
        for prefix in ("response", "resolution"):
            value, unit = data.get(f"{prefix}_value"), data.get(f"{prefix}_unit")
            if value is not None and unit in UNIT_MAX and value > UNIT_MAX[unit]:
                self.add_error(f"{prefix}_value", ValidationError(
                    _("At most %(max)s %(unit)s (one year)."),
                    params={"max": UNIT_MAX[unit], "unit": Unit(unit).label},
                ))
        response, resolution = self._minutes("response"), self._minutes("resolution")
        if response is not None and resolution is not None and resolution < response:
            self.add_error("resolution_value", _("The resolution target cannot be shorter than the first "
                                                 "response target."))
        return data

    def _minutes(self, prefix: str) -> int | None:
        """Comparable length of a target; None for days, whose length depends on the calendar
        (a day is 9 hours on a 9:00–18:00 calendar), unless both targets are in days."""
        value, unit = self.cleaned_data.get(f"{prefix}_value"), self.cleaned_data.get(f"{prefix}_unit")
        if value is None or unit is None:
            return None
        if unit == Unit.DAYS:
            other = "resolution" if prefix == "response" else "response"
            return value * 24 * 60 if self.cleaned_data.get(f"{other}_unit") == Unit.DAYS else None
        return value * MINUTES_PER_UNIT[unit]

    def validate_unique(self) -> None:
        """The priorities come from the rows themselves and are checked once per page by the formset;
        sla_policy_save writes them by priority."""


class BaseSlaTargetFormSet(BaseInlineFormSet):
    """Exactly one row per priority, P1 to P4. Priorities a policy lacks (all four for a new policy)
    are offered with the the specification values."""

    def __init__(self, data=None, *, instance: SlaPolicy, **kwargs):
        existing = set(instance.targets.values_list("priority", flat=True)) if instance.pk else set()
        kwargs.setdefault("initial", [
            {"priority": priority, "response_value": rv, "response_unit": ru,
             "resolution_value": sv, "resolution_unit": su}
            for priority, (rv, ru, sv, su) in SPEC_TARGETS.items() if priority not in existing
        ])
        super().__init__(data, instance=instance, **kwargs)
        self.helper = form_helper()

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        priorities = sorted(form.cleaned_data.get("priority") or "" for form in self.forms)
        if priorities != sorted(Priority.values):
            raise ValidationError(_("The policy needs exactly one row per priority: P1, P2, P3 and P4."))

    def cleaned_targets(self) -> dict[str, dict]:
        """{priority: {response_value, response_unit, resolution_value, resolution_unit}} for the service."""
        fields = ("response_value", "response_unit", "resolution_value", "resolution_unit")
        return {form.cleaned_data["priority"]: {name: form.cleaned_data[name] for name in fields}
                for form in self.forms}


SlaTargetFormSet = inlineformset_factory(
    SlaPolicy, SlaTarget, form=SlaTargetForm, formset=BaseSlaTargetFormSet,
    extra=0, min_num=len(Priority.values), max_num=len(Priority.values), validate_max=True, can_delete=False,
)


class PolicyForms:
    """The policy page: the policy form and its targets, validated together."""

    def __init__(self, data=None, *, instance: SlaPolicy):
        self.policy = SlaPolicyForm(data, instance=instance)
        self.targets = SlaTargetFormSet(data, instance=instance, prefix="targets")

    def is_valid(self) -> bool:
        # Both, so every error of the page shows at once.
        return all([self.policy.is_valid(), self.targets.is_valid()])


