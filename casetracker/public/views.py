"""The public site: every view starts from a `public()` queryset and shows only public fields.

What each model may show is declared in `casetracker.cases.public`; related rows are fetched
with `Prefetch` objects over public querysets, so a draft fact, a confidential source or a
non-public person never reaches a template.
"""

from django import forms
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from casetracker.cases import models as m
from casetracker.cases import public
from casetracker.cases.dates import format_partial

from .charts import bar_chart
from .figures import figures
from .filters import IncidentFilter, PersonFilter
from .pagecache import cached_page
from .stats import home_counts
from .widgets import MenuSelect

PAGE_SIZE = 50
# Places and incidents offered in the list filters' menus.
MENU_SIZE = 300
# The formats of /export/<what>.<format> (casetracker.exports), offered under each list.
EXPORT_FORMATS = [("csv", "CSV"), ("xlsx", "XLSX"), ("json", "JSON")]
# Deep pages cost an OFFSET scan; past this a reader should filter instead.
MAX_PAGE = 2000


def home(request):
    return render(request, "public/home.html", {"counts": home_counts()})


# Persons


def _cited():
    """Public citations of public sources, for the `citations` of any fact."""
    return m.Citation.objects.public().select_related("source")


@cached_page
def person_detail(request, public_id: str):
    person = (
        m.Person.objects.public()
        .select_related("citizenship", "latest_public_entry")
        .prefetch_related(*_person_prefetches())
        .filter(public_id=public_id)
        .first()
    )
    if person is None:
        return _merged_or_missing(public_id)
    return render(request, "public/person_detail.html", _person_context(person))


def _merged_or_missing(public_id: str):
    """A merged person's old id leads to the one kept, if that one is public; else 404."""
    kept = m.Person.objects.public().filter(merged_persons__public_id=public_id).first()
    if kept is None:
        raise Http404
    return redirect(kept)


def _person_prefetches() -> list[Prefetch]:
    cited = Prefetch("citations", queryset=_cited(), to_attr=public.CITED)
    return [
        Prefetch("names", queryset=m.PersonName.objects.public()),
        "roles",
        cited,
        Prefetch(
            "status_entries",
            queryset=m.StatusEntry.objects.public().order_by("position", "id"),
        ),
        Prefetch("status_entries__citations", queryset=_cited(), to_attr=public.CITED),
        Prefetch(
            "detentions",
            queryset=m.Detention.objects.public().select_related("place", "facility", "authority"),
        ),
        Prefetch("detentions__citations", queryset=_cited(), to_attr=public.CITED),
        Prefetch("charges", queryset=m.Charge.objects.public()),
        Prefetch("charges__citations", queryset=_cited(), to_attr=public.CITED),
        Prefetch(
            "involvements",
            queryset=m.Involvement.objects.public()
            .select_related("incident", "perpetrator")
            .order_by("incident__started_on", "incident__title", "role", "id"),
        ),
        Prefetch("involvements__citations", queryset=_cited(), to_attr=public.CITED),
        Prefetch("relationships", queryset=m.Relationship.objects.public().select_related("other")),
        Prefetch("relationships__citations", queryset=_cited(), to_attr=public.CITED),
        Prefetch(
            "inverse_relationships",
            queryset=m.Relationship.objects.public().select_related("person"),
        ),
        Prefetch(
            "interventions",
            queryset=m.Intervention.objects.public()
            .select_related("by", "incident")
            .order_by("made_on", "kind", "id"),
        ),
        Prefetch("interventions__citations", queryset=_cited(), to_attr=public.CITED),
        Prefetch(
            "affiliations",
            queryset=m.Affiliation.objects.public().select_related("organisation"),
        ),
        Prefetch("affiliations__citations", queryset=_cited(), to_attr=public.CITED),
    ]


def _person_context(person: m.Person) -> dict:
    detentions = list(person.detentions.all())
    entries = list(person.status_entries.all())
    latest = person.latest_public_entry
    # Letters go to the facility of an ongoing detention while the person is held.
    held = person.public_status in m.DEPRIVED_OF_LIBERTY
    write_to = [d.facility for d in detentions if held and d.is_ongoing and d.facility_id]
    return {
        "person": person,
        "latest": latest,
        "entries": entries,
        "detentions": detentions,
        "write_to": write_to,
    }


def person_list(request):
    persons = m.Person.objects.public().select_related("latest_public_entry")
    filterset = PersonFilter(request.GET, queryset=persons)
    _readable_form(filterset.form)
    filterset.form.fields["status"].widget = forms.CheckboxSelectMultiple(choices=m.Status.choices)
    page = _page(request, filterset.qs.prefetch_related("roles"))
    return render(
        request,
        "public/person_list.html",
        {"filter": filterset, "page": page, "export_formats": EXPORT_FORMATS},
    )


def _readable_form(form: forms.Form) -> None:
    """Menus that say "any" rather than dashes, written by `MenuSelect`, and the place and
    incident filters as menus of public places and incidents (the shared filters keep them as
    plain ids)."""
    for name, field in form.fields.items():
        any_label = _("Default order") if name == "ordering" else _("Any")
        if isinstance(field, forms.ModelChoiceField):
            field.empty_label = any_label
        elif hasattr(field, "empty_label") and not isinstance(field, forms.MultipleChoiceField):
            # django-filter's choice fields hand the widget a copy of their choices.
            field.empty_label = any_label
            field.widget.choices = list(field.choices)
        if type(field.widget) is forms.Select:
            field.widget = MenuSelect(attrs=field.widget.attrs, choices=field.widget.choices)
    _choose_places_and_incidents(form)


