"""Admin actions on persons that open the staff tools (added to PersonAdmin)."""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .purge import is_administrator


@admin.action(description=_("Merge the two selected persons"), permissions=["change"])
def merge_two_persons(modeladmin, request, queryset):
    ids = sorted(queryset.values_list("pk", flat=True))
    if len(ids) != 2:
        messages.error(request, _("Select exactly two persons to merge."))
        return None
    return redirect(f"{reverse('staff:person-merge')}?ids={ids[0]},{ids[1]}")


@admin.action(description=_("Purge the selected person (erasure)"), permissions=["purge"])
def purge_selected_person(modeladmin, request, queryset):
    if not is_administrator(request.user):
        messages.error(request, _("Only an administrator can purge a person."))
        return None
    ids = list(queryset.values_list("pk", flat=True)[:2])
    if len(ids) != 1:
        messages.error(request, _("Select exactly one person to purge."))
        return None
    return redirect("staff:person-purge", ids[0])
