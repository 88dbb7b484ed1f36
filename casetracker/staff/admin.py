from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import MergeRecord, PurgeRecord, RetiredPublicId


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by the staff tools, never typed in."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MergeRecord)
class MergeRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "merged_public_id",
        "kept_public_id",
        "merged_by",
        "merged_at",
        "moved_count",
        "undone_at",
    ]
    list_select_related = ["merged_by"]
    search_fields = ["merged_public_id", "kept_public_id"]
    readonly_fields = [
        "kept",
        "merged",
        "kept_public_id",
        "merged_public_id",
        "merged_by",
        "merged_at",
        "moved",
        "created",
        "roles_added",
        "undone_by",
        "undone_at",
    ]

    @admin.display(description=_("rows moved"))
    def moved_count(self, record):
        return record.moved_count


@admin.register(PurgeRecord)
class PurgeRecordAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "ground", "purged_by", "purged_at"]
    list_filter = ["ground"]
    list_select_related = ["purged_by"]
    search_fields = ["public_id"]


@admin.register(RetiredPublicId)
class RetiredPublicIdAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "why", "retired_at"]
    list_filter = ["why"]
    search_fields = ["public_id"]
