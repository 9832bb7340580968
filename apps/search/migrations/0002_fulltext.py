"""Full-text structures beside the search table, by database.

PostgreSQL: a stored tsvector column generated from title (weight A) and body (weight B),
with a GIN index. SQLite with FTS5: an external-content FTS5 table kept in step by
triggers (bulk inserts included). Other databases, or SQLite without FTS5: nothing; the
search falls back to icontains. Note: SQLite rebuilds a table to alter it, which drops
its triggers; a later migration that alters search_searchdocument must re-run these.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    """
    ALTER TABLE search_searchdocument ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(body, '')), 'B')
    ) STORED
    """,
    "CREATE INDEX search_document_vector_gin ON search_searchdocument USING GIN (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_document_vector_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS search_vector",
]

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE search_fts USING fts5(
        title, body, content='search_searchdocument', content_rowid='id', tokenize='porter unicode61'
    )
    """,
    """
    CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchdocument BEGIN
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END
    """,
    """
    CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    END
    """,
    """
    CREATE TRIGGER search_fts_update AFTER UPDATE OF title, body ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END
    """,
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
]


def statements(schema_editor, forward: bool) -> list[str]:
    from apps.search.backends import fts5_available

    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        return POSTGRES_FORWARD if forward else POSTGRES_BACKWARD
    if vendor == "sqlite" and fts5_available():
        return SQLITE_FORWARD if forward else SQLITE_BACKWARD
    return []


def forwards(apps, schema_editor):
    for sql in statements(schema_editor, forward=True):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in statements(schema_editor, forward=False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
