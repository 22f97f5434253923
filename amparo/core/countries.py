"""Countries from the maintained ISO 3166-1 list of django-countries, with names in the active language.

django-countries ships Brazilian and European Portuguese catalogues but none named plain "pt", the code Amparo
uses; for "pt" the names are read in "pt-br" (the variety most staff in the region read)."""

from __future__ import annotations

from django.utils import translation
from django_countries import countries

NAME_LANGUAGE = {"pt": "pt-br"}


def _language() -> str:
    code = (translation.get_language() or "es").split("-")[0]
    return NAME_LANGUAGE.get(code, translation.get_language() or "es")


def country_choices() -> list[tuple[str, str]]:
    """(code, name) for every country, sorted by its name in the active language, for a form's select."""
    with translation.override(_language()):
        return [(str(code), str(name)) for code, name in countries]


def country_name(code: str) -> str:
    if not code:
        return ""
    with translation.override(_language()):
        return str(countries.name(code)) or code


def is_country(code: str) -> bool:
    return bool(code) and code in countries
