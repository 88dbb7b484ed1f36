"""Downloads: public exports at /export/, staff exports (every field, logged) at /staff/export/."""

import datetime

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .exports import InvalidSelection, Stream, TooLarge, open_stream
from .models import ExportLog


@require_safe
def export_download(request, what: str, fmt: str):
    try:
        stream = open_stream(what, fmt, request.GET, base_url=_base_url(request))
    except (InvalidSelection, TooLarge) as error:
        return _refusal(error)
    # A generator, so that closing the response (the client went away) closes the stream.
    return _streaming_response(stream, iter(stream))


@require_safe
@never_cache
@staff_member_required
def staff_export_download(request, what: str, fmt: str):
    try:
        stream = open_stream(what, fmt, request.GET, staff=True, base_url=_base_url(request))
    except (InvalidSelection, TooLarge) as error:
        return _refusal(error)
    log = ExportLog.objects.create(
        user=request.user, what=what, format=fmt, query=request.GET.urlencode()
    )
    response = _streaming_response(stream, logged(stream, log))
    patch_cache_control(response, no_store=True, private=True)
    return response


def logged(stream: Stream, log: ExportLog):
    """The stream, then its row count on the log; a download cut short stays incomplete."""
    yield from stream
    ExportLog.objects.filter(pk=log.pk).update(row_count=stream.rows, is_complete=True)


def _streaming_response(stream: Stream, chunks) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=stream.content_type)
    name = f"casetracker-{stream.selection.kind.what}-{datetime.date.today():%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{stream.extension}"'
    response.export_stream = stream  # for tests: the producer thread of the COPY path
    return response


def _refusal(error: Exception) -> HttpResponse:
    if isinstance(error, InvalidSelection):
        lines = [_("These filters are not valid:")]
        lines += [f"{field}: {' '.join(errors)}" for field, errors in error.errors.items()]
        return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")
    return HttpResponse(str(error), status=413, content_type="text/plain; charset=utf-8")


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")
