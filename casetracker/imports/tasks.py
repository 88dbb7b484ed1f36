"""The jobs the task worker (`manage.py db_worker`) runs: checking an upload, applying an import.

Both take the batch's id, so a job enqueued by one app server is run by any worker.
"""

import logging

from django.utils.translation import gettext as _
from django_tasks import task

from .applying import apply_batch, stage_batch
from .models import ImportBatch

logger = logging.getLogger(__name__)


@task()
def stage_import(batch_id: int) -> None:
    batch = ImportBatch.objects.filter(pk=batch_id, state=ImportBatch.State.CHECKING).first()
    if batch is None:
        return
    try:
        stage_batch(batch)
    except Exception:
        # Whatever went wrong, the batch must not stay "being checked" for ever.
        logger.exception("Import %s could not be checked", batch_id)
        batch.state = ImportBatch.State.REJECTED
        batch.error = _("The file could not be checked; nothing was imported.")
        batch.save(update_fields=["state", "error"])


@task()
def apply_import(batch_id: int) -> None:
    batch = ImportBatch.objects.filter(pk=batch_id, state=ImportBatch.State.QUEUED).first()
    if batch is not None:
        apply_batch(batch)
