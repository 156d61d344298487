"""`{{ user|display_name }}`: accounts.people.user_display in templates."""

from django import template

from accounts.people import user_display

register = template.Library()


@register.filter
def display_name(user) -> str:
    return user_display(user)
