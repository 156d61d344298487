"""The escalation panel's handover forms written in Python (`{% helper_form %}`, tickets.templatetags.fields)
render what `{% crispy %}` renders for them (the same elements, attributes and text; whitespace aside): the
workspace shows both on every open ticket, and crispy's dozen nested templates per field cost ~4 ms a page."""

from __future__ import annotations

import pytest
from django.template import engines
from django.test import RequestFactory
from django.test.html import parse_html

from accounts.roles import Level
from escalation.forms import HandoverForm
from tests.factories import UserFactory


def _render(source: str, form) -> str:
    request = RequestFactory().get("/")
    return engines["django"].from_string("{% load crispy_forms_tags fields %}" + source).render({"form": form}, request)


def _token_free(html: str):
    # Each render draws a new masked CSRF token: compare everything else, and that both carry one.
    assert html.count('name="csrfmiddlewaretoken"') == 1
    start = html.index('name="csrfmiddlewaretoken" value="') + len('name="csrfmiddlewaretoken" value="')
    return parse_html(html[:start] + html[html.index('"', start):])


@pytest.mark.parametrize(("to_level", "down"), [("N2", False), ("N1", True), ("N4", False)])
def test_the_handover_forms_render_as_crispy_renders_them(db, agent_n1, agent_n2, to_level, down):
    UserFactory(username="hostile", first_name='<script>"x"</script>', last_name="&amp;", groups=[Level.N2.value])
    form = HandoverForm(initial={"version": 7}, to_level=to_level, down=down)

    ours = _render("{% helper_form form %}", form)

    assert _token_free(ours) == _token_free(_render("{% crispy form %}", form))
    assert "<script>" not in ours


def test_a_bound_form_is_refused(db):
    form = HandoverForm({"version": "x"}, to_level="N2")

    with pytest.raises(ValueError, match="crispy"):
        _render("{% helper_form form %}", form)
