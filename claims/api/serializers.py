"""What the API reads and writes. Writes go through claims.services, like every other path."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from claims import duplicates, services
from claims.forms import find_proposition
from claims.models import (
    NOTE_MAX_LENGTH,
    Actor,
    Citation,
    Claim,
    Confidence,
    Proposition,
    Source,
    Stance,
    StatusChange,
)


def as_api_error(error):
    """A model's ValidationError as the API's 400 body: {field: [messages]}."""
    if hasattr(error, "error_dict"):
        detail = {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    else:
        detail = {"non_field_errors": error.messages}
    return serializers.ValidationError(detail)


def _reject_unencodable(attrs):
    # JSON may carry lone surrogates ("\ud800"); the database can't store them.
    errors = {}
    for name, value in attrs.items():
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                errors[name] = ["Not valid Unicode text."]
    if errors:
        raise serializers.ValidationError(errors)


class VersionedSerializer(serializers.ModelSerializer):
    """Runs the model's own validation (constraints included) so a bad value is a 400 naming
    the field, never an IntegrityError; an update must say which `version` it edits."""

    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="Read: the row's current version. Update: required, the version you edited; "
        "a stale one answers 409 with the current row.",
    )
    model_clean_exclude = ()

    def validate(self, attrs):
        _reject_unencodable(attrs)
        if self.instance is not None and "version" not in attrs:
            raise serializers.ValidationError(
                {"version": ["Required when updating: the version you edited."]}
            )
        fields = {k: v for k, v in attrs.items() if k != "version"}
        candidate = copy.copy(self.instance) if self.instance else self.Meta.model()
        for name, value in fields.items():
            setattr(candidate, name, value)
        try:
            candidate.full_clean(exclude=self.model_clean_exclude)
        except DjangoValidationError as error:
            raise as_api_error(error) from None
        return attrs

    def create(self, validated_data):
        validated_data.pop("version", None)
        instance = self.Meta.model(**validated_data)
        return services.create_record(instance, by=self.context["request"].user)

    def update(self, instance, validated_data):
        expected = validated_data.pop("version")
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return services.save_versioned(instance, by=self.context["request"].user, version=expected)


class ActorNameRelatedField(serializers.SlugRelatedField):
    """An actor written as its name, short name, alias or slug (Actor.objects.resolve);
    read back as its slug. An unknown or ambiguous name is a 400 naming the field."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Actor.objects.all(), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Give the actor's name, alias or slug as text.")
        try:
            return self.get_queryset().resolve(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class ActorSerializer(VersionedSerializer):
    parent = ActorNameRelatedField(
        required=False,
        allow_null=True,
        help_text="The actor this one speaks for: its name, short name, alias or slug.",
    )

    class Meta:
        model = Actor
        fields = [
            "id",
            "slug",
            "name",
            "short_name",
            "aliases",
            "kind",
            "country",
            "parent",
            "wikidata_id",
            "description",
            "version",
        ]


class SourceSerializer(VersionedSerializer):
    class Meta:
        model = Source
        fields = [
            "id",
            "title",
            "url",
            "publisher",
            "kind",
            "published_on",
            "archive_url",
            "notes",
            "reliability",
            "version",
        ]
        extra_kwargs = {
            "reliability": {"help_text": "Admiralty source reliability A-F (F: cannot be judged)."}
        }


class ActorSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Actor
        fields = ["slug", "name"]


class SourceSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "title", "url", "reliability"]


GRADE_HELP = {
    "credibility": "Evidence only: information credibility 1-6 (6: cannot be judged; the "
    "default). Null for an appearance.",
    "direction": "Evidence only: supports, refutes or context (the default). Empty for an "
    "appearance.",
    "reliability_override": "Evidence only, optional: the reliability A-F of this item when "
    "it differs from its source's.",
}


class CitationSerializer(serializers.ModelSerializer):
    source = SourceSummarySerializer(read_only=True)
    rating = serializers.CharField(
        read_only=True,
        help_text="Evidence only: the Admiralty rating, reliability then credibility, e.g. B2.",
    )

    class Meta:
        model = Citation
        fields = [
            "id",
            "role",
            "source",
            "quote",
            "note",
            "direction",
            "credibility",
            "reliability_override",
            "rating",
        ]
        extra_kwargs = {name: {"help_text": text} for name, text in GRADE_HELP.items()}


