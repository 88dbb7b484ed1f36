from django.urls import re_path

from . import views
from .fields import KINDS

app_name = "staff-exports"

# /staff/export/<what>.<format>: the public kinds and the staff-only ones (places, sources, …).
PATTERN = rf"^(?P<what>{'|'.join(KINDS)})\.(?P<fmt>csv|xlsx|json|jsonl)$"

urlpatterns = [
    re_path(PATTERN, views.staff_export_download, name="download"),
]
