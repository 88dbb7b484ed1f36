from django.urls import path, re_path

from . import ftm, views

app_name = "exports"

# /export/<what>.<format>, e.g. /export/persons.csv; anything else is a 404.
PATTERN = r"^(?P<what>persons|detentions|charges|timeline|incidents)\.(?P<fmt>csv|xlsx|json|jsonl)$"

urlpatterns = [
    re_path(PATTERN, views.export_download, name="download"),
    path("ftm.json", ftm.ftm_download, name="ftm"),  # JSON Lines: see casetracker/exports/ftm.py
]
