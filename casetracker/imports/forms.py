from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".csv,.xlsx"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f] or [
            super().clean(None, initial)
        ]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=gettext_lazy("Files"),
        help_text=gettext_lazy(
            "CSV files as the staff exports write them, one per kind (the whole register: roles, "
            "places, organisations, sources, persons, names, relationships, affiliations, "
            "incidents, figures, involvements, detentions, charges, timeline, interventions, "
            "citations), or XLSX workbooks with a sheet per kind."
        ),
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        limit_mb = settings.IMPORT_MAX_UPLOAD_MB
        size = sum(f.size for f in files)
        if size > limit_mb * 1024 * 1024:
            raise forms.ValidationError(
                _("The upload is %(size).1f MB; imports take at most %(limit)d MB.")
                % {"size": size / 1024 / 1024, "limit": limit_mb}
            )
        for f in files:
            if not f.name.lower().endswith((".csv", ".xlsx")):
                raise forms.ValidationError(
                    _("%(name)s is neither a CSV file nor an XLSX workbook.") % {"name": f.name}
                )
        return files
