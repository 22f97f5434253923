from django.urls import path

from . import staff_views

app_name = "safechannel_staff"
urlpatterns = [
    path("", staff_views.inbox, name="inbox"),
    path("reports/<uuid:report_uuid>/", staff_views.report_detail, name="report"),
    path("reports/<uuid:report_uuid>/files/<uuid:attachment_uuid>/", staff_views.attachment, name="attachment"),
    path("orgs/<uuid:org_uuid>/", staff_views.channel_settings, name="settings"),
]
