"""What the SLA pages' forms share: crispy's helper for a page of several forms."""

from __future__ import annotations

from crispy_forms.helper import FormHelper


def form_helper() -> FormHelper:
    """The page holds several forms in one <form>: crispy lays out fields, the template owns the tag."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper
