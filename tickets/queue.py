"""The agent queue: filters (django-filter), built-in views, sorts and keyset pagination.

Every state of the queue is a plain GET query string, so it is shareable and works without
JavaScript; htmx only swaps the table in place. Pagination is by keyset (`after=` a cursor of
the last row's sort values), so page 500 costs what page 1 costs: no OFFSET, no COUNT(*).
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import F, Lookup, Model, Q, QuerySet, Subquery
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from accounts.people import user_display
from accounts.roles import Level, agent_level
from accounts.selectors import AGENTS, ORGANISATIONS, agent_list, organisations
from core.cache import derived
from core.cache import enabled as cache_enabled
from core.db import objects_compiled
from core.forms import CachedModelChoiceField

from . import queue_views
from .html import select_html
from .models import OPEN_STATUSES, Category, Channel, Priority, SlaState, Status, Ticket, TicketType
from .selectors import CATEGORIES, all_categories

User = get_user_model()

BUILT_IN_VIEWS = [
    ("all", _("All open")),
    ("mine", _("Mine")),
    ("unassigned", _("Unassigned")),
    ("level", _("My group's level")),
    ("breaching", _("Breaching soon")),
]
# "Breaching soon": an open ticket whose next deadline falls within this window (or has passed).
BREACHING_WINDOW = timedelta(hours=1)


def view_choices() -> list[tuple[str, str]]:
    """The built-in views, then those other apps registered (tickets.queue_views)."""
    return BUILT_IN_VIEWS + [(view.code, view.label) for view in queue_views.registered()]


@dataclass(frozen=True)
class Sort:
    label: str
    # (field, descending) pairs; the last one is unique (id) so the keyset is total.
    keys: tuple[tuple[str, bool], ...]
    # Keys that are annotations (a registered view's) and may be NULL; Ticket's own fields say it themselves.
    nullable: frozenset[str] = frozenset()


SORTS = {
    "newest": Sort(_("Newest first"), (("created_at", True), ("id", True))),
    "priority": Sort(_("Priority"), (("priority", False), ("created_at", True), ("id", True))),
    "deadline": Sort(_("Deadline"), (("resolution_due_at", False), ("id", False))),
    "age": Sort(_("Oldest first"), (("created_at", False), ("id", False))),
    "updated": Sort(_("Last update"), (("updated_at", True), ("id", True))),
}
DATETIME_KEYS = {"created_at", "resolution_due_at", "updated_at"}


class Select(forms.Select):
    """forms.Select that writes its HTML in Python: byte for byte what django/forms/widgets/select.html
    and select_option.html render, without one template include per option. The queue's filter form
    has about 170 options (agents, categories, organisations…), and rendering them one include at a
    time was the largest part of the queue's server time. (Named Select: crispy-forms derives the
    CSS class from the widget's class name.)"""

    def _render(self, template_name, context, renderer=None):
        return select_html(context["widget"])


class CachedChoiceFilter(django_filters.Filter):
    """django-filter's ModelChoiceFilter over a list from the reference cache (core.forms.CachedModelChoiceField)."""

    field_class = CachedModelChoiceField


def _full_name(category: Category) -> str:
    return category.full_name


