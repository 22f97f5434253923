"""Staff pages of the campaigns, under /staff/campaigns/ (docs/campaigns.md).

Thin views: parse (forms.py), authorise (amparo.access.campaigns_access), call a service or build a material
(materials.py), render.
"""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amparo.access import staff_view
from amparo.access.campaigns_access import (
    CAMPAIGN_EDIT_ROLES,
    CAMPAIGN_READ_ROLES,
    campaign_organizations,
    campaigns_for_user,
    can_edit_campaign,
    get_campaign_for_user,
    sending_organization_for_user,
)
from amparo.core.responses import attachment, bad_request_page

from . import materials
from .forms import CampaignForm, SendForm, SendingHookForm, SmsCheckForm, initial_for
from .materials import MaterialError
from .models import Campaign, Channel, Material, SendingHook
from .selectors import language_label, reach, targets
from .services import SendError, campaign_create, campaign_update, sending_hook_set, text_send
from .sms import count as sms_count

LIST_LENGTH = 200
PDF_FORMATS = {
    # format -> (channel, poster size or None for the card, discreet)
    "card": (Channel.CARD, None, False),
    "card-discreet": (Channel.CARD, None, True),
    "poster-a4": (Channel.POSTER, "A4", False),
    "poster-a4-discreet": (Channel.POSTER, "A4", True),
    "poster-a3": (Channel.POSTER, "A3", False),
    "poster-a3-discreet": (Channel.POSTER, "A3", True),
}
LINK_MATERIAL = {
    (Channel.CARD, False): Material.CARD,
    (Channel.CARD, True): Material.CARD_DISCREET,
    (Channel.POSTER, False): Material.POSTER,
    (Channel.POSTER, True): Material.POSTER_DISCREET,
}


def _base_url(request: HttpRequest) -> str:
    """Where short links point: BASE_URL when set (the public site), else this site."""
    return settings.BASE_URL or request.build_absolute_uri("/").rstrip("/")


@staff_view(CAMPAIGN_READ_ROLES)
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = campaigns_for_user(request.user)[:LIST_LENGTH]
    can_create = campaign_organizations(request.user, write=True).exists()
    hooks = campaign_organizations(request.user, write=True)
    return render(
        request, "campaigns/list.html", {"campaigns": campaigns, "can_create": can_create, "hook_orgs": hooks}
    )


