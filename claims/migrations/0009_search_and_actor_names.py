"""Actors found by any of their names, and search that means the same on both databases.

- ActorName: each actor's name, short name, slug and aliases as case- and accent-free keys,
  indexed (what name fields, filters and suggestions look up); filled here for existing
  actors, kept by Actor.save() afterwards. Slugs may be left blank (derived from the name).
- Search (claims/search_index.py has the SQL): PostgreSQL's search_vector becomes
  trigger-maintained so it can hold the actor's names, accents ignored through unaccent;
  SQLite gets an FTS5 index of the same texts."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

from claims.models import SLUG_PATTERN, lookup_key
from claims.search_index import PG_INSTALL, PG_UNINSTALL, install_sqlite_index

SLUG_FIELD = {
    "blank": True,
    "help_text": "Used in page addresses. Leave it empty to make one from the name.",
    "max_length": 200,
    "validators": [
        django.core.validators.RegexValidator(
            SLUG_PATTERN, "Use lowercase letters, digits and single hyphens, e.g. north-korea."
        )
    ],
}


def fill_actor_names(apps, schema_editor):
    Actor = apps.get_model("claims", "Actor")
    ActorName = apps.get_model("claims", "ActorName")
    batch = []
    for actor in Actor.objects.only("name", "short_name", "slug", "aliases").iterator(2000):
        aliases = [line for line in actor.aliases.splitlines()]
        keys = {lookup_key(n) for n in [actor.name, actor.short_name, actor.slug, *aliases]}
        batch.extend(ActorName(actor_id=actor.pk, key=key) for key in keys if key)
        if len(batch) > 5000:
            ActorName.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    ActorName.objects.bulk_create(batch, ignore_conflicts=True)


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
    dependencies = [("claims", "0008_captures")]
    operations = [
        migrations.AlterField(
            model_name="actor", name="slug", field=models.SlugField(unique=True, **SLUG_FIELD)
        ),
        migrations.AlterField(
            model_name="historicalactor", name="slug", field=models.SlugField(**SLUG_FIELD)
        ),
        migrations.CreateModel(
            name="ActorName",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=200)),
                (
                    "actor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lookup_names",
                        to="claims.actor",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["key"], name="actorname_key_idx", opclasses=["varchar_pattern_ops"]
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("actor", "key"), name="actorname_unique_per_actor"
                    )
                ],
            },
        ),
        migrations.RunPython(fill_actor_names, migrations.RunPython.noop),
        migrations.RunPython(forward, backward),
    ]
