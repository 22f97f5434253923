"""Forms of the bulletin and the library. Each says, next to the text, that nothing about a survivor may go in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Organization
from amparo.directory.models import Place

from .bulletin_models import Audience, DocumentKind, PostKind
from .bulletin_services import LIBRARY_LANGUAGES, check_no_survivor_data

NO_SURVIVOR_DATA = _(
    "For organisations only: no names, phone numbers, case codes or anything else about a survivor. A text with a "
    "phone number or a case code is refused."
)
MAX_DAYS_SHOWN = 365


class PlaceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Place) -> str:
        return "\u2003" * (obj.level or 0) + obj.name


def _places() -> QuerySet[Place]:
    return Place.objects.filter(level__lte=Place.Level.ADMIN2).order_by("pcode")


class _OrganisationForm(forms.Form):
    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        field.queryset = organizations  # type: ignore[attr-defined]
        if organizations.count() == 1:
            field.initial = organizations.first()
        self.fields["place"].queryset = _places()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        texts = [str(data.get(name) or "") for name in ("title", "body", "description")]
        try:
            check_no_survivor_data(*texts)
        except ValidationError as refused:
            self.add_error(None, refused)
        return data


class PostForm(_OrganisationForm):
    organization = forms.ModelChoiceField(label=_("Posted by"), queryset=Organization.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=PostKind.choices)
    title = forms.CharField(label=_("Title"), max_length=140)
    body = forms.CharField(label=_("Text"), max_length=2000, widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=NO_SURVIVOR_DATA)  # fmt: skip
    place = PlaceChoice(label=_("Place it concerns"), queryset=Place.objects.none())
    audience = forms.ChoiceField(label=_("Who reads it"), choices=Audience.choices, initial=Audience.AREA)
    expires_on = forms.DateField(label=_("Shown until"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = timezone.localdate() + timedelta(days=30)

    def clean_expires_on(self) -> Any:
        value = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if value < today:
            raise ValidationError(_("The date it is shown until has passed."))
        if value > today + timedelta(days=MAX_DAYS_SHOWN):
            raise ValidationError(_("A post is shown for at most a year."))
        return value


class DocumentForm(_OrganisationForm):
    organization = forms.ModelChoiceField(label=_("Shared by"), queryset=Organization.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("What it is for"), max_length=1000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}), help_text=NO_SURVIVOR_DATA)  # fmt: skip
    language = forms.ChoiceField(label=_("Language"), choices=[(c, c) for c in LIBRARY_LANGUAGES])
    place = PlaceChoice(label=_("Place it concerns"), queryset=Place.objects.none())
    audience = forms.ChoiceField(label=_("Who reads it"), choices=Audience.choices, initial=Audience.REGION)
    issued_on = forms.DateField(label=_("Date of this version"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(label=_("File (PDF or image)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            ("es", _("Spanish")), ("en", _("English")), ("pt", _("Portuguese"))
        ]  # fmt: skip
        self.fields["issued_on"].initial = timezone.localdate()


class VersionForm(forms.Form):
    issued_on = forms.DateField(label=_("Date of this version"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(label=_("File (PDF or image)"))
