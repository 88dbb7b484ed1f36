"""Pagination that stays fast at a million rows: no COUNT(*), no deep OFFSET.

Lists page by keyset on `public_id`: unique, indexed (its unique constraint), stable, and already
public, so the cursor says nothing a reader could not see. A page is one indexed range scan,
`WHERE public_id > <last seen> ORDER BY public_id LIMIT n + 1`, however deep it is.

A ranked name search pages by offset in rank order instead (rank is not a column to seek on); the
engine ranks a bounded set of candidates, and the offset is capped at that bound.
"""

from base64 import b64decode, b64encode
from urllib import parse

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# The search engine ranks at most this many candidates (search.engine.CANDIDATE_LIMIT).
MAX_SEARCH_OFFSET = 500


class KeysetPagination(CursorPagination):
    ordering = "public_id"
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_cursor_message = _("Invalid cursor.")


class RankedPagination(BasePagination):
    """Offset pages of a ranked queryset, with the same envelope and `cursor` parameter."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.offset = self._offset(request)
        self.limit = self._limit(request)
        # One row past the page tells whether a next page exists, without counting.
        rows = list(queryset[self.offset : self.offset + self.limit + 1])
        self.has_next = len(rows) > self.limit and self.offset + self.limit < MAX_SEARCH_OFFSET
        return rows[: self.limit]

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.offset + self.limit) if self.has_next else None,
                "previous": self._previous(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return KeysetPagination().get_paginated_response_schema(schema)

    def get_schema_operation_parameters(self, view):
        return KeysetPagination().get_schema_operation_parameters(view)

    def _previous(self):
        if self.offset <= 0:
            return None
        return self._link(max(self.offset - self.limit, 0))

    def _link(self, offset: int) -> str:
        url = self.request.build_absolute_uri()
        if offset == 0:
            return remove_query_param(url, self.cursor_query_param)
        encoded = b64encode(parse.urlencode({"o": offset}).encode()).decode()
        return replace_query_param(url, self.cursor_query_param, encoded)

    def _offset(self, request) -> int:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return 0
        try:
            offset = int(parse.parse_qs(b64decode(encoded.encode()).decode())["o"][0])
        except (ValueError, KeyError, UnicodeDecodeError):
            raise NotFound(KeysetPagination.invalid_cursor_message) from None
        if not 0 <= offset < MAX_SEARCH_OFFSET:
            raise NotFound(KeysetPagination.invalid_cursor_message)
        return offset

    def _limit(self, request) -> int:
        try:
            size = int(request.query_params[self.page_size_query_param])
        except (KeyError, ValueError):
            return PAGE_SIZE
        return min(max(size, 1), MAX_PAGE_SIZE)
