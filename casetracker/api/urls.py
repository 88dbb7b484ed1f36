from csp.decorators import csp_replace
from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"


class Router(DefaultRouter):
    # One address per resource: no `.json` twins in the schema, JSON is the only format.
    include_format_suffixes = False


router = Router()
router.register("persons", views.PersonViewSet, basename="person")
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("detentions", views.DetentionViewSet, basename="detention")
router.register("charges", views.ChargeViewSet, basename="charge")
router.register("timeline", views.StatusEntryViewSet, basename="status-entry")
router.register("sources", views.SourceViewSet, basename="source")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        csp_replace(views.DOCS_CSP)(views.DocsView.as_view(url_name="api:schema")),
        name="docs",
    ),
    *router.urls,
]
