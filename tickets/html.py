"""Django's select widget templates written in Python, for the hot pages (bench/RESULTS.md, issue 16): the
queue's filter selects (tickets.queue.Select) and the `{% field %}` tag (tickets.templatetags.fields) render
byte for byte what django/forms/widgets/select.html and select_option.html do, without one template include
per option."""

from __future__ import annotations

from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe


def attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html, in Python."""
    return "".join(
        f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items() if value is not False and value is not None
    )


def select_html(widget: dict) -> SafeString:
    """A select from its widget context (`widget.get_context(...)["widget"]`): name, attrs, optgroups."""
    html = [f'<select name="{conditional_escape(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            html.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            html.append(f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                        f'{attrs_html(option["attrs"])}>{conditional_escape(option["label"])}</option>\n')
        if group_name:
            html.append("\n  </optgroup>")
    html.append("\n</select>")
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


# The widgets whose template is Django's input.html and nothing else (text.html, date.html… include it).
INPUT_TEMPLATES = frozenset({"django/forms/widgets/text.html", "django/forms/widgets/date.html",
                             "django/forms/widgets/number.html", "django/forms/widgets/email.html",
                             "django/forms/widgets/input.html"})


def input_html(widget: dict) -> SafeString:
    """An <input> from its widget context: what django/forms/widgets/input.html renders (the value through
    `stringformat:'s'`, so always escaped)."""
    value = "" if widget["value"] is None else f' value="{escape(str(widget["value"]))}"'
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"{value}'
        f'{attrs_html(widget["attrs"])}>')


TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"


def textarea_html(widget: dict) -> SafeString:
    """A <textarea> from its widget context: what django/forms/widgets/textarea.html renders."""
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<textarea name="{conditional_escape(widget["name"])}"{attrs_html(widget["attrs"])}>\n{value}</textarea>')
