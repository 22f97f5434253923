"""The directory: places, organisations, their locations and services, with inclusion facts and opening hours.

The shapes follow Open Referral HSDS 3.0 (organization, service, location, service_at_location, schedule) so that
the HSDS API and import/export are straight mappings. Every HSDS-facing entity has a stable UUID besides its
integer primary key.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.vocab import OrganizationKind

from .taxonomy import INCLUSION_FACT_CODES, SENSITISATION_TOPIC_CODES, SERVICE_TYPE_BY_CODE, SERVICE_TYPE_CHOICES


class Place(models.Model):
    """A country, first-level (admin1) or second-level (admin2: municipality) division, with its OCHA P-code."""

    class Level(models.IntegerChoices):
        COUNTRY = 0, _("Country")
        ADMIN1 = 1, _("Department / province")
        ADMIN2 = 2, _("Municipality")

    class Zone(models.TextChoices):
        BORDER = "border", _("Border")
        URBAN = "urban", _("Urban")
        RURAL = "rural", _("Rural")

    pcode = models.CharField(_("P-code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    zone = models.CharField(_("zone type"), max_length=8, choices=Zone.choices, blank=True)
    latitude = models.FloatField(_("centroid latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("centroid longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    timezone = models.CharField(_("time zone"), max_length=64, default="America/Bogota")
    search_name = models.CharField(max_length=200, editable=False, db_index=True)

    class Meta:
        ordering = ["level", "name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")

    def __str__(self) -> str:
        if self.parent is not None and self.level == self.Level.ADMIN2:
            return f"{self.name} ({self.parent.name})"
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        from .text import normalize

        self.search_name = normalize(self.name)
        super().save(*args, **kwargs)

    def lineage(self) -> tuple[int | None, int | None]:
        """The ids of this place's department and country: itself or its nearest ancestor at each level."""
        admin1_id = country_id = None
        place: Place | None = self
        for _depth in range(4):  # a municipality is two levels below its country
            if place is None:
                break
            if place.level == self.Level.ADMIN1 and admin1_id is None:
                admin1_id = place.pk
            elif place.level == self.Level.COUNTRY and country_id is None:
                country_id = place.pk
            place = place.parent
        return admin1_id, country_id


