from django.urls import re_path

from . import views
from .urls import PATTERN

app_name = "staff-exports"

urlpatterns = [
    re_path(PATTERN, views.staff_export_download, name="download"),
]
