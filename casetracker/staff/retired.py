"""Retired public ids: what imports ask before they create a record with a given id."""

from .models import PurgeRecord, RetiredPublicId


def is_retired(public_id: str) -> bool:
    """True when the id belonged to a purged or merged-away person: never reuse or re-import it."""
    return (
        RetiredPublicId.objects.filter(public_id=public_id).exists()
        or PurgeRecord.objects.filter(public_id=public_id).exists()
    )


def retire(public_id: str, why: str) -> None:
    RetiredPublicId.objects.update_or_create(public_id=public_id, defaults={"why": why})
