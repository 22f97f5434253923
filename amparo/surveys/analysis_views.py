"""The risk characterisation page and its exports (analysts and coordinators of the form's organisation). Thin:
parse the filters, authorise through amparo.access, call analysis.read_characterisation (read and audit), render."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from amparo.access import get_survey_form_for_user, organizations_for_user, staff_view, survey_forms_for_user
from amparo.accounts.models import User
from amparo.accounts.roles import Role
from amparo.core.responses import attachment
from amparo.directory.models import Place

from . import characterisation as ch
from .analysis import Reading, read_characterisation
from .exports import as_csv, as_xlsx
from .models import Form as SurveyForm
from .models import Submission
from .selectors import Filters

ANALYSIS_ROLES = {Role.ANALYST, Role.COORDINATOR}


class CharacterisationFilter(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    municipality = forms.ChoiceField(label=_("Municipality"), required=False, choices=[])

    def __init__(self, *args: object, municipalities: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["municipality"].choices = [("", _("All")), *municipalities]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


def _municipalities(survey: SurveyForm) -> list[tuple[str, str]]:
    """The municipalities to filter by: the choices of the form's municipality question (no scan of the
    submissions), or, for a form that lists them in a file, those its submissions name."""
    codes: set[str] = set()
    for version in survey.versions.all():
        for field in version.schema or []:
            if field.get("facet") == "municipality":
                codes |= {str(c.get("name", "")).upper() for c in field.get("choices") or [] if c.get("name")}
    if not codes:
        found = Submission.objects.filter(form_id=survey.pk).exclude(municipality_pcode="")
        codes = set(found.values_list("municipality_pcode", flat=True).distinct())
    names = dict(Place.objects.filter(pcode__in=sorted(codes)).values_list("pcode", "name"))
    return sorted(((code, names.get(code, code)) for code in codes), key=lambda item: item[1])


def _language() -> str:
    return (translation.get_language() or "es").split("-")[0]


@staff_view(ANALYSIS_ROLES)
@require_GET
def analysis_forms(request: HttpRequest) -> HttpResponse:
    """The forms whose characterisation the user may read."""
    found = survey_forms_for_user(request.user, ANALYSIS_ROLES).select_related("organization").order_by("title")
    user: User = request.user  # type: ignore[assignment]  # staff_view: signed in
    coordinated = set(organizations_for_user(user, {Role.COORDINATOR}).values_list("pk", flat=True))
    organizations = [
        (org, org.pk in coordinated) for org in organizations_for_user(user, ANALYSIS_ROLES).order_by("name")
    ]
    return render(request, "surveys/analysis/forms.html", {"forms": found, "organizations": organizations})


def _reading(
    request: HttpRequest, form_uuid: str, export: str = ""
) -> tuple[SurveyForm, CharacterisationFilter, Reading | None]:
    """The form (404 unless the user's), the filters, and the reading (None when the filters are not valid)."""
    survey = get_survey_form_for_user(request.user, form_uuid, ANALYSIS_ROLES)
    filters_form = CharacterisationFilter(request.GET or None, municipalities=_municipalities(survey))
    if filters_form.is_bound and not filters_form.is_valid():
        return survey, filters_form, None
    data = filters_form.cleaned_data if filters_form.is_bound else {}
    filters = Filters(start=data.get("start"), end=data.get("end"), municipality=data.get("municipality") or "")
    reading = read_characterisation(
        actor=request.user, form=survey, filters=filters, language=_language(), export=export
    )
    return survey, filters_form, reading


def _page(
    request: HttpRequest, survey: SurveyForm, filters: CharacterisationFilter, reading: Reading | None
) -> HttpResponse:
    context = {
        "survey": survey,
        "filters": filters,
        "reading": reading,
        "query": request.GET.urlencode(),
        "no_answer": ch.NO_ANSWER,
    }
    return render(request, "surveys/analysis/characterisation.html", context, status=200 if reading else 400)


@staff_view(ANALYSIS_ROLES)
@require_GET
def characterisation(request: HttpRequest, form_uuid: str) -> HttpResponse:
    survey, filters, reading = _reading(request, form_uuid)
    return _page(request, survey, filters, reading)


@staff_view(ANALYSIS_ROLES)
@require_GET
def characterisation_export(request: HttpRequest, form_uuid: str, fmt: str) -> HttpResponse:
    survey, filters, reading = _reading(request, form_uuid, export=fmt)
    if reading is None:
        return _page(request, survey, filters, reading)
    name = f"{survey.form_id}-characterisation"
    if fmt == "xlsx":
        return attachment(
            as_xlsx(reading),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=f"{name}.xlsx",
        )
    return attachment(as_csv(reading), content_type="text/csv; charset=utf-8", filename=f"{name}.csv")
