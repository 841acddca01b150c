"""The three roles as groups with their model permissions; migration 0003 creates them."""

DOMAIN_MODELS = ["actor", "source", "claim", "citation", "proposition", "stance"]
ROLE_PERMISSIONS = {
    "reader": [
        f"view_{m}" for m in DOMAIN_MODELS + ["statuschange", "propositionstatuschange", "capture"]
    ],
    "analyst": [f"{a}_{m}" for m in DOMAIN_MODELS for a in ("view", "add", "change")]
    + [
        "view_statuschange",
        "view_propositionstatuschange",
        "delete_citation",
        "delete_stance",
        "view_capture",
        "add_capture",
    ],
}
ADMIN_APPS = ["claims", "auth", "authtoken"]


def sync_roles(Group, Permission):
    """Create or update the groups. Takes the models so a migration can pass its own."""
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="claims", codename__in=codenames)
        )
    admin, _ = Group.objects.get_or_create(name="admin")
    admin.permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
