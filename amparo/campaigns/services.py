"""Writes of the campaigns (issue 17, parts 1, 2 and 5): one transaction each, with its audit entry in it.

- `campaign_create` / `campaign_update`: a campaign and the short links of its materials (`links_sync`).
- `link_visit`: reach, ONE counter per short link per day: an INCR in the shared cache, flushed to the day's row
  (`visits.py`), or where there is none an atomic UPDATE (F() + 1) of the row, created by get_or_create on the first
  visit; no two visits ever read-modify-write the same number. Nothing about who visits is received or kept.
- `sending_hook_set` and `text_send`: the organisation's own outbound webhook, which is handed a text and nothing
  else.
"""

from __future__ import annotations

import http.client
import json
import secrets
import urllib.error
import urllib.request
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Organization
from amparo.audit.services import audit_record
from amparo.directory.models import Place, ServiceAtLocation
from amparo.pathways.models import Pathway

from . import visits
from .materials import campaign_place
from .models import CHANNEL_MATERIALS, LANGUAGE_CHOICES, MAX_SMS_SEGMENTS, Campaign, LinkDay, SendingHook, ShortLink

# Short codes: lower-case letters and digits without the ones read or typed wrongly (0/o, 1/l/i), 7 characters:
# 31^7, about 27 billion codes; a collision is simply drawn again.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 7
LANGUAGE_CODES = {code for code, _label in LANGUAGE_CHOICES}
SEND_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class CampaignInput:
    name: str
    objective: str
    starts_on: date
    ends_on: date | None
    languages: list[str]
    channels: list[str]
    zone_types: list[str]
    groups: list[str]
    places: list[Place]
    pathways: list[Pathway]
    services: list[ServiceAtLocation]
    sms_segments: int = 1


def _check(data: CampaignInput) -> None:
    """The rules the form also checks, kept here so no caller can skip them (bad input: a campaign with no
    language, no target, a reversed period, an SMS budget out of range)."""
    errors: dict[str, str] = {}
    if not data.languages:
        errors["languages"] = _("Choose at least one language.")
    elif set(data.languages) - LANGUAGE_CODES:
        errors["languages"] = _("Materials are made in Spanish, English and Portuguese only.")
    if not data.channels:
        errors["channels"] = _("Choose at least one channel.")
    if not data.pathways and not data.services:
        errors["pathways"] = _("Choose at least one pathway or service the campaign points to.")
    if data.ends_on is not None and data.ends_on < data.starts_on:
        errors["ends_on"] = _("The campaign ends before it starts.")
    if not 1 <= data.sms_segments <= MAX_SMS_SEGMENTS:
        errors["sms_segments"] = _("The SMS budget is 1 to %(max)s segments.") % {"max": MAX_SMS_SEGMENTS}
    if errors:
        raise ValidationError(errors)


def _apply(campaign: Campaign, data: CampaignInput) -> None:
    for name in ("name", "objective", "starts_on", "ends_on", "sms_segments"):
        setattr(campaign, name, getattr(data, name))
    # Stored in the order of their lists, so the same choice is always the same value.
    campaign.languages = [code for code, _label in LANGUAGE_CHOICES if code in data.languages]
    campaign.channels = [code for code in CHANNEL_MATERIALS if code in data.channels]
    campaign.zone_types = sorted(set(data.zone_types))
    campaign.groups = sorted(set(data.groups))
    campaign.save()
    campaign.places.set(data.places)
    campaign.pathways.set(data.pathways)
    campaign.services.set(data.services)


@transaction.atomic
def campaign_create(*, actor: Any, organization: Organization, data: CampaignInput) -> Campaign:
    _check(data)
    campaign = Campaign(organization=organization, created_by=actor if getattr(actor, "pk", None) else None)
    _apply(campaign, data)
    made = links_sync(campaign)
    audit_record(
        actor=actor,
        action="campaigns.campaign.created",
        obj=campaign,
        organization=organization,
        detail=_audit_detail(campaign, made),
    )
    return campaign


@transaction.atomic
def campaign_update(*, actor: Any, campaign: Campaign, data: CampaignInput) -> Campaign:
    _check(data)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _apply(campaign, data)
    made = links_sync(campaign)
    audit_record(
        actor=actor,
        action="campaigns.campaign.updated",
        obj=campaign,
        organization=campaign.organization,
        detail=_audit_detail(campaign, made),
    )
    return campaign


