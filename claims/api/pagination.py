"""The API lists' pages: claims.listing.Page and its Cursor, as DRF pagination classes, so
the API pages exactly as the HTML list does (same cursor text, same ?before= / ?after=)."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from claims import listing


class ListPagination(BasePagination):
    """`ordering` (fields, ending on a unique one) is applied to the list and paged by
    cursor: page 20,000 costs what page 1 costs. Without one the list keeps its own order
    (the claim filter's ?ordering=) and pages by cursor where `cursor_ordering` allows."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = None

    def cursor_ordering(self, queryset):
        return listing.Ordering(queryset.model, self.ordering)

    def get_page_size(self, request):
        """?page_size= is a whole number from 1 to max_page_size, or a 400 naming it: junk
        silently falling back to the default is not what the schema says."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        if self.ordering:
            queryset = queryset.order_by(*self.ordering)
        query = request.query_params
        ordering = self.cursor_ordering(queryset)
        try:
            cursor = listing.Cursor.from_query(query, ordering)
            if listing.LEGACY_CURSOR in query:
                if cursor is not None:
                    raise listing.BadCursor("A page link takes one cursor.", listing.LEGACY_CURSOR)
                cursor = listing.legacy_cursor(query[listing.LEGACY_CURSOR], ordering)
        except listing.BadCursor as error:
            raise ValidationError({error.param: [str(error)]}) from error
        self.request = request
        self.page = listing.Page(
            queryset,
            query,
            per_page=self.get_page_size(request),
            ordering=ordering,
            cursor=cursor,
        )
        return self.page.rows

    def _url(self, query):
        if query is None:
            return None
        base = self.request.build_absolute_uri(self.request.path)
        return f"{base}?{query}" if query else base

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._url(self.page.next_query),
                "previous": self._url(self.page.previous_query),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        def parameter(name, description, schema_type="string"):
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": schema_type},
            }

        return [
            parameter(listing.NEXT, "The page after this position (follow `next`)."),
            parameter(listing.PREVIOUS, "The page before this position (follow `previous`)."),
            parameter("page", "A page number, for orders that page by number.", "integer"),
            parameter(self.page_size_query_param, "Rows per page, at most 500.", "integer"),
        ]


class ActorPagination(ListPagination):
    ordering = ("name",)  # unique


class SourcePagination(ListPagination):
    ordering = ("-pk",)


class ClaimPagination(ListPagination):
    """The claim filter's order: the default (newest stated first) pages by cursor; other
    ?ordering= values (headline, status, ...) page by number (?page=) within the first
    listing.OFFSET_ROWS_LIMIT rows."""

    def cursor_ordering(self, queryset):
        return listing.claim_cursor_ordering(queryset)
