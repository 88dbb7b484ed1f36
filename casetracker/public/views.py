from django.http import Http404
from django.shortcuts import redirect, render

from casetracker.cases.models import Incident, Person

from .stats import home_counts


def home(request):
    return render(request, "public/home.html", {"counts": home_counts()})


def person_detail(request, public_id: str):
    person = Person.objects.filter(public_id=public_id).first()
    if person is None:
        raise Http404
    if person.merged_into_id is not None:
        kept = person.merged_into
        if kept.is_public:
            return redirect(kept)
        raise Http404
    if not person.is_public:
        raise Http404
    return render(request, "public/person_detail.html", {"person": person})


def incident_detail(request, public_id: str):
    incident = Incident.objects.public().filter(public_id=public_id).first()
    if incident is None:
        raise Http404
    return render(request, "public/incident_detail.html", {"incident": incident})
