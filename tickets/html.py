"""Django's select widget templates written in Python, for the hot pages (bench/RESULTS.md, issue 16): the
queue's filter selects (tickets.queue.Select) and the `{% field %}` tag (tickets.templatetags.fields) render
byte for byte what django/forms/widgets/select.html and select_option.html do, without one template include
per option."""

from __future__ import annotations

import html

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def escape_fast(value) -> str:
    """What django.utils.html.conditional_escape returns, without its lazy-argument wrappers: the hot pages
    escape about a thousand values per request, and conditional_escape costs ten Python calls each
    (bench/RESULTS.md, issue 16, session 6). Safe strings (an __html__ method) pass as they are; anything
    else, a lazy translation included, is made a string and escaped as Django's escape() does."""
    if type(value) is str:
        return html.escape(value)
    to_html = getattr(value, "__html__", None)
    return to_html() if to_html is not None else html.escape(str(value))


def format_fast(format_string: str, *args, **kwargs) -> SafeString:
    """format_html(format_string, *args, **kwargs), each value escaped by escape_fast."""
    return SafeString(format_string.format(  # every value is escaped
        *map(escape_fast, args), **{name: escape_fast(value) for name, value in kwargs.items()}))


def attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html, in Python."""
    return "".join(
        f" {escape_fast(name)}" if value is True else f' {escape_fast(name)}="{escape_fast(str(value))}"'
        for name, value in attrs.items() if value is not False and value is not None
    )


def select_html(widget: dict) -> SafeString:
    """A select from its widget context (`widget.get_context(...)["widget"]`): name, attrs, optgroups."""
    html = [f'<select name="{escape_fast(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            html.append(f'\n  <optgroup label="{escape_fast(group_name)}">')
        for option in group_choices:
            html.append(f'\n  <option value="{escape_fast(str(option["value"]))}"'
                        f'{attrs_html(option["attrs"])}>{escape_fast(option["label"])}</option>\n')
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
        f'<input type="{escape_fast(widget["type"])}" name="{escape_fast(widget["name"])}"{value}'
        f'{attrs_html(widget["attrs"])}>')


TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"


def textarea_html(widget: dict) -> SafeString:
    """A <textarea> from its widget context: what django/forms/widgets/textarea.html renders."""
    value = escape_fast(widget["value"]) if widget["value"] else ""
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<textarea name="{escape_fast(widget["name"])}"{attrs_html(widget["attrs"])}>\n{value}</textarea>')
