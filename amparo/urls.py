from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from amparo.core import views as core_views
from amparo.core.metrics import metrics_view

from .api import api

handler400 = "amparo.core.views.bad_request"
handler404 = "amparo.core.views.not_found"
handler500 = "amparo.core.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("staff/", include("amparo.today.urls")),
    path("staff/", include("amparo.accounts.urls")),
    path("staff/audit/", include("amparo.audit.urls")),
    path("staff/directory/", include("amparo.directory.staff_urls")),
    path("staff/channel/", include("amparo.safechannel.staff_urls")),
    path("staff/cases/", include("amparo.cases.urls")),
    path("staff/cases/", include("amparo.cases.legal_urls")),
    path("staff/referrals/", include("amparo.referrals.urls")),
    path("staff/monitoring/", include("amparo.cases.monitoring_urls")),
    path("staff/surveys/", include("amparo.surveys.urls")),
    path("staff/networks/", include("amparo.networks.urls")),
    path("staff/insights/", include("amparo.insights.urls_dashboards")),
    path("staff/insights/publications/", include("amparo.insights.staff_urls")),
    path("staff/insights/reports/", include("amparo.insights.urls_reports")),
    path("staff/campaigns/", include("amparo.campaigns.staff_urls")),
    path("staff/campaigns/feedback/", include("amparo.campaigns.urls_feedback")),
    path("staff/campaigns/bulletin/", include("amparo.campaigns.urls_bulletin")),
    path("staff/operations/", include("amparo.operations.urls")),
    path("r/", include("amparo.campaigns.public_urls")),  # short links: no language prefix, no cookie, nothing kept
    path("openrosa/", include("amparo.surveys.urls_openrosa")),  # ODK Collect / KoboCollect (no session, no cookies)
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),  # 404 without METRICS_TOKEN (amparo/core/metrics.py)
]
urlpatterns += i18n_patterns(
    path("", include("amparo.pathways.urls")),
    path("", include("amparo.directory.urls")),
    path("", include("amparo.safechannel.urls")),
    path("", include("amparo.core.urls")),
    path("", include("amparo.insights.public_urls")),
    path("", include("amparo.campaigns.feedback_public_urls")),
    prefix_default_language=True,
)
