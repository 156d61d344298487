"""The database's side of close wording (docs/storms.md, "Wording"; storms/similarity.py reads them).

- SQLite only: `storms_title_trigram`, an FTS5 index of the tickets' titles with the trigram tokenizer
  (rowid = the ticket's id; contentless: it holds the trigrams, not the titles), the titles folded
  (lower case, French accents out: the trigram tokenizer of SQLite < 3.45 cannot remove diacritics), kept
  by three triggers on tickets_ticket; and `storms_title_trigram_vocab`, its fts5vocab view per
  instance (trigram, ticket), where the trigrams a word shares with a title are counted. Filled from the
  existing tickets.
- PostgreSQL: `pg_trgm`, already created by tickets 0005 and kb 0002 (CREATE EXTENSION IF NOT EXISTS:
  nothing happens when it is there). No index: detection compares only the window's tickets, read by
  created_at, and the "me too" matching a few incidents; tickets 0005's GIN trigram index on the title
  is there already for the queue's search.

The SQL is written out here rather than imported from storms.similarity: a migration must keep doing what
it did when it was written."""

from django.db import migrations

# Folded as storms.text folds (kb.fts.fold) for the accented letters of French, in lower case and the
# capitals that start a title: SQLite's lower() folds ASCII only, and the tokenizer folds case, not
# accents. (Every accented capital would take more nested replace() calls than SQLite's parser allows.)
ACCENTS = {"a": "àâäÀ", "e": "éèêëÉÈ", "i": "îï", "o": "ôö", "u": "ùûü", "c": "çÇ", "y": "ÿ"}


def _folded(column: str) -> str:
    expression = f"lower({column})"
    for plain, accented in ACCENTS.items():
        for char in accented:
            expression = f"replace({expression}, '{char}', '{plain}')"
    return expression


CREATE = [
    "CREATE VIRTUAL TABLE storms_title_trigram USING fts5(title, content='', tokenize='trigram')",
    "CREATE VIRTUAL TABLE storms_title_trigram_vocab USING fts5vocab(storms_title_trigram, 'instance')",
    f"INSERT INTO storms_title_trigram(rowid, title) SELECT id, {_folded('title')} FROM tickets_ticket",
    f"""CREATE TRIGGER storms_title_trigram_insert AFTER INSERT ON tickets_ticket BEGIN
        INSERT INTO storms_title_trigram(rowid, title) VALUES (new.id, {_folded('new.title')});
    END""",
    f"""CREATE TRIGGER storms_title_trigram_delete AFTER DELETE ON tickets_ticket BEGIN
        INSERT INTO storms_title_trigram(storms_title_trigram, rowid, title)
        VALUES ('delete', old.id, {_folded('old.title')});
    END""",
    f"""CREATE TRIGGER storms_title_trigram_update AFTER UPDATE OF title ON tickets_ticket BEGIN
        INSERT INTO storms_title_trigram(storms_title_trigram, rowid, title)
        VALUES ('delete', old.id, {_folded('old.title')});
        INSERT INTO storms_title_trigram(rowid, title) VALUES (new.id, {_folded('new.title')});
    END""",
]
DROP = [
    "DROP TRIGGER IF EXISTS storms_title_trigram_update",
    "DROP TRIGGER IF EXISTS storms_title_trigram_delete",
    "DROP TRIGGER IF EXISTS storms_title_trigram_insert",
    "DROP TABLE IF EXISTS storms_title_trigram_vocab",
    "DROP TABLE IF EXISTS storms_title_trigram",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in CREATE:
            schema_editor.execute(statement)
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("storms", "0001_initial"), ("tickets", "0013_requester_active_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
