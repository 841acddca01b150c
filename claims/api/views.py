"""REST API viewsets: same FilterSet, same services, same roles as the HTML pages."""

import datetime
import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Prefetch, ProtectedError, Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

from claims import services
from claims.filters import ClaimFilter
from claims.models import Actor, Citation, Claim, Source

from .permissions import CanChangeStatus, RolePermissions
from .serializers import (
    ActorSerializer,
    ClaimSerializer,
    SourceSerializer,
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


class Pagination(CursorPagination):
    """Cursor pagination: page 20,000 costs what page 1 costs (an index range scan, no OFFSET).

    The first ordering field is the cursor position, so it must be unique (DRF skips ties with
    an offset capped at 1000, which repeats rows once more than that many tie)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError) as error:
            # A forged cursor may carry a position of the wrong type.
            raise NotFound(self.invalid_cursor_message) from error


class ActorPagination(Pagination):
    ordering = ("name",)  # unique


class SourcePagination(Pagination):
    ordering = ("-id",)


class OffsetPagination(PageNumberPagination):
    page_size = Pagination.page_size
    page_size_query_param = Pagination.page_size_query_param
    max_page_size = Pagination.max_page_size


DEFAULT_CLAIM_ORDERINGS = {(), ("-stated_on", "-pk"), ("-stated_on", "-id")}


class ClaimPagination(Pagination):
    """The default order (newest stated first) pages by a keyset cursor on (stated_on, id):
    many claims share a date, so the id is part of the position. Other ?ordering= values
    (headline, status, ...) tie on far more rows and page by number (?page=) instead."""

    ordering = ("-stated_on", "-id")  # matches the claim_stated_idx index

    def paginate_queryset(self, queryset, request, view=None):
        ordering = tuple(o for o in queryset.query.order_by if isinstance(o, str))
        if ordering in DEFAULT_CLAIM_ORDERINGS:
            self.offset_pages = None
            return self.paginate_by_keyset(queryset, request)
        if self.cursor_query_param in request.query_params:
            # A cursor belongs to the default order; with another it would mean nothing.
            raise NotFound(self.invalid_cursor_message)
        self.offset_pages = OffsetPagination()
        return self.offset_pages.paginate_queryset(queryset, request, view)

    def get_next_link(self):
        if self.offset_pages is not None:
            return self.offset_pages.get_next_link()
        return super().get_next_link()

    def get_previous_link(self):
        if self.offset_pages is not None:
            return self.offset_pages.get_previous_link()
        return super().get_previous_link()

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            *(
                p
                for p in OffsetPagination().get_schema_operation_parameters(view)
                if p["name"] == OffsetPagination.page_query_param
            ),
        ]

    def _get_position_from_instance(self, instance, ordering):
        return f"{instance.stated_on.isoformat()}_{instance.pk}"

    def _after(self, queryset, position, reverse):
        """The rows after `position` ("YYYY-MM-DD_id") in the page's direction."""
        try:
            day, pk = position.split("_")
            day, pk = datetime.date.fromisoformat(day), int(pk)
        except ValueError as error:
            raise NotFound(self.invalid_cursor_message) from error
        if reverse:
            return queryset.filter(Q(stated_on__gt=day) | Q(stated_on=day, pk__gt=pk))
        return queryset.before(day, pk)

    def paginate_by_keyset(self, queryset, request):
        """DRF's CursorPagination.paginate_queryset with a two-column position: positions are
        unique, so DRF's tie-breaking offset stays 0 and its link logic works unchanged."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)
        offset, reverse, current_position = self.cursor or (0, False, None)
        if current_position is not None:
            queryset = self._after(queryset, current_position, reverse)
        queryset = queryset.order_by(*(("stated_on", "id") if reverse else self.ordering))
        results = list(queryset[offset : offset + self.page_size + 1])
        self.page = results[: self.page_size]
        has_following = len(results) > len(self.page)
        following = (
            self._get_position_from_instance(results[-1], self.ordering) if has_following else None
        )
        if reverse:
            self.page.reverse()
            self.has_next = current_position is not None or offset > 0
            self.has_previous = has_following
            self.next_position, self.previous_position = current_position, following
        else:
            self.has_next = has_following
            self.has_previous = current_position is not None or offset > 0
            self.next_position, self.previous_position = following, current_position
        if (self.has_previous or self.has_next) and self.template is not None:
            self.display_page_controls = True
        return self.page


CONFLICT_RESPONSE = OpenApiResponse(
    description="Version conflict: `detail` says so and `current` is the row as now saved."
)


class ServiceModelViewSet(viewsets.ModelViewSet):
    """Create, update and delete through claims.services; their errors become JSON answers."""

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
class ClaimViewSet(ServiceModelViewSet):
    """Claims with their actor and citations. The list takes the claim list page's filters
    (actor, status, source, kind, country, stated_from, stated_to, q, confidence,
    min_reliability, min_credibility, direction, ordering) and pages
    with a cursor in the default order, by page number in any other: follow `next` and
    `previous`."""

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
