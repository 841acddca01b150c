"""Write the case bundle of the claims the list shows for some filter (docs/BUNDLE.md)."""

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from claims.bundles import export_lines, filter_description
from claims.exports import filtered_claims


class Command(BaseCommand):
    help = (
        "Write a case bundle of the claims matching the claim list's filters to stdout, "
        "e.g. export_story actor=kremlin status=denied > kremlin.json"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "filters",
            nargs="*",
            metavar="NAME=VALUE",
            help="the claim list's query parameters (actor, status, stated_from, q, ...)",
        )

    def handle(self, *args, filters, **options):
        params = QueryDict(mutable=True)
        for item in filters:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise CommandError(f"{item!r}: give filters as NAME=VALUE, e.g. actor=kremlin")
            params.appendlist(name, value)
        filterset = filtered_claims(params)
        if not filterset.is_valid():
            problems = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items()
            )
            raise CommandError(f"Bad filter: {problems}")
        for piece in export_lines(filterset.qs, description=filter_description(params)):
            self.stdout.write(piece, ending="")
