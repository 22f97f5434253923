"""Staff pages of encrypted forms and retention: the organisation's survey key (coordinators), decrypting a form's
submissions with the passphrase (analysts and coordinators), and a form's retention and purge (coordinators).

Thin views: parse, authorise through `amparo.access`, call `keys` / `decryption` / `retention`, render.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from amparo.access import get_organization_for_user, get_survey_form_for_user, staff_view
from amparo.accounts.models import User
from amparo.accounts.roles import Role
from amparo.core import counters

from . import decryption, keys, retention

KEY_ROLES = {Role.COORDINATOR}
DECRYPT_ROLES = {Role.ANALYST, Role.COORDINATOR}
RETENTION_ROLES = {Role.COORDINATOR}
PASSPHRASE_FAILURES_PER_HOUR = 10


class KeyCreateForm(forms.Form):
    passphrase = forms.CharField(
        label=gettext_lazy("Passphrase"),
        strip=False,
        max_length=keys.MAX_PASSPHRASE_CHARS,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "At least 12 characters. Amparo does not keep it: whoever decrypts submissions needs it, and without it "
            "nobody, Amparo included, can read what was encrypted with this key."
        ),
    )
    passphrase_again = forms.CharField(
        label=gettext_lazy("Passphrase again"),
        strip=False,
        max_length=keys.MAX_PASSPHRASE_CHARS,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    understood = forms.BooleanField(
        label=gettext_lazy("I understand that a forgotten passphrase cannot be recovered."), required=True
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("passphrase") and data.get("passphrase") != data.get("passphrase_again"):
            self.add_error("passphrase_again", _("The two passphrases differ."))
        elif data.get("passphrase"):
            try:
                keys.check_passphrase_strength(data["passphrase"])
            except ValidationError as exc:
                self.add_error("passphrase", exc)
        return data


class DecryptForm(forms.Form):
    passphrase = forms.CharField(
        label=gettext_lazy("Survey key passphrase"),
        strip=False,
        max_length=keys.MAX_PASSPHRASE_CHARS,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    retry_failed = forms.BooleanField(
        label=gettext_lazy("Also try again the submissions that could not be decrypted before"), required=False
    )


class RetentionForm(forms.Form):
    retention_days = forms.IntegerField(
        label=gettext_lazy("Keep submissions for (days)"), min_value=1, max_value=retention.MAX_RETENTION_DAYS
    )


class PurgeForm(forms.Form):
    scope = forms.ChoiceField(
        label=gettext_lazy("What to delete"),
        choices=[
            ("expired", gettext_lazy("The submissions past the retention period")),
            ("all", gettext_lazy("All the submissions of this form")),
        ],
        widget=forms.RadioSelect,
        initial="expired",
    )
    confirm = forms.CharField(label=gettext_lazy("Type the form id to confirm"), max_length=255)

    def __init__(self, *args: Any, form_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form_id = form_id

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value != self.form_id:
            raise ValidationError(_("Type the form id exactly as shown: %(id)s"), params={"id": self.form_id})
        return value


@staff_view(KEY_ROLES)
@require_http_methods(["GET", "POST"])
def survey_key(request: HttpRequest, org_uuid: str) -> HttpResponse:
    """The organisation's survey key: its public key to paste into encrypted XLSForms, and creating or rotating it."""
    user = cast(User, request.user)
    organization = get_organization_for_user(user, org_uuid, KEY_ROLES)
    form = KeyCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        rotated = keys.current_key(organization) is not None
        keys.survey_key_create(organization=organization, passphrase=form.cleaned_data["passphrase"], actor=user)
        if rotated:
            message = _(
                "New survey key created. Put its public key in new encrypted forms; earlier keys still decrypt what "
                "they encrypted."
            )
        else:
            message = _("Survey key created. Copy its public key into the settings sheet of encrypted forms.")
        messages.success(request, message)
        return redirect("surveys:survey_key", org_uuid=organization.uuid)
    return render(
        request,
        "surveys/keys/key.html",
        {"organization": organization, "keys": keys.organization_keys(organization), "form": form},
        status=400 if form.errors else 200,
    )


def _passphrase_counter(organization: Any) -> str:
    return f"survey-passphrase:{organization.pk}"


