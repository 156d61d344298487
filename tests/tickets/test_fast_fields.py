"""tickets.templatetags.fields: the hot pages' fields written in Python render what crispy-bootstrap5 renders
(the same elements, attributes and text; whitespace aside), so the pages look and behave the same."""

from __future__ import annotations

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django.test.html import parse_html

from dashboard.forms import DashboardFilterForm
from tests.factories import CategoryFactory, OrganisationFactory
from tickets.forms import (
    AssignForm,
    LinkForm,
    PriorityForm,
    QualifyForm,
    ResolveForm,
    RootCauseForm,
    WaitForm,
)
from tickets.models import Ticket
from tickets.queue import QueueFilter
from tickets.templatetags.fields import field, form_fields


@pytest.fixture
def reference_data(db, agent_n1, agent_n2):
    CategoryFactory(name="Réseau")
    OrganisationFactory(name="Acme <& Cie>")


@pytest.mark.parametrize("data", [{}, {"status": "new", "q": "x<\"y", "created_after": "2026-01-01", "sort": "age"},
                                  {"priority": "P9", "created_after": "pas une date"}],
                         ids=["empty", "filled", "invalid"])
def test_every_queue_filter_renders_as_crispy_renders_it(reference_data, data):
    form = QueueFilter(data or None, agent=None, queryset=Ticket.objects.none()).form
    form.is_valid()

    for name in form.fields:
        ours = str(field(form[name]))  # first: crispy adds its classes to the widget's own attributes
        assert parse_html(ours) == parse_html(str(as_crispy_field(form[name]))), name


@pytest.mark.parametrize("form_class", [AssignForm, LinkForm, PriorityForm, QualifyForm, ResolveForm, RootCauseForm, WaitForm])
@pytest.mark.parametrize("bound", [False, True], ids=["unbound", "bound-with-errors"])
def test_the_workspace_forms_render_as_crispy_renders_them(reference_data, form_class, bound):
    form = form_class({"version": "x"} if bound else None, initial={"version": 3})
    if bound:
        form.is_valid()

    ours = str(form_fields(form))
    assert parse_html(ours) == parse_html(str(as_crispy_form(form)))


@pytest.mark.parametrize("form_class", [LinkForm, PriorityForm, ResolveForm, RootCauseForm, WaitForm])
def test_typed_text_in_inputs_and_textareas_renders_as_crispy_renders_it(reference_data, form_class):
    """The inputs and textareas written in Python (tickets.html) keep and escape what was typed."""
    typed = '<script>alert("x")</script> &amp; \'l\'\n2e ligne'
    form = form_class({name: typed for name in form_class.base_fields})
    form.is_valid()

    ours = str(form_fields(form))
    assert parse_html(ours) == parse_html(str(as_crispy_form(form)))
    assert "<script>" not in ours


def test_the_dashboard_filters_render_as_crispy_renders_them(reference_data):
    form = DashboardFilterForm({"period": "custom", "start": "2026-01-01", "end": "nope"})
    form.is_valid()

    for name in form.fields:
        ours = str(field(form[name]))  # first: crispy adds its classes to the widget's own attributes
        assert parse_html(ours) == parse_html(str(as_crispy_field(form[name]))), name


def test_what_a_user_typed_comes_back_escaped(reference_data):
    """The fields written in Python mark their HTML safe: a typed value, an option's label and an error
    (which repeats the value) must reach it escaped."""
    form = QueueFilter({"q": "<script>alert(1)</script>", "created_after": "<img src=x onerror=alert(1)>"},
                       agent=None, queryset=Ticket.objects.none()).form
    form.is_valid()

    html = str(form_fields(form))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Acme &lt;&amp; Cie&gt;" in html  # an organisation's name among the options


def test_hidden_fields_render_as_django_renders_them():
    """A form's hidden inputs (the ticket's version in each workspace form) are written in Python as Django's
    hidden.html writes them: the value escaped, the id, the attributes of a bound or required field."""
    from django import forms

    from tickets.templatetags.fields import hidden_html

    class Hidden(forms.Form):
        version = forms.IntegerField(widget=forms.HiddenInput)
        note = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-x": 'a"b'}))
        initial = forms.CharField(required=False, widget=forms.HiddenInput, show_hidden_initial=True)

    for form in (Hidden(initial={"version": 3, "note": "<&>"}), Hidden({"version": "x", "note": '"q"'}),
                 Hidden({"version": "7"}, prefix="p")):
        form.is_valid()
        for bound in form:
            assert parse_html(str(hidden_html(bound))) == parse_html(str(bound)), (bound.name, str(bound))
    assert 'value="&lt;&amp;&gt;"' in str(hidden_html(Hidden(initial={"note": "<&>"})["note"]))
    assert 'value="&quot;q&quot;"' in str(hidden_html(Hidden({"note": '"q"'})["note"]))


@pytest.mark.parametrize("case", ["unbound", "bound", "errors", "required-and-disabled"])
def test_the_reply_forms_file_input_renders_as_crispy_renders_it(case):
    """The workspace's reply form has a file input (several files at once): written in Python (file_field_html)
    as crispy-bootstrap5's field_file.html writes it, its errors escaped."""
    from django import forms

    from tickets.forms import MultipleFileField, ReplyForm
    from tickets.templatetags.fields import file_field_html

    if case == "required-and-disabled":
        class Form(forms.Form):
            files = MultipleFileField(label="Fichiers <requis>", required=True, disabled=True, help_text="")
        form = Form({}, {})
        form.is_valid()
        bound = form["files"]
    else:
        form = ReplyForm({"version": "3", "body": "x"} if case != "unbound" else None, {} if case != "unbound" else None,
                         initial={"version": 3})
        if case == "errors":
            form.is_valid()
            form.add_error("attachments", 'Le fichier "<b>x.exe</b>" est refusé.')
        bound = form["attachments"]

    ours = str(field(bound))
    assert ours == str(file_field_html(bound))  # the tag takes the Python path
    assert parse_html(ours) == parse_html(str(as_crispy_field(bound)))
    if case == "errors":
        assert "&lt;b&gt;x.exe&lt;/b&gt;" in ours and "<b>" not in ours
