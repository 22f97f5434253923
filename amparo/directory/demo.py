"""Synthetic directories: the demo (a few hundred realistic services) and large ones for benchmarks.

Everything here is fictional: organisation names carry "(demo)", phone numbers start with +57 000 / +593 000 /
+51 000, which no real line uses, and e-mail addresses use the reserved example.org domain.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone

from amparo.core.registry import DemoRun

from .demo_places import ADMIN1, ADMIN2, COUNTRIES
from .hours import WEEK_COLUMNS, week_masks, week_slots
from .models import (
    PRIORITY_ENTITY_KINDS,
    FocalPoint,
    Location,
    OpeningHours,
    Organization,
    Place,
    Sensitisation,
    Service,
    ServiceAtLocation,
    ServiceType,
)
from .services import (
    WordSummary,
    build_search_text,
    ensure_service_types,
    place_lineages,
    refresh_planner_statistics,
    search_masks,
    summarize_words,
    vocabulary_extend,
)
from .taxonomy import INCLUSION_FACT_CODES, SENSITISATION_TOPIC_CODES

_PHONE_PREFIX = {"CO": "+57 000", "EC": "+593 000", "PE": "+51 000"}


@dataclass(frozen=True)
class Template:
    kind: str
    name: str
    service: str
    types: tuple[str, ...]
    description: str
    facts: dict[str, float]  # probability of each inclusion fact
    hours: str  # "office", "extended", "24h", "weekend"
    where: str  # "all", "urban", "border", "capital"


_T = Template
TEMPLATES: tuple[Template, ...] = (
    _T(
        "health",
        "E.S.E. Hospital {town} (demo)",
        "Urgencias: atención integral a víctimas de violencia sexual",
        ("post-rape-care", "hiv", "sti-care", "sexual-reproductive-health"),
        "Atención de urgencia 24 horas: profilaxis post exposición para VIH, anticoncepción de emergencia, "
        "prevención de ITS y atención en salud mental. No se exige denuncia.",
        {
            "free_of_charge": 1.0,
            "serves_irregular_migrants": 0.9,
            "no_id_required": 0.7,
            "trans_affirming": 0.4,
            "sex_worker_friendly": 0.4,
            "focal_point_on_site": 0.5,
            "wheelchair_accessible": 0.7,
        },
        "24h",
        "all",
    ),
    _T(
        "health",
        "Centro de Salud {town} {n} (demo)",
        "Consulta de salud sexual, pruebas de VIH y vacunación",
        ("hiv", "sti-care", "covid19-vaccination", "sexual-reproductive-health"),
        "Pruebas rápidas de VIH y sífilis, PrEP, condones, vacunación COVID-19 y consulta de salud sexual.",
        {
            "free_of_charge": 0.8,
            "serves_irregular_migrants": 0.6,
            "no_id_required": 0.5,
            "trans_affirming": 0.5,
            "sex_worker_friendly": 0.5,
            "focal_point_on_site": 0.3,
            "wheelchair_accessible": 0.5,
        },
        "extended",
        "all",
    ),
    _T(
        "health",
        "Servicio de Psicología {town} {n} (demo)",
        "Atención psicológica y psicosocial",
        ("mental-health",),
        "Primeros auxilios psicológicos, acompañamiento psicosocial individual y grupos de apoyo para "
        "sobrevivientes de violencia.",
        {
            "free_of_charge": 0.7,
            "serves_irregular_migrants": 0.6,
            "no_id_required": 0.6,
            "trans_affirming": 0.6,
            "sex_worker_friendly": 0.5,
            "focal_point_on_site": 0.4,
            "wheelchair_accessible": 0.4,
        },
        "office",
        "all",
    ),
    _T(
        "prosecutor",
        "Fiscalía, sala de atención al usuario {town} (demo)",
        "Recepción de denuncias por violencia sexual",
        ("criminal-complaint",),
        "Recibe denuncias por delitos sexuales y violencia intrafamiliar. Puedes ir acompañada.",
        {
            "free_of_charge": 1.0,
            "serves_irregular_migrants": 0.8,
            "no_id_required": 0.3,
            "trans_affirming": 0.3,
            "sex_worker_friendly": 0.2,
            "focal_point_on_site": 0.4,
            "wheelchair_accessible": 0.6,
        },
        "office",
        "all",
    ),
    _T(
        "comisaria",
        "Comisaría de Familia {town} {n} (demo)",
        "Medidas de protección y orientación familiar",
        ("protection-measures", "child-protection"),
        "Medidas de protección frente a violencia en el contexto familiar, incluida la pareja o expareja, "
        "y protección de niñas y niños.",
        {
            "free_of_charge": 1.0,
            "serves_irregular_migrants": 0.8,
            "no_id_required": 0.4,
            "trans_affirming": 0.3,
            "sex_worker_friendly": 0.3,
            "focal_point_on_site": 0.4,
            "wheelchair_accessible": 0.5,
        },
        "extended",
        "all",
    ),
    _T(
        "ombudsman",
        "Defensoría del Pueblo, regional {region} (demo)",
        "Asesoría jurídica y defensa de derechos",
        ("ombudsman", "legal-aid", "anti-trafficking"),
        "Orientación en derechos humanos, asignación de representante de víctimas y seguimiento a casos de trata.",
        {
            "free_of_charge": 1.0,
            "serves_irregular_migrants": 0.9,
            "no_id_required": 0.6,
            "trans_affirming": 0.5,
            "sex_worker_friendly": 0.4,
            "focal_point_on_site": 0.5,
            "wheelchair_accessible": 0.6,
        },
        "office",
        "capital",
    ),
    _T(
        "local-government",
        "Personería Municipal de {town} (demo)",
        "Quejas contra funcionarios y apoyo en desalojos",
        ("public-oversight", "eviction-help"),
        "Recibe quejas contra servidores públicos, incluida la policía, y acompaña diligencias de desalojo.",
        {
            "free_of_charge": 1.0,
            "serves_irregular_migrants": 0.7,
            "no_id_required": 0.5,
            "trans_affirming": 0.3,
            "sex_worker_friendly": 0.3,
            "focal_point_on_site": 0.2,
            "wheelchair_accessible": 0.5,
        },
        "office",
        "all",
    ),
    _T(
        "child-welfare",
        "ICBF Centro Zonal {town} (demo)",
        "Protección de niñas, niños y adolescentes",
        ("child-protection",),
        "Restablecimiento de derechos, hogares sustitutos y orientación sobre cuidado de hijas e hijos.",
        {
            "free_of_charge": 1.0,
            "serves_irregular_migrants": 0.9,
            "no_id_required": 0.7,
            "trans_affirming": 0.2,
            "sex_worker_friendly": 0.2,
            "focal_point_on_site": 0.3,
            "wheelchair_accessible": 0.5,
        },
        "office",
        "urban",
    ),
    _T(
        "sex-worker-led",
        "Colectiva de Trabajadoras Sexuales {town} (demo)",
        "Acompañamiento entre pares",
        ("sex-worker-led", "mental-health", "hiv", "legal-aid"),
        "Organización de trabajadoras sexuales cis y trans: acompañamiento a denuncias, orientación legal, "
        "condones y pruebas de VIH, apoyo entre pares.",
        {
            "free_of_charge": 1.0,
            "serves_irregular_migrants": 1.0,
            "no_id_required": 1.0,
            "trans_affirming": 0.95,
            "sex_worker_friendly": 1.0,
            "focal_point_on_site": 0.6,
            "wheelchair_accessible": 0.2,
        },
        "extended",
        "all",
    ),
    _T(
        "ngo",
        "Fundación Mujeres Diversas {town} (demo)",
        "Apoyo psicosocial y jurídico para mujeres trans",
        ("mental-health", "legal-aid", "sex-worker-led"),
        "Atención psicosocial, asesoría jurídica y acompañamiento a mujeres trans y trabajadoras sexuales.",
        {
            "free_of_charge": 1.0,
            "serves_irregular_migrants": 0.9,
            "no_id_required": 0.9,
            "trans_affirming": 1.0,
            "sex_worker_friendly": 0.9,
            "focal_point_on_site": 0.5,
            "wheelchair_accessible": 0.3,
        },
        "office",
        "urban",
    ),
    _T(
        "ngo",
        "Casa Refugio {town} (demo)",
        "Alojamiento temporal seguro para mujeres y sus hijos",
        ("safe-shelter", "mental-health"),
        "Alojamiento temporal, alimentación y acompañamiento para mujeres en riesgo y sus hijas e hijos.",
        {
            "free_of_charge": 1.0,
            "serves_irregular_migrants": 0.7,
            "no_id_required": 0.6,
            "trans_affirming": 0.5,
            "sex_worker_friendly": 0.5,
            "focal_point_on_site": 0.5,
            "wheelchair_accessible": 0.3,
        },
        "24h",
        "capital",
    ),
    _T(
        "international",
        "Punto de Atención al Migrante {town} (demo)",
        "Orientación migratoria y regularización",
        ("migration", "legal-aid", "anti-trafficking"),
        "Orientación para el Permiso por Protección Temporal, documentos, rutas contra la trata y remisión a "
        "servicios de salud.",
        {
            "free_of_charge": 1.0,
            "serves_irregular_migrants": 1.0,
            "no_id_required": 0.9,
            "trans_affirming": 0.6,
            "sex_worker_friendly": 0.6,
            "focal_point_on_site": 0.5,
            "wheelchair_accessible": 0.4,
        },
        "office",
        "border",
    ),
    _T(
        "ngo",
        "Consultorio Jurídico Universidad {town} (demo)",
        "Asesoría jurídica gratuita",
        ("legal-aid", "eviction-help"),
        "Estudiantes de derecho supervisados asesoran gratis en desalojos, custodia, alimentos y denuncias.",
        {
            "free_of_charge": 1.0,
            "serves_irregular_migrants": 0.7,
            "no_id_required": 0.5,
            "trans_affirming": 0.5,
            "sex_worker_friendly": 0.4,
            "focal_point_on_site": 0.2,
            "wheelchair_accessible": 0.6,
        },
        "office",
        "urban",
    ),
)

_STREETS = ("Calle", "Carrera", "Avenida", "Diagonal", "Transversal")


def places_load() -> dict[str, Place]:
    """Create or update the demo places; returns them by P-code."""
    places: dict[str, Place] = {}
    tz_by_country = {}
    for pcode, name, _parent, _zone, lat, lon, tz in COUNTRIES:
        places[pcode] = Place.objects.update_or_create(
            pcode=pcode,
            defaults={
                "name": name,
                "level": 0,
                "latitude": lat,
                "longitude": lon,
                "timezone": tz,
                "parent": None,
            },
        )[0]
        tz_by_country[pcode] = tz
    for pcode, name, parent, lat, lon in ADMIN1:
        places[pcode] = Place.objects.update_or_create(
            pcode=pcode,
            defaults={
                "name": name,
                "level": 1,
                "parent": places[parent],
                "latitude": lat,
                "longitude": lon,
                "timezone": tz_by_country[parent],
            },
        )[0]
    for pcode, name, parent, zone, lat, lon in ADMIN2:
        country = places[parent].parent
        assert country is not None
        places[pcode] = Place.objects.update_or_create(
            pcode=pcode,
            defaults={
                "name": name,
                "level": 2,
                "parent": places[parent],
                "zone": zone,
                "latitude": lat,
                "longitude": lon,
                "timezone": tz_by_country[country.pcode],
            },
        )[0]
    return places


def _applies(template: Template, place: Place, capitals: set[str]) -> bool:
    return (
        template.where == "all"
        or (template.where == "urban" and place.zone in {"urban", "border"})
        or (template.where == "border" and place.zone == "border")
        or (template.where == "capital" and place.pcode in capitals)
    )


def _hours(kind: str) -> list[tuple[int, time, time]]:
    if kind == "24h":
        return []
    weekdays = range(1, 6)
    if kind == "office":
        return [(d, time(8), time(17)) for d in weekdays]
    return [(d, time(7), time(19)) for d in weekdays] + [(6, time(8), time(13))]


class _Builder:
    """Accumulates rows and writes them with bulk_create in batches (fast enough for 100,000 services)."""

    def __init__(self, rng: random.Random, today: date, stale_share: float, batch: int = 5000) -> None:
        self.rng, self.today, self.stale_share, self.batch = rng, today, stale_share, batch
        self.types = {t.code: t for t in ServiceType.objects.all()}
        self.pending: list[tuple[Service, Location, Template]] = []
        self.summaries: dict[str, WordSummary] = {}
        self.count = 0

    def add(self, template: Template, place: Place, region: Place, n: int, jitter: float) -> None:
        rng = self.rng
        name_vars = {"town": place.name, "region": region.name, "n": n}
        org = Organization(
            name=template.name.format(**name_vars),
            kind=template.kind,
            email=f"contacto{n}@example.org",
            description=template.description,
        )
        lat = place.latitude + rng.uniform(-jitter, jitter)
        lon = place.longitude + rng.uniform(-jitter, jitter)
        location = Location(
            organization=org,
            name=org.name,
            place=place,
            latitude=lat,
            longitude=lon,
            address=f"{rng.choice(_STREETS)} {rng.randint(1, 120)} # {rng.randint(1, 99)}-{rng.randint(1, 99)}",
        )
        fresh = rng.random() >= self.stale_share
        verified = self.today - timedelta(days=rng.randint(1, 80) if fresh else rng.randint(100, 500))
        facts = {code: rng.random() < template.facts.get(code, 0.0) for code in INCLUSION_FACT_CODES}
        country = place.parent.parent.pcode if place.parent and place.parent.parent else "CO"
        service = Service(
            organization=org,
            name=template.service,
            description=template.description,
            languages=["es"] + (["en"] if rng.random() < 0.2 else []) + (["pt"] if rng.random() < 0.05 else []),
            cost="" if facts["free_of_charge"] else "Cuota de recuperación según el caso",
            phone=f"{_PHONE_PREFIX.get(country, '+57 000')} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            whatsapp=f"{_PHONE_PREFIX.get(country, '+57 000')} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            if rng.random() < 0.5
            else "",
            walk_in=rng.random() < 0.6,
            last_verified_on=verified,
            facts_verified_on={code: verified.isoformat() for code in INCLUSION_FACT_CODES},
            **facts,
        )
        self.pending.append((service, location, template))
        if len(self.pending) >= self.batch:
            self.flush()

    @transaction.atomic
    def flush(self) -> None:
        if not self.pending:
            return
        orgs = Organization.objects.bulk_create([s.organization for s, _l, _t in self.pending])
        for (service, location, _t), org in zip(self.pending, orgs, strict=True):
            service.organization = org
            location.organization = org
        places = {
            p.pk: p
            for p in Place.objects.filter(pk__in={loc.place_id for _s, loc, _t in self.pending}).select_related(
                "parent"
            )
        }
        for service, location, template in self.pending:
            place = places[location.place_id]
            service.search_text = build_search_text(
                service, template.types, [place.name, place.parent.name if place.parent else ""]
            )
        locations = Location.objects.bulk_create([loc for _s, loc, _t in self.pending])
        services = Service.objects.bulk_create([s for s, _l, _t in self.pending])
        sals = []
        for service, location in zip(services, locations, strict=True):
            sals.append(
                ServiceAtLocation(
                    service=service,
                    location=location,
                    place_id=location.place_id,
                    latitude=location.latitude,
                    longitude=location.longitude,
                )
            )
        lineages = place_lineages()
        for sal, (service, _l, template) in zip(sals, self.pending, strict=True):
            sal.open_24h = template.hours == "24h"
            sal.active, sal.type_mask, sal.fact_mask = search_masks(service, template.types)
            sal.admin1_id, sal.country_id = lineages[sal.place_id]
            week = week_masks(week_slots(_hours(template.hours), open_24h=sal.open_24h))
            for column, mask in zip(WEEK_COLUMNS, week, strict=True):
                setattr(sal, column, mask)
            summarize_words(self.summaries, service.search_text, [(sal.type_mask, sal.fact_mask, sal.open_24h)])
        sals = ServiceAtLocation.objects.bulk_create(sals)
        through = Service.types.through
        links, hours = [], []
        for sal, service, (_s, _l, template) in zip(sals, services, self.pending, strict=True):
            links += [through(service_id=service.pk, servicetype_id=code) for code in template.types]
            hours += [
                OpeningHours(service_at_location=sal, weekday=d, opens_at=o, closes_at=c)
                for d, o, c in _hours(template.hours)
            ]
        through.objects.bulk_create(links)
        OpeningHours.objects.bulk_create(hours)
        self.count += len(self.pending)
        self.pending = []

    def finish(self) -> int:
        self.flush()
        vocabulary_extend(self.summaries)
        refresh_planner_statistics()
        return self.count


def build_directory(*, services: int | None = None, seed: int = 7, stale_share: float = 0.25) -> int:
    """The demo directory (services=None: one of each fitting template per municipality, plus extra
    health, psychosocial and community services in cities) or a synthetic one of about `services` rows."""
    ensure_service_types()
    places = places_load()
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    builder = _Builder(rng, timezone.localdate(), stale_share)
    municipalities = [p for p in places.values() if p.level == Place.Level.ADMIN2]
    capitals = {
        "CO54001",
        "CO44001",
        "CO81001",
        "CO52356",
        "CO11001",
        "CO05001",
        "CO76001",
        "EC0401",
        "EC1701",
        "PE2401",
        "PE1501",
        "CO86568",
    }
    if services is None:
        n = 0
        for place in municipalities:
            region = place.parent
            assert region is not None
            copies = 4 if place.zone == "urban" else 2 if place.zone == "border" else 1
            for template in TEMPLATES:
                if not _applies(template, place, capitals):
                    continue
                repeat = (
                    copies
                    if template.where in {"all", "urban"}
                    and template.kind in {"health", "sex-worker-led", "ngo", "comisaria"}
                    else 1
                )
                for _ in range(repeat):
                    n += 1
                    builder.add(template, place, region, n, jitter=0.06 if place.zone == "urban" else 0.03)
        count = builder.finish()
        focal_points_load(seed=seed)
        return count
    for n in range(1, services + 1):
        place = rng.choice(municipalities)
        region = place.parent
        assert region is not None
        template = rng.choice(TEMPLATES)
        builder.add(template, place, region, n, jitter=0.6)
    return builder.finish()


# --- Focal points (demo only; the synthetic benchmark directories have none) ----------------------------------

DEMO_MEMBER_ORGANIZATIONS = (
    ("Red Comunitaria Trans del Nororiente (demo)", "sex-worker-led"),
    ("Fundación Camino Seguro (demo)", "ngo"),
)
_FP_FIRST = ("Ana", "Luz", "Marta", "Carolina", "Diana", "Paola", "Sofía", "Camila", "Andrea", "Julián", "Andrés")
_FP_LAST = ("Ejemplo", "Ficticia", "Muestra", "Prueba", "Modelo")
_FP_TITLES = {
    "health": ("Enfermera jefe de urgencias", "Médica de urgencias", "Trabajadora social", "Psicóloga"),
    "prosecutor": ("Técnica investigadora", "Asistente de fiscal", "Profesional de atención a víctimas"),
    "comisaria": ("Comisaria de Familia", "Psicóloga de la Comisaría", "Trabajador social"),
    "ombudsman": ("Defensora comunitaria", "Profesional de atención a víctimas"),
    "child-welfare": ("Defensora de familia", "Trabajadora social"),
    "police": ("Patrullera de la Policía de Infancia y Adolescencia",),
}
_FP_AVAILABILITY = (
    "Lunes a viernes, 8:00–12:00",
    "Lunes a viernes, 14:00–18:00",
    "Turno de noche (19:00–7:00), martes a sábado",
    "Lunes, miércoles y viernes, todo el día",
    "Todos los días, turno de mañana",
)
SENSITISATION_VALID_DAYS = 730


@transaction.atomic
def focal_points_load(*, seed: int = 7, share: float = 0.6, expired_share: float = 0.25) -> int:
    """Fictional focal points for part of the priority entities of the demo directory: some with expired training
    (so the gaps page and the public pages show both cases), some who did not agree to publish their name, phone
    or e-mail. Written in bulk."""
    from amparo.accounts.models import Organization as MemberOrganization

    rng = random.Random(seed * 31 + 1)  # noqa: S311 - synthetic data, not security
    today = timezone.localdate()
    managers = [
        MemberOrganization.objects.get_or_create(name=name, defaults={"kind": kind})[0]
        for name, kind in DEMO_MEMBER_ORGANIZATIONS
    ]
    entities = list(
        Organization.objects.filter(kind__in=PRIORITY_ENTITY_KINDS, focal_points__isnull=True)
        .prefetch_related("services", "locations__place__parent__parent")
        .order_by("pk")
    )
    focal_points: list[FocalPoint] = []
    plans: list[tuple[list[Service], bool]] = []
    for n, entity in enumerate(entities, start=1):
        if rng.random() >= share:
            continue
        services = list(entity.services.all())
        location = next(iter(entity.locations.all()), None)
        region = location.place.parent if location is not None else None
        country = region.parent.pcode if region is not None and region.parent is not None else "CO"
        phone = f"{_PHONE_PREFIX.get(country, '+57 000')} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        has_whatsapp = rng.random() < 0.5
        focal_points.append(
            FocalPoint(
                entity=entity,
                display_name=f"{rng.choice(_FP_FIRST)} {rng.choice(_FP_LAST)} (demo)",
                publish_name=rng.random() < 0.7,
                job_title=rng.choice(_FP_TITLES.get(entity.kind, ("Punto focal",))),
                availability=rng.choice(_FP_AVAILABILITY),
                languages=["es"] + (["en"] if rng.random() < 0.15 else []) + (["pt"] if rng.random() < 0.05 else []),
                phone=phone,
                phone_public=rng.random() < 0.6,
                whatsapp=phone if has_whatsapp else "",
                whatsapp_public=has_whatsapp and rng.random() < 0.6,
                email=f"punto.focal{n}@example.org",
                email_public=rng.random() < 0.5,
                managed_by=rng.choice(managers),
                grant=FocalPoint.Grant.APPROVED,  # demo: approved by the entities (in real use, they approve)
            )
        )
        plans.append((services, rng.random() < expired_share))
    focal_points = FocalPoint.objects.bulk_create(focal_points)
    through = FocalPoint.services.through
    links, trainings = [], []
    for focal_point, (services, expired) in zip(focal_points, plans, strict=True):
        links += [through(focalpoint_id=focal_point.pk, service_id=s.pk) for s in services]
        trained = today - timedelta(days=rng.randint(800, 1400) if expired else rng.randint(20, 600))
        topics = ["survivor-centred-gbv", *rng.sample(SENSITISATION_TOPIC_CODES[1:], rng.randint(2, 5))]
        manager = focal_point.managed_by
        trainings.append(
            Sensitisation(
                focal_point=focal_point,
                trained_on=trained,
                expires_on=trained + timedelta(days=SENSITISATION_VALID_DAYS),
                topics=[code for code in SENSITISATION_TOPIC_CODES if code in topics],
                trainer_name="Equipo de formación (demo)",
                trainer_organization=manager.name if manager else "",
            )
        )
    through.objects.bulk_create(links)
    Sensitisation.objects.bulk_create(trainings)
    return len(focal_points)


@transaction.atomic
def focal_points_link_demo_staff() -> None:
    """After the demo staff accounts exist: the Cúcuta-area network (Red Violeta) manages the demo focal points of
    Norte de Santander and keeps the region's community organisations in the directory, and the demo focal point
    account gets its own record at the Cúcuta hospital, so that its "services to verify" page and the coordinator's
    admin have something to show. Idempotent."""
    from amparo.accounts.models import Membership
    from amparo.accounts.models import Organization as MemberOrganization
    from amparo.accounts.roles import Role

    network = MemberOrganization.objects.filter(name="Red Violeta (demo)").first()
    if network is not None:
        # The network keeps the entries of the community organisations of its region up to date (the admin shows
        # a coordinator only the entries her organisation keeps).
        Organization.objects.filter(
            locations__place__parent__pcode="CO54",
            kind__in=[Organization.Kind.NGO, Organization.Kind.SEX_WORKER_LED],
            managed_by__isnull=True,
        ).update(managed_by=network)
        FocalPoint.objects.filter(
            entity__locations__place__parent__pcode="CO54",
            managed_by__name__in=[n for n, _k in DEMO_MEMBER_ORGANIZATIONS],
        ).update(managed_by=network)
    membership = (
        Membership.objects.filter(user__email="punto.focal@demo.example.org", role=Role.FOCAL_POINT, active=True)
        .select_related("user", "organization")
        .first()
    )
    hospital = Organization.objects.filter(name="E.S.E. Hospital Cúcuta (demo)").first()
    if membership is None or hospital is None or FocalPoint.objects.filter(user=membership.user).exists():
        return
    today = timezone.localdate()
    focal_point = FocalPoint.objects.create(
        entity=hospital,
        display_name="Punto Focal Demo",
        publish_name=True,
        job_title="Trabajadora social de urgencias",
        availability="Lunes a viernes, 7:00–15:00",
        languages=["es"],
        phone="+57 000 555 0101",
        phone_public=True,
        email="punto.focal@demo.example.org",
        email_public=False,
        user=membership.user,
        managed_by=membership.organization,
        grant=FocalPoint.Grant.APPROVED,
    )
    focal_point.services.set(hospital.services.all())
    Sensitisation.objects.create(
        focal_point=focal_point,
        trained_on=today - timedelta(days=60),
        expires_on=today - timedelta(days=60) + timedelta(days=SENSITISATION_VALID_DAYS),
        topics=list(SENSITISATION_TOPIC_CODES),
        trainer_name="Equipo de formación (demo)",
        trainer_organization=network.name if network else "",
    )


def load_demo_directory(run: DemoRun) -> None:
    """load_demo's first step: the demo directory, unless one is there already (--reset deletes it first)."""
    if run.reset:
        Organization.objects.all().delete()
    if Service.objects.exists():
        run.say("The directory already has services; leaving it as it is (use --reset to rebuild).")
    else:
        count = build_directory()
        run.say(f"Demo directory: {count} services, {FocalPoint.objects.count()} focal points.")


def load_demo_focal_point_links(run: DemoRun) -> None:
    """load_demo's step after the demo accounts exist (focal_points_link_demo_staff)."""
    focal_points_link_demo_staff()
