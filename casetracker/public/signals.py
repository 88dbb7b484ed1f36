"""Signal receivers that keep the precomputed figures in step with single saves and deletes.

Status entries need none: every writer of the timeline calls `recompute_status`, which
refreshes the person. Persons, involvements, detentions, incidents (their publication, start and
places) and deleted places are followed here, each refresh in the writer's transaction. Writes
that bypass signals (`QuerySet.update`, `bulk_create`, COPY) call `tallies.refresh_persons` or
`tallies.rebuild` themselves; the import ends with `recompute_status` of every person it touched.
"""

from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from casetracker.cases.models import Detention, Incident, Involvement, Person, Place

from .tallies import forget_persons, refresh_persons


def _involved(incident_ids, using: str) -> set[int]:
    rows = Involvement.objects.using(using).filter(incident_id__in=incident_ids)
    return set(rows.values_list("person_id", flat=True).distinct())


def _deleted_with(origin, models: tuple) -> bool:
    """Whether a delete started from one of these models (and so is followed there)."""
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return model in models


# Persons: publication, consent, risk and merging decide whether they count at all.


@receiver(post_save, sender=Person, dispatch_uid="tally_person_saved")
def person_saved(sender, instance: Person, using: str, **kwargs) -> None:
    refresh_persons([instance.pk], using=using)


@receiver(pre_delete, sender=Person, dispatch_uid="tally_person_deleting")
def person_deleting(sender, instance: Person, using: str, **kwargs) -> None:
    # Persons merged into this one are let go (merged_into is set to NULL) and may count again.
    merged = Person.objects.using(using).filter(merged_into=instance)
    instance._tally_merged = list(merged.values_list("pk", flat=True))
    forget_persons([instance.pk], using=using)


@receiver(post_delete, sender=Person, dispatch_uid="tally_person_deleted")
def person_deleted(sender, instance: Person, using: str, **kwargs) -> None:
    refresh_persons(getattr(instance, "_tally_merged", []), using=using)


# Involvements and detentions: a save may also move the fact from one person to another.


@receiver(pre_save, sender=Involvement, dispatch_uid="tally_involvement_saving")
@receiver(pre_save, sender=Detention, dispatch_uid="tally_detention_saving")
def fact_saving(sender, instance, using: str, **kwargs) -> None:
    before = sender._base_manager.using(using).filter(pk=instance.pk)
    instance._tally_person = (
        before.values_list("person_id", flat=True).first() if instance.pk else None
    )


@receiver(post_save, sender=Involvement, dispatch_uid="tally_involvement_saved")
@receiver(post_save, sender=Detention, dispatch_uid="tally_detention_saved")
def fact_saved(sender, instance, using: str, **kwargs) -> None:
    refresh_persons([instance.person_id, getattr(instance, "_tally_person", None)], using=using)


@receiver(post_delete, sender=Involvement, dispatch_uid="tally_involvement_deleted")
@receiver(post_delete, sender=Detention, dispatch_uid="tally_detention_deleted")
def fact_deleted(sender, instance, using: str, origin=None, **kwargs) -> None:
    # Deleted with their person (taken out whole) or incident (whose persons are refreshed once).
    if _deleted_with(origin, (Person, Incident)):
        return
    refresh_persons([instance.person_id], using=using)


# Incidents: their publication and start date count for every person involved; so do places.

_INCIDENT_FIELDS = ("publication", "started_on", "started_precision")


@receiver(pre_save, sender=Incident, dispatch_uid="tally_incident_saving")
def incident_saving(sender, instance: Incident, using: str, **kwargs) -> None:
    before = Incident._base_manager.using(using).filter(pk=instance.pk)
    instance._tally_before = before.values_list(*_INCIDENT_FIELDS).first() if instance.pk else None


@receiver(post_save, sender=Incident, dispatch_uid="tally_incident_saved")
def incident_saved(sender, instance: Incident, using: str, created: bool, **kwargs) -> None:
    after = tuple(getattr(instance, field) for field in _INCIDENT_FIELDS)
    if created or getattr(instance, "_tally_before", None) == after:
        return
    refresh_persons(_involved([instance.pk], using), using=using)


@receiver(pre_delete, sender=Incident, dispatch_uid="tally_incident_deleting")
def incident_deleting(sender, instance: Incident, using: str, **kwargs) -> None:
    instance._tally_involved = _involved([instance.pk], using)


@receiver(post_delete, sender=Incident, dispatch_uid="tally_incident_deleted")
def incident_deleted(sender, instance: Incident, using: str, **kwargs) -> None:
    refresh_persons(getattr(instance, "_tally_involved", []), using=using)


@receiver(m2m_changed, sender=Incident.places.through, dispatch_uid="tally_incident_places")
def incident_places_changed(sender, instance, action, reverse, pk_set, using, **kwargs) -> None:
    if not reverse:  # incident.places.add(...): one incident
        if action in ("post_add", "post_remove", "post_clear"):
            refresh_persons(_involved([instance.pk], using), using=using)
    elif action == "pre_clear":  # place.incidents.clear(): the incidents are gone by post_clear
        instance._tally_involved = _involved(instance.incidents.values("pk"), using)
    elif action == "post_clear":
        refresh_persons(getattr(instance, "_tally_involved", []), using=using)
    elif action in ("post_add", "post_remove"):
        refresh_persons(_involved(pk_set, using), using=using)


# Places: publication is read with the figures; a deleted place takes its incident links along.


@receiver(pre_delete, sender=Place, dispatch_uid="tally_place_deleting")
def place_deleting(sender, instance: Place, using: str, **kwargs) -> None:
    instance._tally_involved = _involved(instance.incidents.values("pk"), using)


@receiver(post_delete, sender=Place, dispatch_uid="tally_place_deleted")
def place_deleted(sender, instance: Place, using: str, **kwargs) -> None:
    refresh_persons(getattr(instance, "_tally_involved", []), using=using)
