"""Load one case bundle (docs/BUNDLE.md): all or nothing, through the services."""

from django.core.management.base import BaseCommand, CommandError

from claims.bundles import BundleError, load_bundle, read_bundle


def load_story_file(path, *, reason):
    """Load the bundle at `path`; a CommandError listing every bad record when it can't be."""
    try:
        return load_bundle(read_bundle(path), reason=reason)
    except BundleError as error:
        count = len(error.errors)
        raise CommandError(
            f"{path}: nothing loaded, {count} problem{'s' if count > 1 else ''}:\n"
            + "\n".join(error.errors)
        ) from None


class Command(BaseCommand):
    help = (
        "Load a case bundle (a JSON file of actors, sources, claims, citations and verdict "
        "timelines). Records already in the database are kept; safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the bundle, e.g. claims/demo/<story>.json")

    def handle(self, *args, file, **options):
        report = load_story_file(file, reason="loaded from a case bundle")
        self.stdout.write(f"{file}: {report.summary()}.")
