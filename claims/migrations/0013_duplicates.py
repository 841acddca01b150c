"""Possible duplicates (claims/duplicates.py).

- Source.url_key: the URL as two spellings of one page share it, filled here for existing
  sources and kept by Source.save(); indexed, so a second source for a page is found at once.
- PostgreSQL only: pg_trgm and GIN trigram indexes on claims' headlines and sources' titles,
  which answer "similar to these words" without reading the table. Other databases compare
  a bounded set of candidates in Python instead."""

from django.db import migrations, models

from claims.duplicates import normalize_url

PG_INSTALL = """
-- Building the indexes on a million claims takes longer than a request may.
SET LOCAL statement_timeout = 0;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS claim_headline_trgm_idx
    ON claims_claim USING gin (headline gin_trgm_ops);
CREATE INDEX IF NOT EXISTS source_title_trgm_idx
    ON claims_source USING gin (title gin_trgm_ops);
-- The url_key column was just filled: let the planner know its index is selective.
ANALYZE claims_source;
"""
PG_UNINSTALL = """
DROP INDEX IF EXISTS claim_headline_trgm_idx;
DROP INDEX IF EXISTS source_title_trgm_idx;
"""


def fill_url_keys(apps, schema_editor):
    Source = apps.get_model("claims", "Source")
    batch = []
    for source in Source.objects.exclude(url="").only("pk", "url").iterator(2000):
        source.url_key = normalize_url(source.url)
        batch.append(source)
        if len(batch) >= 2000:
            Source.objects.bulk_update(batch, ["url_key"])
            batch = []
    Source.objects.bulk_update(batch, ["url_key"])


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_INSTALL)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UNINSTALL)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0012_sort_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalsource",
            name="url_key",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=2000
            ),
        ),
        migrations.AddField(
            model_name="source",
            name="url_key",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=2000
            ),
        ),
        migrations.AddIndex(
            model_name="source",
            index=models.Index(
                condition=models.Q(("url_key", ""), _negated=True),
                fields=["url_key"],
                name="source_url_key_idx",
            ),
        ),
        migrations.RunPython(fill_url_keys, migrations.RunPython.noop),
        migrations.RunPython(forward, backward),
    ]