def _choose_places_and_incidents(form: forms.Form) -> None:
    """Menus of public places and incidents, one query each whatever the register's size.

    Capped so a large register does not grow every list page; a place or incident beyond the
    cap still filters by its URL parameter (links from person and incident pages carry it).
    """
    places = (
        m.Place.objects.public()
        .exclude(kind__in=[m.Place.Kind.FACILITY, m.Place.Kind.SITE])
        .values_list("public_id", "name")[:MENU_SIZE]
    )
    form.fields["place"].widget = MenuSelect(choices=[("", _("Any place")), *places])
    if "incident" in form.fields:
        incidents = m.Incident.objects.public().values_list("public_id", "title")[:MENU_SIZE]
        form.fields["incident"].widget = MenuSelect(choices=[("", _("Any incident")), *incidents])


def _page(request, queryset) -> dict:
    """One page of a list, without counting the table: fetch one row more than fits."""
    try:
        number = max(1, min(int(request.GET.get("page", 1)), MAX_PAGE))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * PAGE_SIZE
    rows = list(queryset[start : start + PAGE_SIZE + 1])
    return {
        "rows": rows[:PAGE_SIZE],
        "number": number,
        "first": start + 1,
        "has_previous": number > 1,
        "has_next": len(rows) > PAGE_SIZE,
    }


# Incidents


@cached_page
def incident_detail(request, public_id: str):
    cited = _cited()
    incident = (
        m.Incident.objects.public()
        .select_related("parent")
        .prefetch_related(
            Prefetch("places", queryset=m.Place.objects.public()),
            Prefetch("citations", queryset=cited, to_attr=public.CITED),
            Prefetch("figures", queryset=m.Figure.objects.public()),
            Prefetch("figures__citations", queryset=cited, to_attr=public.CITED),
            Prefetch(
                "involvements",
                queryset=m.Involvement.objects.public()
                .select_related("person", "perpetrator")
                .order_by("role", "person__display_name", "id"),
            ),
            Prefetch("involvements__citations", queryset=cited, to_attr=public.CITED),
            Prefetch("sub_incidents", queryset=m.Incident.objects.public()),
            Prefetch(
                "interventions",
                queryset=m.Intervention.objects.public().select_related("by"),
            ),
            Prefetch("interventions__citations", queryset=cited, to_attr=public.CITED),
        )
        .filter(public_id=public_id)
        .first()
    )
    if incident is None:
        raise Http404
    by_role: dict[str, list[m.Involvement]] = {}
    for involvement in incident.involvements.all():
        by_role.setdefault(involvement.role, []).append(involvement)
    roles = [
        {"label": m.Involvement.Role(role).label, "involvements": rows}
        for role, rows in by_role.items()
    ]
    parent = incident.parent if incident.parent and incident.parent.is_published else None
    return render(
        request,
        "public/incident_detail.html",
        {"incident": incident, "roles": roles, "parent": parent},
    )


def incident_list(request):
    incidents = m.Incident.objects.public().prefetch_related(
        Prefetch("places", queryset=m.Place.objects.public())
    )
    filterset = IncidentFilter(request.GET, queryset=incidents)
    _readable_form(filterset.form)
    filterset.form.fields["kind"].widget = forms.CheckboxSelectMultiple(
        choices=m.Incident.Kind.choices
    )
    page = _page(request, filterset.qs)
    return render(
        request,
        "public/incident_list.html",
        {"filter": filterset, "page": page, "export_formats": EXPORT_FORMATS},
    )


# Figures


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for the figures as they stand today."),
    )


def figures_page(request):
    form = AsOfForm(request.GET)
    as_of = form.cleaned_data["as_of"] if form.is_valid() else None
    data = figures(as_of)
    by_status = [
        (status.label, data["by_status"][status])
        for status in m.Status
        if data["by_status"].get(status)
    ]
    by_role = [
        (role.label, data["by_role"][role])
        for role in m.Involvement.Role
        if data["by_role"].get(role)
    ]
    by_place = [(row["name"], row["n"]) for row in data["by_place"]]
    events = {key: _months(rows) for key, rows in data["events"].items()}
    context = {
        "form": form,
        "as_of": as_of,
        "by_status": by_status,
        "by_status_chart": bar_chart(by_status),
        "by_role": by_role,
        "by_role_chart": bar_chart(by_role),
        "by_place": data["by_place"],
        "by_place_chart": bar_chart(by_place),
        "events": events,
        "events_chart": bar_chart([(row["label"], row["total"]) for row in events["began"]]),
        "source_figures": _source_figures(data["source_figures"]),
    }
    return render(request, "public/figures.html", context)


def _months(rows: list[dict]) -> list[dict]:
    labelled = []
    for row in rows:
        labelled.append(
            {
                "label": formats.date_format(row["start"], "YEAR_MONTH_FORMAT"),
                "year": row["start"].year,
                "total": row["total"],
                "by_status": [
                    (s.label, row["by_status"][s]) for s in m.Status if row["by_status"].get(s)
                ],
            }
        )
    return labelled


def _source_figures(rows: list[dict]) -> list[dict]:
    return [
        {
            **row,
            "measure_label": m.Figure.Measure(row["measure"]).label,
            "qualifier_label": m.Figure.Qualifier(row["qualifier"]).label,
            "as_of_display": (
                format_partial(row["as_of_on"], row["as_of_precision"]) if row["as_of_on"] else ""
            ),
        }
        for row in rows
    ]


# Errors


def too_many_requests(request, exception=None):
    """The rate limiter's answer: the site's look, the reader's language, nothing revealed."""
    return render(request, "429.html", status=429)
