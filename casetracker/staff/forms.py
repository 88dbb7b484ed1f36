from django import forms
from django.utils.translation import gettext_lazy as _

from casetracker.cases import models as m

from .models import PurgeRecord


class MergeForm(forms.Form):
    kept = forms.ChoiceField(label=_("keep"), widget=forms.RadioSelect)

    def __init__(self, persons: list[m.Person], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.persons = {str(p.pk): p for p in persons}
        self.fields["kept"].choices = [
            (str(p.pk), f"{p.display_name} ({p.public_id})") for p in persons
        ]

    def kept_and_other(self) -> tuple[m.Person, m.Person]:
        kept = self.persons[self.cleaned_data["kept"]]
        other = next(p for pk, p in self.persons.items() if pk != self.cleaned_data["kept"])
        return kept, other


class PurgeForm(forms.Form):
    ground = forms.ChoiceField(label=_("ground"), choices=PurgeRecord.Ground.choices)
    reason = forms.CharField(
        label=_("stated reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept after the purge: do not repeat the person's name or any detail."),
    )
    confirm = forms.CharField(
        label=_("type the public id to confirm"),
        help_text=_("Purging cannot be undone."),
    )

    def __init__(self, person: m.Person, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != self.person.public_id:
            raise forms.ValidationError(_("This is not the person's public id."))
        return value

    def clean_reason(self):
        reason = self.cleaned_data["reason"]
        names = [self.person.display_name, *self.person.names.values_list("name", flat=True)]
        if any(name and name.casefold() in reason.casefold() for name in names):
            raise forms.ValidationError(_("The reason must not name the person."))
        return reason