@staff_view(DECRYPT_ROLES)
@require_http_methods(["GET", "POST"])
def decrypt(request: HttpRequest, form_uuid: str) -> HttpResponse:
    """Decrypt a form's pending encrypted submissions, a bounded batch per press, with the key's passphrase."""
    user = cast(User, request.user)
    survey = get_survey_form_for_user(user, form_uuid, DECRYPT_ROLES)
    form = DecryptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        name = _passphrase_counter(survey.organization)
        if counters.current(name, 3600) >= PASSPHRASE_FAILURES_PER_HOUR:
            form.add_error(None, _("Too many wrong passphrases for this organisation in the last hour. Try later."))
        else:
            try:
                result = decryption.decrypt_pending(
                    form=survey,
                    passphrase=form.cleaned_data["passphrase"],
                    actor=user,
                    retry_failed=form.cleaned_data["retry_failed"],
                )
            except keys.WrongPassphrase:
                counters.hit(name, 3600)
                form.add_error("passphrase", _("This passphrase does not open any of the organisation's survey keys."))
            else:
                _say_result(request, result)
                return redirect("surveys:decrypt", form_uuid=survey.uuid)
    return render(
        request,
        "surveys/keys/decrypt.html",
        {"survey": survey, "form": form, "counts": decryption.counts(survey), "batch": decryption.batch_size()},
        status=400 if form.errors else 200,
    )


def _say_result(request: HttpRequest, result: decryption.DecryptionResult) -> None:
    messages.success(
        request,
        ngettext("%(n)d submission decrypted.", "%(n)d submissions decrypted.", result.decrypted)
        % {"n": result.decrypted},
    )
    if result.remaining:
        messages.info(
            request,
            ngettext(
                "%(n)d more is waiting: press Decrypt again.",
                "%(n)d more are waiting: press Decrypt again.",
                result.remaining,
            )
            % {"n": result.remaining},
        )
    if result.failed:
        messages.error(
            request,
            ngettext(
                "%(n)d submission could not be decrypted: it is incomplete or was altered. It stays encrypted.",
                "%(n)d submissions could not be decrypted: they are incomplete or were altered. They stay encrypted.",
                result.failed,
            )
            % {"n": result.failed},
        )
    if result.other_key:
        messages.info(
            request,
            ngettext(
                "%(n)d submission was encrypted with another survey key: enter that key's passphrase.",
                "%(n)d submissions were encrypted with another survey key: enter that key's passphrase.",
                result.other_key,
            )
            % {"n": result.other_key},
        )


@staff_view(RETENTION_ROLES)
@require_http_methods(["GET", "POST"])
def form_retention(request: HttpRequest, form_uuid: str) -> HttpResponse:
    """A form's retention period, and purging its submissions now (with confirmation)."""
    user = cast(User, request.user)
    survey = get_survey_form_for_user(user, form_uuid, RETENTION_ROLES)
    action = request.POST.get("action") if request.method == "POST" else None
    retention_form = RetentionForm(
        request.POST if action == "retention" else None, initial={"retention_days": survey.retention_days}
    )
    purge_form = PurgeForm(request.POST if action == "purge" else None, form_id=survey.form_id)
    if action == "retention" and retention_form.is_valid():
        retention.form_retention_set(form=survey, days=retention_form.cleaned_data["retention_days"], actor=user)
        messages.success(request, _("Retention period saved. purge_surveys applies it at its next run."))
        return redirect("surveys:retention", form_uuid=survey.uuid)
    if action == "purge" and purge_form.is_valid():
        count = retention.purge_form_now(form=survey, actor=user, everything=purge_form.cleaned_data["scope"] == "all")
        messages.success(
            request,
            ngettext(
                "%(n)d submission deleted, with %(a)d attachment(s).",
                "%(n)d submissions deleted, with %(a)d attachment(s).",
                count.submissions,
            )
            % {"n": count.submissions, "a": count.attachments},
        )
        return redirect("surveys:retention", form_uuid=survey.uuid)
    bad = request.method == "POST" and (
        bool(retention_form.errors or purge_form.errors) or action not in {"retention", "purge"}
    )
    return render(
        request,
        "surveys/keys/retention.html",
        {
            "survey": survey,
            "summary": retention.retention_summary(survey),
            "retention_form": retention_form,
            "purge_form": purge_form,
            "default_days": settings.SURVEYS_RETENTION_DAYS,
        },
        status=400 if bad else 200,
    )
