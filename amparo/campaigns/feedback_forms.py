"""The public form about a service (issue 17, part 3). Every question may be left unanswered ("I prefer not to
say", the default), but not all of them; the month of the visit is chosen from the months the aggregates count."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from . import feedback_selectors as selectors
from .feedback_services import Answers

TOKEN_SALT = "amparo.campaigns.feedback"  # noqa: S105 - a signing namespace, not a secret
TOKEN_MAX_AGE = 6 * 60 * 60  # seconds: she may keep the page open a while

YES, NO, UNSAID = "yes", "no", ""
CHOICES = [(YES, _("Yes")), (NO, _("No")), (UNSAID, _("I prefer not to say"))]
REASON_CHOICES = [
    ("trans", _("for being trans")),
    ("migrant", _("for being a migrant")),
    ("sex_work", _("for being a sex worker")),
]


def new_token(sal_uuid: str) -> str:
    """A signed one-time token for this service's form (spent in the shared cache when an answer is stored)."""
    return signing.dumps({"n": secrets.token_urlsafe(16), "s": sal_uuid}, salt=TOKEN_SALT, compress=False)


def read_token(token: str, sal_uuid: str) -> str | None:
    """The token's nonce, or None when it is forged, too old or for another service."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("s") != sal_uuid or not isinstance(data.get("n"), str):
        return None
    return str(data["n"])


def _question(label: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=CHOICES, required=False, initial=UNSAID, widget=forms.RadioSelect)


class FeedbackForm(forms.Form):
    visit_month = forms.ChoiceField(label=_("When did you go?"))
    attended = _question(_("Were you attended?"))
    respected = _question(_("Were you treated with respect?"))
    id_asked = _question(_("Were you asked for an ID document that you did not have?"))
    turned_away = _question(_("Were you turned away or treated worse for being trans, a migrant or a sex worker?"))
    reasons = forms.MultipleChoiceField(
        label=_("If so, for what? (mark any, or none)"),
        choices=REASON_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    charged = _question(_("Were you charged for something that should be free?"))
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=300)

    def __init__(self, *args: Any, sal_uuid: str, on: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sal_uuid = sal_uuid
        months = selectors.visit_months(on)
        choices = [(m.strftime("%Y-%m"), selectors.month_label(m)) for m in months]
        self.fields["visit_month"].choices = choices  # type: ignore[attr-defined]
        self.fields["visit_month"].initial = months[0].strftime("%Y-%m")
        if not self.is_bound:
            self.fields["form_token"].initial = new_token(sal_uuid)

    def clean_visit_month(self) -> date:
        year, month = self.cleaned_data["visit_month"].split("-")
        return date(int(year), int(month), 1)

    def clean_form_token(self) -> str:
        nonce = read_token(self.cleaned_data["form_token"], self.sal_uuid)
        if nonce is None:
            raise forms.ValidationError(_("This form is too old. Your answers are kept: send them again."))
        return nonce

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reasons = data.get("reasons") or []
        if reasons and data.get("turned_away") == UNSAID:
            data["turned_away"] = YES  # she marked why she was turned away
        if reasons and data.get("turned_away") == NO:
            self.add_error("reasons", _("You answered “No” above: leave these unmarked, or change the answer."))
        if not self.errors and self.answers().empty:
            raise forms.ValidationError(_("Answer at least one question, or leave the page: nothing was sent."))
        return data

    def answers(self) -> Answers:
        data = self.cleaned_data

        def value(name: str) -> bool | None:
            return {YES: True, NO: False}.get(data.get(name) or UNSAID)

        reasons = set(data.get("reasons") or [])
        return Answers(
            attended=value("attended"),
            respected=value("respected"),
            id_asked=value("id_asked"),
            turned_away=value("turned_away"),
            for_trans="trans" in reasons,
            for_migrant="migrant" in reasons,
            for_sex_work="sex_work" in reasons,
            charged=value("charged"),
        )

    def refreshed(self) -> None:
        """A fresh token for the page shown again (the answers she gave stay as they were)."""
        data = self.data.copy()  # type: ignore[attr-defined]
        data["form_token"] = new_token(self.sal_uuid)
        self.data = data
