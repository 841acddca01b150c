"""REST API viewsets: same FilterSet, same services, same roles as the HTML pages."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Prefetch, ProtectedError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from claims import services
from claims.changes import CHANGE_ORDER, Changes
from claims.db import clean_query
from claims.filters import AsOfDateField, ClaimFilter
from claims.models import Actor, Citation, Claim, Proposition, Source, Stance, StatusChange

from .idempotency import IdempotentWritesMixin
from .pagination import ActorPagination, ClaimPagination, ListPagination, SourcePagination
from .permissions import CanChangeStatus, RolePermissions
from .serializers import (
    ActorSerializer,
    ChangeSerializer,
    ClaimSerializer,
    PossibleDuplicatesErrorSerializer,
    PropositionSerializer,
    SourceSerializer,
    StanceSerializer,
    StatusChangeSerializer,
    as_api_error,
)

logger = logging.getLogger(__name__)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the record."
    default_code = "conflict"


class ClaimFilterBackend(DjangoFilterBackend):
    """django-filter's backend, with the filter's messages as Django formats them (its own
    translation %-formats each message again and fails on a "%" the user typed)."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
        return filterset.qs


CONFLICT_RESPONSE = OpenApiResponse(
    description="Version conflict: `detail` says so and `current` is the row as now saved."
)


class ServiceModelViewSet(IdempotentWritesMixin, viewsets.ModelViewSet):
    """Create, update and delete through claims.services; their errors become JSON answers.
    A write sent with an Idempotency-Key is done at most once (claims.api.idempotency)."""

    permission_classes = [RolePermissions]
    filter_backends = []

    def perform_destroy(self, instance):
        services.delete_record(instance, by=self.request.user)

    def handle_exception(self, exc):
        if isinstance(exc, services.VersionConflict):
            current = self.get_serializer(exc.current).data
            return Response({"detail": str(exc), "current": current}, status=409)
        if isinstance(exc, DjangoValidationError):
            exc = as_api_error(exc)
        elif isinstance(exc, ProtectedError):
            exc = Conflict("Still in use: delete or move what refers to it first.")
        elif isinstance(exc, IntegrityError):
            # A race past validation (e.g. the same citation saved twice at once).
            logger.warning("API write refused by the database: %s", exc)
            exc = Conflict("This conflicts with a record saved meanwhile; reload and retry.")
        return super().handle_exception(exc)


def _with_response(serializer):
    return extend_schema_view(
        update=extend_schema(responses={200: serializer, 409: CONFLICT_RESPONSE}),
        partial_update=extend_schema(responses={200: serializer, 409: CONFLICT_RESPONSE}),
    )


@_with_response(ActorSerializer)
class ActorViewSet(ServiceModelViewSet):
    """Who makes claims. Looked up by slug. Delete answers 409 while the actor has claims."""

    queryset = Actor.objects.select_related("parent")
    serializer_class = ActorSerializer
    pagination_class = ActorPagination
    lookup_field = "slug"


