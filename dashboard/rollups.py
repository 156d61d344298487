"""Additive sums of a set of tickets, and the dashboard's figures recomputed from them.

The same SUMS are what the rollup tables store (dashboard.models), what the refresh writes
(dashboard.services) and what the selectors compute live for the days not rolled up yet; `figures`
turns any sum of them into the raw aggregates of metrics.AGGREGATES, so that metrics.finish gives
exactly the figures the live aggregation gives.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Iterable
from datetime import date, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection, router
from django.db.models import Case, Count, DateField, Q, QuerySet, Sum, When
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from core.db import statement_compiled
from core.recent import Recent
from tickets.models import Priority, Status, Ticket

from . import metrics

US = timedelta(microseconds=1)

SUMS = {
    "total": metrics.AGGREGATES["total"],
    "resolved": metrics.AGGREGATES["resolved"],
    "resolution_count": Count("id", filter=Q(resolved_at__isnull=False)),
    "resolution_us": Sum(metrics._duration("resolved_at"), filter=Q(resolved_at__isnull=False)),
    "responded": metrics.AGGREGATES["responded"],
    "first_response_us": Sum(metrics._duration("first_response_at"), filter=Q(first_response_at__isnull=False)),
    "response_met": metrics.AGGREGATES["response_met"],
    "resolution_met": metrics.AGGREGATES["resolution_met"],
    "resolved_ever": metrics.AGGREGATES["resolved_ever"],
    "reopened": metrics.AGGREGATES["reopened"],
    "csat_sum": Sum("survey__score"),
    "csat_count": metrics.AGGREGATES["csat_count"],
    **{f"closed_{phase}_seconds": Sum(f"{phase}_seconds", filter=Q(status=Status.CLOSED))
       for phase in metrics.PHASE_BANDS},
}
SUM_FIELDS = tuple(SUMS)


def _as_int(value) -> int:
    if type(value) is int:  # most sums (a count, a sum of integers); the others a Decimal, a duration or None
        return value
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return value // US
    return int(value)


def local_bucket(field: str, grain: str = "day"):
    """The local calendar day of `field`, or the first day of its week (Monday) or month."""
    tz = timezone.get_default_timezone()
    if grain == "day":
        return TruncDate(field, tzinfo=tz)
    trunc = {"week": TruncWeek, "month": TruncMonth}[grain]
    return trunc(field, output_field=DateField(), tzinfo=tz)


def ticket_sums(tickets: QuerySet, fields: Iterable[str], *, day_of: str = "created_at",
                grain: str = "day", days_of: Q | None = None) -> list[dict]:
    """SUMS of `tickets` grouped by `fields`; the field "day" is the local calendar day of `day_of`, or
    the first day of its week or month (`grain`). With `days_of`, "day" is None for the tickets outside it:
    those are grouped by the other fields only (a page that wants its trend's days from some tickets and
    only totals from the others reads far fewer rows: one per combination, not one per day and combination)."""
    return _sum_rows(sums_statement(tickets, fields, day_of=day_of, grain=grain, days_of=days_of))


def sums_statement(tickets: QuerySet, fields: Iterable[str], *, day_of: str = "created_at", grain: str = "day",
                   days_of: Q | None = None) -> QuerySet:
    """The statement of `ticket_sums`: `tickets` grouped by `fields` and annotated with the twenty SUMS."""
    queryset = tickets.order_by()
    fields = list(fields)
    if "day" in fields:
        bucket = local_bucket(day_of, grain)
        if days_of is not None:
            bucket = Case(When(days_of, then=bucket), default=None, output_field=DateField())
        queryset = queryset.annotate(day=bucket)
    return queryset.values(*fields).annotate(**SUMS)


def ticket_sums_compiled(key: Hashable, build: Callable[[], QuerySet]) -> list[dict]:
    """`ticket_sums` of the statement `build()` returns (a `sums_statement`), built and compiled once per database
    connection and `key`, which names everything the statement is built from (core.db.statement_compiled): a
    page's live sums repeat exactly between views (the same organisation, filters and days)."""
    compiler, sql, params = statement_compiled(("ticket_sums", key), build)
    return _sums(compiler, _fetch(compiler, sql, params))


def pairs_compiled(key: Hashable, build: Callable[[], QuerySet]) -> list[tuple]:
    """The (key, value) rows of `build()` (a values_list of two columns), compiled once per connection and `key`."""
    compiler, sql, params = statement_compiled(("pairs", key), build)
    return list(compiler.results_iter(results=[_fetch(compiler, sql, params)], tuple_expected=True))


