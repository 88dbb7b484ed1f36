from django.contrib import admin

from .models import ExportLog


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    """The record of staff exports: read-only, as an audit trail should be."""

    list_display = ["created_at", "user", "what", "format", "query", "row_count", "is_complete"]
    list_filter = ["what", "format"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