class InSubquery(Lookup):
    """`lhs IN (subquery)`, written `lhs = ANY(ARRAY(subquery))` on PostgreSQL (see filter_search)."""

    lookup_name = "in_subquery"
    prepare_rhs = False

    def _sides(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return lhs, rhs, [*lhs_params, *rhs_params]

    def as_sql(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} IN {rhs}", params

    def as_postgresql(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", params


def category_with_descendants(category: Category) -> list[int]:
    """The category and all its sub-categories (the tree is small and cached: walked in memory)."""
    children: dict[int | None, list[int]] = {}
    for other in all_categories():
        children.setdefault(other.parent_id, []).append(other.pk)
    found, stack = [], [category.pk]
    while stack:
        pk = stack.pop()
        found.append(pk)
        stack.extend(children.get(pk, []))
    return found


class QueueFilter(django_filters.FilterSet):
    view = django_filters.ChoiceFilter(choices=BUILT_IN_VIEWS, method="filter_view", empty_label=None,
                                       label=_("View"), widget=Select)
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Status.choices, method="filter_status", label=_("Status"),
                                         empty_label=_("Open (any)"), widget=Select)
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"),
                                           empty_label=_("Any priority"), widget=Select)
    level = django_filters.ChoiceFilter(choices=Level.choices, label=_("Level"), empty_label=_("Any level"),
                                        widget=Select)
    # The agents, categories and organisations offered come from the reference cache (core.cache): the
    # choices are built and the input checked without a query.
    assignee = CachedChoiceFilter(objects=agent_list, label_from_instance=user_display, label=_("Assigned to"),
                                  empty_label=_("Anyone"), widget=Select)
    # Labels are full paths (Category.__str__ walks up the tree): join the parents, or one query per option.
    category = CachedChoiceFilter(objects=all_categories, label_from_instance=_full_name, method="filter_category",
                                  label=_("Category"), empty_label=_("Any category"), widget=Select)
    organisation = CachedChoiceFilter(objects=organisations, label=_("Organisation"),
                                      empty_label=_("Any organisation"), widget=Select)
    ticket_type = django_filters.ChoiceFilter(choices=TicketType.choices, label=_("Type"), empty_label=_("Any type"),
                                              widget=Select)
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"), empty_label=_("Any channel"),
                                          widget=Select)
    sla = django_filters.ChoiceFilter(field_name="sla_state", choices=SlaState.choices, label=_("SLA"),
                                      empty_label=_("Any SLA state"), widget=Select)
    created_after = django_filters.DateFilter(field_name="created_at__gte", method="filter_day", label=_("Created from"),
                                              widget=forms.DateInput(attrs={"type": "date"}))
    created_before = django_filters.DateFilter(field_name="created_at__lt", method="filter_day", label=_("Created before"),
                                               widget=forms.DateInput(attrs={"type": "date"}))
    updated_after = django_filters.DateFilter(field_name="updated_at__gte", method="filter_day", label=_("Updated from"),
                                              widget=forms.DateInput(attrs={"type": "date"}))
    updated_before = django_filters.DateFilter(field_name="updated_at__lt", method="filter_day", label=_("Updated before"),
                                               widget=forms.DateInput(attrs={"type": "date"}))
    sort = django_filters.ChoiceFilter(choices=[(k, s.label) for k, s in SORTS.items()], method="filter_noop",
                                       empty_label=None, label=_("Sort by"), widget=Select)

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, agent=None, request=None, prefix=None):
        """django-filter's FilterSet.__init__, with the filters copied one level deep instead of deep-copied on
        every request (their choices, labels and widgets: a third of the filter's cost, bench/RESULTS.md, issue
        16, session 7). What a request changes of a filter is its own (`model`, `parent`, the FilterMethod bound
        to it); its field's arguments (`extra`) are shared and never changed: the form class is built from them
        once (get_form_class)."""
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.agent = agent
        self.filters = {name: _own_copy(filter_, queryset.model, self) for name, filter_ in self.base_filters.items()}

    # The form class, once per set of views offered (other apps register theirs at start-up), by their codes.
    _form_classes: dict[tuple, type] = {}

    def get_form_class(self):
        """The form class of these filters, built once per set of views offered: its fields are copied by each
        form (Django's Form.__init__), so sharing the class is what a declared form does."""
        views = view_choices()
        codes = tuple(code for code, _label in views)
        form_class = self._form_classes.get(codes)
        if form_class is None:
            view = copy.copy(self.filters["view"])
            view.extra = {**view.extra, "choices": views}
            fields = {name: (view if name == "view" else filter_).field for name, filter_ in self.filters.items()}
            form_class = type(f"{type(self).__name__}Form", (self._meta.form,), fields)
            form_class.base_fields = _FieldsSharingChoices(form_class.base_fields)
            self._form_classes[codes] = form_class
        return form_class

    @property
    def form(self):
        """The form of these filters, validated. A bound one is shared by the requests of the process that send
        the same values (core.cache.derived: per language and version of the agents, categories and
        organisations its choices come from): cleaning the same query string again, every time an agent comes
        back to the queue, was a tenth of the page (bench/RESULTS.md, issue 16, session 9). It is read, never
        changed: django-filter and the view read its cleaned_data, the template its fields (queue.html renders
        a valid form only, through `{% field %}`, which copies what it changes)."""
        form = self.__dict__.get("_form")
        if form is None:
            form_class = self.get_form_class()
            if not self.is_bound:
                form = form_class(prefix=self.form_prefix)
            else:
                values = _form_values(self.data, form_class.base_fields)

                def build():
                    return _validated(form_class(self.data.copy(), prefix=self.form_prefix))

                form = build() if values is None else derived(
                    FORM_REFERENCES, ("tickets.queue_form", form_class, self.form_prefix, values), build)
            self._form = form
        return form

    @property
    def qs(self):
        queryset = super().qs
        # Open tickets unless a status is asked for (filter_status runs only when one is given).
        if not (self.form.is_bound and self.form.is_valid() and self.form.cleaned_data.get("status")):
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        return queryset

    def filter_noop(self, queryset, name, value):
        return queryset

    def filter_day(self, queryset, name, value):
        """A date bound is local midnight (Europe/Paris), compared with the stored UTC instant, so
        the plain index on the column serves it (no cast to date)."""
        midnight = timezone.make_aware(datetime.combine(value, time.min))
        return queryset.filter(**{name: midnight})

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)

    def filter_category(self, queryset, name, value):
        return queryset.filter(category_id__in=category_with_descendants(value))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if len(value) >= 4 and value[:4].isdigit() and all(c.isdigit() or c == "-" for c in value):
            return queryset.filter(reference__startswith=value)
        requesters = User.objects.filter(
            Q(username__icontains=value) | Q(email__icontains=value)
            | Q(first_name__icontains=value) | Q(last_name__icontains=value)
        ).values("pk")
        # On PostgreSQL, icontains is `UPPER(col) LIKE UPPER('%…%')`: served by the trigram indexes
        # on UPPER(title) (open tickets) and on UPPER() of the four user columns (migration 0010).
        # The requesters are matched with `= ANY(ARRAY(subquery))` rather than `IN (subquery)`: the
        # same rows, but the array is computed once up front and `requester_id = ANY(…)` can be an
        # index condition, so the title and requester branches of the OR become one BitmapOr of two
        # index scans. With `IN (subquery)`, a rare name scanned every open ticket (0.5 s at 1M).
        return queryset.filter(Q(title__icontains=value)
                               | InSubquery(F("requester_id"), Subquery(requesters)))

    def filter_view(self, queryset, name, value):
        agent = self.agent
        if value == "mine":
            return queryset.filter(assignee_id=agent.pk)
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        if value == "level":
            level = agent_level(agent)
            return queryset.filter(level=level) if level else queryset
        if value == "breaching":
            soon = timezone.now() + BREACHING_WINDOW
            return queryset.filter(
                Q(first_response_at__isnull=True, response_due_at__lte=soon)
                | (Q(resolution_due_at__lte=soon) & ~Q(status=Status.WAITING))
            )
        registered = queue_views.get(value)
        if registered is not None:
            return registered.filter(queryset, agent)
        return queryset


