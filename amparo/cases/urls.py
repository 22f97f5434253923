from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("<uuid:case_uuid>/", views.case_detail, name="detail"),
    path("<uuid:case_uuid>/edit/", views.case_edit, name="edit"),
    path("<uuid:case_uuid>/team/", views.case_team, name="team"),
    path("<uuid:case_uuid>/consent/", views.consent, name="consent"),
    path("<uuid:case_uuid>/incidents/new/", views.incident_new, name="incident_new"),
    path("<uuid:case_uuid>/incidents/<int:incident_id>/", views.incident_edit, name="incident_edit"),
    path("<uuid:case_uuid>/risk/", views.risk, name="risk"),
    path("<uuid:case_uuid>/actions/", views.action, name="action"),
    path("<uuid:case_uuid>/children/", views.child, name="child"),
    path("<uuid:case_uuid>/children/<str:child_code>/", views.child_update, name="child_update"),
    path("<uuid:case_uuid>/closure/", views.closure, name="closure"),
]