class NewSourceSerializer(serializers.ModelSerializer):
    """A source created with the claim that cites it (in the same transaction)."""

    class Meta:
        model = Source
        fields = ["title", "url", "kind", "publisher", "published_on"]

    def validate(self, attrs):
        _reject_unencodable(attrs)
        candidate = Source(**attrs)
        try:
            # The same checks as the source form: a URL that is already a source's is refused.
            candidate.full_clean(validate_unique=False, validate_constraints=False)
        except DjangoValidationError as error:
            raise as_api_error(error) from None
        return attrs


class NewCitationSerializer(serializers.ModelSerializer):
    """A citation given with a new claim: an existing source (by id) or a new one, in what
    role, with what grades if it is evidence."""

    source = serializers.PrimaryKeyRelatedField(
        queryset=Source.objects.all(), required=False, allow_null=True
    )
    new_source = NewSourceSerializer(
        required=False,
        help_text="Instead of `source`: a new source to create and cite (title required; "
        "a URL that is already a source's is refused, naming it).",
    )

    class Meta:
        model = Citation
        fields = [
            "source",
            "new_source",
            "role",
            "quote",
            "note",
            "direction",
            "credibility",
            "reliability_override",
        ]
        extra_kwargs = {name: {"help_text": text} for name, text in GRADE_HELP.items()}

    def validate(self, attrs):
        if bool(attrs.get("source")) == bool(attrs.get("new_source")):
            raise serializers.ValidationError(
                {"source": ["Give either an existing source's id or a new_source, not both."]}
            )
        role = attrs.get("role", Citation.Role.APPEARANCE)
        candidate = services.citation_defaults(
            Citation(
                role=role,
                credibility=attrs.get("credibility"),
                direction=attrs.get("direction", ""),
                reliability_override=attrs.get("reliability_override", ""),
            )
        )
        try:
            services.validate_citation_grades(
                role=role,
                credibility=candidate.credibility,
                direction=candidate.direction,
                reliability_override=candidate.reliability_override,
            )
        except DjangoValidationError as error:
            raise as_api_error(error) from None
        return attrs

    def spec(self, data):
        """The citation as services.CitationSpec: the service creates the new source."""
        new = data.get("new_source") or {}
        return services.CitationSpec(
            source=data.get("source"),
            new_source_title=new.get("title", ""),
            new_source_url=new.get("url", ""),
            new_source_kind=new.get("kind", Source.Kind.OTHER),
            new_source_publisher=new.get("publisher", ""),
            new_source_published_on=new.get("published_on"),
            role=data.get("role", Citation.Role.APPEARANCE),
            quote=data.get("quote", ""),
            note=data.get("note", ""),
            credibility=data.get("credibility"),
            direction=data.get("direction", ""),
            reliability_override=data.get("reliability_override", ""),
        )


STATUS_ON_UPDATE = "Set on create only; to change it use POST /api/claims/{id}/status/."
CREATE_ONLY_FIELDS = {
    "status": STATUS_ON_UPDATE,
    "status_rationale": STATUS_ON_UPDATE,
    "status_confidence": STATUS_ON_UPDATE,
    "new_citations": "Set on create only; cite further sources through the claim's edit page.",
}


class PossibleDuplicates(exceptions.APIException):
    """400 with the possible duplicates as they are (ids as numbers): a ValidationError
    would turn every value into a string."""

    status_code = 400
    default_code = "possible_duplicates"

    def __init__(self, detail):
        self.detail = detail