# The reference data a filter form's choices and cleaned values come from (its agents, categories, organisations).
FORM_REFERENCES = (AGENTS, CATEGORIES, ORGANISATIONS)


def _form_values(data, names) -> tuple | None:
    """The values of `data` (a QueryDict, or a dict from code) that a form of `names` reads, as a key; None if one
    is not a plain text (code may pass objects: that form is not shared)."""
    values = []
    for name in sorted(name for name in data if name in names):
        found = data.getlist(name) if isinstance(data, QueryDict) else data[name]
        found = tuple(found) if isinstance(found, list | tuple) else (found,)
        if not all(isinstance(value, str) for value in found):
            return None
        values.append((name, found))
    return tuple(values)


def _validated(form: forms.Form) -> forms.Form:
    form.is_valid()  # its errors and cleaned_data, once, before it is shared
    return form


class _FieldsSharingChoices(dict):
    """A form class's base_fields whose copy for each form (Form.__init__ deep-copies them) shares each field's
    choices: a list of (value, lazy label) pairs deep-copied label by label was most of the copy's cost, and a
    field's choices are replaced, never changed in place."""

    def __deepcopy__(self, memo):
        for field in self.values():
            choices = getattr(field, "_choices", None)
            if choices is not None:
                memo[id(choices)] = choices
        return {name: copy.deepcopy(field, memo) for name, field in self.items()}


def _own_copy(filter_: django_filters.Filter, model, parent: QueueFilter) -> django_filters.Filter:
    """A request's copy of a filter: its own attributes, its `extra` shared (read only), its method (when it
    filters through one of the FilterSet's methods) bound to the copy and so to this request's FilterSet."""
    own = copy.copy(filter_)
    own.__dict__.pop("_field", None)
    if filter_.method is not None:
        own.method = filter_.method  # a new FilterMethod, whose filter is the copy
    own.model, own.parent = model, parent
    return own


def encode_cursor(ticket: Ticket, sort: Sort) -> str:
    values = []
    for field, _descending in sort.keys:
        value = getattr(ticket, field)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> list | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(values, list) or len(values) != len(sort.keys):
        return None
    decoded = []
    for (field, _descending), value in zip(sort.keys, values, strict=True):
        if field in DATETIME_KEYS and value is not None:
            value = parse_datetime(value) if isinstance(value, str) else None
            if value is None:
                return None
        elif field == "id" and not isinstance(value, int):
            return None
        decoded.append(value)
    return decoded


def _nullable(field: str, sort: Sort) -> bool:
    return field in sort.nullable or Ticket._meta.get_field(field).null


