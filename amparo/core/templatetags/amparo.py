from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
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
