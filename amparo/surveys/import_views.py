"""The import page (coordinators of the form's organisation): upload an ODK Central or KoboToolbox export of one
version of the form, check it (dry run), and import it; nothing is imported from a file with errors unless the
coordinator asks for the good rows. Thin: parse, authorise, call imports.run through import_file, render.

The upload is kept in memory only (no temporary file holds the answers in clear) and refused past
SURVEYS_MAX_IMPORT_BYTES; bigger files go through `manage.py import_survey_export`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from amparo.access import get_survey_form_for_user, staff_view
from amparo.accounts.roles import Role
from amparo.core.uploads import BoundedMemoryUploadHandler

from .imports import ImportReport, import_file, max_import_bytes
from .models import Form as SurveyForm

IMPORT_ROLES = {Role.COORDINATOR}
MODES = [
    ("dry_run", _("Check the file only (nothing is imported)")),
    ("all", _("Import, if no row has a problem")),
    ("good_rows", _("Import the good rows, and list the others")),
]


class ImportForm(forms.Form):
    version = forms.ChoiceField(label=_("Version of the form the file answers"))
    file = forms.FileField(label=_("Export file (.csv or .xlsx)"))
    mode = forms.ChoiceField(label=_("What to do"), choices=MODES, widget=forms.RadioSelect, initial="dry_run")

    def __init__(self, *args: Any, survey: SurveyForm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        versions = list(survey.versions.order_by("-created_at", "-pk").values_list("version", flat=True))
        self.fields["version"].choices = [(v, v) for v in versions]  # type: ignore[attr-defined]
        if versions:
            self.fields["version"].initial = versions[0]


@staff_view(IMPORT_ROLES)
@csrf_exempt  # CSRF is checked below, after the upload handler is set (Django's documented pattern)
def import_export(request: HttpRequest, form_uuid: str) -> HttpResponse:
    if request.method == "POST":
        request.upload_handlers = [
            BoundedMemoryUploadHandler(request, max_file_bytes=max_import_bytes(), max_files=1, skip=True)
        ]
    return _import_export(request, form_uuid)


@csrf_protect
def _import_export(request: HttpRequest, form_uuid: str) -> HttpResponse:
    survey = get_survey_form_for_user(request.user, form_uuid, IMPORT_ROLES)
    report: ImportReport | None = None
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, survey=survey)
        too_big = any(getattr(h, "too_large", False) for h in request.upload_handlers)
        if too_big:
            form.add_error(
                "file",
                _("The file is larger than %(mb)d MB: import it with the command import_survey_export.")
                % {"mb": max_import_bytes() // 1048576},
            )
        if form.is_valid():
            upload = form.cleaned_data["file"]
            version = survey.versions.get(version=form.cleaned_data["version"])
            report = import_file(
                version=version,
                filename=upload.name or "",
                data=upload.file,
                mode=form.cleaned_data["mode"],
                user=request.user,
            )
            if report.file_error:
                status = 400
        else:
            status = 400
    elif request.method == "GET":
        form = ImportForm(survey=survey)
    else:
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    return render(
        request,
        "surveys/analysis/import.html",
        {"survey": survey, "form": form, "report": report, "max_mb": max_import_bytes() // 1048576,
         "encrypted": survey.versions.filter(encrypted=True).exists()},
        status=status,
    )  # fmt: skip
