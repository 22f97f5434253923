"""Staff pages of the surveys app, under /staff/surveys/ (each part includes its own patterns here)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += [path("", include("amparo.surveys.urls_forms"))]  # forms and phones (openrosa helper)
urlpatterns += [path("", include("amparo.surveys.urls_crypto"))]
urlpatterns.append(path("", include("amparo.surveys.urls_webentry")))  # web entry (webentry_views.py)
urlpatterns += [path("", include("amparo.surveys.urls_analysis"))]
urlpatterns += [path("", include("amparo.surveys.urls_instrument"))]  # the referral offer (instrument helper)
