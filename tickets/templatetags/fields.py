"""`{% field form.name %}`: a form field in crispy-bootstrap5's markup (the same wrapper, label, classes and
error block as `|as_crispy_field`), written in Python for the widgets of the hot pages' filter forms
(select, text, search, date, number, email). crispy renders each field through a dozen nested templates,
which on the queue, the workspace and the dashboard cost more than their queries (bench/RESULTS.md, issue
16). Any other widget goes to crispy."""

from __future__ import annotations

from django import forms, template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

# crispy-bootstrap5's class for each input: the widget's class name lowercased, then Bootstrap's.
FAST_WIDGETS = (forms.Select, forms.TextInput, forms.DateInput, forms.NumberInput, forms.EmailInput,
                forms.Textarea)


def _classes(widget) -> str:
    bootstrap = "form-select" if isinstance(widget, forms.Select) else "form-control"
    return f"{widget.__class__.__name__.lower()} {bootstrap}"


@register.simple_tag
def field(bound):
    widget = bound.field.widget
    if not isinstance(widget, FAST_WIDGETS) or isinstance(widget, forms.SelectMultiple) or widget.is_hidden:
        from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

        return as_crispy_field(bound)
    classes = _classes(widget)
    existing = widget.attrs.get("class")
    if existing:
        classes = f"{classes} {existing}"
    if bound.errors:
        classes += " is-invalid"
    control = bound.as_widget(attrs={"class": classes})
    label = ""
    if bound.label:
        required = mark_safe('<span class="asteriskField">*</span>') if bound.field.required else ""
        label = format_html('<label for="{}" class="form-label{}">{}{}</label>', bound.id_for_label,
                            " requiredField" if bound.field.required else "", bound.label, required)
    errors = format_html_join("", '<span id="error_{}_{}" class="invalid-feedback"><strong>{}</strong></span>',
                              ((n, bound.auto_id, error) for n, error in enumerate(bound.errors, 1)))
    help_text = (format_html('<div id="{}_helptext" class="form-text">{}</div>', bound.auto_id, bound.help_text)
                 if bound.help_text else "")
    return format_html('<div id="div_{}" class="mb-3">{}{}{}{}</div>', bound.auto_id, label, control, errors,
                       help_text)
