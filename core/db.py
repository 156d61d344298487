"""Set-based writes for the batch jobs (SLA sweep, escalation rules, auto-close): a constant number of
statements for a batch of rows, where Django's own tools would cost one statement per row (save) or one
CASE branch per row and field (bulk_update). PostgreSQL in production; SQLite ≥ 3.33 for the demo."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import F, Model, QuerySet, signals
from django.db.models.base import ModelState
from django.db.models.fields import AutoFieldMixin
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import RelatedPopulator, get_related_populators
from django.db.models.query_utils import DeferredAttribute

from .postgres import bigints, bound_cursor, connection_itself, numbered_sql
from .recent import Recent

# The INSERT … RETURNING of `insert_rows`, written once per (database vendor, model, number of rows).
_INSERT_SQL: dict[tuple, tuple[str, list]] = {}
# Up to this many rows, and as many values as the database takes in one statement (SQLite: 999), insert_rows
# writes its own statement; a larger batch goes through bulk_create, which splits it to those limits. A VIP's
# recurring ticket writes 21 outbox rows (its receipt, and N2's ten agents alerted twice, bench/RESULTS.md, issue
# 16, session 20): through bulk_create they cost more than the rest of the submission.
_WRITTEN_ROWS = 100


def insert_rows(objects: Sequence[Model]) -> list[Model]:
    """One INSERT for all, primary keys set (a row at a time where the database cannot return them).

    For a few rows (a request's ticket event, clocks, outbox rows), the statement is written once per
    model and row count and kept: Django's bulk_create compiles the same INSERT anew each time, which
    costs about twice what the database does. The values are Django's own (each field's `pre_save` and
    `get_db_prep_save`, as the INSERT compiler does), and the objects end as bulk_create leaves them
    (primary key set, `_state` saved); no signal is sent, as with bulk_create. Anything out of the
    ordinary (an expression as a value, a returned column other than the key, inherited models, a field
    with its own placeholder) goes through bulk_create.
    """
    if not objects:
        return list(objects)
    db = connection_itself(connection)
    if not db.features.can_return_rows_from_bulk_insert:
        for obj in objects:
            obj.save()
        return list(objects)
    model = type(objects[0])
    key = (db.vendor, model, len(objects))
    entry = _INSERT_SQL.get(key)
    if entry is None:
        entry = _INSERT_SQL[key] = _insert_sql(model, len(objects), postgresql=db.vendor == "postgresql")
    sql, fields = entry
    if sql is None or any(obj.pk is not None or type(obj) is not model for obj in objects):
        return model.objects.bulk_create(objects)
    params = []
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        for field, plain in fields:
            value = field.pre_save(obj, True)
            if value is None and plain is not None or type(value) is plain:
                params.append(value)  # what get_db_prep_save would give
            elif plain is _AWARE and type(value) is datetime and value.tzinfo is not None:
                params.append(value)  # the same: an aware datetime goes to PostgreSQL as it is
            elif hasattr(value, "resolve_expression"):
                return model.objects.bulk_create(objects)
            else:
                params.append(field.get_db_prep_save(value, db))
    with bound_cursor(db, numbered=db.vendor == "postgresql") as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    attname = model._meta.pk.attname
    for obj, row in zip(objects, rows, strict=True):
        setattr(obj, attname, row[0])
        obj._state.adding = False
        obj._state.db = db.alias
    return list(objects)


def _insert_sql(model: type[Model], count: int, *, postgresql: bool = False) -> tuple[str | None, list]:
    """The INSERT … RETURNING of `count` new rows of `model` and its fields in order; None when
    insert_rows must leave it to bulk_create. `postgresql`: with $1, $2… (core.postgres.bound_cursor), and the
    values PostgreSQL takes as they are."""
    opts = model._meta
    fields = [field for field in opts.concrete_fields if not field.generated and field is not opts.pk]
    most = connection.features.max_query_params
    if (count > _WRITTEN_ROWS or (most is not None and count * len(fields) > most)
            or opts.parents or not isinstance(opts.pk, AutoFieldMixin)
            or list(opts.db_returning_fields) != [opts.pk]
            or any(hasattr(field, "get_placeholder") for field in fields)):
        return None, []
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Identifiers come from the model's meta, values are parameters.
    sql = (f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608
           f"VALUES {', '.join([row] * count)} RETURNING {quote(opts.pk.column)}")
    return numbered_sql(sql) if postgresql else sql, [(field, _plain_type(field, postgresql)) for field in fields]


# Fields whose database value is the Python value itself when it is exactly of this type (or None).
_PLAIN_TYPES = {
    models.CharField: str, models.TextField: str, models.BooleanField: bool,
    **dict.fromkeys((models.IntegerField, models.BigIntegerField, models.SmallIntegerField,
                     models.PositiveIntegerField, models.PositiveBigIntegerField,
                     models.PositiveSmallIntegerField), int),
}


# A DateTimeField on PostgreSQL: an aware datetime is its own database value (get_prep_value leaves it as it is,
# adapt_datetimefield_value returns it), where get_db_prep_save took five calls for each of a submission's 57.
_AWARE = object()


def _plain_type(field, postgresql: bool = False) -> type | object | None:
    if type(field) is models.ForeignKey and isinstance(field.target_field, AutoFieldMixin):
        return int
    if postgresql and type(field) is models.DateTimeField:
        return _AWARE
    return _PLAIN_TYPES.get(type(field))


def update_rows(objects: Sequence[Model], fields: Iterable[str], *, increment: Iterable[str] = ()) -> None:
    """Write `fields` of `objects` (one model) as they are in memory, and add 1 to the `increment`
    columns, in one UPDATE: a plain one when every object has the same values, else
    `WITH v AS (VALUES …) UPDATE … FROM v` carrying each row's own values."""
    if not objects:
        return
    model = type(objects[0])
    shared, varying = {}, []
    for name in sorted(set(fields)):
        field = model._meta.get_field(name)
        values = {getattr(obj, field.attname) for obj in objects}
        if len(values) == 1:
            shared[field] = values.pop()
        else:
            varying.append(field)
    increment = list(increment)
    if not varying:
        model.objects.filter(pk__in=[obj.pk for obj in objects]).update(
            **{name: F(name) + 1 for name in increment}, **{field.name: value for field, value in shared.items()})
        return
    quote, table = connection.ops.quote_name, connection.ops.quote_name(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    row = "(" + ", ".join(["%s"] * (len(varying) + 1)) + ")"
    params = [
        value for obj in objects
        for value in (obj.pk, *(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in varying))
    ]
    params += [field.get_db_prep_save(value, connection) for field, value in shared.items()]
    columns = ", ".join(["id", *(f"v{i}" for i in range(len(varying)))])
    assignments = ", ".join([
        *(f"{quote(field.column)} = v.v{i}" for i, field in enumerate(varying)),
        *(f"{quote(field.column)} = %s" for field in shared),
        *(f"{quote(model._meta.get_field(name).column)} = {table}.{quote(model._meta.get_field(name).column)} + 1"
          for name in increment),
    ])
    # Identifiers come from the model's meta, values are parameters.
    sql = (f"WITH v({columns}) AS (VALUES {', '.join([row] * len(objects))}) "  # noqa: S608
           f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.id")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Values no query of ours ever has: where one lands in the compiled parameters, the real value goes.
_PLACEHOLDER = -730_001_337
_TEXT_PLACEHOLDER = "\x1ehelpdesk-compiled-placeholder\x1e"


def objects_compiled_once(key: str, build: Callable[[int | str], QuerySet], value: int | str, *,
                          bound: bool = False) -> list[Model]:
    """The objects of `build(value)`, with the SQL compiled once per database connection (so per thread).

    Django compiles a queryset's SQL anew at each evaluation: for a query every request runs (the
    request's user with its profile, organisation and groups; the ticket an agent works on), compiling costs
    ten times what the database does. `build(placeholder)` must return the same queryset for any value, the
    value (a number or a text, the same kind for a key) being one of its parameters; the objects are built by
    Django's own code (the columns' converters, `from_db`, select_related populators, annotations), as
    iterating the queryset would. `key` names the query. The converters are looked up once as well
    (results_iter would ask each column's field for them again).

    `bound`: on PostgreSQL the values go beside the text (core.postgres.bound_cursor), so that one statement,
    prepared, serves every value (the request's user, whoever it is), where a text with the value written in is
    prepared for that value only; for a query whose best plan is the same for any value (a lookup by key).
    """
    compiled = getattr(connection, "_helpdesk_compiled", None)
    if compiled is None:
        compiled = {}
        connection._helpdesk_compiled = compiled  # the proxy sets it on this thread's connection
    placeholder = _TEXT_PLACEHOLDER if isinstance(value, str) else _PLACEHOLDER
    entry = compiled.get((key, placeholder))
    if entry is None:
        entry = _compiled_entry(build(placeholder), key)
        if placeholder not in entry[1]:
            raise ValueError(f"{key}: the value is not a parameter of the query")
        compiled[key, placeholder] = entry
    return _compiled_objects(entry, [value if param == placeholder else param for param in entry[1]], bound=bound)


def object_compiled_once(key: str, build: Callable[[int | str], QuerySet], value: int | str, *,
                         bound: bool = False) -> Model | None:
    """The first object of `build(value)` or None, compiled once per connection (`objects_compiled_once`): the
    lookups of one object by its key that every request makes (the request's user, the ticket, its incident)."""
    found = objects_compiled_once(key, build, value, bound=bound)
    return found[0] if found else None


# The statements `objects_compiled` keeps per connection, by key: the most recently used ones.
COMPILED_MAX = 64


def _compiled_entry(queryset: QuerySet, key: Hashable = "") -> tuple:
    """What running `queryset` needs once compiled: its SQL and parameters, the compiler, the columns'
    converters (looked up once: results_iter would ask each column's field again) and how to build the objects
    (the model's columns, select_related's populators)."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    klass_info = compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    # In the row's order (the plain build zips them with the values); Model.from_db only asks `in` of them.
    attnames = tuple(column[0].target.attname for column in compiler.select[start:end])
    columns = [column[0] for column in compiler.select[:compiler.col_count]]
    if compiler.has_composite_fields(columns):
        raise ValueError(f"{key}: composite fields are not supported")
    return (sql, tuple(params), compiler, klass_info["model"], attnames, frozenset(attnames), start, end,
            get_related_populators(klass_info, compiler.select, queryset.db), queryset.db,
            compiler.get_converters(columns))


def _compiled_objects(entry: tuple, params: Sequence, *, bound: bool = False) -> list[Model]:
    """The objects of a compiled entry run with `params`, as iterating the queryset would build them (the
    converters, from_db or its plain equivalent, select_related's populators, annotations); `bound`: the values
    sent beside the text (objects_compiled_once)."""
    sql, _params, compiler, model, attnames, names, start, end, populators, db, converters = entry
    with bound_cursor(connection) if bound else connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    make = _maker(model, db, attnames, names)
    # Each populator's maker, decided once for the rows of this run (a receiver connected meanwhile is seen by
    # the next run, as Django's iterator sees it at its next evaluation).
    makers: dict[int, Callable] = {}
    annotations = compiler.annotation_col_map.items()
    objects = []
    for row in compiler.apply_converters(rows, converters) if converters else rows:
        obj = make(row[start:end])
        for populator in populators:
            _populate(populator, row, obj, makers)
        for name, position in annotations:
            setattr(obj, name, row[position])
        objects.append(obj)
    return objects


# By model: how its objects may be built without Model.__init__ (_maker): None if they may not, else what to
# call on each object once built (or False). Decided once: a class's __init__ and descriptors do not change.
_PLAIN_MODELS: dict[type[Model], Callable | bool | None] = {}


def _plain(model: type[Model]) -> Callable | bool | None:
    if model in _PLAIN_MODELS:
        return _PLAIN_MODELS[model]
    if model.from_db.__func__ is not Model.from_db.__func__:
        _PLAIN_MODELS[model] = None  # a model's own from_db is what its objects must come from
        return None
    if model.__init__ is Model.__init__:
        descriptors, finish = (), False
    else:
        # A model whose own __init__ can be stood in for says how: the descriptors of its own it sets through,
        # and what its __init__ adds (core.fsm.ThreadSafeRefreshMixin.plain_build, the tickets' state machine).
        described = getattr(model, "plain_build", lambda: None)()
        descriptors, finish = described if described is not None else (None, None)
    # Django's own descriptors of a column: DeferredAttribute sets nothing, ForeignKeyDeferredAttribute sets the
    # value where it is stored (and forgets a cached related object, which a new object has not). Anything else
    # (a field of our own, django-fsm's unless the model says otherwise) may do more when set.
    known = (DeferredAttribute, ForeignKeyDeferredAttribute, *(descriptors or ()))
    plain = descriptors is not None and all(
        type(model.__dict__.get(field.attname)) in known for field in model._meta.concrete_fields)
    _PLAIN_MODELS[model] = finish if plain else None
    return _PLAIN_MODELS[model]


def _maker(model: type[Model], db: str, attnames: Sequence[str],
           names: frozenset[str] | None = None) -> Callable[[Sequence], Model]:
    """What builds `model.from_db(db, attnames, values)` for each row's `values`, without Model.__init__ where that
    is the same (_plain, and no pre_init or post_init receiver watches the model): the object's attributes set
    from the row and its state "loaded from `db`", which is all from_db's __init__ leaves; a column not read stays
    deferred, read on first use. A page of the queue builds 25 tickets and about a hundred related objects
    (requester, assignee, category, organisation), and __init__ was four fifths of each one's cost. Decided once
    per model and run of a statement, not per object. `names` is `attnames` as a set, for from_db's lookups."""
    finish = _plain(model)
    if finish is None or signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        from_db, fields = model.from_db, attnames if names is None else names
        return lambda values: from_db(db, fields, values)
    new = model.__new__

    def make(values: Sequence) -> Model:
        obj = new(model)
        obj.__dict__.update(zip(attnames, values, strict=True))
        state = obj._state = ModelState()
        state.adding = False
        state.db = db
        if finish:
            finish(obj)
        return obj

    return make


def _populate(populator: RelatedPopulator, row: Sequence, from_obj: Model, makers: dict[int, Callable]) -> None:
    """Django's RelatedPopulator.populate (select_related's object joined to `from_obj`, and those joined to it),
    each object built by its _maker (kept in `makers` by populator for the run's rows)."""
    data = populator.reorder_for_init(row) if populator.reorder_for_init else row[populator.cols_start:populator.cols_end]
    if data[populator.pk_idx] is None:
        obj = None
    else:
        make = makers.get(id(populator))
        if make is None:
            make = makers[id(populator)] = _maker(populator.model_cls, populator.db, populator.init_list)
        obj = make(data)
        for related in populator.related_populators:
            _populate(related, row, obj, makers)
    populator.local_setter(from_obj, obj)
    if obj is not None:
        populator.remote_setter(obj, from_obj)


def _connection_statements() -> Recent:
    """What this thread's connection keeps of its compiled statements: the COMPILED_MAX most recently used."""
    kept = getattr(connection, "_helpdesk_statements", None)
    if kept is None:
        kept = connection._helpdesk_statements = Recent(COMPILED_MAX)  # the proxy sets it on this thread's connection
    return kept


def _kept_statement(key: Hashable, compile_it: Callable[[], tuple]) -> tuple:
    """What this connection keeps for `key`, `compile_it()` the first time."""
    kept = _connection_statements()
    entry = kept.get(key)
    if entry is None:
        entry = compile_it()
        kept.put(key, entry)
    return entry


def objects_compiled(key: Hashable, build: Callable[[], QuerySet]) -> list[Model]:
    """The objects of `build()`, a queryset whose SQL and parameters are the same whenever `key` is (the caller
    names in `key` everything the queryset is built from): compiled the first time, then run as it was compiled,
    per database connection (so per thread), the COMPILED_MAX most recently used keys kept. For a page whose
    query repeats exactly (the queue as every agent refreshes it), compiling cost more than the database. The
    objects are Django's own (from_db, select_related's populators), as iterating the queryset builds them;
    not for a queryset with prefetch_related (nothing prefetches here)."""
    def compile_it() -> tuple:
        queryset = build()
        if queryset._prefetch_related_lookups:
            raise ValueError(f"{key}: objects_compiled does not prefetch")
        return _compiled_entry(queryset, key)

    entry = _kept_statement(key, compile_it)
    return _compiled_objects(entry, entry[1])


def statement_compiled(key: Hashable, build: Callable[[], QuerySet]) -> tuple:
    """(compiler, SQL, parameters) of `build()`, a queryset whose SQL and parameters are the same whenever `key` is
    (the caller names in `key` everything it is built from), compiled once per database connection, as
    objects_compiled (whose COMPILED_MAX most recently used entries it shares), for a statement read otherwise
    than as objects: values, sums by group. The SQL is None when the queryset can match nothing (the compiler
    sends no statement). Building and compiling the dashboard's live sums (twenty aggregates) on each view was a
    tenth of its Python (bench/RESULTS.md, issue 16, session 20)."""
    def compile_it() -> tuple:
        queryset = build()
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            sql, params = None, ()
        return compiler, sql or None, tuple(params)

    return _kept_statement(("statement", key), compile_it)


def objects_compiled_for_ids(key: str, build: Callable[[list[int]], QuerySet], ids: Sequence[int], *,
                             bound: bool = False) -> list[Model]:
    """objects_compiled_once for a list of ids (`pk__in=ids`, `ticket_id__in=ids`): `build(placeholders)` must
    return the same queryset for any ids, each id one of its parameters; compiled once per connection and
    number of ids. `bound`: the ids beside the text, as objects_compiled_once's, so that one prepared statement
    serves every list of that length (a lookup by an indexed key)."""
    if not ids:
        return []
    def compile_it() -> tuple:
        placeholders = [_PLACEHOLDER - index for index in range(len(ids))]
        entry = _compiled_entry(build(placeholders), key)
        if sorted(param for param in entry[1] if param in placeholders) != sorted(placeholders):
            raise ValueError(f"{key}: the ids are not parameters of the query")
        return entry

    entry = _kept_statement((key, len(ids)), compile_it)
    values = {_PLACEHOLDER - index: value for index, value in enumerate(bigints(ids) if bound else ids)}
    return _compiled_objects(entry, [values.get(param, param) if type(param) is int else param
                                     for param in entry[1]], bound=bound)
