"""SQLite FTS5: index each document's access as tokens (an `acl` column) so the full-text match
applies the permission rule inside the inverted index, before any row is read.

The FTS table now reads its content from a view that derives `acl` from the document's
visibility, team and governing object: "vinternal"/"vprivate", "t<team id>",
"a<app><model>x<object id>". The SQL permission filter still applies on top; the tokens only
let SQLite skip rows early. PostgreSQL and SQLite without FTS5 are untouched.
"""

from django.db import migrations

ACL = "'v' || {row}.visibility || ' t' || coalesce({row}.team_id, 0) || ' a' || replace({row}.access_type, '.', '') || 'x' || {row}.access_id"

FORWARD = [
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
    f"CREATE VIEW search_fts_source AS SELECT id, title, body, {ACL.format(row='search_searchdocument')} AS acl "
    "FROM search_searchdocument",
    """
    CREATE VIRTUAL TABLE search_fts USING fts5(
        title, body, acl, content='search_fts_source', content_rowid='id', tokenize='porter unicode61'
    )
    """,
    f"""
    CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchdocument BEGIN
        INSERT INTO search_fts(rowid, title, body, acl) VALUES (new.id, new.title, new.body, {ACL.format(row='new')});
    END
    """,
    f"""
    CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body, acl)
        VALUES ('delete', old.id, old.title, old.body, {ACL.format(row='old')});
    END
    """,
    f"""
    CREATE TRIGGER search_fts_update AFTER UPDATE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body, acl)
        VALUES ('delete', old.id, old.title, old.body, {ACL.format(row='old')});
        INSERT INTO search_fts(rowid, title, body, acl) VALUES (new.id, new.title, new.body, {ACL.format(row='new')});
    END
    """,
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]


def forwards(apps, schema_editor):
    from apps.search.backends import fts5_available

    if schema_editor.connection.vendor == "sqlite" and fts5_available():
        for sql in FORWARD:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    from apps.search.backends import fts5_available

    if schema_editor.connection.vendor == "sqlite" and fts5_available():
        from importlib import import_module

        previous = import_module("apps.search.migrations.0002_fulltext")
        for sql in ["DROP TRIGGER IF EXISTS search_fts_update", "DROP TRIGGER IF EXISTS search_fts_delete",
                    "DROP TRIGGER IF EXISTS search_fts_insert", "DROP TABLE IF EXISTS search_fts",
                    "DROP VIEW IF EXISTS search_fts_source", *previous.SQLITE_FORWARD]:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]

    operations = [migrations.RunPython(forwards, backwards)]