class PossibleDuplicateSerializer(serializers.Serializer):
    """A claim already recorded that says almost the same (claims.duplicates)."""

    id = serializers.IntegerField(source="record.pk")
    url = serializers.SerializerMethodField()
    headline = serializers.CharField(source="record.headline")
    actor = serializers.CharField(source="record.actor.slug")
    stated_on = serializers.DateField(source="record.stated_on")
    similarity = serializers.FloatField(source="score")

    @extend_schema_field(serializers.URLField())
    def get_url(self, match):
        request = self.context.get("request")
        path = match.record.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class ClaimSerializer(VersionedSerializer):
    actor = ActorSummarySerializer(read_only=True)
    actor_slug = ActorNameRelatedField(
        source="actor",
        write_only=True,
        help_text="Who made the claim: the actor's name, short name, alias or slug.",
    )
    citations = CitationSerializer(many=True, read_only=True)
    new_citations = NewCitationSerializer(
        many=True,
        write_only=True,
        required=False,
        help_text="On create only: sources to cite, each (source, role) once. Later citations "
        "go through the claim's edit page.",
    )
    status = serializers.ChoiceField(
        choices=Claim.Status.choices,
        required=False,
        help_text="On create only; afterwards use POST /api/claims/{id}/status/.",
    )
    status_rationale = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=NOTE_MAX_LENGTH,
        help_text="Why this verdict (on create only).",
    )
    status_confidence = serializers.ChoiceField(
        choices=Confidence.choices,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="How sure the current verdict is: low, moderate or high (ICD 203); required "
        "with confirmed and denied on create. Null: recorded before confidence was kept.",
    )
    save_anyway = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text="On create: a claim that says almost the same as one already recorded is "
        "refused with 400 and `possible_duplicates` (each with id, url, headline, actor, "
        "stated_on, similarity) unless this is true.",
    )
    url = serializers.SerializerMethodField()
    # The model's citation and status rules are checked by services.create_claim.
    model_clean_exclude = ("status", "status_rationale", "status_confidence")

    class Meta:
        model = Claim
        fields = [
            "id",
            "url",
            "actor",
            "actor_slug",
            "headline",
            "text",
            "stated_on",
            "status",
            "status_rationale",
            "status_confidence",
            "citations",
            "new_citations",
            "save_anyway",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_new_citations(self, citations):
        seen = set()
        for citation in citations:
            if citation.get("source") is None:
                continue
            key = (citation["source"].pk, citation.get("role", Citation.Role.APPEARANCE))
            if key in seen:
                raise serializers.ValidationError(
                    f"Source {key[0]} is cited twice with the role {key[1]}."
                )
            seen.add(key)
        return citations

    @extend_schema_field(serializers.URLField())
    def get_url(self, claim):
        request = self.context.get("request")
        path = claim.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    def validate(self, attrs):
        save_anyway = attrs.pop("save_anyway", False)
        if self.instance is not None:
            refused = [name for name in CREATE_ONLY_FIELDS if name in attrs]
            if refused:
                raise serializers.ValidationError(
                    {
                        name: [CREATE_ONLY_FIELDS[name].format(id=self.instance.pk)]
                        for name in refused
                    }
                )
        status = attrs.pop("status", None)
        rationale = attrs.pop("status_rationale", None)
        confidence = attrs.pop("status_confidence", None) or ""
        new_citations = attrs.pop("new_citations", None)
        attrs = super().validate(attrs)
        if self.instance is None:
            status = status or Claim.Status.UNVERIFIED
            try:
                services.validate_status_change(
                    status=status, rationale=rationale, confidence=confidence
                )
            except DjangoValidationError as error:
                detail = as_api_error(error).detail
                for name in ("rationale", "confidence"):
                    if name in detail:
                        detail[f"status_{name}"] = detail.pop(name)
                raise serializers.ValidationError(detail) from None
            attrs.update(
                status=status,
                rationale=rationale or "",
                confidence=confidence,
                citations=new_citations or [],
            )
            if not save_anyway:
                self._refuse_duplicates(attrs)
        return attrs

    def _refuse_duplicates(self, attrs):
        found = duplicates.similar_claims(
            headline=attrs.get("headline"),
            text=attrs.get("text"),
            actor=attrs.get("actor"),
            stated_on=attrs.get("stated_on"),
        )
        if found:
            shown = PossibleDuplicateSerializer(found, many=True, context=self.context).data
            raise PossibleDuplicates(
                {
                    "possible_duplicates": shown,
                    "save_anyway": [
                        f"{len(found)} claim(s) already recorded say almost the same; send "
                        "save_anyway: true to create this one anyway."
                    ],
                }
            )

    def create(self, validated_data):
        validated_data.pop("version", None)
        spec = NewCitationSerializer().spec
        citations = [spec(data) for data in validated_data.pop("citations")]
        return services.create_claim(
            by=self.context["request"].user, citations=citations, **validated_data
        )


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Claim.Status.choices)
    rationale = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=NOTE_MAX_LENGTH,
        default="",
        help_text="Required for confirmed and denied: why.",
    )
    confidence = serializers.ChoiceField(
        choices=Confidence.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="How sure: low, moderate or high (ICD 203). Required for confirmed and denied.",
    )

    def validate(self, attrs):
        _reject_unencodable(attrs)
        try:
            services.validate_status_change(
                status=attrs["status"],
                rationale=attrs["rationale"],
                confidence=attrs["confidence"],
            )
        except DjangoValidationError as error:
            raise as_api_error(error) from None
        return attrs


