"""Load the demo story once per database: claims/demo/north-korean-troops-in-russia.json."""

from pathlib import Path

from django.core.management.base import BaseCommand

from claims.demo.propositions import load_demo_propositions
from claims.management.commands.load_story import load_story_file
from claims.models import Actor

DEMO_STORY = Path(__file__).resolve().parents[2] / "demo" / "north-korean-troops-in-russia.json"
# Every record the demo creates carries this reason in its history. The history keeps the
# row after the record is edited or deleted, so it tells that the demo was loaded here.
DEMO_REASON = "demo story"


def demo_was_loaded():
    return Actor.history.filter(history_type="+", history_change_reason=DEMO_REASON).exists()


class Command(BaseCommand):
    help = (
        "Load the demo story (North Korean troops in Russia, 2024-10-18) unless this database "
        "already had it, so edits and deletions of demo records survive later runs."
    )

    def handle(self, *args, **options):
        if demo_was_loaded():
            self.stdout.write(
                "Demo story already loaded in this database (edits and deletions are kept); "
                f"to load what is missing of it again: manage.py load_story {DEMO_STORY}"
            )
            return
        report = load_story_file(DEMO_STORY, reason=DEMO_REASON)
        propositions = load_demo_propositions()
        self.stdout.write(f"Demo story: {report.summary()}, {propositions} propositions.")
