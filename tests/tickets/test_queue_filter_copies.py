"""QueueFilter copies its filters one level deep and builds its form class once (tickets.queue): the same
validation, errors, SQL and form markup as django-filter's own deep copy and form class per request, and each
request's filters answer to their own FilterSet."""

from __future__ import annotations

import pytest
import time_machine
from django.http import QueryDict
from django.utils import timezone
from django_filters.filterset import BaseFilterSet

from tests.factories import CategoryFactory, OrganisationFactory
from tickets.models import Ticket
from tickets.queue import QueueFilter, view_choices
from tickets.templatetags.fields import field


class StockQueueFilter(QueueFilter):
    """The QueueFilter as it was: django-filter's __init__ (a deep copy of every filter) and form class per
    request."""

    def __init__(self, data=None, queryset=None, *, agent=None, **kwargs):
        BaseFilterSet.__init__(self, data, queryset, **kwargs)
        self.agent = agent
        self.filters["view"].extra["choices"] = view_choices()

    get_form_class = BaseFilterSet.get_form_class
    form = BaseFilterSet.form


PARAMS = [
    {}, {"view": "mine"}, {"view": "level", "sort": "priority"}, {"view": "breaching"}, {"view": "at_risk"},
    {"view": "nope"}, {"priority": "P3", "status": "waiting"}, {"priority": "bogus"}, {"level": "N2", "sla": "breached"},
    {"q": "  imprimante "}, {"q": "2026-0001"}, {"category": "{category}"}, {"category": "999999"},
    {"organisation": "{organisation}", "assignee": "{agent}"}, {"assignee": "abc"},
    {"created_after": "2026-01-01", "updated_before": "2026-11-01"}, {"created_before": "not a date"},
    {"ticket_type": "incident", "channel": "email"}, {"sort": "nope"},
]


def _query(params: dict, **values) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query[name] = value.format(**values)
    return query


@pytest.mark.parametrize("params", PARAMS, ids=[str(p) for p in PARAMS])
def test_the_filter_is_django_filters_own(params, agent_n1, category):
    organisation = OrganisationFactory(name="Acme")
    sub = CategoryFactory(name="VPN", parent=category)
    data = _query(params, category=category.pk, organisation=organisation.pk, agent=agent_n1.pk)
    ours = QueueFilter(data, agent=agent_n1, queryset=Ticket.objects.all())
    stock = StockQueueFilter(data, agent=agent_n1, queryset=Ticket.objects.all())

    assert ours.is_valid() == stock.is_valid()
    assert ours.form.errors.get_json_data() == stock.form.errors.get_json_data()
    assert [str(field(bound)) for bound in ours.form] == [str(field(bound)) for bound in stock.form]
    if stock.is_valid():
        assert ours.form.cleaned_data == stock.form.cleaned_data
        with time_machine.travel(timezone.now(), tick=False):  # "breaching" compares with now
            ours_sql, stock_sql = (str(f.qs.query) for f in (ours, stock))
        assert ours_sql == stock_sql
        if "category" in params and params["category"] == "{category}":
            assert str(sub.pk) in ours_sql


def test_each_filterset_s_method_filters_answer_to_it(agent_n1, agent_n2):
    """The FilterMethod of a copied filter calls its own FilterSet (its agent), not the first one's."""
    first = QueueFilter(_query({"view": "mine"}), agent=agent_n1, queryset=Ticket.objects.all())
    second = QueueFilter(_query({"view": "mine"}), agent=agent_n2, queryset=Ticket.objects.all())

    assert f'"assignee_id" = {agent_n2.pk}' in str(second.qs.query)
    assert f'"assignee_id" = {agent_n1.pk}' in str(first.qs.query)
    assert first.filters["view"].parent is first and second.filters["view"].parent is second
    assert QueueFilter.base_filters["view"].extra.get("choices") is not view_choices()  # the class's untouched
    other = QueueFilter(_query({"view": "mine", "priority": "P2"}), agent=agent_n1, queryset=Ticket.objects.all())
    assert first.form.__class__ is other.form.__class__
    assert first.form.fields["view"] is not other.form.fields["view"]
    # Each form's fields are its own; only their choices are shared, and setting one form's replaces them.
    other.form.fields["priority"].choices = [("P9", "P9")]
    third = QueueFilter(_query({}), agent=agent_n1, queryset=Ticket.objects.all())
    for other in (first, third):
        assert [value for value, _label in other.form.fields["priority"].choices][1:3] == ["P1", "P2"]
        assert 'value="P9"' not in str(field(other.form["priority"]))


@pytest.fixture
def reference_cache(settings):
    settings.HELPDESK_REFERENCE_CACHE = True  # core.cache on the tests' cache, as with Redis in production


def test_the_same_values_share_one_validated_form(agent_n1, agent_n2, reference_cache):
    category = CategoryFactory(name="Réseau")
    query = {"view": "mine", "category": str(category.pk), "q": "imprimante"}
    first = QueueFilter(_query(query), agent=agent_n1, queryset=Ticket.objects.all())
    second = QueueFilter(_query({**query}), agent=agent_n2, queryset=Ticket.objects.all())
    assert first.is_valid() and second.is_valid()
    assert first.form is second.form
    stock = StockQueueFilter(_query(query), agent=agent_n1)
    assert stock.is_valid() and first.form.cleaned_data == stock.form.cleaned_data
    assert first.form.cleaned_data["category"].name == "Réseau"
    # Each FilterSet still filters for its own agent with the shared values.
    assert f'"assignee_id" = {agent_n2.pk}' in str(second.qs.query)
    assert f'"assignee_id" = {agent_n1.pk}' in str(first.qs.query)
    # Other values, another form; a category renamed, a form cleaned anew (its cleaned category is the new one).
    assert QueueFilter(_query({**query, "q": "écran"}), agent=agent_n1).form is not first.form
    category.name = "Réseaux"
    category.save()
    renamed = QueueFilter(_query(query), agent=agent_n1, queryset=Ticket.objects.all())
    assert renamed.form is not first.form and renamed.form.cleaned_data["category"].name == "Réseaux"


def test_a_form_with_errors_is_reported_to_each_request(agent_n1, reference_cache):
    for _attempt in range(2):
        invalid = QueueFilter(_query({"priority": "bogus", "created_before": "not a date"}), agent=agent_n1)
        assert not invalid.is_valid()
        assert set(invalid.errors) == {"priority", "created_before"}
