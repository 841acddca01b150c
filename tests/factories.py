import datetime

import factory
from django.contrib.auth.models import Group, Permission, User

from claims.models import Actor, Citation, Claim, Source
from claims.roles import sync_roles


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
            if not Group.objects.filter(name=extracted).exists():
                # A transactional test before this one emptied the tables the migration filled.
                sync_roles(Group, Permission)
            user.groups.add(Group.objects.get(name=extracted))
            user.is_staff = extracted in ("analyst", "admin")
            user.is_superuser = extracted == "admin"
        user.save()


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    name = factory.Sequence(lambda n: f"Actor {n}")
    slug = factory.Sequence(lambda n: f"actor-{n}")
    kind = Actor.Kind.GOVERNMENT
    country = "KR"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Source {n}")
    url = factory.Sequence(lambda n: f"https://example.org/source/{n}")
    publisher = "Example News"
    kind = Source.Kind.NEWS_REPORT
    published_on = datetime.date(2024, 10, 18)


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim with no timeline; use services.create_claim when the timeline matters."""

    class Meta:
        model = Claim

    actor = factory.SubFactory(ActorFactory)
    headline = factory.Sequence(lambda n: f"Claim number {n}")
    text = factory.LazyAttribute(lambda c: f"{c.headline}: what the actor said in full.")
    stated_on = datetime.date(2024, 10, 18)


class CitationFactory(factory.django.DjangoModelFactory):
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
