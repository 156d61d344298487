"""The one Markdown renderer: Markdown to HTML, then nh3 keeps an allow-list only.

Whatever the Markdown produced — including raw HTML the author typed, which Python-Markdown passes
through — goes through nh3: tags outside the list are stripped (script and style with their
content), attributes outside the list (event handlers, style) are dropped, links keep http, https
and mailto URLs only and get rel="noopener noreferrer nofollow", images keep http and https
sources only (no javascript:, data:, relative or protocol-less URLs).
"""

from __future__ import annotations

import re

import markdown as markdown_lib
import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]

ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr",
    "ul", "ol", "li", "dl", "dt", "dd",
    "strong", "em", "b", "i", "del", "code", "pre", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td",
    "a", "img",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
}
LINK_PREFIXES = ("http://", "https://", "mailto:")
IMAGE_PREFIXES = ("http://", "https://")
# Dropped with their content, not just unwrapped: a stripped <script> must not leave its code as text.
CONTENT_DROPPED = {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea", "select"}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Absolute URLs only: nh3's scheme list lets relative URLs through, which we do not want."""
    lowered = value.strip().lower()
    if tag == "a" and attribute == "href":
        return value if lowered.startswith(LINK_PREFIXES) else None
    if tag == "img" and attribute == "src":
        return value if lowered.startswith(IMAGE_PREFIXES) else None
    return value


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=CONTENT_DROPPED,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


# The page's own title is the <h1>: the article's headings start one level below it (# → <h2>).
HEADING = re.compile(r"<(/?)h([1-6])>")


def _fit_into_page(html: str) -> str:
    """Shift the headings one level down and give tables Bootstrap's look and a sideways scroll.

    Runs on nh3's output, where these tags carry no attribute at all: the patterns match them exactly."""
    html = HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}>", html)
    region = f'<div class="table-responsive" role="region" tabindex="0" aria-label="{escape(_("Table"))}">'
    return html.replace("<table>", f'{region}<table class="table table-sm table-bordered">').replace(
        "</table>", "</table></div>")


def render_markdown(text: str) -> SafeString:
    """Markdown → sanitised HTML, safe to put in a page as is."""
    html = markdown_lib.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    # nh3 has just sanitised it against the allow-list above (our own markup is added after it, on the
    # exact tags nh3 leaves): the one mark_safe of the project's Markdown.
    return mark_safe(_fit_into_page(sanitise_html(html)))  # noqa: S308
