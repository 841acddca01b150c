from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Every model save and delete marks the cached list pages out of date.
        from . import caching  # noqa: F401
