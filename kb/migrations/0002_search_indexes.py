"""PostgreSQL only: the GIN index that serves full-text search on the article's search vector, and a
trigram index on the title for the misspelling fallback (`%` / `<%` cannot use a B-tree). Declared
here rather than in Meta.indexes because SQLite has no GIN; SQLite searches with icontains.

The vector is kept in the row (STORAGE MAIN: compressed, moved out of line only as a last resort,
after the body): ranking reads it for every candidate, and fetching it from the TOAST table made
ranking 14,000 matches 7 times slower at 50,000 articles (bench/kb_search.py)."""

from django.db import migrations

from core.migrations_indexes import VendorSQL

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS kb_article_search_vector ON kb_article USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS kb_article_title_trgm ON kb_article USING gin (title gin_trgm_ops)",
    "ALTER TABLE kb_article ALTER COLUMN search_vector SET STORAGE MAIN",
]
DROP = [
    "DROP INDEX IF EXISTS kb_article_search_vector",
    "DROP INDEX IF EXISTS kb_article_title_trgm",
    "ALTER TABLE kb_article ALTER COLUMN search_vector SET STORAGE EXTENDED",
]


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial"), ("tickets", "0005_search_trigram_index")]

    operations = [VendorSQL("postgresql", CREATE, DROP)]
