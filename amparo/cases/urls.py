from django.urls import path

from . import casework_views, views

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
    # A caseworker's day (issue 13, items 2 and 6): search, notes and files, the printable summary.
    path("search/", casework_views.case_search, name="search"),
    path("<uuid:case_uuid>/notes/", casework_views.notes, name="notes"),
    path("<uuid:case_uuid>/notes/add/", casework_views.note_add, name="note_add"),
    path("<uuid:case_uuid>/files/", casework_views.file_upload, name="file_upload"),
    path("<uuid:case_uuid>/files/<uuid:file_uuid>/", casework_views.file_download, name="file"),
    path("<uuid:case_uuid>/summary/", casework_views.summary, name="summary"),
    # Coordinators (issue 13, item 8).
    path("orgs/<uuid:org_uuid>/caseload/", casework_views.caseload, name="caseload"),
    path("orgs/<uuid:org_uuid>/closures/", casework_views.closures, name="closures"),
    path("<uuid:case_uuid>/transfer/", casework_views.transfer, name="transfer"),
    path("transfers/", casework_views.transfers, name="transfers"),
    path("transfers/<uuid:transfer_uuid>/", casework_views.transfer_decide, name="transfer_decide"),
]