class Organization(models.Model):
    Kind = OrganizationKind  # shared with the member organisations (amparo.vocab)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.NGO)
    description = models.TextField(_("description"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    managed_by = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="directory_entries",
        verbose_name=_("kept up to date by"),
        help_text=_(
            "The member organisation whose coordinators edit this entry, its locations and services. Empty: only "
            "platform administrators (and the coordinators of a member organisation linked to this entry)."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def is_priority_entity(self) -> bool:
        return self.kind in PRIORITY_ENTITY_KINDS


# Entities where a sensitised focal point matters most: where survivors are most often turned away or re-victimised.
PRIORITY_ENTITY_KINDS = frozenset(
    {
        Organization.Kind.HEALTH,
        Organization.Kind.PROSECUTOR,
        Organization.Kind.COMISARIA,
        Organization.Kind.OMBUDSMAN,
        Organization.Kind.CHILD_WELFARE,
        Organization.Kind.POLICE,
    }
)


class Location(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=250, blank=True)
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        related_name="locations",
        limit_choices_to={"level": Place.Level.ADMIN2},
        verbose_name=_("municipality"),
    )
    latitude = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    transportation = models.CharField(_("how to get there"), max_length=250, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self) -> str:
        return f"{self.name}, {self.place.name}"


class ServiceType(models.Model):
    """One row per taxonomy code, so services can be filtered by need with an index; names come from code."""

    code = models.CharField(max_length=40, primary_key=True, choices=SERVICE_TYPE_CHOICES)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")

    def __str__(self) -> str:
        return str(self.name)

    @property
    def name(self) -> str:
        info = SERVICE_TYPE_BY_CODE.get(self.code)
        return str(info.name) if info else self.code


class Service(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    types = models.ManyToManyField(ServiceType, related_name="services", verbose_name=_("service types"))

    # Inclusion facts (docs/taxonomy.md); each has its own last-verified date in facts_verified_on.
    no_id_required = models.BooleanField(_("no ID document required"), default=False)
    serves_irregular_migrants = models.BooleanField(_("serves people in irregular status"), default=False)
    trans_affirming = models.BooleanField(_("trans-affirming"), default=False)
    sex_worker_friendly = models.BooleanField(_("sex-worker-friendly"), default=False)
    free_of_charge = models.BooleanField(_("free of charge"), default=False)
    focal_point_on_site = models.BooleanField(_("focal point on site"), default=False)
    wheelchair_accessible = models.BooleanField(_("wheelchair accessible"), default=False)
    facts_verified_on = models.JSONField(_("facts verified on"), default=dict, blank=True)

    languages = models.JSONField(_("languages (ISO 639-1 codes)"), default=list, blank=True)
    cost = models.TextField(_("cost"), blank=True)
    eligibility = models.TextField(_("eligibility"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    whatsapp = models.CharField(_("WhatsApp"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    url = models.URLField(_("web page"), blank=True)
    walk_in = models.BooleanField(_("walk-in without appointment"), default=False)
    last_verified_on = models.DateField(_("last verified on"), null=True, blank=True)

    search_text = models.TextField(editable=False, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        indexes = [models.Index(fields=["status", "last_verified_on"])]

    def __str__(self) -> str:
        return self.name

    def facts(self) -> dict[str, bool]:
        return {code: getattr(self, code) for code in INCLUSION_FACT_CODES}

    def fact_verified_on(self, code: str) -> date | None:
        raw = (self.facts_verified_on or {}).get(code)
        return date.fromisoformat(raw) if raw else None

    @property
    def is_stale(self) -> bool:
        if self.last_verified_on is None:
            return True
        return (timezone.localdate() - self.last_verified_on).days > settings.STALE_AFTER_DAYS


class ServiceAtLocation(models.Model):
    """A service offered at a location: the unit people search for.

    latitude, longitude and place (with its department and country) are copied from the location, active/type_mask/
    fact_mask from the service and the week bits from the opening hours (directory.services keeps them in step), so
    that a search reads one narrow, indexed table instead of joining.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="service_at_locations")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", editable=False)
    # The department and country of `place` (its ancestors at those levels), for searches within them.
    admin1 = models.ForeignKey(Place, null=True, on_delete=models.PROTECT, related_name="+", editable=False)
    country = models.ForeignKey(Place, null=True, on_delete=models.PROTECT, related_name="+", editable=False)
    latitude = models.FloatField(editable=False)
    longitude = models.FloatField(editable=False)
    open_24h = models.BooleanField(_("open 24 hours"), default=False)
    # Search masks, copied from the service by directory.services (see docs/search.md): whether it is active,
    # its service types and its inclusion facts as bits, so a search filters one table without joins.
    active = models.BooleanField(default=True, editable=False)
    type_mask = models.BigIntegerField(default=0, editable=False)
    fact_mask = models.IntegerField(default=0, editable=False)
    # The week in 15-minute slots, in the municipality's local time, built from the opening hours by
    # directory.services.week_refresh: one integer per half-day (Monday 00:00-12:00 first), whose bit i is set
    # when the place is open for the whole quarter-hour starting i * 15 minutes into that half-day. "Open now"
    # tests one bit (hours.WEEK_COLUMNS, hours.week_bit).
    week_mon_am = models.BigIntegerField(default=0, editable=False)
    week_mon_pm = models.BigIntegerField(default=0, editable=False)
    week_tue_am = models.BigIntegerField(default=0, editable=False)
    week_tue_pm = models.BigIntegerField(default=0, editable=False)
    week_wed_am = models.BigIntegerField(default=0, editable=False)
    week_wed_pm = models.BigIntegerField(default=0, editable=False)
    week_thu_am = models.BigIntegerField(default=0, editable=False)
    week_thu_pm = models.BigIntegerField(default=0, editable=False)
    week_fri_am = models.BigIntegerField(default=0, editable=False)
    week_fri_pm = models.BigIntegerField(default=0, editable=False)
    week_sat_am = models.BigIntegerField(default=0, editable=False)
    week_sat_pm = models.BigIntegerField(default=0, editable=False)
    week_sun_am = models.BigIntegerField(default=0, editable=False)
    week_sun_pm = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("service at location")
        verbose_name_plural = _("services at locations")
        constraints = [models.UniqueConstraint(fields=["service", "location"], name="unique_service_location")]
        indexes = [models.Index(fields=["latitude", "longitude"]), models.Index(fields=["place", "service"])]

    def __str__(self) -> str:
        return f"{self.service.name} @ {self.location.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        place = self.location.place
        self.place_id = place.pk
        self.admin1_id, self.country_id = place.lineage()
        self.latitude = self.location.latitude
        self.longitude = self.location.longitude
        super().save(*args, **kwargs)


class OpeningHours(models.Model):
    """Weekly opening hours of a service at a location (HSDS schedule with freq=WEEKLY).

    closes_at earlier than opens_at means the period runs past midnight into the next day.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 1, _("Monday")
        TUESDAY = 2, _("Tuesday")
        WEDNESDAY = 3, _("Wednesday")
        THURSDAY = 4, _("Thursday")
        FRIDAY = 5, _("Friday")
        SATURDAY = 6, _("Saturday")
        SUNDAY = 7, _("Sunday")

    service_at_location = models.ForeignKey(ServiceAtLocation, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["weekday", "opens_at"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        indexes = [models.Index(fields=["weekday", "opens_at", "closes_at"])]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class SearchTerm(models.Model):
    """The vocabulary of the directory's search text, used to correct small typos in queries.

    Each word also sums up the service-at-location rows whose search text contains it: the union of their service
    types, of their inclusion facts, and whether any is open 24 hours. A row can only match a word if its own types
    and facts are among those, so a search drops the other rows with a bit test before any full-text work
    (docs/search.md, "Word summaries"). services.vocabulary_extend only ever adds to them: a summary may be wider
    than the rows now need, never narrower.
    """

    word = models.CharField(max_length=64, unique=True)
    type_masks = models.BigIntegerField(default=0)
    fact_masks = models.IntegerField(default=0)
    any_open_24h = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.word


class FocalPointQuerySet(models.QuerySet["FocalPoint"]):
    def currently_sensitised(self, today: date | None = None) -> FocalPointQuerySet:
        """Active focal points with a sensitisation that has taken place and has not expired (expires_on >= today)."""
        today = today or timezone.localdate()
        valid = Sensitisation.objects.filter(focal_point=OuterRef("pk"), trained_on__lte=today, expires_on__gte=today)
        return self.granted().filter(Exists(valid), active=True)

    def granted(self) -> FocalPointQuerySet:
        """Focal points the entity approved (or registered itself): only these are shown, receive referrals or
        verify services. A grant requested by another organisation gives nothing until approved."""
        return self.filter(grant=FocalPoint.Grant.APPROVED)


class FocalPoint(models.Model):
    """A person in an entity (hospital, Fiscalía, Comisaría, Defensoría...) sensitised to receive sex workers and
    trans women without discrimination.

    Staff contact data, not survivor data: kept in clear, but each public channel (and the name) is shown on public
    pages only with its own "agreed to publish" flag. The public pages and the APIs never read the fields directly:
    `directory.selectors.attach_public_focal_points` gives them `PublicFocalPoint` values holding only what may be
    shown.

    A focal point registered by an organisation other than the entity's own is a *grant request*: it shows nothing,
    receives no referral and verifies nothing until a coordinator of the entity's own member organisation (or a
    platform administrator) approves it (`grant`). Changing the entity, the services or the account asks again.
    """

    class Grant(models.TextChoices):
        PENDING = "pending", _("Waiting for the entity's approval")
        APPROVED = "approved", _("Approved by the entity")
        DECLINED = "declined", _("Declined by the entity")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entity = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="focal_points", verbose_name=_("entity")
    )
    services = models.ManyToManyField(
        Service,
        blank=True,
        related_name="focal_points",
        verbose_name=_("services covered"),
        help_text=_("Services of the entity that this person attends or can receive people in."),
    )
    display_name = models.CharField(_("name"), max_length=150)
    publish_name = models.BooleanField(_("agreed to publish the name"), default=False)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    availability = models.CharField(
        _("availability"), max_length=250, blank=True, help_text=_("Days, hours or shifts when this person is there.")
    )
    languages = models.JSONField(_("languages (ISO 639-1 codes)"), default=list, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_public = models.BooleanField(_("agreed to publish the phone"), default=False)
    whatsapp = models.CharField(_("WhatsApp"), max_length=40, blank=True)
    whatsapp_public = models.BooleanField(_("agreed to publish the WhatsApp number"), default=False)
    email = models.EmailField(_("email"), blank=True)
    email_public = models.BooleanField(_("agreed to publish the e-mail address"), default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="focal_points",
        verbose_name=_("staff account"),
        help_text=_("A staff account with the focal point role in the managing organisation, to verify services."),
    )
    managed_by = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="focal_points",
        verbose_name=_("managed by"),
        help_text=_("The member organisation that registered and trained this focal point."),
    )
    active = models.BooleanField(_("active"), default=True)
    grant = models.CharField(
        _("approval by the entity"), max_length=10, choices=Grant.choices, default=Grant.PENDING, editable=False
    )
    grant_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    grant_decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FocalPointQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("focal point")
        verbose_name_plural = _("focal points")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.entity})"

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.languages, list) or not all(isinstance(c, str) for c in self.languages):
            raise ValidationError({"languages": _("Give a list of ISO 639-1 language codes, such as es or en.")})
        for field in ("phone", "whatsapp", "email"):
            if getattr(self, f"{field}_public") and not getattr(self, field):
                raise ValidationError({field: _("Agreed to publish, but empty.")})


class Sensitisation(models.Model):
    """A training a focal point received. The focal point is "currently sensitised" while one has not expired."""

    focal_point = models.ForeignKey(FocalPoint, on_delete=models.CASCADE, related_name="sensitisations")
    trained_on = models.DateField(_("trained on"))
    topics = models.JSONField(_("topics"), default=list, blank=True)
    trainer_name = models.CharField(_("trainer"), max_length=150, blank=True)
    trainer_organization = models.CharField(_("trainer's organisation"), max_length=200, blank=True)
    expires_on = models.DateField(_("valid until"))

    class Meta:
        ordering = ["-trained_on"]
        verbose_name = _("sensitisation")
        verbose_name_plural = _("sensitisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gte=models.F("trained_on")), name="sensitisation_expires_after_training"
            )
        ]
        indexes = [models.Index(fields=["focal_point", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.focal_point.display_name}: {self.trained_on:%Y-%m-%d} → {self.expires_on:%Y-%m-%d}"

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.topics, list) or set(self.topics) - set(SENSITISATION_TOPIC_CODES):
            raise ValidationError({"topics": _("Choose topics from the published list.")})
        if self.trained_on and self.expires_on and self.expires_on < self.trained_on:
            raise ValidationError({"expires_on": _("The training cannot expire before it took place.")})

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.trained_on <= today <= self.expires_on
