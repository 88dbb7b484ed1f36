from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def too_many_requests(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    """429 with Retry-After: a page for people, a JSON error for the API."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": _("Too many requests. Try again in %(seconds)d seconds.")
                % {"seconds": retry_after}
            },
            status=429,
        )
    else:
        response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
