"""The survivor's forms and the staff reply form. Errors come back as messages in the form, which keeps what she
wrote: a validation error never loses her text."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.core import signing
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Organization
from amparo.core.once import OnceMixin
from amparo.vocab import GBVType

from . import crypto
from .models import Report

MAX_TEXT = 10_000
FORM_TOKEN_MAX_AGE = timedelta(hours=6)  # she may take her time, or come back to a tab left open
FORM_TOKEN_SALT = "amparo.safechannel.form"  # noqa: S105 - a signing namespace, not a secret

YES_NO_UNKNOWN = [("yes", _("Yes")), ("no", _("No")), ("unknown", _("I am not sure"))]

# GBVIMS core types in plain words, in the elimination order (services.GBV_ELIMINATION_ORDER).
HAPPENED_CHOICES = [
    ("rape", _("Someone forced sex on me (penetration with the body or an object)")),
    ("sexual_assault", _("Someone touched me sexually without my consent, or tried to force sex")),
    ("physical_assault", _("Someone hit me or hurt my body")),
    ("forced_marriage", _("Someone forced me to marry or to live as a couple")),
    (
        "denial_of_resources_opportunities_or_services",
        _("Someone took my money or kept me from working, studying, health care or other services"),
    ),
    ("psychological_emotional_abuse", _("Threats, harassment, stalking, insults or humiliation")),
]

WANT_CHOICES = [
    ("complaint", _("Someone to go with me to file a complaint")),
    ("protection", _("Protection measures")),
    ("health", _("Health care")),
    ("legal", _("Legal advice")),
    ("tell", _("Only to tell someone what happened")),
]

CONTACT_CHOICES = [
    ("channel", _("Only here, with my receipt")),
    ("phone", _("A phone call")),
    ("whatsapp", _("WhatsApp")),
]

# Her consents to share for referrals, one per referral type (amparo.vocab.SHARING_KINDS), in plain words.
SHARING_CHOICES = [
    ("share_health", _("Health care (HIV prevention, emergency contraception, STI care, vaccination)")),
    ("share_psychosocial", _("Psychological support")),
    ("share_legal", _("Legal advice and justice")),
    ("share_protection", _("Protection (police, protection measures, anti-trafficking)")),
    ("share_shelter", _("A safe place to stay")),
    ("share_children", _("Protection and care for my children")),
    ("share_other", _("Other services")),
]

ROUTE_AUTOMATICALLY = "auto"


def new_form_token() -> str:
    return signing.dumps({"n": secrets.token_urlsafe(16)}, salt=FORM_TOKEN_SALT, compress=False)


def read_form_token(token: str) -> str | None:
    """The token's nonce, or None when it is forged or too old."""
    try:
        data = signing.loads(token, salt=FORM_TOKEN_SALT, max_age=FORM_TOKEN_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    nonce = data.get("n") if isinstance(data, dict) else None
    return nonce if isinstance(nonce, str) else None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ReportForm(forms.Form):
    what_happened = forms.CharField(
        label=_("What happened?"),
        help_text=_("Write what you want us to know. You do not need to give your name or anyone else's."),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    happened = forms.MultipleChoiceField(
        label=_("Mark what happened (you can mark several, or none)"),
        choices=HAPPENED_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    persecuted = forms.ChoiceField(
        label=_("Is the aggressor following, watching or threatening you now?"),
        choices=YES_NO_UNKNOWN,
        widget=forms.RadioSelect,
    )
    state_agent = forms.ChoiceField(
        label=_("Was the aggressor a police officer, a soldier, a migration official or another public servant?"),
        choices=YES_NO_UNKNOWN,
        widget=forms.RadioSelect,
    )
    wants = forms.MultipleChoiceField(
        label=_("What would you like?"), choices=WANT_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    organization = forms.ChoiceField(label=_("Who should receive your report?"), widget=forms.RadioSelect)
    contact_how = forms.ChoiceField(
        label=_("How may they contact you?"), choices=CONTACT_CHOICES, initial="channel", widget=forms.RadioSelect
    )
    contact_details = forms.CharField(
        label=_("Number (only if you chose a call or WhatsApp)"), max_length=40, required=False
    )
    safe_times = forms.CharField(label=_("When is it safe to contact you? (optional)"), max_length=200, required=False)
    attachments = forms.FileField(
        label=_("Photos, documents or voice notes (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf,audio/*"}),
    )
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, organizations: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = {str(org.uuid): org for org in organizations}
        cast(forms.ChoiceField, self.fields["organization"]).choices = [
            (ROUTE_AUTOMATICALLY, _("Let Amparo choose the organisation that serves my municipality")),
            *[(key, org.name) for key, org in self.organizations.items()],
        ]
        self.fields["organization"].initial = ROUTE_AUTOMATICALLY
        if not self.is_bound:
            self.fields["form_token"].initial = new_form_token()

    def clean_what_happened(self) -> str:
        text: str = self.cleaned_data["what_happened"]
        if "\x00" in text:
            raise forms.ValidationError(_("The text contains characters we cannot store."))
        return text

    def clean_form_token(self) -> str:
        nonce = read_form_token(self.cleaned_data["form_token"])
        if nonce is None:
            raise forms.ValidationError(_("This form is too old. Your text is kept: send it again."))
        return nonce

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("contact_how") in {"phone", "whatsapp"} and not data.get("contact_details"):
            self.add_error("contact_details", _("Write the number, or choose “Only here, with my receipt”."))
        return data

    def chosen_organization(self) -> Organization | None:
        choice = self.cleaned_data["organization"]
        return None if choice == ROUTE_AUTOMATICALLY else self.organizations.get(choice)

    def refreshed_token(self) -> None:
        """A form that comes back with errors gets a fresh token (the old one may already be spent)."""
        data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
        data["form_token"] = new_form_token()
        self.data = data


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt (16 digits)"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_receipt(self) -> str:
        try:
            return crypto.normalize_receipt(self.cleaned_data["receipt"])
        except crypto.InvalidReceipt as exc:
            raise forms.ValidationError(_("A receipt has 16 digits. Check what you wrote down.")) from exc


class SurvivorMessageForm(forms.Form):
    text = forms.CharField(
        label=_("Write a message or add information"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = forms.FileField(
        label=_("Add photos, documents or voice notes (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf,audio/*"}),
    )


class StaffReplyForm(OnceMixin, forms.Form):
    text = forms.CharField(
        label=_("Reply to the survivor"),
        help_text=_("She reads this with her receipt. Do not write names, addresses or anything that identifies her."),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Report.Status.choices)


class SharingForm(forms.Form):
    sharing = forms.MultipleChoiceField(
        label=_("They may refer me to:"), choices=SHARING_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )


def sharing_labels(kinds: set[str]) -> list[str]:
    return [str(label) for code, label in SHARING_CHOICES if code in kinds]


class RecoveryKeyForm(forms.Form):
    recovery_key = forms.CharField(
        label=_("Recovery key"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


def describe(content: dict[str, Any]) -> dict[str, Any]:
    """The report's coded answers in words, for staff pages."""
    happened = dict(HAPPENED_CHOICES)
    wants = dict(WANT_CHOICES)
    answers = dict(YES_NO_UNKNOWN)
    return {
        **content,
        "happened_labels": [str(happened.get(code, code)) for code in content.get("happened", [])],
        "wants_labels": [str(wants.get(code, code)) for code in content.get("wants", [])],
        "contact_label": str(dict(CONTACT_CHOICES).get(content.get("contact_how", ""), "")),
        "persecuted_label": str(answers.get(content.get("persecuted", ""), "")),
        "state_agent_label": str(answers.get(content.get("state_agent", ""), "")),
        # Labels, never codes, on staff pages (issue 13, item 9): "Violencia sexual", not "rape"; "Español", not "es".
        "gbv_type_label": str(dict(GBVType.choices).get(content.get("gbv_type", ""), content.get("gbv_type", ""))),
        "language_label": _language_label(content.get("language", "")),
    }


def _language_label(code: str) -> str:
    """A language's name in the page's language ("Spanish" / "Español"), or the code if Django does not know it."""
    try:
        return str(get_language_info(code)["name_translated"]).capitalize() if code else ""
    except KeyError:
        return code


def form_token_expiry() -> Any:
    return timezone.now() + FORM_TOKEN_MAX_AGE
