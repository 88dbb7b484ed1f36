"""Serializers of the public API: the public fields of `casetracker.cases.public`, nothing else.

Each serializer's `fields` is that model's PUBLIC_FIELDS (plus, where useful, its public names
and citations). A related record appears as its public id and the words it is shown by, and
only while it is public itself: a draft place or a confidential publisher reads as null, never
as a hint that something is there.
"""

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casetracker.cases import models as m
from casetracker.cases.public import public_fields


def is_public(obj: models.Model) -> bool:
    """Whether a related record may be shown; the row rules live on the querysets' public()."""
    if isinstance(obj, m.Person):
        return obj.is_public
    if isinstance(obj, m.Source):
        return obj.is_published and not obj.is_confidential
    return obj.is_published


class PublicRefSerializer(serializers.Serializer):
    """A related record: its public id and name, or null while it is not public."""

    public_id = serializers.CharField(read_only=True)

    def get_attribute(self, instance):
        related = super().get_attribute(instance)
        if related is None or not is_public(related):
            return None
        return related


class PersonRefSerializer(PublicRefSerializer):
    name = serializers.CharField(source="display_name", read_only=True)


class PlaceRefSerializer(PublicRefSerializer):
    name = serializers.CharField(read_only=True)


class OrganisationRefSerializer(PublicRefSerializer):
    name = serializers.CharField(read_only=True)


class IncidentRefSerializer(PublicRefSerializer):
    name = serializers.CharField(source="title", read_only=True)


class SourceRefSerializer(PublicRefSerializer):
    name = serializers.CharField(source="title", read_only=True)
    reference = serializers.CharField(read_only=True)


@extend_schema_field(OpenApiTypes.STR)
class PublicIdField(serializers.Field):
    """A related fact (detention, charge) by its public id, or null while it is not public."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        related = super().get_attribute(instance)
        if related is None or not is_public(related):
            return None
        return related

    def to_representation(self, value):
        return value.public_id


class PublicModelSerializer(serializers.ModelSerializer):
    """Read-only output of one model; its Meta.fields come from PUBLIC_FIELDS."""

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if "choices" in kwargs:
            # A vocabulary value may be empty (an undated fact has no precision, an imported
            # charge no stage yet): the schema has to say so, as read-only fields drop it.
            kwargs["allow_blank"] = True
        return kwargs


class CitationSerializer(PublicModelSerializer):
    source = SourceRefSerializer(read_only=True)

    class Meta:
        model = m.Citation
        fields = public_fields(m.Citation)
        read_only_fields = fields


class CitedSerializer(PublicModelSerializer):
    """A fact with its public citations, prefetched by the view as `public_citations`."""

    citations = CitationSerializer(source="public_citations", many=True, read_only=True)


class PersonNameSerializer(PublicModelSerializer):
    class Meta:
        model = m.PersonName
        # The person is the record these names are nested in.
        fields = tuple(f for f in public_fields(m.PersonName) if f != "person")
        read_only_fields = fields


class LatestEntrySerializer(PublicModelSerializer):
    """The entry a person's current status comes from: its date and how it is dated."""

    class Meta:
        model = m.StatusEntry
        fields = ("public_id", "status", "occurred_on", "occurred_precision", "date_kind")
        read_only_fields = fields


class PersonSerializer(CitedSerializer):
    citizenship = PlaceRefSerializer(read_only=True, allow_null=True)
    roles = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    latest_public_entry = LatestEntrySerializer(read_only=True, allow_null=True)
    names = PersonNameSerializer(source="public_names", many=True, read_only=True)

    class Meta:
        model = m.Person
        fields = (*public_fields(m.Person), "names", "citations")
        read_only_fields = fields


class IncidentSerializer(CitedSerializer):
    places = PlaceRefSerializer(source="public_places", many=True, read_only=True)
    parent = IncidentRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = m.Incident
        fields = (*public_fields(m.Incident), "citations")
        read_only_fields = fields


class DetentionSerializer(CitedSerializer):
    person = PersonRefSerializer(read_only=True)
    place = PlaceRefSerializer(read_only=True, allow_null=True)
    facility = PlaceRefSerializer(read_only=True, allow_null=True)
    authority = OrganisationRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = m.Detention
        fields = (*public_fields(m.Detention), "citations")
        read_only_fields = fields


class ChargeSerializer(CitedSerializer):
    person = PersonRefSerializer(read_only=True)
    detention = PublicIdField()

    class Meta:
        model = m.Charge
        fields = (*public_fields(m.Charge), "citations")
        read_only_fields = fields


class StatusEntrySerializer(CitedSerializer):
    person = PersonRefSerializer(read_only=True)
    detention = PublicIdField()
    charge = PublicIdField()

    class Meta:
        model = m.StatusEntry
        fields = (*public_fields(m.StatusEntry), "citations")
        read_only_fields = fields


class SourceSerializer(PublicModelSerializer):
    publisher = OrganisationRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = m.Source
        fields = public_fields(m.Source)
        read_only_fields = fields


class SourceListSerializer(SourceSerializer):
    """Sources in a list leave out their full text (a motion runs to pages); the detail has it."""

    class Meta(SourceSerializer.Meta):
        fields = tuple(f for f in public_fields(m.Source) if f != "full_text")
        read_only_fields = fields
