"""Migration operations of our own.

`DropKeyIndexes` drops indexes by name, and creates them again when unapplied (issue 16, session 13): for Django's
index on a foreign key that a composite index already serves. `AlterField(db_index=False)` would drop the
foreign-key constraint with the index and add it again, which on PostgreSQL checks every row while holding a lock
that stops writes to both tables. This drops the index alone, CONCURRENTLY on PostgreSQL (the migration must be
non-atomic), so reads and writes go on meanwhile; pair it with the AlterField in SeparateDatabaseAndState's
state_operations.

`VendorSQL` runs statements on one database only (PostgreSQL's extensions, trigram indexes and statistics objects;
SQLite's full-text tables), and their reverse when unapplied; nothing on the other database. What Django knows of
the schema is unchanged."""

from __future__ import annotations

from django.db.migrations.operations.base import Operation


class DropKeyIndexes(Operation):
    reversible = True
    reduces_to_sql = True

    def __init__(self, indexes):
        # (index name, table, column) each
        self.indexes = [tuple(index) for index in indexes]

    def deconstruct(self):
        return self.__class__.__qualname__, [self.indexes], {}

    def state_forwards(self, app_label, state):
        pass

    @staticmethod
    def _concurrently(schema_editor) -> str:
        return " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        quote = schema_editor.quote_name
        for name, _table, _column in self.indexes:
            schema_editor.execute(f"DROP INDEX{self._concurrently(schema_editor)} IF EXISTS {quote(name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        quote = schema_editor.quote_name
        for name, table, column in self.indexes:
            schema_editor.execute(f"CREATE INDEX{self._concurrently(schema_editor)} IF NOT EXISTS {quote(name)} "
                                  f"ON {quote(table)} ({quote(column)})")

    def describe(self):
        return "Drop the indexes " + ", ".join(name for name, _table, _column in self.indexes)

    @property
    def migration_name_fragment(self):
        return "drop_key_indexes"


class VendorSQL(Operation):
    reversible = True
    reduces_to_sql = False

    def __init__(self, vendor: str, sql, reverse_sql=()):
        self.vendor, self.sql, self.reverse_sql = vendor, list(sql), list(reverse_sql)

    def deconstruct(self):
        return self.__class__.__qualname__, [self.vendor, self.sql, self.reverse_sql], {}

    def state_forwards(self, app_label, state):
        pass

    def _run(self, schema_editor, statements) -> None:
        if schema_editor.connection.vendor == self.vendor:
            for statement in statements:
                schema_editor.execute(statement)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, self.sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, self.reverse_sql)

    def describe(self):
        return f"{len(self.sql)} statements on {self.vendor} only"
