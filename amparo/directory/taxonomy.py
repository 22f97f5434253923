"""The published Amparo service-type taxonomy and inclusion facts (docs/taxonomy.md).

The codes are stable identifiers shared by the database, pathway content, the HSDS export and URLs; the names are
translated with gettext. Keywords (in Spanish, English and Portuguese, without accents) are folded into each
service's search text so that "psicologa", "vih" or "denuncia" find the right services whatever words the service
itself uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TAXONOMY_URI = "https://amparo.example.org/taxonomy/service-types"
FACTS_TAXONOMY_URI = "https://amparo.example.org/taxonomy/inclusion-facts"


@dataclass(frozen=True)
class ServiceTypeInfo:
    code: str
    name: Promise
    keywords: str


SERVICE_TYPES: tuple[ServiceTypeInfo, ...] = (
    ServiceTypeInfo(
        "mental-health",
        _("Mental health and psychosocial support"),
        "salud mental psicologia psicologa psicologo psicosocial terapia apoyo emocional crisis "
        "mental health psychology psychologist counselling saude mental psicologa apoio",
    ),
    ServiceTypeInfo(
        "post-rape-care",
        _("Clinical care after sexual violence"),
        "violacion violencia sexual abuso urgencias profilaxis pep anticoncepcion emergencia pastilla "
        "rape sexual violence emergency contraception estupro violencia sexual",
    ),
    ServiceTypeInfo(
        "sti-care",
        _("Care for sexually transmitted infections"),
        "its ets infecciones transmision sexual sifilis gonorrea sti std infections ist",
    ),
    ServiceTypeInfo("hiv", _("HIV testing, PrEP and PEP"), "vih sida prep pep prueba hiv aids test teste"),
    ServiceTypeInfo(
        "covid19-vaccination",
        _("COVID-19 vaccination"),
        "covid covid19 vacuna vacunacion coronavirus vaccine vacina vacinacao",
    ),
    ServiceTypeInfo(
        "protection-measures",
        _("Protection measures"),
        "proteccion medidas comisaria familia orden alejamiento protection order protecao medidas protetivas",
    ),
    ServiceTypeInfo(
        "safe-shelter",
        _("Safe shelter"),
        "refugio casa refugio albergue alojamiento hogar shelter housing abrigo casa abrigo",
    ),
    ServiceTypeInfo(
        "criminal-complaint",
        _("Criminal complaint"),
        "denuncia denunciar fiscalia policia querella complaint report police prosecutor queixa delegacia",
    ),
    ServiceTypeInfo(
        "legal-aid",
        _("Free legal aid"),
        "abogada abogado asesoria juridica legal consultorio juridico lawyer legal aid advogada juridica",
    ),
    ServiceTypeInfo("ombudsman", _("Ombudsman"), "defensoria pueblo defensor derechos humanos ombudsman human rights"),
    ServiceTypeInfo(
        "public-oversight",
        _("Oversight of public officials"),
        "procuraduria personeria queja funcionario disciplinario oversight official misconduct",
    ),
    ServiceTypeInfo(
        "child-protection",
        _("Child protection and alternative care"),
        "icbf ninos ninas hijos hijas infancia cuidado custodia child children kids criancas filhos",
    ),
    ServiceTypeInfo(
        "anti-trafficking",
        _("Anti-trafficking assistance"),
        "trata de personas explotacion trafficking exploitation trafico trafico de pessoas",
    ),
    ServiceTypeInfo(
        "migration",
        _("Migration regularisation and documents"),
        "migracion migrante ppt documentos pasaporte regularizacion visa refugio migration migrant "
        "documents migracao documentos",
    ),
    ServiceTypeInfo(
        "eviction-help",
        _("Help in evictions"),
        "desalojo arriendo vivienda inspeccion policia eviction housing rent despejo moradia",
    ),
    ServiceTypeInfo(
        "sexual-reproductive-health",
        _("Sexual and reproductive health"),
        "salud sexual reproductiva anticonceptivos aborto ive condones sexual reproductive health abortion "
        "contraception saude sexual",
    ),
    ServiceTypeInfo(
        "sex-worker-led",
        _("Sex-worker-led organisations"),
        "trabajadoras sexuales trabajo sexual organizacion sex workers sex work trabalhadoras sexuais",
    ),
)
SERVICE_TYPE_BY_CODE = {t.code: t for t in SERVICE_TYPES}
SERVICE_TYPE_CHOICES = [(t.code, t.name) for t in SERVICE_TYPES]


@dataclass(frozen=True)
class InclusionFactInfo:
    code: str
    label: Promise
    keywords: str


INCLUSION_FACTS: tuple[InclusionFactInfo, ...] = (
    InclusionFactInfo("no_id_required", _("No ID document required"), "sin documentos indocumentada sin cedula"),
    InclusionFactInfo(
        "serves_irregular_migrants",
        _("Serves people in irregular migratory status"),
        "migrantes irregular sin papeles venezolanas",
    ),
    InclusionFactInfo("trans_affirming", _("Trans-affirming"), "trans transgenero transfemenina lgbti"),
    InclusionFactInfo(
        "sex_worker_friendly", _("Sex-worker-friendly"), "trabajadoras sexuales trabajo sexual sex workers"
    ),
    InclusionFactInfo("free_of_charge", _("Free of charge"), "gratis gratuito gratuita free"),
    InclusionFactInfo("focal_point_on_site", _("Sensitised focal point on site"), "punto focal"),
    InclusionFactInfo("wheelchair_accessible", _("Wheelchair accessible"), "accesible silla de ruedas"),
)
INCLUSION_FACT_CODES = tuple(f.code for f in INCLUSION_FACTS)
# Every word of the everyday keywords of the types and facts (already folded): words that name needs, not services.
TAXONOMY_WORDS = frozenset(
    word
    for keywords in (*(t.keywords for t in SERVICE_TYPES), *(f.keywords for f in INCLUSION_FACTS))
    for word in keywords.split()
)
INCLUSION_FACT_BY_CODE = {f.code: f for f in INCLUSION_FACTS}


@dataclass(frozen=True)
class SensitisationTopicInfo:
    code: str
    label: Promise


# The published list of topics a focal point's sensitisation may cover (docs/taxonomy.md). Stable codes.
SENSITISATION_TOPICS: tuple[SensitisationTopicInfo, ...] = (
    SensitisationTopicInfo("survivor-centred-gbv", _("Survivor-centred care for gender-based violence")),
    SensitisationTopicInfo("trans-affirming", _("Trans-affirming care and gender identity")),
    SensitisationTopicInfo("sex-work-without-stigma", _("Sex work without stigma")),
    SensitisationTopicInfo("migrants-rights", _("Migrants' rights and irregular migratory status")),
    SensitisationTopicInfo("trafficking-indicators", _("Trafficking indicators")),
    SensitisationTopicInfo("clinical-emergency", _("Clinical emergency pathways (PEP within 72 hours)")),
    SensitisationTopicInfo("confidentiality-consent", _("Confidentiality, consent and safe referral")),
)
SENSITISATION_TOPIC_CODES = tuple(t.code for t in SENSITISATION_TOPICS)
SENSITISATION_TOPIC_CHOICES = [(t.code, t.label) for t in SENSITISATION_TOPICS]


# Bit positions for the search masks kept on each service-at-location (directory.services.search_masks).
# Append new types or facts at the end of their tuple: positions must never change.
SERVICE_TYPE_BIT = {t.code: 1 << i for i, t in enumerate(SERVICE_TYPES)}
INCLUSION_FACT_BIT = {f.code: 1 << i for i, f in enumerate(INCLUSION_FACTS)}


def type_mask(codes: Iterable[str]) -> int:
    mask = 0
    for code in codes:
        mask |= SERVICE_TYPE_BIT.get(code, 0)
    return mask


def fact_mask(codes: Iterable[str]) -> int:
    mask = 0
    for code in codes:
        mask |= INCLUSION_FACT_BIT.get(code, 0)
    return mask
