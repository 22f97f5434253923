"""Where a complaint against a state agent can go in Colombia: the entities that do NOT answer to the aggressor's
institution. Facts from shared/reference/colombia-pathways-facts.md (section 2, "Aggressor is police, military or
an official"; helplines). Written in our own words; a fact marked UNCONFIRMED there is shown here only as something
to confirm with the entity (`confirm`), never as certain (DESIGN.md, Reference facts).

Reviewed against the facts sheet: see LEGAL_FACTS_REVIEWED. Laws change: review with the pathways.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from amparo.vocab import OrganizationKind

from .vocab import PerpetratorType

LEGAL_FACTS_REVIEWED = "2026-02"


@dataclass(frozen=True)
class Entity:
    code: str
    name: object  # lazy translation
    does: object  # what it does for this complaint, with its legal basis
    service_types: tuple[str, ...]  # directory service types through which it is found near the case
    confirm: object = ""  # an UNCONFIRMED point, said as "confirm with the entity"
    kinds: frozenset[str] = frozenset()  # directory organisation kinds it is listed as (empty: any)
    not_kinds: frozenset[str] = frozenset()  # ... and kinds it is not


FISCALIA = Entity(
    "fiscalia",
    _("Fiscalía General de la Nación (prosecutor's office)"),
    _(
        "Investigates the crime; only the Fiscalía investigates. The criminal case goes to the ordinary courts: "
        "civilians are never tried by military courts (Ley 1407 de 2010, art. 5), and torture, crimes against "
        "humanity and conduct openly contrary to the constitutional function are never service-related (art. 3). "
        "Complaints by phone: 122."
    ),
    ("criminal-complaint",),
    _("Whether that law names sexual violence expressly is not confirmed: confirm with the Fiscalía."),
)
PROCURADURIA = Entity(
    "procuraduria",
    _("Procuraduría General de la Nación"),
    _("Disciplinary case against the official, separate from the criminal case."),
    ("public-oversight",),
    not_kinds=frozenset({OrganizationKind.LOCAL_GOVERNMENT}),
)
PERSONERIA = Entity(
    "personeria",
    _("Personería Municipal"),
    _("Receives complaints and oversees municipal officials (Ley 136 de 1994, art. 178)."),
    ("public-oversight",),
    kinds=frozenset({OrganizationKind.LOCAL_GOVERNMENT}),
)
DEFENSORIA = Entity(
    "defensoria",
    _("Defensoría del Pueblo (Ombudsman)"),
    _("Protects human rights (Constitution, art. 282); gives free advice and can assign a victims' lawyer."),
    ("ombudsman",),
)


@dataclass(frozen=True)
class Pathway:
    """For one kind of state agent: where to go, warnings about the aggressor's own institution, open questions."""

    perpetrator: str
    entities: tuple[Entity, ...]
    notes: tuple[object, ...] = ()  # confirmed facts worth saying
    confirm: tuple[object, ...] = ()  # UNCONFIRMED points: "confirm with …"
    # Directory organisation kinds that belong to the aggressor's institution: never suggested.
    excluded_kinds: frozenset[str] = field(default_factory=frozenset)

    @property
    def perpetrator_label(self) -> str:
        return str(PerpetratorType(self.perpetrator).label)


ALL_FOUR = (FISCALIA, PROCURADURIA, DEFENSORIA, PERSONERIA)

PATHWAYS: dict[str, Pathway] = {
    PerpetratorType.POLICE: Pathway(
        PerpetratorType.POLICE,
        ALL_FOUR,
        notes=(
            _(
                "Police stations and SIJIN receive complaints, but they belong to the aggressor's institution: "
                "file with the Fiscalía instead."
            ),
            _("Line 155 is answered by agents of the Policía Nacional: for this complaint, prefer 122 (Fiscalía)."),
            _("The Procuraduría has preferential disciplinary power over the police (Ley 2196 de 2022, art. 2)."),
        ),
        excluded_kinds=frozenset({OrganizationKind.POLICE}),
    ),
    PerpetratorType.MILITARY: Pathway(
        PerpetratorType.MILITARY,
        ALL_FOUR,
        notes=(
            _(
                "Military courts never try civilians (Ley 1407 de 2010, art. 5): the criminal case belongs to the "
                "Fiscalía and the ordinary courts, not to the military."
            ),
        ),
    ),
    PerpetratorType.MIGRATION_OFFICIAL: Pathway(
        PerpetratorType.MIGRATION_OFFICIAL,
        ALL_FOUR,
        confirm=(
            _(
                "A specific complaint channel for Migración Colombia staff is not confirmed: confirm it with the "
                "Defensoría or the Procuraduría."
            ),
        ),
    ),
    PerpetratorType.OTHER_STATE_AGENT: Pathway(PerpetratorType.OTHER_STATE_AGENT, ALL_FOUR),
}
