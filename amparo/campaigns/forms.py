"""Parsing the campaigns' staff forms (the rules themselves are in services._check, which every caller passes)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Organization
from amparo.directory.models import Place, ServiceAtLocation
from amparo.pathways.selectors import published_pathways

from .models import LANGUAGE_CHOICES, MAX_SMS_SEGMENTS, Campaign, Channel, Group
from .services import CampaignInput

UUID_IN_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
MAX_SERVICES = 30
MAX_TEXT = 2000


class CampaignForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.none())
    name = forms.CharField(label=_("Name"), max_length=160)
    objective = forms.CharField(label=_("Objective"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=LANGUAGE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    pathways = forms.ModelMultipleChoiceField(
        label=_("Pathways it points to"),
        queryset=published_pathways(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    services = forms.CharField(
        label=_("Services it points to"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Paste the address of each service's public page, one per line."),
    )
    places = forms.ModelMultipleChoiceField(
        label=_("Municipalities"),
        queryset=Place.objects.filter(level=Place.Level.ADMIN2).select_related("parent").order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("With exactly one, its local lines are printed and the pathways list its nearest services."),
    )
    zone_types = forms.MultipleChoiceField(
        label=_("Zone types"), choices=Place.Zone.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    groups = forms.MultipleChoiceField(
        label=_("Groups"), choices=Group.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    sms_segments = forms.IntegerField(label=_("SMS budget (segments)"), min_value=1, max_value=MAX_SMS_SEGMENTS)

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        if not self.is_bound and "organization" not in self.initial and organizations.count() == 1:
            self.initial["organization"] = organizations.first()
        self.initial.setdefault("sms_segments", 1)
        self.fields["places"].label_from_instance = (  # type: ignore[attr-defined]
            lambda p: f"{p.name} ({p.parent.name})" if p.parent else p.name
        )

    def clean_services(self) -> list[ServiceAtLocation]:
        text = self.cleaned_data.get("services") or ""
        wanted = []
        for line in text.splitlines():
            if not line.strip():
                continue
            match = UUID_IN_TEXT.search(line)
            if match is None:
                raise forms.ValidationError(
                    _("“%(line)s” is not the address of a service page.") % {"line": line.strip()[:80]}
                )
            wanted.append(uuid.UUID(match.group(0)))
        if len(wanted) > MAX_SERVICES:
            raise forms.ValidationError(_("At most %(n)s services.") % {"n": MAX_SERVICES})
        found = {s.uuid: s for s in ServiceAtLocation.objects.filter(uuid__in=wanted, service__status="active")}
        missing = [str(u) for u in wanted if u not in found]
        if missing:
            raise forms.ValidationError(
                _("No active service has the address %(ids)s.") % {"ids": ", ".join(missing[:3])}
            )
        return [found[u] for u in dict.fromkeys(wanted)]

    def campaign_input(self) -> CampaignInput:
        data = self.cleaned_data
        return CampaignInput(
            name=data["name"],
            objective=data["objective"],
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
            languages=list(data.get("languages") or []),
            channels=list(data.get("channels") or []),
            zone_types=list(data.get("zone_types") or []),
            groups=list(data.get("groups") or []),
            places=list(data.get("places") or []),
            pathways=list(data.get("pathways") or []),
            services=list(data.get("services") or []),
            sms_segments=data["sms_segments"],
        )


def initial_for(campaign: Campaign) -> dict[str, Any]:
    return {
        "organization": campaign.organization,
        "name": campaign.name,
        "objective": campaign.objective,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "languages": campaign.languages,
        "channels": campaign.channels,
        "pathways": list(campaign.pathways.all()),
        "services": "\n".join(str(s.uuid) for s in campaign.services.all()),
        "places": list(campaign.places.all()),
        "zone_types": campaign.zone_types,
        "groups": campaign.groups,
        "sms_segments": campaign.sms_segments,
    }


class SmsCheckForm(forms.Form):
    """The SMS checker on a campaign's texts page: paste a text, see its segments (a GET form, nothing stored)."""

    text = forms.CharField(label=_("Check a text"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))


class SendingHookForm(forms.Form):
    url = forms.URLField(
        label=_("Webhook address"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Your SMS gateway's or RapidPro/TextIt flow's address. Leave empty to remove it."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class SendForm(forms.Form):
    channel = forms.ChoiceField(choices=[("sms", "SMS"), ("whatsapp", "WhatsApp")])
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES)
    kind = forms.CharField(max_length=8)
    key = forms.CharField(max_length=60)
    discreet = forms.BooleanField(required=False)
    plain = forms.BooleanField(required=False)  # the SMS without the accents that force UCS-2
