"""The dashboard's breakdown rows written in Python (dashboard.templatetags.dashboard_tags.breakdown_rows) render
what their reference template renders (dashboard/partials/breakdown_row.html): the same elements, attributes and
text, whitespace aside, for every verdict, a missing value, a row without verdicts, the agents' links, in both
languages; and they escape every label."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.test.html import parse_html
from django.utils import translation

from dashboard.templatetags.dashboard_tags import breakdown_rows, trend_rows
from dashboard.views import METRIC_COLUMNS

HOSTILE = '<script>alert("x")</script>&amp;\'"'
ALL_OK = {"mttr": True, "resolution_rate": True, "csat": True, "reopening_rate": True, "first_response": True}
NONE_OK = dict.fromkeys(ALL_OK, False)


def _row(key, label, ok, **values) -> dict:
    figures = {"total": 12, "mttr_hours": 3.5, "first_response_hours": 0.25, "response_met_pct": 91.7,
               "resolution_met_pct": Decimal("88.9"), "resolution_rate": 75.0, "csat": 4.2, "reopening_rate": 8.3}
    return {"key": key, "label": label, "ok": ok, **figures, **values}


ROWS = [
    _row("P1", "P1", ALL_OK),
    _row("P1", "P1", NONE_OK),
    _row("P2", "P2", NONE_OK, mttr_hours=None, csat=None),
    _row("N2", "N2", ALL_OK, resolution_rate=None, reopening_rate=None, response_met_pct=None),
    _row(7, HOSTILE, {}),
    _row(8, "", NONE_OK),
    {"key": 9, "label": "Réseau", "total": 0},
    _row("P4", "P4", ALL_OK, total=12345, mttr_hours=1234.5, csat=Decimal("4.25"), reopening_rate=0.1),
]


@pytest.fixture(params=["fr", "en"])
def language(request):
    with translation.override(request.param):
        yield request.param


@pytest.mark.parametrize("link_agents", [False, True], ids=["labels", "agent-links"])
def test_the_rows_render_as_their_reference_template(language, link_agents):
    # The agents' rows are keyed by the agent's id (their link), the others by a priority, level or category.
    rows = [{**row, "key": number} for number, row in enumerate(ROWS, 1)] if link_agents else ROWS
    written = str(breakdown_rows(rows, METRIC_COLUMNS, link_agents))
    reference = "".join(render_to_string("dashboard/partials/breakdown_row.html",
                                         {"row": row, "columns": METRIC_COLUMNS, "link_agents": link_agents})
                        for row in rows)

    assert parse_html(written) == parse_html(reference)


def test_labels_are_escaped_and_numbers_localised():
    with translation.override("fr"):
        written = str(breakdown_rows(ROWS[4:5], METRIC_COLUMNS, False))

    assert "<script>" not in written and "&lt;script&gt;" in written
    assert ">3,5<" in written and ">4,2<" in written


def test_the_dashboard_shows_the_rows(client, manager, requester, category):
    from tests.factories import make_ticket

    make_ticket(requester=requester, category=category)
    client.force_login(manager)
    page = client.get("/dashboard/", {"period": "7d"}).content.decode()

    table = page[page.index('data-testid="table-category"'):]
    table = table[:table.index("</table>")]
    assert category.name in table and "<tr>" in table


# The charts' table before session 18 of issue 16, as index.html wrote it: the reference of trend_rows.
TREND_TEMPLATE = ('{% for row in trend %}<tr><th scope="row">{{ row.bucket|date:"SHORT_DATE_FORMAT" }}</th>'
                  '<td>{{ row.created }}</td><td>{{ row.resolved }}</td><td>{{ row.mttr_hours|default_if_none:"—" }}'
                  '</td><td>{{ row.csat|default_if_none:"—" }}</td></tr>{% endfor %}')
TREND = [
    {"bucket": date(2025, 1, 6), "created": 12, "resolved": 0, "mttr_hours": 3.5, "csat": Decimal("4.25")},
    {"bucket": date(2025, 12, 29), "created": 12345, "resolved": 1234, "mttr_hours": None, "csat": None},
    {"bucket": date(2026, 11, 30), "created": 0, "resolved": 7, "mttr_hours": 1234.57, "csat": 4.0},
]


def test_the_trend_rows_render_as_the_template_loop_they_replace(language):
    reference = engines["django"].from_string(TREND_TEMPLATE).render({"trend": TREND})

    assert str(trend_rows(TREND)) == reference
    assert ("06/01/2025" if language == "fr" else "01/06/2025") in reference
    assert (">3,5<" if language == "fr" else ">3.5<") in reference and "<td>—</td>" in reference
