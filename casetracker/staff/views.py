"""Staff pages for merging, purging and bringing deleted records back, in the admin's frame.

Each view runs behind `admin.site.admin_view` (see urls.py): staff only, with the admin's login
and the staff area's checks, and renders into the admin's base template.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casetracker.cases import models as m

from . import forms
from .history import CannotRestore, deleted_records, history_models, restore_deleted
from .merge import MergeError, UndoError, merge_persons, undo_merge
from .models import MergeRecord
from .purge import PurgeError, is_administrator, purge_person

PUBLISH_PERMISSION = "cases.publish_record"


def can_merge(user, persons) -> bool:
    """Editing a published record is the publisher's: so is merging one."""
    if not user.has_perm("cases.change_person"):
        return False
    return not any(p.is_published for p in persons) or user.has_perm(PUBLISH_PERMISSION)


def _context(request, **extra) -> dict:
    return {**admin.site.each_context(request), **extra}


def person_merge(request):
    ids = request.GET.get("ids", "").split(",")
    persons = list(m.Person.objects.filter(pk__in=[i for i in ids if i.isdigit()])[:2])
    if len(persons) != 2:
        raise Http404
    if not can_merge(request.user, persons):
        raise PermissionDenied
    form = forms.MergeForm(persons, request.POST or None)
    if request.method == "POST" and form.is_valid():
        kept, other = form.kept_and_other()
        try:
            record = merge_persons(kept=kept, other=other, user=request.user)
        except MergeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(other)s was merged into %(kept)s: %(count)s rows moved.")
                % {"other": other, "kept": kept, "count": record.moved_count},
            )
            return redirect("admin:cases_person_change", kept.pk)
    return render(
        request,
        "admin/staff/person_merge.html",
        _context(request, title=_("Merge two persons"), form=form, persons=persons),
    )


@require_POST
def merge_undo(request, pk: int):
    record = get_object_or_404(MergeRecord, pk=pk)
    persons = [p for p in (record.kept, record.merged) if p is not None]
    if not can_merge(request.user, persons):
        raise PermissionDenied
    try:
        undo_merge(record, user=request.user)
    except UndoError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The merge was undone."))
    return redirect("admin:staff_mergerecord_change", record.pk)


def person_purge(request, pk: int):
    if not is_administrator(request.user):
        raise PermissionDenied
    person = get_object_or_404(m.Person, pk=pk)
    form = forms.PurgeForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            stub = purge_person(
                person,
                user=request.user,
                ground=form.cleaned_data["ground"],
                reason=form.cleaned_data["reason"],
            )
        except PurgeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Purged %(public_id)s.") % {"public_id": stub.public_id})
            return redirect("admin:staff_purgerecord_changelist")
    return render(
        request,
        "admin/staff/person_purge.html",
        _context(request, title=_("Purge a person"), form=form, person=person),
    )


def deleted_list(request):
    if not request.user.has_perm("cases.view_person"):
        raise PermissionDenied
    return render(
        request,
        "admin/staff/deleted_list.html",
        _context(request, title=_("Deleted records"), records=deleted_records()),
    )


@require_POST
def deleted_restore(request, model_name: str, history_id: int):
    model = next((x for x in history_models() if x._meta.model_name == model_name), None)
    if model is None:
        raise Http404
    if not request.user.has_perm(f"cases.add_{model_name}"):
        raise PermissionDenied
    try:
        restored = restore_deleted(
            model,
            history_id,
            user=request.user,
            may_publish=request.user.has_perm(PUBLISH_PERMISSION),
        )
    except CannotRestore as error:
        messages.error(request, str(error))
        return redirect("staff:deleted-list")
    messages.success(
        request,
        _("Restored %(record)s and %(count)s records deleted with it.")
        % {"record": restored[0], "count": len(restored) - 1},
    )
    first = restored[0]
    return redirect(reverse(f"admin:cases_{first._meta.model_name}_change", args=[first.pk]))
