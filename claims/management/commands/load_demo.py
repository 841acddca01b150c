"""Load the demo story once per database: claims/demo/north-korean-troops-in-russia.json."""

from pathlib import Path

from django.core.management.base import BaseCommand

<<<<<<< HEAD
from claims import services
from claims.demo.grades import apply_demo_grades, verdict_confidence
from claims.models import Actor, Citation, Claim, Source
=======
from claims.demo.propositions import load_demo_propositions
from claims.management.commands.load_story import load_story_file
from claims.models import Actor
>>>>>>> main

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
<<<<<<< HEAD
            for event, status, prefix in verdicts:
                when, source_key, rationale = EVENTS[event]
                evidence = sources[source_key]
                if not claim.citations.filter(source=evidence, role="evidence").exists():
                    services.add_citation(claim=claim, source=evidence, role="evidence", by=None)
                services.claim_set_status(
                    claim=claim,
                    status=status,
                    rationale=prefix + rationale,
                    confidence=verdict_confidence(claim, evidence, status),
                    by=None,
                    at=_noon(when),
                )
            created += 1
        apply_demo_grades()
        self.stdout.write(
            f"Demo story: {len(actors)} actors, {len(sources)} sources, "
            f"{created} new claims ({Claim.objects.count()} in all)."
        )

    def _actors(self):
        actors = {}
        for slug, (name, short, aliases, kind, country, parent, qid, desc) in ACTORS.items():
            actor = Actor.objects.filter(slug=slug).first()
            if actor is None:
                actor = services.create_record(
                    Actor(
                        slug=slug,
                        name=name,
                        short_name=short,
                        aliases="\n".join(aliases),
                        kind=kind,
                        country=country,
                        wikidata_id=qid,
                        description=desc,
                        parent=actors.get(parent),
                    ),
                    by=None,
                    reason="demo story",
                )
            actors[slug] = actor
        return actors

    def _sources(self):
        sources = {}
        for key, (title, kind, publisher, published, notes) in SOURCES.items():
            source = Source.objects.filter(title=title).first()
            if source is None:
                source = services.create_record(
                    Source(
                        title=title,
                        kind=kind,
                        publisher=publisher,
                        published_on=_date(published),
                        notes=notes,
                    ),
                    by=None,
                    reason="demo story",
                )
            sources[key] = source
        return sources
=======
            return
        report = load_story_file(DEMO_STORY, reason=DEMO_REASON)
        propositions = load_demo_propositions()
        self.stdout.write(f"Demo story: {report.summary()}, {propositions} propositions.")
>>>>>>> main
