from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path

from . import views
from .models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["file_names", "user", "created_at", "state", "row_count"]
    list_filter = ["state"]
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm(views.IMPORT_PERMISSION)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(views.IMPORT_PERMISSION) or super().has_view_permission(
            request, obj
        )

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:imports_importbatch_upload")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:imports_importbatch_preview", object_id)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("upload/", wrap(views.import_upload), name="imports_importbatch_upload"),
            path(
                "<int:pk>/preview/", wrap(views.import_preview), name="imports_importbatch_preview"
            ),
            path("<int:pk>/decide/", wrap(views.import_decide), name="imports_importbatch_decide"),
            path(
                "<int:pk>/confirm/", wrap(views.import_confirm), name="imports_importbatch_confirm"
            ),
            *super().get_urls(),
        ]
