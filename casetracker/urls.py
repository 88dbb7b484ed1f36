from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Casetracker staff workspace"
admin.site.site_title = "Casetracker"
admin.site.index_title = "Case register"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

urlpatterns += i18n_patterns(
    path("search/", include("casetracker.search.urls")),
    path("", include("casetracker.public.urls")),
    prefix_default_language=True,
)
