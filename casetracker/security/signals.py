"""Public caches forget what they hold whenever a register record changes.

Unpublishing must take effect on the next request through every door, whichever cache is in use
(local memory in development, Redis shared by the app servers in production). Every save or
delete of a register record (publication, status entries, anything the public counts) drops the
cached public figures, now and again once the transaction commits, so that a request racing the
transaction cannot put back a count computed from the old rows. Writers that bypass signals
(QuerySet.update in a staff action) are covered by StaffAreaMiddleware, which does the same after
every staff POST.
"""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from casetracker.public import figures, pagecache, stats

WATCHED_APPS = frozenset({"cases"})

# Every cached public value. A new cache of public data adds its key here, and
# tests/test_security_unpublish.py shows it is forgotten.
PUBLIC_CACHE_KEYS = (stats.HOME_COUNTS_KEY, figures.FIGURES_KEY, pagecache.PAGES_GENERATION_KEY)


def _forget() -> None:
    cache.delete_many(PUBLIC_CACHE_KEYS)


def forget_public_caches() -> None:
    _forget()
    transaction.on_commit(_forget)


@receiver(post_save, dispatch_uid="security.forget_public_caches.save")
@receiver(post_delete, dispatch_uid="security.forget_public_caches.delete")
@receiver(m2m_changed, dispatch_uid="security.forget_public_caches.m2m")
def register_record_changed(sender, **kwargs) -> None:
    if sender._meta.app_label in WATCHED_APPS:
        forget_public_caches()
