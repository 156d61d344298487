"""How a person is named on every page, menu and export: the full name, else the username; and the language
they chose."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ObjectDoesNotExist


def user_display(user) -> str:
    """“Julien Roux”, or “jroux” for an account without a name; "" for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def chosen_language(user) -> str | None:
    """The language the person picked in the pages' menu (Profile.language), or None if they never did (their
    emails are then in the site's language, their pages in their browser's)."""
    try:
        return user.profile.language or None
    except ObjectDoesNotExist:  # a person without a profile (an agent made in the admin)
        return None


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of users (an assignee, an agent) that lists people by name."""

    def label_from_instance(self, obj) -> str:
        return user_display(obj)


class PersonChoiceFilter(django_filters.ModelChoiceFilter):
    """django-filter's ModelChoiceFilter over users, with PersonChoiceField's labels."""

    field_class = PersonChoiceField
