from django.contrib import admin
from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("merge/", admin.site.admin_view(views.person_merge), name="person-merge"),
    path("merge/<int:pk>/undo/", admin.site.admin_view(views.merge_undo), name="merge-undo"),
    path("purge/<int:pk>/", admin.site.admin_view(views.person_purge), name="person-purge"),
    path("deleted/", admin.site.admin_view(views.deleted_list), name="deleted-list"),
    path(
        "deleted/<str:model_name>/<int:history_id>/restore/",
        admin.site.admin_view(views.deleted_restore),
        name="deleted-restore",
    ),
]
