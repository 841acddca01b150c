"""Create the local demo accounts (admin, analyst, reader) on first run and print their
random passwords once. Later runs leave existing accounts alone."""

import secrets

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

ACCOUNTS = [
    # username, group, staff (admin site), superuser
    ("admin", "admin", True, True),
    ("analyst", "analyst", True, False),
    ("reader", "reader", False, False),
]


class Command(BaseCommand):
    help = "Create demo accounts admin / analyst / reader with random passwords (printed once)."

    def handle(self, *args, **options):
        lines = []
        for username, group, staff, superuser in ACCOUNTS:
            if User.objects.filter(username=username).exists():
                continue
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(
                username=username, password=password, is_staff=staff, is_superuser=superuser
            )
            user.groups.add(Group.objects.get(name=group))
            lines.append(f"  {username:<8} {password}   ({group})")
        if lines:
            self.stdout.write("Demo accounts created — passwords are shown only this once:")
            self.stdout.write("\n".join(lines))
        else:
            self.stdout.write(
                "Demo accounts already exist. Forgot a password? "
                "python manage.py changepassword <username>"
            )
