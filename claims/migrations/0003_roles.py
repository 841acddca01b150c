"""The three roles as groups: reader (view), analyst (view, add, change), admin (all)."""

from django.db import migrations

DOMAIN_MODELS = ["actor", "source", "claim", "citation"]
ROLES = {
    "reader": [f"view_{m}" for m in DOMAIN_MODELS + ["statuschange"]],
    "analyst": [f"{a}_{m}" for m in DOMAIN_MODELS for a in ("view", "add", "change")]
    + ["view_statuschange", "delete_citation"],
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="claims", codename__in=codenames)
        )
    admin, _ = Group.objects.get_or_create(name="admin")
    admin.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["claims", "auth", "authtoken"]
        )
    )


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["reader", "analyst", "admin"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0002_claim_search_vector"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, drop_roles)]
