"""Signal receivers that keep search keys in step with single saves (forms, the admin, seeding).

Deletions mostly need no receiver: keys cascade with the person, name, place or incident they
point at. A deleted name is the exception: a person keeps one key per normalised key
(`indexing.distinct`), so the key that went with the name may have stood for another name of the
person too. Writes that bypass signals (`QuerySet.update`, `bulk_create`) call the `reindex_*`
functions of `casetracker.search.indexing` themselves.
"""

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from casetracker.cases.models import Incident, Person, PersonName, Place

from .indexing import reindex_incidents, reindex_persons, reindex_places


@receiver(post_save, sender=Person, dispatch_uid="search_person_saved")
def person_saved(sender, instance: Person, **kwargs) -> None:
    # Publication, consent, risk and merging all change whether the person's names are public.
    reindex_persons([instance.pk])


@receiver(post_save, sender=PersonName, dispatch_uid="search_name_saved")
def name_saved(sender, instance: PersonName, **kwargs) -> None:
    reindex_persons([instance.person_id])


@receiver(post_delete, sender=PersonName, dispatch_uid="search_name_deleted")
def name_deleted(sender, instance: PersonName, origin=None, **kwargs) -> None:
    # Not when the person itself is being deleted: its keys go with it.
    if isinstance(origin, Person) or (isinstance(origin, QuerySet) and origin.model is Person):
        return
    reindex_persons([instance.person_id])


@receiver(post_save, sender=Place, dispatch_uid="search_place_saved")
def place_saved(sender, instance: Place, **kwargs) -> None:
    reindex_places([instance.pk])


@receiver(post_save, sender=Incident, dispatch_uid="search_incident_saved")
def incident_saved(sender, instance: Incident, **kwargs) -> None:
    reindex_incidents([instance.pk])
