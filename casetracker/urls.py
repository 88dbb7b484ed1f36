from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from casetracker.public.sitemaps import SITEMAPS

admin.site.site_header = "Casetracker staff workspace"
admin.site.site_title = "Casetracker"
admin.site.index_title = "Case register"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", include("casetracker.staff.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("api/", include("casetracker.api.urls")),
    path("export/", include("casetracker.exports.urls")),
    path("staff/export/", include("casetracker.exports.staff_urls")),
]

urlpatterns += i18n_patterns(
    path("search/", include("casetracker.search.urls")),
    path("", include("casetracker.public.urls")),
    prefix_default_language=True,
)
