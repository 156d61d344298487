"""The workspace panels' forms with a crispy FormHelper (escalation's handover forms, postmortem's declare and
dismiss forms) written in Python by `{% helper_form %}` (tickets.templatetags.fields) render what `{% crispy %}`
renders for them (the same elements, attributes and text; whitespace aside): the workspace shows up to three on
every open ticket, and crispy's dozen nested templates per field cost about 2 ms each."""

from __future__ import annotations

import pytest
from django.template import engines
from django.test import RequestFactory
from django.test.html import parse_html

from accounts.roles import Level
from escalation.forms import HandoverForm
from postmortem.forms import DeclareForm, DismissForm
from tests.factories import UserFactory

TOKEN = 'name="csrfmiddlewaretoken" value="'


def _render(source: str, form) -> str:
    request = RequestFactory().get("/")
    return engines["django"].from_string("{% load crispy_forms_tags fields %}" + source).render({"form": form}, request)


def _token_free(html: str):
    # Each render draws a new masked CSRF token: compare everything else.
    if TOKEN in html:
        start = html.index(TOKEN) + len(TOKEN)
        html = html[:start] + html[html.index('"', start):]
    return parse_html(html)


@pytest.mark.parametrize(("to_level", "down"), [("N2", False), ("N1", True), ("N4", False)])
def test_the_handover_forms_render_as_crispy_renders_them(db, agent_n1, agent_n2, to_level, down):
    UserFactory(username="hostile", first_name='<script>"x"</script>', last_name="&amp;", groups=[Level.N2.value])
    form = HandoverForm(initial={"version": 7}, to_level=to_level, down=down)

    ours = _render("{% helper_form form %}", form)

    assert _token_free(ours) == _token_free(_render("{% crispy form %}", form))
    assert ours.count(TOKEN) == 1
    assert "<script>" not in ours


@pytest.mark.parametrize("form", [DeclareForm, lambda: DismissForm(initial={"origin": "workspace"})],
                         ids=["declare", "dismiss"])
def test_the_incident_forms_render_as_crispy_renders_them(db, form):
    form = form()

    ours = _render("{% helper_form form %}", form)

    assert parse_html(ours) == parse_html(_render("{% crispy form %}", form))
    assert TOKEN not in ours  # the helper disables it: the template's <form> carries the token


def test_a_bound_form_is_refused(db):
    form = HandoverForm({"version": "x"}, to_level="N2")

    with pytest.raises(ValueError, match="crispy"):
        _render("{% helper_form form %}", form)
