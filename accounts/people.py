"""How a person is named on every page, menu and export: the full name, else the username."""

from __future__ import annotations

import django_filters
from django import forms


def user_display(user) -> str:
    """“Julien Roux”, or “jroux” for an account without a name; "" for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of users (an assignee, an agent) that lists people by name."""

    def label_from_instance(self, obj) -> str:
        return user_display(obj)


class PersonChoiceFilter(django_filters.ModelChoiceFilter):
    """django-filter's ModelChoiceFilter over users, with PersonChoiceField's labels."""

    field_class = PersonChoiceField