def _audit_detail(campaign: Campaign, links_made: int) -> dict[str, Any]:
    return {
        "languages": campaign.languages,
        "channels": campaign.channels,
        "pathways": sorted(campaign.pathways.values_list("slug", flat=True)),
        "services": campaign.services.count(),
        "places": campaign.places.count(),
        "links_made": links_made,
    }


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def links_sync(campaign: Campaign) -> int:
    """Make the short links the campaign's materials need now: one per target, language and material (and the
    campaign's place, when it names one). Links no longer needed are kept: they may already be printed. Returns
    how many were made. Runs in the caller's transaction."""
    place = campaign_place(campaign)
    place_code = place.pcode if place else ""
    materials = [m for channel in campaign.channels for m in CHANNEL_MATERIALS.get(channel, ())]
    targets: list[tuple[str, str, Pathway | None, ServiceAtLocation | None]] = [
        (ShortLink.Kind.PATHWAY, p.slug, p, None) for p in campaign.pathways.all()
    ]
    targets += [(ShortLink.Kind.SERVICE, str(s.uuid), None, s) for s in campaign.services.all()]
    existing = set(
        ShortLink.objects.filter(campaign=campaign, place_code=place_code).values_list(
            "kind", "target_key", "language", "material"
        )
    )
    made = 0
    for kind, key, pathway, service in targets:
        for language in campaign.languages:
            for material in materials:
                if (kind, key, language, material) in existing:
                    continue
                _link_create(
                    campaign=campaign, kind=kind, key=key, pathway=pathway, service=service,
                    language=language, material=material, place_code=place_code,
                )  # fmt: skip
                made += 1
    return made


def _link_create(**fields: Any) -> ShortLink:
    key = fields.pop("key")
    for _attempt in range(5):
        try:
            with transaction.atomic():  # a savepoint: a code drawn twice is drawn again, the rest kept
                return ShortLink.objects.create(code=new_code(), target_key=key, **fields)
        except IntegrityError:
            if ShortLink.objects.filter(
                campaign=fields["campaign"], kind=fields["kind"], target_key=key, language=fields["language"],
                material=fields["material"], place_code=fields["place_code"],
            ).exists():  # fmt: skip
                raise
    raise RuntimeError("five short codes in a row were taken: the code space is too small")


# --- Reach ------------------------------------------------------------------------------------------------------------


def link_visit(link_id: int, day: date | None = None) -> None:
    """Count one visit of a short link today. Where the platform has a shared cache (Redis, Memcached) the visit is
    one INCR there, moved to the day's row by the scheduled flush (`visits.py` says why and what that risks);
    otherwise, or when that cache fails, it is counted in the database at once."""
    day = day or timezone.localdate()
    if visits.counts_in_cache() and visits.count_in_cache(link_id, day):
        return
    link_visit_in_database(link_id, day)


def link_visit_in_database(link_id: int, day: date) -> None:
    """One visit counted in the database: one atomic UPDATE ... SET visits = visits + 1. On the day's first visit
    the row does not exist yet (the UPDATE touched nothing): get_or_create makes it with 0 (a concurrent first visit
    that made it first is found, not duplicated: the unique constraint and get_or_create's retry see to it), then the
    same UPDATE adds the one. No value is read and written back, so no visit is lost to a race.

    On PostgreSQL the transaction commits without waiting for its WAL to reach the disk (`SET LOCAL
    synchronous_commit TO OFF`, this transaction only): a crash of the database server may forget the last fraction
    of a second of visits, never corrupt them, and a redirect does not wait for a disk flush. Every other write keeps
    the server's setting."""
    today = LinkDay.objects.filter(link_id=link_id, day=day)
    relaxed = connection.vendor == "postgresql"
    with transaction.atomic() if relaxed else nullcontext():  # elsewhere the UPDATE commits by itself
        if relaxed:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if today.update(visits=F("visits") + 1):
            return
    visits.link_visits_add(link_id, day, 1)


# --- Sending ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def sending_hook_set(*, actor: Any, organization: Organization, url: str, active: bool) -> SendingHook | None:
    """Set (or, with an empty url, remove) the organisation's outbound webhook. The address is audited by its
    host only."""
    from urllib.parse import urlsplit

    existing = SendingHook.objects.filter(organization=organization).first()
    if not url:
        if existing is not None:
            existing.delete()
            audit_record(actor=actor, action="campaigns.hook.removed", organization=organization,
                         object_type="campaigns.sendinghook", object_id=str(organization.uuid))  # fmt: skip
        return None
    hook = existing or SendingHook(organization=organization)
    hook.url, hook.active, hook.updated_by = url, active, actor
    hook.full_clean()
    hook.save()
    audit_record(
        actor=actor,
        action="campaigns.hook.set",
        obj=hook,
        object_id=str(organization.uuid),
        organization=organization,
        detail={"host": urlsplit(url).hostname or "", "active": active},
    )
    return hook


