from __future__ import annotations

from django import template
from django.conf import settings
from django.forms import BaseForm
from django.template.loader import render_to_string
from django.urls import translate_url
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

_NATIVE_NAMES = {"es": "Español", "en": "English", "pt": "Português"}


@register.simple_tag(takes_context=True)
def language_links(context: template.Context) -> SafeString:
    """Links to this same page in the other languages, by URL prefix: no cookie is ever set."""
    request = context["request"]
    current = get_language()
    query = request.META.get("QUERY_STRING", "")
    items = []
    for code, _name in settings.LANGUAGES:
        native = _NATIVE_NAMES.get(code, code)
        if code == current:
            items.append(format_html('<strong lang="{}">{}</strong>', code, native))
        else:
            url = translate_url(request.path, code)
            prefix = f"/{current}/"
            if url == request.path and url.startswith(prefix):
                # translate_url leaves a path it cannot resolve (a 404 page) unchanged: swap the prefix instead.
                url = f"/{code}/{url[len(prefix) :]}"
            url += f"?{query}" if query else ""
            items.append(format_html('<a href="{}" lang="{}" hreflang="{}">{}</a>', url, code, code, native))
    return format_html_join("", "{}", ((i,) for i in items))


@register.filter
def km(value: float | None) -> str:
    if value is None:
        return ""
    return f"{number_format(value, 1 if value < 10 else 0)} km"


@register.filter
def paragraphs(text: str) -> SafeString:
    """Plain text with blank-line or newline breaks as escaped <p> elements."""
    parts = [p.strip() for p in str(text).split("\n") if p.strip()]
    return format_html_join("", "<p>{}</p>", ((p,) for p in parts))


def _forms_in(value: object) -> list[BaseForm]:
    if isinstance(value, BaseForm):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, BaseForm)]
    return []


@register.simple_tag(takes_context=True)
def error_summaries(context: template.Context) -> SafeString:
    """The error summary (core/form_errors.html) of every form on the page that came back with errors, whatever the
    name the view gave it (`form`, `update_form`, `filters`, a page's several section forms): staff_base.html puts
    them at the top of every staff page, each error linked to its field."""
    found: dict[int, BaseForm] = {}
    for value in context.flatten().values():
        for form in _forms_in(value):
            if form.is_bound and form.errors:
                found.setdefault(id(form), form)
    return mark_safe(  # each summary was rendered by the template engine, which escaped every value
        "".join(
            render_to_string("core/form_errors.html", {"form": form, "summary_id": f"error-summary-title-{n}"})
            for n, form in enumerate(found.values())
        )
    )
