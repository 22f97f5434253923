"""Campaigns and their materials, short links and their reach (issue 17, parts 1, 2 and 5; docs/campaigns.md).

The community-led monitoring of services (part 3) keeps its models in `feedback_models.py`, and the support between
organisations (part 4) in `bulletin_models.py`; both are imported at the end so Django registers them with this app.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Organization
from amparo.directory.models import Place, ServiceAtLocation
from amparo.pathways.models import Pathway

LANGUAGE_CHOICES = [("es", _("Spanish")), ("en", _("English")), ("pt", _("Portuguese"))]


class Channel(models.TextChoices):
    """How a campaign reaches people: each channel has its materials (materials.py)."""

    CARD = "card", _("Pocket cards")
    POSTER = "poster", _("Posters")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    RADIO = "radio", _("Community radio")


class Group(models.TextChoices):
    """Who a campaign speaks to (the recommendations' groups; several may apply)."""

    SEX_WORKERS = "sex_workers", _("sex workers")
    TRANS_WOMEN = "trans_women", _("trans women")
    MIGRANTS = "migrants", _("migrant women, with or without papers")
    NO_ID = "no_id", _("people without ID documents")


class Material(models.TextChoices):
    """What a short link is printed or sent in: one code per material, so reach is counted per material."""

    CARD = "card", _("pocket card")
    CARD_DISCREET = "card_discreet", _("pocket card (discreet)")
    POSTER = "poster", _("poster")
    POSTER_DISCREET = "poster_discreet", _("poster (discreet)")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


# The materials each channel prints or sends a link in (radio says the lines aloud: it carries no link).
CHANNEL_MATERIALS: dict[str, tuple[str, ...]] = {
    Channel.CARD: (Material.CARD, Material.CARD_DISCREET),
    Channel.POSTER: (Material.POSTER, Material.POSTER_DISCREET),
    Channel.SMS: (Material.SMS,),
    Channel.WHATSAPP: (Material.WHATSAPP,),
    Channel.RADIO: (),
}
MAX_SMS_SEGMENTS = 3


class Campaign(models.Model):
    """A campaign of one member organisation: what it wants, whom it speaks to, when, in which languages and
    channels, and the pathways and services it points to. Its materials are generated from the pathways' content
    each time they are asked for (materials.py): nothing of a pathway is copied here."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(_("name"), max_length=160)
    objective = models.TextField(_("objective"))
    places = models.ManyToManyField(Place, blank=True, related_name="+", verbose_name=_("places"))
    zone_types = models.JSONField(_("zone types"), default=list, blank=True)
    groups = models.JSONField(_("groups"), default=list, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    languages = models.JSONField(_("languages"), default=list)
    channels = models.JSONField(_("channels"), default=list)
    pathways = models.ManyToManyField(Pathway, blank=True, related_name="+", verbose_name=_("pathways"))
    services = models.ManyToManyField(ServiceAtLocation, blank=True, related_name="+", verbose_name=_("services"))
    sms_segments = models.PositiveSmallIntegerField(
        _("SMS budget (segments)"), default=1, help_text=_("How many SMS segments one message may take (1 to 3).")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "name", "pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_period_not_reversed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.languages:
            raise ValidationError({"languages": _("Choose at least one language.")})

    def channel_labels(self) -> list[str]:
        return [str(label) for code, label in Channel.choices if code in self.channels]

    def language_labels(self) -> list[str]:
        return [str(label) for code, label in LANGUAGE_CHOICES if code in self.languages]


class ShortLink(models.Model):
    """/r/<code>: a pathway or a service in one language, printed or sent in one material of one campaign.

    The target is kept twice: as a foreign key while it exists, and as its slug or UUID (`target_key`), so a link
    printed on a card outlives a deleted pathway or service and lands on the pathways list or the finder instead
    (public_views.short_link). A link is never deleted: it may be in someone's wallet.
    """

    class Kind(models.TextChoices):
        PATHWAY = "pathway", _("pathway")
        SERVICE = "service", _("service")

    code = models.CharField(_("code"), max_length=12, unique=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    material = models.CharField(_("material"), max_length=20, choices=Material.choices)
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGE_CHOICES)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    target_key = models.CharField(max_length=60)
    pathway = models.ForeignKey(Pathway, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    service = models.ForeignKey(ServiceAtLocation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The municipality a pathway is resolved for (its nearest services), when the campaign names exactly one.
    place_code = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "kind", "target_key", "language", "material"]
        verbose_name = _("short link")
        verbose_name_plural = _("short links")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "kind", "target_key", "language", "material", "place_code"],
                name="one_short_link_per_target_material",
            )
        ]

    def __str__(self) -> str:
        return f"/r/{self.code}"


class LinkDay(models.Model):
    """Reach: ONE counter per short link per day. It counts visits, not people, and keeps nothing about who:
    no address, no browser, no time finer than the day. Incremented by one atomic UPDATE (services.link_visit)."""

    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["link", "day"]
        constraints = [models.UniqueConstraint(fields=["link", "day"], name="one_counter_per_link_and_day")]

    def __str__(self) -> str:
        return f"{self.link.code} {self.day}: {self.visits}"


class SendingHook(models.Model):
    """An organisation's own outbound webhook (an SMS gateway, RapidPro/TextIt): Amparo hands it the TEXT of a
    message and nothing else, never a list of numbers; the gateway's own contact groups decide who receives it.
    Set by a coordinator of the organisation (services.sending_hook_set); optional."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="sending_hook")
    url = models.URLField(_("webhook address"), max_length=500)
    active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sending webhook")
        verbose_name_plural = _("sending webhooks")

    def __str__(self) -> str:
        return self.url


from .bulletin_models import *  # noqa: E402, F403 - registers the bulletin's and library's models with this app
from .feedback_models import *  # noqa: E402, F403 - registers the community-led monitoring's models with this app
