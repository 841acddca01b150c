"""The record as of a date, fast at a million claims (bench/RESULTS.md, "As of a date"):

- Claim.status_changed_at: when the current verdict took effect. As of a later date the
  claim's verdict is its current one, so the timeline is read only for the claims whose
  verdict changed since. Filled here from each claim's timeline (its latest entry).
- Covering indexes (PostgreSQL only; SQLite has no INCLUDE columns, which is also why they
  aren't in the models' Meta): on the timeline, a claim's latest verdict before a moment is
  read from the index alone; on claims, by date and by actor and date, the as-of list, its
  facets and its chart read status and status_changed_at from the index, without visiting
  each claim's table row (a busy actor's chart: 370 ms -> 115 ms at 1M claims)."""

from django.db import migrations, models

FILL = (
    "UPDATE claims_claim SET status_changed_at = (SELECT MAX(s.changed_at) "
    "FROM claims_statuschange s WHERE s.claim_id = claims_claim.id)"
)
CREATE_INDEXES = [
    "CREATE INDEX IF NOT EXISTS statuschange_as_of_idx ON claims_statuschange "
    "(claim_id, changed_at, id) INCLUDE (new_status)",
    "CREATE INDEX IF NOT EXISTS claim_stated_as_of_idx ON claims_claim "
    "(stated_on DESC, id DESC) INCLUDE (actor_id, status, status_changed_at)",
    "CREATE INDEX IF NOT EXISTS claim_actor_as_of_idx ON claims_claim "
    "(actor_id, stated_on DESC, id DESC) INCLUDE (status, status_changed_at)",
]
INDEX_NAMES = ["statuschange_as_of_idx", "claim_stated_as_of_idx", "claim_actor_as_of_idx"]


def forward(apps, schema_editor):
    schema_editor.execute(FILL)
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE_INDEXES:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEX_NAMES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("claims", "0013_duplicates")]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="status_changed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="historicalclaim",
            name="status_changed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
