"""Capture again every source not captured recently, so pages that broke or changed show up
(the source list filters on the result). Run it from cron, or queue it once with --repeat."""

import datetime
import re

from django.core.management.base import BaseCommand, CommandError

from claims import services
from claims.tasks import recapture_stale_sources

UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_age(value):
    match = re.fullmatch(r"(\d+)([dhm])", value.strip())
    if not match:
        raise CommandError(f"--older-than takes a number and d, h or m, e.g. 30d (not {value!r})")
    return datetime.timedelta(**{UNITS[match[2]]: int(match[1])})


class Command(BaseCommand):
    help = "Queue a new capture of each source whose latest capture is older than --older-than."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", default="30d", help="e.g. 30d, 12h (default 30d)")
        parser.add_argument(
            "--repeat",
            type=int,
            default=0,
            metavar="DAYS",
            help="Instead of queueing now, queue a background job that does this every DAYS days.",
        )

    def handle(self, *, older_than, repeat, **options):
        age = parse_age(older_than)
        if repeat:
            recapture_stale_sources.enqueue(max(age.days, 1), repeat)
            self.stdout.write(f"Queued a recapture job that repeats every {repeat} day(s).")
            return
        queued = services.recapture_sources(older_than=age)
        self.stdout.write(f"Queued {queued} capture(s).")
