from django.urls import path

from . import views

app_name = "safechannel"
urlpatterns = [
    path("channel/", views.home, name="home"),
    path("channel/report/", views.report, name="report"),
    path("channel/receipt/", views.receipt_confirm, name="receipt_confirm"),
    path("channel/login/", views.login, name="login"),
    path("channel/inbox/", views.inbox, name="inbox"),
    path("channel/inbox/case-consent/", views.case_consent, name="case_consent"),
    path("channel/inbox/sharing/", views.sharing, name="sharing"),
    path("channel/exit/", views.exit_channel, name="exit"),
]
