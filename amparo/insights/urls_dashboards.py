"""Staff pages of the statistics dashboards and the data-sharing agreements, under /staff/insights/."""

from django.urls import path

from . import dashboard_views

app_name = "insights"
urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("agreements/<str:organization_uuid>/", dashboard_views.agreements, name="agreements"),
    path("agreements/<str:agreement_uuid>/end/", dashboard_views.agreement_end, name="agreement_end"),
]
