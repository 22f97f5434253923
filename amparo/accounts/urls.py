from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views
from .forms import LimitedPasswordResetForm

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("logout/", views.logout_view, name="logout"),
    path("session/", views.session_state, name="session"),
    path("2fa/setup/", views.setup_2fa_view, name="setup_2fa"),
    path("orgs/<uuid:org_uuid>/members/", views.organization_members, name="members"),
    path("members/<int:membership_id>/", views.member_update, name="member_update"),
    path("invitations/<int:invitation_id>/revoke/", views.revoke_invitation, name="revoke_invitation"),
    path("invitations/accept/", views.accept_invitation, name="accept_invitation"),
    path("invitations/<str:token>/", views.open_invitation, name="open_invitation"),
    # Password reset: Django's views, which answer the same whether or not the address has an account.
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            form_class=LimitedPasswordResetForm,
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:login"),
        ),
        name="password_reset_confirm",
    ),
]