def rollup_sums(model, filters: dict, fields: Iterable[str], *, version: str | None = None) -> list[dict]:
    """The stored SUM_FIELDS of the rollup rows of `model` matching `filters` (keyword lookups), added up by
    `fields`; with the rollups' `version` (RollupState.version), read once per version in this process (`_kept`).
    Fresh dicts each call: the caller may add to them."""
    fields = tuple(fields)

    def read() -> tuple[tuple, list[tuple]]:
        queryset = (model.objects.filter(**filters).order_by().values(*fields)
                    .annotate(**{f"sum_{name}": Sum(name) for name in SUM_FIELDS}))
        compiler, sql, params = _compiled(queryset)
        return _as_tuples(_sums(compiler, _fetch(compiler, sql, params)))

    names, values = _read_once(("sums", model, fields), filters, version, read)
    return [dict(zip(names, row, strict=True)) for row in values]


def rollup_by_day(model, filters: dict, column: str, *, version: str | None = None) -> list[tuple]:
    """(day, sum of `column`) of the rollup rows of `model` matching `filters`, once per `version` in this
    process, as `rollup_sums`."""

    def read() -> list[tuple]:
        queryset = (model.objects.filter(**filters).order_by().values("day").annotate(total=Sum(column))
                    .values_list("day", "total"))
        compiler, sql, params = _compiled(queryset)
        return list(compiler.results_iter(results=[_fetch(compiler, sql, params)], tuple_expected=True))

    return list(_read_once(("by_day", model, column), filters, version, read))


def kept_rows(reader: tuple, filters: dict, version: str | None, read: Callable[[], list[dict]]) -> list[dict]:
    """The rows (dicts) of read(), a live statement over tickets of days the rollups hold (before
    RollupState.complete_until), read once per rollups' `version` in this process as `rollup_sums` reads: the
    dashboard shows those days as of the last refresh, whether their sums come from a rollup table or from the
    tickets. `reader` is (a name, the model read, …), `filters` everything else the statement is built from. Fresh
    dicts each call."""
    names, values = _read_once(reader, filters, version, lambda: _as_tuples(read()))
    return [dict(zip(names, row, strict=True)) for row in values]


def kept_value(reader: tuple, filters: dict, version: str | None, read: Callable[[], Hashable]):
    """read()'s value, once per rollups' `version` in this process, as `kept_rows`: an immutable value (tuples)."""
    return _read_once(reader, filters, version, read)


def _read_once(reader: tuple, filters: dict, version: str | None, read):
    """read() (a statement over a rollup table) once per rollups' `version`, by what it reads: the reader, its
    model and columns, the database and the filters. The key is made of what the caller gave, not of the statement
    (building and compiling the statement on every view, to key it, was a tenth of the page's Python). Filters
    whose values cannot be a key (a list) are read each time."""
    if version is None:
        return read()
    try:
        key = (*reader, version, router.db_for_read(reader[1]), tuple(sorted(filters.items())))
        hash(key)
    except TypeError:
        return read()
    found = _kept.get(key)
    if found is None:
        found = read()
        _kept.put(key, found)
    return found


def _as_tuples(rows: list[dict]) -> tuple[tuple, list[tuple]]:
    return (tuple(rows[0]) if rows else ()), [tuple(row.values()) for row in rows]


# What statements over the rollup tables read, per process: by (reader, model, columns, version, database,
# filters), the 128 most recently used. The rollup tables change only when dashboard.services writes them, which gives
# RollupState a new version in the same transaction: under one version a statement reads the same rows again.
# A manager's page reads about a dozen, each a few hundred rows of small numbers at most (an organisation's two
# years: its month rollups by priority, level and category; its agents' months; its weeks): 3-4 ms of
# PostgreSQL and as much of Python each time, where the page's live parts (today) are read anew. Since session 23
# what an organisation's edges and the escalations read of the days the rollups hold is kept here too (`kept_rows`,
# `kept_value`): about eight entries a page, hence 128 (a few megabytes at most).
_kept = Recent(128)


def forget_kept() -> None:
    """Drop what this process kept (tests)."""
    _kept.clear()


def _compiled(queryset: QuerySet) -> tuple:
    """(compiler, SQL, parameters) of `queryset`; the SQL None when the query can match nothing (as the compiler's
    execute_sql sees it)."""
    compiler = queryset.query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return compiler, None, ()
    return compiler, (sql or None), tuple(params)


def _fetch(compiler, sql: str | None, params: tuple) -> list[tuple]:
    if sql is None:
        return []
    with compiler.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _sum_rows(queryset: QuerySet) -> list[dict]:
    """The rows of `queryset` (values(*fields) annotated with the twenty sums, in SUM_FIELDS' order, last) as
    dicts of the fields and SUM_FIELDS, each sum an int (durations in microseconds, None as 0)."""
    compiler, sql, params = _compiled(queryset)
    return _sums(compiler, _fetch(compiler, sql, params))


