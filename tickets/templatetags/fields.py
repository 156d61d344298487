"""`{% field form.name %}`: a form field in crispy-bootstrap5's markup (the same wrapper, label, classes and
error block as `|as_crispy_field`), written in Python for the widgets of the hot pages' filter forms
(select, text, search, date, number, email). crispy renders each field through a dozen nested templates,
which on the queue, the workspace and the dashboard cost more than their queries (bench/RESULTS.md, issue
16). Any other widget goes to crispy."""

from __future__ import annotations

from django import forms, template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from tickets.html import (
    INPUT_TEMPLATES,
    TEXTAREA_TEMPLATE,
    attrs_html,
    format_fast,
    input_html,
    select_html,
    textarea_html,
)

register = template.Library()

# crispy-bootstrap5's class for each input: the widget's class name lowercased, then Bootstrap's.
FAST_WIDGETS = (forms.Select, forms.TextInput, forms.DateInput, forms.NumberInput, forms.EmailInput,
                forms.Textarea)


def _widget(bound, attrs: dict) -> dict:
    """The widget's context as `bound.as_widget(attrs=attrs)` builds it, for a widget written in Python (a select,
    a text, date, number, email or hidden input, a textarea) instead of through Django's form renderer and its
    templates."""
    widget = bound.field.widget
    attrs = bound.build_widget_attrs(attrs, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    return widget.get_context(bound.html_name, bound.value(), attrs)["widget"]


HIDDEN_TEMPLATE = "django/forms/widgets/hidden.html"  # {% include "django/forms/widgets/input.html" %}


def hidden_html(bound) -> str:
    """`str(bound)` of a hidden field (the workspace's forms carry the ticket's version in one each): the <input>
    django/forms/widgets/hidden.html renders, written in Python; anything else through Django's renderer."""
    if bound.field.widget.template_name != HIDDEN_TEMPLATE or bound.field.show_hidden_initial:
        return str(bound)
    return input_html(_widget(bound, {}))


def _classes(widget) -> str:
    bootstrap = "form-select" if isinstance(widget, forms.Select) else "form-control"
    return f"{widget.__class__.__name__.lower()} {bootstrap}"


def file_field_html(bound) -> str:
    """What crispy-bootstrap5 renders for a file input with no file yet (bootstrap5/layout/field_file.html inside
    field.html: the label, then the input, its errors and help text in a <div>), written in Python. The workspace's
    reply form has one; through crispy's dozen templates it was a tenth of the page's rendering."""
    widget = _widget(bound, {})
    attrs = {name: value for name, value in widget["attrs"].items() if name != "class"}
    classes = "form-control"
    if widget["attrs"].get("class"):
        classes += f" {widget['attrs']['class']}"
    if bound.errors:
        classes += " is-invalid"
    control = format_fast('<input type="{}" name="{}" class="{}"', widget["type"], widget["name"], classes)
    control += (" disabled" if bound.field.disabled else "") + attrs_html(attrs) + ">"
    errors = ""
    if bound.errors:
        errors = format_fast('<div id="{}_error" class="invalid-feedback">{}</div>', bound.auto_id, SafeString("".join(
            format_fast('<span id="error_{}_{}"><strong>{}</strong></span>', n, bound.auto_id, error)
            for n, error in enumerate(bound.errors, 1))))
    # Help text is the developers' markup, not user input: unescaped, as crispy and Django render it.
    help_text = (format_fast('<div id="{}_helptext" class="form-text">{}</div>', bound.auto_id,
                             SafeString(bound.help_text)) if bound.help_text else "")
    return format_fast('<div id="div_{}" class="mb-3">{}<div{}>{}{}{}</div></div>', bound.auto_id, _label(bound),
                       SafeString(' class="is-invalid"' if bound.errors else ""), SafeString(control), errors,
                       help_text)


def _label(bound) -> str:
    if not bound.label:
        return ""
    required = mark_safe('<span class="asteriskField">*</span>') if bound.field.required else ""
    return format_html('<label for="{}" class="form-label{}">{}{}</label>', bound.id_for_label,
                       " requiredField" if bound.field.required else "", bound.label, required)


@register.simple_tag
def field(bound):
    widget = bound.field.widget
    if isinstance(widget, forms.ClearableFileInput) and not bound.value() and bound.auto_id:
        return file_field_html(bound)
    if not isinstance(widget, FAST_WIDGETS) or isinstance(widget, forms.SelectMultiple) or widget.is_hidden:
        from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

        return as_crispy_field(bound)
    classes = _classes(widget)
    existing = widget.attrs.get("class")
    if existing:
        classes = f"{classes} {existing}"
    if bound.errors:
        classes += " is-invalid"
    if isinstance(widget, forms.Select):
        # What select.html and select_option.html render, without a template include per option (a list of
        # agents, categories or organisations has dozens).
        control = select_html(_widget(bound, {"class": classes}))
    elif widget.template_name in INPUT_TEMPLATES:
        control = input_html(_widget(bound, {"class": classes}))
    elif widget.template_name == TEXTAREA_TEMPLATE:
        control = textarea_html(_widget(bound, {"class": classes}))
    else:
        control = bound.as_widget(attrs={"class": classes})
    label = _label(bound)
    errors = ""
    if bound.errors:
        errors = format_html('<div id="{}_error" class="invalid-feedback">{}</div>', bound.auto_id, format_html_join(
            "", '<p id="error_{}_{}"><strong>{}</strong></p>',
            ((n, bound.auto_id, error) for n, error in enumerate(bound.errors, 1))))
    # Help text is the developers' markup, not user input: unescaped, as crispy and Django render it.
    help_text = (format_html('<div id="{}_helptext" class="form-text">{}</div>', bound.auto_id,
                             mark_safe(bound.help_text)) if bound.help_text else "")  # noqa: S308
    return format_html('<div id="div_{}" class="mb-3">{}{}{}{}</div>', bound.auto_id, label, control, errors,
                       help_text)


@register.simple_tag
def form_fields(form):
    """What `{{ form|crispy }}` renders: the form's errors, then each field (hidden ones as their input)."""
    parts = []
    errors = form.non_field_errors()
    if errors:
        parts.append(format_html('<div class="alert alert-block alert-danger"><ul class="m-0">{}</ul></div>',
                                 format_html_join("", "<li>{}</li>", ((error,) for error in errors))))
    for bound in form:
        parts.append(hidden_html(bound) if bound.is_hidden else field(bound))
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - each part is escaped HTML


@register.simple_tag(takes_context=True)
def helper_form(context, form):
    """What `{% crispy form %}` renders for an unbound form whose FormHelper writes no <form> tag, has no
    layout and only plain inputs (buttons), as the workspace's escalation and incident panels have: the CSRF
    token (unless the helper disables it), each field as `{% form_fields %}` writes it, then the buttons in
    crispy's wrapper. A bound form (re-shown with its errors) goes to `{% crispy %}` in the template: crispy
    writes its errors differently there."""
    helper = form.helper
    if (form.is_bound or helper.form_tag or helper.layout is not None or helper.form_method.lower() != "post"
            or helper.label_class or helper.field_class or helper.form_class):
        raise ValueError("helper_form writes only an unbound form with a plain helper: use {% crispy %}")
    token = None if helper.disable_csrf else context.get("csrf_token")
    csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token) if token else ""
    inputs = ""
    if helper.inputs:
        inputs = format_html('<div class="mb-3"><div class="">{}</div></div>', format_html_join(
            "", '<input type="{}" name="{}" value="{}" class="{}" id="{}"{}>',
            ((i.input_type, slugify(i.name) if len(i.name.split()) > 1 else i.name, i.value, i.field_classes, i.id,
              i.flat_attrs) for i in helper.inputs)))
    return mark_safe(f"{csrf}{form_fields(form)}{inputs}")  # noqa: S308 - every part is format_html's
