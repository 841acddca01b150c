from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


def _before_migrate(sender, using, plan=None, **kwargs):
    from .search_index import drop_sqlite_triggers

    if plan:  # only when migrations will actually run
        drop_sqlite_triggers(using)


def _after_migrate(sender, using, **kwargs):
    from .search_index import ensure_sqlite_triggers

    ensure_sqlite_triggers(using)


class ClaimsConfig(AppConfig):
    name = "claims"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # SQLite's full-text triggers are set aside while migrations rebuild tables.
        pre_migrate.connect(_before_migrate, sender=self)
        post_migrate.connect(_after_migrate, sender=self)
