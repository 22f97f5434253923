from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from amparo.core.counters import within

from .roles import Role


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput, max_length=512)


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "").strip()
        if not token.isalnum():
            raise forms.ValidationError(_("Enter the code with digits and letters only."))
        return token


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class MemberUpdateForm(forms.Form):
    action = forms.ChoiceField(choices=[("deactivate", "deactivate"), ("activate", "activate"), ("role", "role")])
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "role" and not data.get("role"):
            raise forms.ValidationError(_("Choose a role."))
        return data


class AcceptInvitationForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput, max_length=512)
    password2 = forms.CharField(label=_("Password again"), strip=False, widget=forms.PasswordInput, max_length=512)

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") != data.get("password2"):
            raise forms.ValidationError(_("The two passwords differ."))
        if data.get("password1"):
            from .models import User

            password_validation.validate_password(
                data["password1"], User(email=self.email, display_name=data.get("display_name", ""))
            )
        return data


class LimitedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the e-mails it sends limited per account and overall in each window
    (`PASSWORD_RESET_LIMITS`), so nobody can flood a colleague's mailbox or make the server a mail cannon.
    The page answers the same whether a message was sent, held back, or the address has no account."""

    def get_users(self, email: str) -> Iterator[Any]:
        per_account, overall, period = settings.PASSWORD_RESET_LIMITS
        for user in super().get_users(email):
            account = hashlib.blake2b(str(user.pk).encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=16)
            if within(f"pwreset-account:{account.hexdigest()}", per_account, period) and within(
                "pwreset-all", overall, period
            ):
                yield user
