"""The staff workspace's import pages: upload, preview with duplicate decisions, confirm, progress.

Each runs behind the admin's `admin_view` (see admin.py). Checking and applying run in the task
worker; the pages only read the staged batch, so any app server can show and confirm it.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .applying import rows_done
from .forms import UploadForm
from .models import ImportBatch, ImportFile, ImportRow
from .tasks import apply_import, stage_import

IMPORT_PERMISSION = "cases.add_person"
ROWS_PER_PAGE = 100
REFRESH_SECONDS = 3


def _context(request, **extra) -> dict:
    return {**admin.site.each_context(request), **extra}


def _require_import(request) -> None:
    if not request.user.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied


def import_upload(request):
    _require_import(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = form.cleaned_data["files"]
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                user=request.user,
                file_names=", ".join(f.name for f in files)[:1000],
                state=ImportBatch.State.CHECKING,
            )
            for f in files:
                ImportFile.objects.create(batch=batch, name=f.name[:255], content=f.read())
            transaction.on_commit(lambda: stage_import.enqueue(batch.pk))
        return redirect("admin:imports_importbatch_preview", batch.pk)
    return render(
        request,
        "admin/imports/import_upload.html",
        _context(request, form=form, title=_("Import from spreadsheets")),
    )


SHOWS = {
    "refused": {"action": ImportRow.Action.REFUSE},
    "duplicates": {"decision": "", "action": ImportRow.Action.CREATE, "kind": "persons"},
    "create": {"action": ImportRow.Action.CREATE},
    "update": {"action": ImportRow.Action.UPDATE},
    "all": {},
}


def import_preview(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk)
    counts = list(
        batch.rows.order_by("order", "kind", "action")
        .values("order", "kind", "action")
        .annotate(n=Count("id"))
    )
    refused = sum(c["n"] for c in counts if c["action"] == ImportRow.Action.REFUSE)
    undecided = _undecided(batch).count()
    show = request.GET.get("show") or (
        "refused" if refused else "duplicates" if undecided else "all"
    )
    rows = batch.rows.filter(**SHOWS.get(show, {}))
    if show == "duplicates":
        rows = rows.exclude(duplicates=[])
    paginator = Paginator(rows.order_by("order", "line"), ROWS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "admin/imports/import_preview.html",
        _context(
            request,
            title=_("Import: %(files)s") % {"files": batch.file_names},
            batch=batch,
            counts=counts,
            refused=refused,
            undecided=undecided,
            show=show,
            shows=list(SHOWS),
            page=page,
            done=rows_done(batch),
            refresh=REFRESH_SECONDS if batch.is_running else None,
            may_confirm=batch.state == ImportBatch.State.STAGED and not refused and not undecided,
        ),
    )


def _undecided(batch: ImportBatch):
    return batch.rows.filter(action=ImportRow.Action.CREATE, decision="").exclude(duplicates=[])


@require_POST
def import_decide(request, pk: int):
    _require_import(request)
    batch = get_object_or_404(ImportBatch, pk=pk, state=ImportBatch.State.STAGED)
    if request.POST.get("all_new"):
        _undecided(batch).update(decision="new")
    for key, value in request.POST.items():
        if not key.startswith("decision-") or not key[9:].isdigit():
            continue
        row = batch.rows.filter(pk=int(key[9:])).exclude(duplicates=[]).first()
        allowed = {"new"} | {d["public_id"] for d in row.duplicates} if row else set()
        if row and value in allowed:
            row.decision = value
            row.save(update_fields=["decision"])
    return redirect("admin:imports_importbatch_preview", batch.pk)


@require_POST
def import_confirm(request, pk: int):
    _require_import(request)
    with transaction.atomic():
        batch = get_object_or_404(
            ImportBatch.objects.select_for_update(), pk=pk, state=ImportBatch.State.STAGED
        )
        if batch.rows.filter(action=ImportRow.Action.REFUSE).exists() or _undecided(batch).exists():
            messages.error(request, _("Refused rows or undecided duplicates: nothing confirmed."))
            return redirect("admin:imports_importbatch_preview", batch.pk)
        batch.state = ImportBatch.State.QUEUED
        batch.confirmed_by = request.user
        batch.confirmed_at = timezone.now()
        batch.save(update_fields=["state", "confirmed_by", "confirmed_at"])
        transaction.on_commit(lambda: apply_import.enqueue(batch.pk))
    messages.success(request, _("Confirmed: the import runs in the background."))
    return redirect("admin:imports_importbatch_preview", batch.pk)