@_with_response(SourceSerializer)
class SourceViewSet(ServiceModelViewSet):
    """Documents, articles and posts that claims cite."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    pagination_class = SourcePagination


@_with_response(ClaimSerializer)
@extend_schema_view(
    create=extend_schema(
        responses={201: ClaimSerializer, 400: PossibleDuplicatesErrorSerializer},
        description="Create a claim with its first verdict and citations (existing sources "
        "by id, or new ones). A claim that says almost the same as one already recorded is "
        "refused with 400 listing `possible_duplicates`; send `save_anyway: true` to create "
        "it all the same. Other bad input is a 400 naming the field.",
    )
)
class ClaimViewSet(ServiceModelViewSet):
    """Claims with their actor and citations. The list takes the claim list page's filters
    (as_of, actor, status, source, kind, country, stated_from, stated_to, q, confidence,
    min_reliability, min_credibility, direction, ordering) and the detail takes as_of: the
    record as it stood on that date. The list pages as that page does, by cursor in the
    default order and by page number in any other: follow `next` and `previous`."""

    queryset = Claim.objects.select_related("actor").prefetch_related(
        Prefetch("citations", queryset=Citation.objects.select_related("source"))
    )
    serializer_class = ClaimSerializer
    pagination_class = ClaimPagination
    filter_backends = [ClaimFilterBackend]
    filterset_class = ClaimFilter

    @extend_schema(
        request=StatusChangeSerializer,
        responses={200: ClaimSerializer},
        description="Record a verdict (appends to the claim's timeline). Needs change_claim.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="status",
        permission_classes=[CanChangeStatus],
        filter_backends=[],
    )
    def set_status(self, request, pk=None):
        claim = self.get_object()
        change = StatusChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        services.claim_set_status(claim=claim, by=request.user, **change.validated_data)
        claim = self.get_queryset().get(pk=claim.pk)
        return Response(ClaimSerializer(claim, context=self.get_serializer_context()).data)


class ChangePagination(ListPagination):
    ordering = CHANGE_ORDER.fields  # newest first, by cursor


CLAIM_FILTER_PARAMETERS = [
    OpenApiParameter(name, str, description=f"As on the claim list: {f.label}.")
    for name, f in ClaimFilter.base_filters.items()
    if name != "ordering"
]


@extend_schema(
    parameters=[
        OpenApiParameter(
            "from", OpenApiTypes.DATE, description="First day (default: 30 days ago)."
        ),
        OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (default: today)."),
        *CLAIM_FILTER_PARAMETERS,
    ],
    description=(
        "Every verdict that took effect from `from` to `to`, newest first. Takes the claim "
        "list's filters too (actor, status, q, ...) to narrow the claims. `from` after `to` "
        "is a 400 naming `from`."
    ),
)
class ChangeListView(generics.ListAPIView):
    """What changed between two dates (the /changes/ page as JSON)."""

    permission_classes = [RolePermissions]
    serializer_class = ChangeSerializer
    pagination_class = ChangePagination
    queryset = StatusChange.objects.none()  # for the permission class's model

    def filter_queryset(self, queryset):
        # Here rather than in get_queryset(): the permission check calls get_queryset() for
        # every method, and a TRACE with bad dates must still be a 405, not a 400.
        found = Changes(self.request.query_params, request=self.request)
        if not found.is_valid:
            raise ValidationError({name: list(errors) for name, errors in found.errors.items()})
        return found.rows(found.queryset)


# Propositions and stances -----------------------------------------------------------------------


class PropositionPagination(ListPagination):
    ordering = ("-id",)


AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description="The record as it stood on this date: each proposition's verdict of then; "
    "one not yet recorded then is left out (404 for the detail).",
)


def _as_of_param(request):
    """?as_of= as a date (None when absent); a bad one is a 400 naming the field, as for
    the claim list."""
    try:
        return AsOfDateField(required=False).clean(request.query_params.get("as_of", ""))
    except DjangoValidationError as error:
        raise ValidationError({"as_of": error.messages}) from None


@_with_response(PropositionSerializer)
@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Words that must all be in the statement."),
            OpenApiParameter(
                "status", str, enum=Claim.Status.values, description="Only this verdict."
            ),
            AS_OF_PARAMETER,
        ]
    ),
    retrieve=extend_schema(parameters=[AS_OF_PARAMETER]),
)
class PropositionViewSet(ServiceModelViewSet):
    """Propositions: the statements claims assert, deny or doubt. Looked up by slug. The
    verdict changes through POST .../status/ only; a claim's stance through /api/stances/.
    The list and the detail take as_of: the verdicts as they stood on that date."""

    queryset = Proposition.objects.all()
    serializer_class = PropositionSerializer
    pagination_class = PropositionPagination
    lookup_field = "slug"

    def get_queryset(self):
        propositions = super().get_queryset()
        if self.action not in ("list", "retrieve"):
            return propositions  # writes act on today's record
        as_of = _as_of_param(self.request)
        if as_of is not None:
            propositions = propositions.as_of(as_of)
        if self.action != "list":
            return propositions
        params = self.request.query_params
        query = clean_query(params.get("q", ""), 300)
        status_ = params.get("status")
        if status_ and status_ not in Claim.Status.values:
            raise ValidationError({"status": [f"Unknown status {status_!r}."]})
        propositions = propositions.search(query)
        field = "as_of_status" if as_of else "status"
        return propositions.filter(**{field: status_}) if status_ else propositions

    @extend_schema(
        request=StatusChangeSerializer,
        responses={200: PropositionSerializer},
        description="Record the proposition's verdict (appends to its timeline). Its claims "
        "are not changed: the proposition page offers that. Needs change_proposition.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="status",
        permission_classes=[CanChangeStatus],
    )
    def set_status(self, request, slug=None):
        proposition = self.get_object()
        change = StatusChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        services.proposition_set_status(
            proposition=proposition, by=request.user, **change.validated_data
        )
        proposition.refresh_from_db()
        return Response(
            PropositionSerializer(proposition, context=self.get_serializer_context()).data
        )


class StancePagination(ListPagination):
    ordering = ("-id",)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("proposition", str, description="The proposition's slug."),
            OpenApiParameter("claim", int, description="The claim's id."),
        ]
    )
)
class StanceViewSet(ServiceModelViewSet):
    """How a claim bears on a proposition: asserts, denies or doubts. One per (claim,
    proposition); change the stance or note with PATCH, detach with DELETE."""

    queryset = Stance.objects.select_related("proposition")
    serializer_class = StanceSerializer
    pagination_class = StancePagination

    def get_queryset(self):
        stances = super().get_queryset()
        if self.action != "list":
            return stances
        params = self.request.query_params
        if "proposition" in params:
            stances = stances.filter(proposition__slug=params["proposition"][:200])
        if "claim" in params:
            claim = params["claim"]
            if not (claim.isascii() and claim.isdecimal() and int(claim) < 2**63):
                raise ValidationError({"claim": ["A claim id is a whole number."]})
            stances = stances.filter(claim_id=int(claim))
        return stances

    def perform_destroy(self, instance):
        services.remove_stance(stance=instance, by=self.request.user)
