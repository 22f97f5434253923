from django.urls import path

from . import views

app_name = "referrals"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("new/<uuid:case_uuid>/", views.referral_new, name="new"),
    path("new/report/<uuid:report_uuid>/", views.referral_new_from_report, name="new_from_report"),
    path("<uuid:referral_uuid>/", views.referral_detail, name="detail"),
    path("<uuid:referral_uuid>/print/", views.referral_print, name="print"),
]