def _after(sort: Sort, values: list) -> Q:
    """Rows strictly after `values` in the sort order, NULLs last in either direction:
    OR over each key i of (keys before i equal) AND (key i beyond its value).

    When the first key cannot be NULL (created_at, updated_at), the rows after the cursor also
    satisfy `key <= value` (descending) or `key >= value` (ascending): that redundant bound is
    added so PostgreSQL starts the index scan at the cursor instead of filtering every row before
    it (page 500 then reads 26 index entries, like page 1)."""
    condition = Q(pk__in=[])
    equal = Q()
    for (field, descending), value in zip(sort.keys, values, strict=True):
        if value is None:
            # Nothing sorts after a NULL on this key; rows with a NULL here tie.
            equal &= Q(**{f"{field}__isnull": True})
            continue
        beyond = Q(**{f"{field}__{'lt' if descending else 'gt'}": value})
        if _nullable(field, sort):
            beyond |= Q(**{f"{field}__isnull": True})
        condition |= equal & beyond
        equal &= Q(**{field: value})
    (first, descending), value = sort.keys[0], values[0]
    if value is not None and not _nullable(first, sort):
        condition = Q(**{f"{first}__{'lte' if descending else 'gte'}": value}) & condition
    return condition


def order_by(sort: Sort) -> list:
    """NULLS LAST only where a column can hold NULLs (resolution_due_at): on NOT NULL columns it
    changes nothing in the order but stops PostgreSQL from reading the order off a plain B-tree
    index (whose descending order puts NULLs first), forcing a sort of every matching row."""
    return [
        (F(field).desc(nulls_last=_nullable(field, sort) or None) if descending
         else F(field).asc(nulls_last=_nullable(field, sort) or None))
        for field, descending in sort.keys
    ]


def sort_for(view: str | None, sort_key: str | None) -> Sort:
    """The order of a page: the one a registered view imposes (the dispatch's "À risque": riskiest
    first), else the sort chosen."""
    registered = queue_views.get(view)
    if registered is not None and registered.sort_keys:
        return Sort(registered.label, registered.sort_keys, nullable=registered.nullable)
    return SORTS.get(sort_key or "") or SORTS["newest"]


@dataclass
class QueuePage:
    tickets: list
    next_cursor: str | None
    has_previous: bool


def statement_key(filterset: QueueFilter) -> tuple | None:
    """Everything the queue's statement is built from besides the page (sort, cursor, size: queue_page adds them),
    when that is all, so that the statement compiled for a key serves every page with that key
    (core.db.objects_compiled): the filters' cleaned values, the agent for "Mine" and their level for "My group's
    level", the time zone (a date is local midnight), the chosen category's sub-categories. None when the statement
    depends on the time ("Breaching soon") or on another app (a registered view). A filter that comes to read
    anything else must add it here (tests/tickets/test_queue_compiled.py)."""
    if not filterset.is_valid():
        return None
    data = filterset.form.cleaned_data
    view = data.get("view")
    if view == "breaching" or queue_views.get(view) is not None:
        return None
    values = tuple((name, value.pk if isinstance(value, Model) else value) for name, value in data.items())
    category = data.get("category")
    return (
        "tickets.queue", values,
        filterset.agent.pk if view == "mine" else None,
        agent_level(filterset.agent) if view == "level" else None,
        timezone.get_current_timezone_name(),
        tuple(category_with_descendants(category)) if category is not None else (),
        cache_enabled(),  # what the rows join (tickets.selectors.ticket_queue_for_agent)
    )


def queue_page(queryset: QuerySet | Callable[[], QuerySet], *, sort_key: str, cursor: str | None, size: int,
               view: str | None = None, key: tuple | None = None) -> QueuePage:
    """One page of the queue after `cursor`: size + 1 rows fetched to know whether more follow. With the
    `statement_key` of the filters that built `queryset`, the statement is compiled once per connection for
    that key, this page's sort and cursor (core.db.objects_compiled); `queryset` may then be a function
    returning it, called only to compile."""
    sort = sort_for(view, sort_key)
    values = decode_cursor(cursor, sort) if cursor else None

    def page_rows() -> QuerySet:
        queryset_ = queryset() if callable(queryset) else queryset
        immediate, defer = queryset_.query.deferred_loading
        if immediate and not defer:  # rows read with .only(): the sort's keys too, which the cursor is made of
            own = {field.name for field in Ticket._meta.concrete_fields}
            queryset_ = queryset_.only(*immediate, *(field for field, _descending in sort.keys if field in own))
        queryset_ = queryset_.order_by(*order_by(sort))
        if values is not None:
            queryset_ = queryset_.filter(_after(sort, values))
        return queryset_[: size + 1]

    if key is None:
        rows = list(page_rows())
    else:
        rows = objects_compiled((key, view, sort.keys, None if values is None else tuple(values), size), page_rows)
    more = len(rows) > size
    rows = rows[:size]
    return QueuePage(
        tickets=rows,
        next_cursor=encode_cursor(rows[-1], sort) if more and rows else None,
        has_previous=values is not None,
    )
