"""Full-text search on PostgreSQL: a stored, generated tsvector with an explicit config and
a GIN index. SQLite has no tsvector; there the filter falls back to a contains-match."""

from django.db import migrations

SEARCH_CONFIG = "english"

FORWARD = f"""
ALTER TABLE claims_claim ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce(headline, '')), 'A') ||
    setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce(text, '')), 'B')
) STORED;
CREATE INDEX claim_search_vector_gin ON claims_claim USING gin (search_vector);
"""

BACKWARD = """
DROP INDEX IF EXISTS claim_search_vector_gin;
ALTER TABLE claims_claim DROP COLUMN IF EXISTS search_vector;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