@staff_view(CAMPAIGN_EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    organizations = campaign_organizations(request.user, write=True)
    form = CampaignForm(request.POST if request.method == "POST" else None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(
                actor=request.user, organization=form.cleaned_data["organization"], data=form.campaign_input()
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The campaign was created with its short links."))
            return redirect("campaigns:detail", campaign.uuid)
    return render(request, "campaigns/form.html", {"form": form}, status=400 if form.errors else 200)


def _add_errors(form: CampaignForm, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@staff_view(CAMPAIGN_EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, campaign_uuid: UUID) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, campaign_uuid, write=True)
    organizations = campaign_organizations(request.user, write=True)
    form = CampaignForm(
        request.POST if request.method == "POST" else None,
        organizations=organizations,
        initial=initial_for(campaign),
    )
    form.fields["organization"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            campaign_update(actor=request.user, campaign=campaign, data=form.campaign_input())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The campaign was saved. Its materials follow the change."))
            return redirect("campaigns:detail", campaign.uuid)
    return render(
        request, "campaigns/form.html", {"form": form, "campaign": campaign}, status=400 if form.errors else 200
    )


@staff_view(CAMPAIGN_READ_ROLES)
@require_GET
def campaign_detail(request: HttpRequest, campaign_uuid: UUID) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, campaign_uuid)
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "targets": targets(campaign),
            "languages": [(code, language_label(code)) for code in campaign.languages],
            "can_edit": can_edit_campaign(request.user, campaign),
            "places": campaign.places.select_related("parent"),
            "zone_labels": [str(label) for code, label in _zone_choices() if code in campaign.zone_types],
            "group_labels": [str(label) for code, label in _group_choices() if code in campaign.groups],
        },
    )


def _zone_choices() -> list[tuple[str, object]]:
    from amparo.directory.models import Place

    return list(Place.Zone.choices)


def _group_choices() -> list[tuple[str, object]]:
    from .models import Group

    return list(Group.choices)


def _content(request: HttpRequest, campaign: Campaign, kind: str, key: str, language: str) -> materials.Content:
    return materials.content_for(campaign, kind, key, language)


@staff_view(CAMPAIGN_READ_ROLES)
@require_GET
def material_page(request: HttpRequest, campaign_uuid: UUID, kind: str, key: str, language: str) -> HttpResponse:
    """Every material of one target in one language: the printed ones (to download), the texts with their SMS
    segments, the radio scripts with their words and seconds; and the SMS checker (a GET form, nothing kept)."""
    campaign = get_campaign_for_user(request.user, campaign_uuid)
    try:
        content = _content(request, campaign, kind, key, language)
    except MaterialError as error:
        return bad_request_page(request, str(error))
    base = _base_url(request)
    links = materials.links_by_material(campaign, kind, key, language)
    quiet = materials.discreet(content)
    sms_url = materials.short_url(base, links.get(Material.SMS))
    whatsapp_url = materials.short_url(base, links.get(Material.WHATSAPP))
    texts = []
    for label, item in ((_("SMS"), content), (_("SMS, discreet"), quiet)):
        message = materials.sms_text(item, sms_url, campaign.sms_segments)
        texts.append(
            {
                "label": label,
                "sms": message,
                "explanation": materials.sms_explanation(message.count),
                "problem": materials.sms_problem(message.count, campaign.sms_segments),
                "plain_explanation": materials.sms_explanation(message.plain_count),
                "discreet": item.discreet,
            }
        )
    check = SmsCheckForm(request.GET if "text" in request.GET else None)
    checked = None
    if check.is_bound and check.is_valid():
        counted = sms_count(check.cleaned_data["text"])
        checked = {
            "count": counted,
            "explanation": materials.sms_explanation(counted),
            "problem": materials.sms_problem(counted, campaign.sms_segments),
        }
    status = 400 if check.is_bound and check.errors else 200
    return render(
        request,
        "campaigns/material.html",
        {
            "campaign": campaign,
            "c": content,
            "quiet": quiet,
            "kind": kind,
            "key": key,
            "language": language,
            "language_label": language_label(language),
            "links": {m: materials.short_url(base, link) for m, link in links.items()},
            "texts": texts if Channel.SMS in campaign.channels else [],
            "whatsapp": (
                [
                    (_("WhatsApp"), materials.whatsapp_text(content, whatsapp_url), False),
                    (_("WhatsApp, discreet"), materials.whatsapp_text(quiet, whatsapp_url), True),
                ]
                if Channel.WHATSAPP in campaign.channels
                else []
            ),
            "radio": (
                [materials.radio_script(content, s) for s in materials.RADIO_LENGTHS]
                if Channel.RADIO in campaign.channels
                else []
            ),
            "pdfs": [
                (fmt, channel, size, is_discreet)
                for fmt, (channel, size, is_discreet) in PDF_FORMATS.items()
                if channel in campaign.channels
            ],
            "check": check,
            "checked": checked,
            "can_send": can_edit_campaign(request.user, campaign)
            and SendingHook.objects.filter(organization=campaign.organization, active=True).exists(),
            "send_form": SendForm(),
        },
        status=status,
    )


@staff_view(CAMPAIGN_READ_ROLES)
@require_GET
def material_pdf(
    request: HttpRequest, campaign_uuid: UUID, kind: str, key: str, language: str, fmt: str
) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, campaign_uuid)
    if fmt not in PDF_FORMATS:
        return bad_request_page(request, _("Unknown printed material."))
    channel, size, is_discreet = PDF_FORMATS[fmt]
    if channel not in campaign.channels:
        return bad_request_page(request, _("This campaign does not use that channel."))
    try:
        content = _content(request, campaign, kind, key, language)
    except MaterialError as error:
        return bad_request_page(request, str(error))
    if is_discreet:
        content = materials.discreet(content)
    link = materials.links_by_material(campaign, kind, key, language).get(LINK_MATERIAL[(channel, is_discreet)])
    url = materials.short_url(_base_url(request), link)
    if size is None:
        pdf = materials.card_pdf(campaign, content, url)
    else:
        pdf = materials.poster_pdf(campaign, content, url, size)
    filename = f"{slugify(campaign.name)[:40]}-{slugify(key)[:40]}-{language}-{fmt}.pdf"
    return attachment(pdf, content_type="application/pdf", filename=filename)


