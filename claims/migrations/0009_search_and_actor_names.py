"""Search that means the same on both databases (claims/search_index.py has the SQL):
PostgreSQL's search_vector becomes trigger-maintained so it can hold the actor's names,
accents ignored through unaccent; SQLite gets an FTS5 index of the same texts."""

from django.db import migrations

from claims.search_index import PG_INSTALL, PG_UNINSTALL, install_sqlite_index


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(PG_INSTALL)
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            install_sqlite_index(cursor)  # the triggers follow after migrate (apps.py)


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(PG_UNINSTALL)
    elif connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS claims_claim_fts")


class Migration(migrations.Migration):
    dependencies = [("claims", "0005_validation_rules")]
    operations = [migrations.RunPython(forward, backward)]
