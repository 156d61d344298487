"""{% icon "paperclip" %}: a Bootstrap Icons SVG inlined in the page (no icon font, no request, nothing
for the CSP to allow). The files come from the django-js-lib-bootstrap-icons wheel, read once.

An icon beside a word is decoration (aria-hidden); an icon standing alone gets `label=`, which becomes
its accessible name (role="img" and aria-label) and its tooltip."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

ICONS = files("js_lib_bootstrap_icons") / "static" / "bootstrap-icons"
NAME = re.compile(r"^[a-z0-9-]+$")
OPENING = re.compile(r"<svg\b[^>]*>")


@lru_cache(maxsize=256)
def _svg_body(name: str) -> str:
    """The icon's inner markup (its paths), without the <svg> wrapper the tag writes itself."""
    if not NAME.match(name):
        raise ValueError(f"not an icon name: {name!r}")
    text = (ICONS / f"{name}.svg").read_text(encoding="utf-8")
    return OPENING.sub("", text, count=1).replace("</svg>", "").strip()


@register.simple_tag
def icon(name: str, label: str = "", css: str = "") -> str:
    classes = escape(f"bi bi-{name} {css}".strip())
    if label:
        label = escape(label)
        attributes, title = f'role="img" aria-label="{label}"', f"<title>{label}</title>"
    else:
        attributes, title = 'aria-hidden="true"', ""
    return mark_safe(  # noqa: S308 - the SVG is the package's file; label and classes are escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" width="1em" height="1em" fill="currentColor" '
        f'viewBox="0 0 16 16" class="{classes}" focusable="false" {attributes}>{title}{_svg_body(name)}</svg>'
    )
