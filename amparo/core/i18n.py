"""Content translated in the database: one column per language, read with a fallback to Spanish."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.utils.translation import get_language

LANGUAGE_CODES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)
DEFAULT_LANGUAGE = settings.LANGUAGE_CODE


def add_translated_fields(
    model: type[models.Model], name: str, make_field: Callable[[str, bool], models.Field]
) -> None:
    """Add `<name>_es`, `<name>_en`, `<name>_pt` to a model; make_field(language, is_default) builds each."""
    for code in LANGUAGE_CODES:
        model.add_to_class(f"{name}_{code}", make_field(code, code == DEFAULT_LANGUAGE))


def localized(obj: object, name: str, language: str | None = None) -> str:
    """The text in the active language, or in Spanish when that translation is empty."""
    code = (language or get_language() or DEFAULT_LANGUAGE).split("-")[0]
    value = getattr(obj, f"{name}_{code}", "") or ""
    return value or getattr(obj, f"{name}_{DEFAULT_LANGUAGE}", "") or ""


class LocalizedMixin:
    """`obj.t.title` reads the localized `title_<lang>` field."""

    @property
    def t(self) -> _Localized:
        return _Localized(self)


class _Localized:
    def __init__(self, obj: object) -> None:
        self._obj = obj

    def __getattr__(self, name: str) -> str:
        return localized(self._obj, name)