class ChangeSerializer(serializers.ModelSerializer):
    """One verdict on the timeline, with the claim and actor named (the /changes/ rows)."""

    claim_headline = serializers.CharField(source="claim.headline", read_only=True)
    actor_slug = serializers.CharField(source="claim.actor.slug", read_only=True)
    actor_name = serializers.CharField(source="claim.actor.name", read_only=True)
    changed_by = serializers.SerializerMethodField()
    # Plain text, not a second enum of the claim's statuses (one name per choice set in the
    # schema); old_status is "" for a claim's first verdict.
    old_status = serializers.CharField(
        read_only=True, help_text="confirmed, denied, unverified or empty"
    )
    new_status = serializers.CharField(read_only=True, help_text="confirmed, denied or unverified")

    class Meta:
        model = StatusChange
        fields = [
            "id",
            "changed_at",
            "claim",
            "claim_headline",
            "actor_slug",
            "actor_name",
            "old_status",
            "new_status",
            "confidence",
            "rationale",
            "changed_by",
        ]
        read_only_fields = fields

    def get_changed_by(self, change) -> str:
        return change.changed_by.get_username() if change.changed_by else ""


# Propositions and stances -----------------------------------------------------------------------


class PropositionSerializer(VersionedSerializer):
    status = serializers.CharField(
        read_only=True, help_text="Change it with POST /api/propositions/{slug}/status/."
    )
    status_rationale = serializers.CharField(read_only=True)
    status_confidence = serializers.ChoiceField(
        choices=Confidence.choices,
        read_only=True,
        allow_blank=True,
        allow_null=True,
        help_text="How sure the current verdict is: low, moderate or high; empty if none "
        "was given (unverified), null if recorded before confidence was kept.",
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = Proposition
        fields = [
            "id",
            "url",
            "slug",
            "statement",
            "description",
            "status",
            "status_rationale",
            "status_confidence",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"slug": {"required": False}}

    @extend_schema_field(serializers.URLField())
    def get_url(self, proposition):
        request = self.context.get("request")
        path = proposition.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    def create(self, validated_data):
        validated_data.pop("version", None)
        return services.create_proposition(by=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        expected = validated_data.pop("version")
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return services.update_proposition(
            instance, by=self.context["request"].user, version=expected
        )


class PropositionWordsField(serializers.CharField):
    """A proposition named by its slug or words of its statement; read back as its slug."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if len(text) > 300:
            raise serializers.ValidationError("Name it in 300 characters or fewer.")
        try:
            return find_proposition(text)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def to_representation(self, value):
        return value.slug


class StanceSerializer(serializers.ModelSerializer):
    claim = serializers.PrimaryKeyRelatedField(
        queryset=Claim.objects.all(), help_text="The claim's id."
    )
    proposition = PropositionWordsField(
        help_text="The proposition's slug, or words of its statement that name only it.",
    )
    proposition_statement = serializers.CharField(source="proposition.statement", read_only=True)
    stance = serializers.ChoiceField(choices=Stance.Kind.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        model = Stance
        fields = ["id", "claim", "proposition", "proposition_statement", "stance", "note"]
        validators = []  # validate() names the field, not "must make a unique set"

    def validate(self, attrs):
        _reject_unencodable(attrs)
        if self.instance is not None:
            for name in ("claim", "proposition"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: ["Can't be changed: remove this stance and add another."]}
                    )
        elif Stance.objects.filter(claim=attrs["claim"], proposition=attrs["proposition"]).exists():
            raise serializers.ValidationError(
                {"proposition": [f"Claim {attrs['claim'].pk} is already attached to it."]}
            )
        return attrs

    def create(self, validated_data):
        return services.set_stance(by=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return services.set_stance(
            claim=instance.claim,
            proposition=instance.proposition,
            stance=validated_data.get("stance", instance.stance),
            note=validated_data.get("note", instance.note),
            by=self.context["request"].user,
        )


class PossibleDuplicatesErrorSerializer(serializers.Serializer):
    """The 400 answer of a create (for the OpenAPI schema): refused for possible duplicates
    (these two keys), or for bad input (each refused field named with its messages)."""

    possible_duplicates = PossibleDuplicateSerializer(many=True, required=False)
    save_anyway = serializers.ListField(child=serializers.CharField(), required=False)
