"""The site's URLs plus /bench/bare/: a fixed 1 KB page through the same middleware (baseline)."""

from django.http import HttpResponse
from django.urls import path

from casetracker.urls import urlpatterns as site_urlpatterns

BARE_PAGE = (
    "<!doctype html><html><head><title>bare</title></head><body><p>"
    + "x" * (1024 - 80)
    + "</p></body></html>"
)


def bare(request):
    return HttpResponse(BARE_PAGE)


urlpatterns = [path("bench/bare/", bare), *site_urlpatterns]
