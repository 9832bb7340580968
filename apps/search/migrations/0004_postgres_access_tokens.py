"""PostgreSQL: add each document's access tokens to the stored tsvector (weight D, 'simple' config),
so the GIN index intersects the words with what the user may see before any row is read.

Words are searched in weights A and B only, so a typed word never matches an access token.
The SQL permission filter still applies on top. Other databases are untouched.
"""

from django.db import migrations

VECTOR = """
    setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('english', coalesce(body, '')), 'B')
    || setweight(to_tsvector('simple', 'v' || visibility || ' t' || coalesce(team_id, 0)::text
       || ' a' || replace(access_type, '.', '') || 'x' || access_id::text), 'D')
"""

FORWARD = [
    "DROP INDEX IF EXISTS search_document_vector_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS search_vector",
    f"ALTER TABLE search_searchdocument ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED",
    "CREATE INDEX search_document_vector_gin ON search_searchdocument USING GIN (search_vector)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from importlib import import_module

        previous = import_module("apps.search.migrations.0002_fulltext")
        for sql in [*previous.POSTGRES_BACKWARD, *previous.POSTGRES_FORWARD]:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_fts_access_tokens")]

    operations = [migrations.RunPython(forwards, backwards)]
