"""Staff pages of the campaigns and their materials (issue 17, part 1), under /staff/campaigns/."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from . import staff_views

app_name = "campaigns"

# A material: /<campaign>/m/<pathway|service>/<slug or UUID>/<language>/
MATERIAL = (
    r"^(?P<campaign_uuid>[0-9a-f-]{36})/m/(?P<kind>pathway|service)/(?P<key>[-a-z0-9]{1,60})/(?P<language>es|en|pt)/"
)

urlpatterns: list[URLPattern] = [
    path("", staff_views.campaign_list, name="list"),
    path("new/", staff_views.campaign_new, name="new"),
    path("sending/<uuid:organization_uuid>/", staff_views.sending_hook, name="sending"),
    path("<uuid:campaign_uuid>/", staff_views.campaign_detail, name="detail"),
    path("<uuid:campaign_uuid>/edit/", staff_views.campaign_edit, name="edit"),
    path("<uuid:campaign_uuid>/reach/", staff_views.campaign_reach, name="reach"),
    path("<uuid:campaign_uuid>/send/", staff_views.campaign_send, name="send"),
    re_path(MATERIAL + r"$", staff_views.material_page, name="material"),
    re_path(MATERIAL + r"texts\.txt$", staff_views.material_texts, name="material_texts"),
    re_path(MATERIAL + r"(?P<fmt>[-a-z0-9]{1,30})\.pdf$", staff_views.material_pdf, name="material_pdf"),
]
