"""SQLite only: the FTS5 index of articles and its vocabulary (kb/fts.py says what they hold), filled
from the existing articles. kb.services keeps the index in step with every write; PostgreSQL has the
search vector and its GIN index instead (0002), so nothing happens there.

The SQL is written out here rather than imported from kb.fts: a migration must keep doing what it
did when it was written."""

from django.db import migrations

from core.migrations_indexes import VendorSQL

CREATE = [
    'CREATE VIRTUAL TABLE kb_article_fts USING fts5(title, tags, body, tokenize="unicode61 remove_diacritics 2")',
    "CREATE VIRTUAL TABLE kb_article_fts_vocab USING fts5vocab(kb_article_fts, 'row')",
    # `rank` (what ORDER BY rank sorts on, lower is better) weighs a title match 10, a tag 2, the body 1.
    "INSERT INTO kb_article_fts(kb_article_fts, rank) VALUES ('rank', 'bm25(10.0, 2.0, 1.0)')",
    # char(57344, 57345): U+E000 and U+E001, the snippet's highlight markers (kb.fts.UNINDEXED).
    """INSERT INTO kb_article_fts(rowid, title, tags, body)
       SELECT id, replace(replace(title, char(57344), ''), char(57345), ''),
              replace(replace(tags, char(57344), ''), char(57345), ''),
              replace(replace(body, char(57344), ''), char(57345), '')
       FROM kb_article""",
]
DROP = [
    "DROP TABLE IF EXISTS kb_article_fts_vocab",
    "DROP TABLE IF EXISTS kb_article_fts",
]


class Migration(migrations.Migration):
    dependencies = [("kb", "0003_recent_indexes")]

    operations = [VendorSQL("sqlite", CREATE, DROP)]
