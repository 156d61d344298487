"""Set-based writes for the batch jobs (SLA sweep, escalation rules, auto-close): a constant number of
statements for a batch of rows, where Django's own tools would cost one statement per row (save) or one
CASE branch per row and field (bulk_update). PostgreSQL in production; SQLite ≥ 3.33 for the demo."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.db import connection
from django.db.models import F, Model, QuerySet
from django.db.models.query import get_related_populators


def insert_rows(objects: Sequence[Model]) -> list[Model]:
    """One INSERT for all, primary keys set (a row at a time where the database cannot return them)."""
    if objects and connection.features.can_return_rows_from_bulk_insert:
        return type(objects[0]).objects.bulk_create(objects)
    for obj in objects:
        obj.save()
    return list(objects)


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


# A value no query of ours ever has: where it lands in the compiled parameters, the real value goes.
_PLACEHOLDER = -730_001_337


def objects_compiled_once(key: str, build: Callable[[int], QuerySet], value: int) -> list[Model]:
    """The objects of `build(value)`, with the SQL compiled once per database connection (so per thread).

    Django compiles a queryset's SQL anew at each evaluation: for a query every request runs (the
    request's user with its profile, organisation and groups), compiling costs ten times what the
    database does. `build(placeholder)` must return the same queryset for any value, the value being
    one of its parameters; the objects are built by Django's own code (`from_db`, select_related
    populators, annotations), as iterating the queryset would. `key` names the query.
    """
    compiled = getattr(connection, "_helpdesk_compiled", None)
    if compiled is None:
        compiled = {}
        connection._helpdesk_compiled = compiled  # the proxy sets it on this thread's connection
    entry = compiled.get(key)
    if entry is None:
        queryset = build(_PLACEHOLDER)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        if _PLACEHOLDER not in params:
            raise ValueError(f"{key}: the value is not a parameter of the query")
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in compiler.select[start:end]]
        entry = compiled[key] = (sql, tuple(params), compiler, klass_info["model"], names, start, end,
                                 get_related_populators(klass_info, compiler.select, queryset.db), queryset.db)
    sql, params, compiler, model, names, start, end, populators, db = entry
    with connection.cursor() as cursor:
        cursor.execute(sql, [value if param == _PLACEHOLDER else param for param in params])
        rows = cursor.fetchall()
    objects = []
    for row in compiler.results_iter(results=[rows]):
        obj = model.from_db(db, names, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in compiler.annotation_col_map.items():
            setattr(obj, name, row[position])
        objects.append(obj)
    return objects