class InternalAddressError(OSError):
    """The webhook's address turned out to be inside the server's own network (loopback, private, link-local...)."""


def _refuse_internal(host: str, peer: str) -> None:
    """A coordinator chooses the webhook's address and the server fetches it: without this check she could make the
    server POST to its own network (a database's HTTP port, a cloud's metadata address). The address checked is the
    one the socket actually connected to, after DNS, so a name that resolves differently later (DNS rebinding) or a
    redirect to an internal address is refused as well. Hosts named in CAMPAIGNS_WEBHOOK_INTERNAL_HOSTS (a gateway in
    the organisation's own network) are let through."""
    import ipaddress

    address = ipaddress.ip_address(peer.split("%", 1)[0])
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    if address.is_global and not address.is_multicast:
        return
    if host.lower() in {h.lower() for h in settings.CAMPAIGNS_WEBHOOK_INTERNAL_HOSTS}:
        return
    raise InternalAddressError(host)


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _refuse_internal(self.host, self.sock.getpeername()[0])


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _refuse_internal(self.host, self.sock.getpeername()[0])


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPSConnection, req)


def _webhook_opener() -> urllib.request.OpenerDirector:
    """urllib's opener with every connection (redirects included) checked by `_refuse_internal`, and no proxy from the
    environment (the check must see the real peer)."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _CheckedHTTPHandler(), _CheckedHTTPSHandler())


class SendError(Exception):
    """The webhook did not take the text; the message says why, for the staff (translated)."""


@dataclass(frozen=True)
class SendResult:
    status: int
    host: str


def send_payload(campaign: Campaign, *, channel: str, language: str, text: str) -> dict[str, Any]:
    """What the webhook receives: the text and labels, NEVER a phone number or a list of people. RapidPro/TextIt
    flows and SMS gateways read `text`; the gateway's own contact groups decide who receives it."""
    return {
        "text": text,
        "channel": channel,
        "language": language,
        "campaign": str(campaign.uuid),
        "campaign_name": campaign.name,
        "source": "amparo",
    }


def text_send(*, actor: Any, campaign: Campaign, channel: str, language: str, text: str) -> SendResult:
    """Hand one text to the organisation's webhook, with a timeout; audited (host, status, channel, language, the
    text's length), whether it was taken or not. Raises SendError with a clear message when it was not."""
    from urllib.parse import urlsplit

    hook = SendingHook.objects.filter(organization=campaign.organization, active=True).first()
    if hook is None:
        raise SendError(_("This organisation has no active sending webhook: a coordinator can set one."))
    if not text.strip():
        raise SendError(_("There is no text to send."))
    host = urlsplit(hook.url).hostname or ""
    body = json.dumps(send_payload(campaign, channel=channel, language=language, text=text)).encode()
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL checked by URLField, set by a coordinator
        hook.url, data=body, method="POST", headers={"Content-Type": "application/json", "User-Agent": "Amparo"}
    )
    status, problem = 0, ""
    try:
        with _webhook_opener().open(request, timeout=SEND_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
        problem = _("The webhook at %(host)s answered %(status)s: the text was not taken.") % {
            "host": host, "status": status,
        }  # fmt: skip
    except TimeoutError:
        problem = _("The webhook at %(host)s did not answer within %(seconds)s seconds.") % {
            "host": host, "seconds": SEND_TIMEOUT_SECONDS,
        }  # fmt: skip
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, InternalAddressError):  # urllib wraps what a connection raises in a URLError
            problem = _(
                "The webhook at %(host)s is inside the server's own network: it was not called. An administrator "
                "can allow that host (CAMPAIGNS_WEBHOOK_INTERNAL_HOSTS)."
            ) % {"host": host}
        elif isinstance(reason, TimeoutError):
            problem = _("The webhook at %(host)s did not answer within %(seconds)s seconds.") % {
                "host": host, "seconds": SEND_TIMEOUT_SECONDS,
            }  # fmt: skip
        else:
            problem = _("The webhook at %(host)s could not be reached.") % {"host": host}
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="campaigns.text.sent" if not problem else "campaigns.text.send_failed",
            obj=campaign,
            organization=campaign.organization,
            detail={"host": host, "status": status, "channel": channel, "language": language, "length": len(text)},
        )
    if problem:
        raise SendError(problem)
    return SendResult(status=status, host=host)
