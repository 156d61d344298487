"""Form fields over reference data read from the cache (core.cache): their choices are built and their
input checked without a query, where a ModelChoiceField queries for both."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model


class CachedModelChoiceField(forms.ChoiceField):
    """A ModelChoiceField over `objects()`, a sequence of model instances (the cache's: never changed):
    cleans to the chosen instance, or None when not required and empty. `label_from_instance(obj)` is what
    the choice shows (str by default)."""

    default_error_messages = forms.ModelChoiceField.default_error_messages

    def __init__(self, *, objects: Callable[[], Sequence[Model]],
                 label_from_instance: Callable[[Model], str] = str, empty_label: str | None = "---------",
                 **kwargs):
        self.objects, self.label_of, self.empty_label = objects, label_from_instance, empty_label
        super().__init__(choices=self._choices_now, **kwargs)

    def _choices_now(self) -> list[tuple[object, str]]:
        empty = [("", self.empty_label)] if self.empty_label is not None and (not self.required or not self.initial) else []
        return empty + [(obj.pk, self.label_of(obj)) for obj in self.objects()]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        by_pk = {str(obj.pk): obj for obj in self.objects()}
        try:
            return by_pk[str(value.pk if isinstance(value, Model) else value)]
        except KeyError:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                  params={"value": value}) from None

    def validate(self, value):
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")

    def prepare_value(self, value):
        return value.pk if isinstance(value, Model) else value

    def has_changed(self, initial, data):
        return str(self.prepare_value(initial) or "") != str(data or "")
