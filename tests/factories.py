import datetime

import factory
from django.contrib.auth.models import Group, Permission, User

from claims import services
from claims.models import Actor, Citation, Claim, Source
from claims.roles import sync_roles


class ServiceFactory(factory.django.DjangoModelFactory):
    """Creates its rows through services.create_record, as the app does: no test data is
    written past the services (tests/test_write_paths.py checks every write)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_record(model_class(*args, **kwargs), by=None)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if extracted:
            if not Group.objects.filter(name="analyst", permissions__isnull=False).exists():
                # A transactional test before this one emptied the tables the migrations
                # filled (content types, permissions, the role groups): fill them again.
                from django.apps import apps
                from django.contrib.auth.management import create_permissions
                from django.contrib.contenttypes.management import create_contenttypes

                for app_config in apps.get_app_configs():
                    create_contenttypes(app_config, verbosity=0)
                    create_permissions(app_config, verbosity=0)
                sync_roles(Group, Permission)
            user.groups.add(Group.objects.get(name=extracted))
            user.is_staff = extracted in ("analyst", "admin")
            user.is_superuser = extracted == "admin"
        user.save()


class ActorFactory(ServiceFactory):
    class Meta:
        model = Actor

    name = factory.Sequence(lambda n: f"Actor {n}")
    slug = factory.Sequence(lambda n: f"actor-{n}")
    kind = Actor.Kind.GOVERNMENT
    country = "KR"


class SourceFactory(ServiceFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Source {n}")
    url = factory.Sequence(lambda n: f"https://example.org/source/{n}")
    publisher = "Example News"
    kind = Source.Kind.NEWS_REPORT
    published_on = datetime.date(2024, 10, 18)


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim made by services.create_claim, so it has the first entry of its timeline.
    `status` (and `status_rationale`, `status_confidence`: moderate unless given) give that
    entry another verdict than unverified."""

    class Meta:
        model = Claim

    actor = factory.SubFactory(ActorFactory)
    headline = factory.Sequence(lambda n: f"Claim number {n}")
    text = factory.LazyAttribute(lambda c: f"{c.headline}: what the actor said in full.")
    stated_on = datetime.date(2024, 10, 18)

    @classmethod
    def _create(
        cls,
        model_class,
        *,
        status=Claim.Status.UNVERIFIED,
        status_rationale="",
        status_confidence=None,
        **kw,
    ):
        if status_confidence is None:
            status_confidence = "" if status == Claim.Status.UNVERIFIED else "moderate"
        return services.create_claim(
            by=None,
            status=status,
            rationale=status_rationale,
            confidence=status_confidence,
            **kw,
        )


class CitationFactory(ServiceFactory):
    class Meta:
        model = Citation

    claim = factory.SubFactory(ClaimFactory)
    source = factory.SubFactory(SourceFactory)
    role = Citation.Role.APPEARANCE
    quote = "the exact words"
    # Evidence is graded (the database insists); an appearance is not.
    credibility = factory.LazyAttribute(lambda c: 6 if c.role == Citation.Role.EVIDENCE else None)
    direction = factory.LazyAttribute(
        lambda c: Citation.Direction.CONTEXT if c.role == Citation.Role.EVIDENCE else ""
    )
