"""kb.markdown.render_markdown: Markdown in, an allow-list of HTML out, whatever the author typed."""

from __future__ import annotations

import pytest

from kb.markdown import render_markdown
from kb.templatetags.kb_tags import markdown_filter


def test_markdown_renders_headings_lists_code_quotes_and_tables():
    html = render_markdown("# Titre\n\n- un\n- deux\n\n> cité\n\n```\nping 10.0.0.1\n```\n\n"
                           "| a | b |\n|---|---|\n| 1 | 2 |\n\nDu `code` et **gras**.")

    for fragment in ("<h2>Titre</h2>", "<li>un</li>", "<blockquote>", "<pre><code>ping 10.0.0.1",
                     '<table class="table table-sm table-bordered">', "<td>1</td>", "<code>code</code>",
                     "<strong>gras</strong>"):
        assert fragment in html, fragment


def test_headings_start_below_the_page_title_and_tables_scroll_in_a_named_region():
    html = render_markdown("# Un\n\n## Deux\n\n###### Six\n\n<h1>brut</h1>\n\n| a |\n|---|\n| 1 |")

    assert "<h1>" not in html
    assert "<h2>Un</h2>" in html and "<h3>Deux</h3>" in html and "<h6>Six</h6>" in html
    assert "<h2>brut</h2>" in html
    assert '<div class="table-responsive" role="region" tabindex="0" aria-label="Tableau"><table ' in html
    assert html.count("</table></div>") == 1


def test_script_tags_are_removed_with_their_content():
    html = render_markdown("Avant\n\n<script>alert(1)</script>\n\nAprès <script>steal()</script>")

    assert "<script" not in html.lower()
    assert "alert(1)" not in html and "steal()" not in html
    assert "Avant" in html and "Après" in html


def test_event_handlers_are_dropped():
    html = render_markdown('<img src="https://example.org/a.png" onerror="alert(1)">\n\n'
                           '<p onclick="alert(2)">texte</p>')

    assert "onerror" not in html and "onclick" not in html and "alert" not in html
    assert '<img src="https://example.org/a.png">' in html
    assert "<p>texte</p>" in html


@pytest.mark.parametrize("source", [
    "[cliquez](javascript:alert(1))",
    "[cliquez](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">cliquez</a>',
    "[cliquez](vbscript:msgbox(1))",
    "[cliquez](data:text/html;base64,PHNjcmlwdD4=)",
])
def test_javascript_and_data_links_lose_their_href(source):
    html = render_markdown(source)

    assert "href" not in html
    assert "javascript" not in html.lower() and "data:" not in html
    assert ">cliquez</a>" in html


@pytest.mark.parametrize("source", [
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<img src="data:image/png;base64,AAAA">',
    "![x](javascript:alert(1))",
    "![x](/media/relative.png)",
])
def test_images_keep_http_and_https_sources_only(source):
    html = render_markdown(source)

    assert "src=" not in html


def test_links_keep_http_https_and_mailto_with_a_safe_rel():
    html = render_markdown("[doc](https://example.org/doc) [mail](mailto:support@example.org) [rel](/kb/autre/)")

    assert '<a href="https://example.org/doc" rel="noopener noreferrer nofollow">doc</a>' in html
    assert '<a href="mailto:support@example.org" rel="noopener noreferrer nofollow">mail</a>' in html
    assert '<a rel="noopener noreferrer nofollow">rel</a>' in html  # relative: href dropped


def test_raw_html_outside_the_allow_list_is_stripped():
    html = render_markdown('<div style="position:fixed;top:0">Cadre</div>\n\n<iframe src="https://evil.example"></iframe>'
                           '\n\n<form action="https://evil.example"><input name="password"></form>\n\n'
                           '<style>body { display: none }</style>\n\n<svg onload="alert(1)"></svg>')

    for forbidden in ("<div", "style", "<iframe", "evil.example", "<form", "<input", "<svg", "onload", "display"):
        assert forbidden not in html, forbidden
    assert "Cadre" in html


def test_raw_html_in_markdown_cannot_smuggle_attributes_onto_allowed_tags():
    html = render_markdown('<a href="https://ok.example" onmouseover="alert(1)" style="x" target="_top">ok</a>')

    assert html.strip() == '<p><a href="https://ok.example" rel="noopener noreferrer nofollow">ok</a></p>'


def test_html_inside_code_is_shown_escaped_not_interpreted():
    html = render_markdown("`<script>alert(1)</script>`")

    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in html


def test_the_template_filter_uses_the_same_renderer():
    source = "**ok** <script>alert(1)</script>"

    assert markdown_filter(source) == render_markdown(source)
    assert "<strong>ok</strong>" in markdown_filter(source)
