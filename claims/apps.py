from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    default_auto_field = "django.db.models.BigAutoField"
    # The admin lists the app above its models; "Claims" would name both the app and its
    # Claim model, and the first click would land on the app's index instead.
    verbose_name = "Claim tracking"
