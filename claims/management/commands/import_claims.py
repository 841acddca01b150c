"""python manage.py import_claims FILE.csv [--dry-run]: all rows or none, with progress."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from claims.imports import DUPLICATE_CHECK_ROWS, import_claims


class Command(BaseCommand):
    help = "Import claims from a CSV file in the export's columns. Any bad row: nothing written."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file (UTF-8)")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report what would change only."
        )

    def handle(self, *args, file, dry_run, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Can't read {file}: {error.strerror}") from None
        with tqdm(
            unit="row", desc="Importing", mininterval=1.0, disable=options["verbosity"] < 1
        ) as bar:

            def on_start(total):
                bar.reset(total=total)

            report = import_claims(data, dry_run=dry_run, progress=bar.update, on_start=on_start)
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"Nothing imported: {len(report.errors)} problem(s) in {file}; fix and rerun."
            )
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        if report.duplicates_unchecked:
            self.stderr.write(
                f"warning: {report.duplicates_unchecked} new row(s) after the first "
                f"{DUPLICATE_CHECK_ROWS:,} were not checked for possible duplicates"
            )
        if options["verbosity"] >= 2:
            self.stderr.write(
                "time: "
                + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in report.seconds.items())
            )
        prefix = "Dry run, nothing written. " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))
