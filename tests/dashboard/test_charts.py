"""The dashboard's charts and cards for people who read them differently (issue 17): axis labels in HTML at
the page's size, a summary for screen readers, and a red card only against a target of its own unit."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.html import format_html_join

from dashboard.charts import line_chart


def test_a_line_chart_puts_its_axis_labels_in_html_and_names_itself():
    html = str(line_chart([("01/11", 3), ("02/11", None), ("03/11", 5)], title="Tickets créés"))

    assert "<text" not in html  # SVG text would scale down with the chart, below 12 px on a phone
    assert '<div class="chart-axis chart-axis-x" aria-hidden="true"><span>01/11</span><span>03/11</span></div>' in html
    assert "<span>5</span><span>0</span>" in html
    assert 'role="img" aria-label="Tickets créés du 01/11 au 03/11, au plus 5"' in html
    assert html.count("<circle") == 2 and "<title>03/11: 5</title>" in html


def test_the_dots_are_written_as_format_html_writes_them_labels_escaped():
    points = [("<b>01/11</b>", 3), ("02/11", None), ('"03/11" & co', 2.5)]

    html = str(line_chart(points, title="MTTR", unit=" <h>", color="#a85400"))

    reference = format_html_join(  # the chart's markup before issue 16's session 18, Django's own escaping
        "", '<circle cx="{}" cy="{}" r="4" fill="{}"><title>{}: {}{}</title></circle>',
        ((12.0, 12.0, "#a85400", "<b>01/11</b>", 3, " <h>"),
         (628.0, 41.3, "#a85400", '"03/11" & co', 2.5, " <h>")))
    assert str(reference) in html
    assert "<b>" not in html and "&lt;b&gt;01/11&lt;/b&gt;: 3 &lt;h&gt;" in html


def test_the_first_response_card_judges_the_share_within_the_sla_not_the_hours(client, manager):
    client.force_login(manager)

    html = client.get(reverse("dashboard:index")).content.decode()

    card = re.search(r'data-testid="metric-first_response"(.*?)</div>\s*</div>\s*</div>', html, re.S).group(1)
    hours = re.search(r'<div class="fs-3 fw-semibold">', card)
    assert hours, card  # the hours carry no colour: their target is a percentage
    assert 'data-testid="judged-first_response"' in card and "objectif ≥ 95 %" in card