@staff_view(CAMPAIGN_READ_ROLES)
@require_GET
def material_texts(request: HttpRequest, campaign_uuid: UUID, kind: str, key: str, language: str) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, campaign_uuid)
    try:
        content = _content(request, campaign, kind, key, language)
    except MaterialError as error:
        return bad_request_page(request, str(error))
    links = materials.links_by_material(campaign, kind, key, language)
    text = materials.texts_document(campaign, content, links, _base_url(request))
    filename = f"{slugify(campaign.name)[:40]}-{slugify(key)[:40]}-{language}-texts.txt"
    return attachment(text.encode(), content_type="text/plain; charset=utf-8", filename=filename)


@staff_view(CAMPAIGN_READ_ROLES)
@require_GET
def campaign_reach(request: HttpRequest, campaign_uuid: UUID) -> HttpResponse:
    campaign = get_campaign_for_user(request.user, campaign_uuid)
    found = reach(campaign)
    base = _base_url(request)
    rows = [(link, materials.printed(materials.short_url(base, link)), n) for link, n in found.by_link]
    return render(request, "campaigns/reach.html", {"campaign": campaign, "reach": found, "rows": rows})


@staff_view(CAMPAIGN_EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def sending_hook(request: HttpRequest, organization_uuid: UUID) -> HttpResponse:
    organization = sending_organization_for_user(request.user, organization_uuid)
    hook = SendingHook.objects.filter(organization=organization).first()
    initial = {"url": hook.url, "active": hook.active} if hook else {}
    form = SendingHookForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data["url"] and hook is None:
            form.add_error("url", _("Write the webhook's address."))
        else:
            try:
                sending_hook_set(
                    actor=request.user,
                    organization=organization,
                    url=form.cleaned_data["url"],
                    active=form.cleaned_data["active"],
                )
            except ValidationError as error:
                form.add_error("url", error.messages)
            else:
                messages.success(request, _("The sending webhook was saved."))
                return redirect("campaigns:sending", organization.uuid)
    return render(
        request,
        "campaigns/sending.html",
        {"form": form, "organization": organization, "hook": hook},
        status=400 if form.errors else 200,
    )


@staff_view(CAMPAIGN_EDIT_ROLES)
@require_POST
def campaign_send(request: HttpRequest, campaign_uuid: UUID) -> HttpResponse:
    """Hand the SMS or WhatsApp text of one target and language to the organisation's webhook (the text only)."""
    campaign = get_campaign_for_user(request.user, campaign_uuid, write=True)
    form = SendForm(request.POST)
    if not form.is_valid():
        return bad_request_page(request, _("Choose a text to send."))
    data = form.cleaned_data
    if data["channel"] not in campaign.channels:
        return bad_request_page(request, _("This campaign does not use that channel."))
    try:
        content = materials.content_for(campaign, data["kind"], data["key"], data["language"])
    except MaterialError as error:
        return bad_request_page(request, str(error))
    if data["discreet"]:
        content = materials.discreet(content)
    links = materials.links_by_material(campaign, data["kind"], data["key"], data["language"])
    base = _base_url(request)
    if data["channel"] == Channel.SMS:
        message = materials.sms_text(content, materials.short_url(base, links.get(Material.SMS)), campaign.sms_segments)
        text, counted = (message.plain, message.plain_count) if data["plain"] else (message.text, message.count)
        if counted.over(campaign.sms_segments):
            return bad_request_page(request, materials.sms_problem(counted, campaign.sms_segments))
    else:
        text = materials.whatsapp_text(content, materials.short_url(base, links.get(Material.WHATSAPP)))
    try:
        result = text_send(
            actor=request.user, campaign=campaign, channel=data["channel"], language=data["language"], text=text
        )
    except SendError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The text was handed to %(host)s (answer %(status)s).") % {"host": result.host, "status": result.status},
        )
    return redirect("campaigns:material", campaign.uuid, data["kind"], data["key"], data["language"])