def _sums(compiler, raw_rows: list[tuple]) -> list[dict]:
    """The raw rows of a compiled sum statement (`_sum_rows`) as dicts.

    Read from the compiler's raw rows: values() would run each of a row's twenty sums through its converter
    (an int(), a timedelta) and make a dict, then _as_int again. With an organisation's rollups over two years,
    about 900 rows a page, that was the largest part of the dashboard's Python (bench/RESULTS.md, issue 16, session 18).
    The fields still go through their converters (on SQLite a day is text until converted); the sums need
    only _as_int, whichever the database (SQLite gives a duration's sum in microseconds already)."""
    query = compiler.query
    # As ValuesIterable names the columns.
    names = list(query.selected) if query.selected else [*query.extra_select, *query.values_select,
                                                          *query.annotation_select]
    width = len(names) - len(SUM_FIELDS)
    fields = names[:width]
    converters = None
    rows = []
    for raw in raw_rows:
        if converters is None:
            converters = [(index, functions, expression) for index, (functions, expression)
                          in compiler.get_converters([column for column, _sql, _alias in compiler.select[:width]]).items()]
        head = list(raw[:width])
        for index, functions, expression in converters:
            for function in functions:
                head[index] = function(head[index], expression, compiler.connection)
        row = dict(zip(fields, head, strict=True))
        row.update(zip(SUM_FIELDS, [value if type(value) is int else _as_int(value) for value in raw[width:]],
                       strict=True))
        rows.append(row)
    return rows


_ZERO = {**dict.fromkeys(SUM_FIELDS, 0), "p1_resolution_us": 0, "p1_resolution_count": 0}
_SUMS_OF = operator.itemgetter(*SUM_FIELDS)


def new_totals() -> dict:
    return _ZERO.copy()


def add_into(groups: dict, key, row: dict) -> None:
    """Add `row` to the totals of its group `key` in `groups`, made for a new group only."""
    totals = groups.get(key)
    if totals is None:
        totals = groups[key] = new_totals()
    add(totals, row)


def add(totals: dict, row: dict) -> dict:
    # The twenty additions in C (a page adds up a few thousand rows: its tables, its trend and its total).
    totals.update(zip(SUM_FIELDS, map(operator.add, _SUMS_OF(totals), _SUMS_OF(row)), strict=True))
    if row.get("priority") == Priority.P1:
        totals["p1_resolution_us"] += row["resolution_us"]
        totals["p1_resolution_count"] += row["resolution_count"]
    return totals


def _mean(us: int, count: int) -> timedelta | None:
    return timedelta(microseconds=us / count) if count else None


def figures(totals: dict) -> dict:
    """The raw aggregates of metrics.AGGREGATES from summed rows, then metrics.finish."""
    raw = {name: totals[name] for name in ("total", "resolved", "responded", "response_met", "resolution_met",
                                           "resolved_ever", "reopened", "csat_count")}
    raw["mttr"] = _mean(totals["resolution_us"], totals["resolution_count"])
    raw["mttr_p1"] = _mean(totals["p1_resolution_us"], totals["p1_resolution_count"])
    raw["first_response"] = _mean(totals["first_response_us"], totals["responded"])
    raw["csat"] = totals["csat_sum"] / totals["csat_count"] if totals["csat_count"] else None
    return metrics.finish(raw)


def breakdown(rows: Iterable[dict], field: str, label_field: str | None = None) -> list[dict]:
    """metrics.breakdown from sum rows: one row per value of `field`, in the database's order."""
    groups: dict = {}
    labels: dict = {}
    for row in rows:
        key = row[field]
        add_into(groups, key, row)
        labels[key] = row[label_field] if label_field else key
    result = []
    for key in sorted(groups, key=_null_order):
        row = figures(groups[key])
        row["key"] = key
        row["label"] = labels[key]
        result.append(row)
    return result


def _null_order(key):
    # ORDER BY as the live query does it: PostgreSQL puts NULL last, SQLite first.
    nulls_last = connection.vendor == "postgresql"
    return (key is None) == nulls_last, key if key is not None else 0


def phase_sums(totals: dict) -> dict:
    return {phase: totals[f"closed_{phase}_seconds"] for phase in metrics.PHASE_BANDS}


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def all_tickets():
    # `status IN (every status)` is always true, but it lets PostgreSQL range-scan the (status,
    # created_at), (status, updated_at) and (status, resolved_at) indexes: there is no index that
    # starts with those dates, and a range on them alone reads the whole table.
    return Ticket.objects.filter(status__in=Status.values)
