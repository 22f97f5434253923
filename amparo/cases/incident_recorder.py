"""GBVIMS Incident Recorder–compatible export of consented, de-identified incidents (one organisation's data, for
the Information Sharing Protocol). Column names follow the Primero/GBVIMS field names of the reference sheet
(shared/reference/gbvims-trafficking-reference.md, sections 1–2); `amparo_*` columns are local extensions that an
IR import may ignore.

What goes in, and what never does:
- only incidents of cases with an ACTIVE statistics consent (ConsentKind.STATISTICS), hence `consent_reporting`
  is always "true";
- no names, contact, document, address, narrative or any free text; no agency identification (the ISP asks data
  to leave without identifiers of survivors or agencies);
- the case code is replaced by a random code drawn for this export only (`survivor_code`; the same survivor has the
  same code within one file, never across files); incidents get random `incident_code`s too;
- dates are given as the month only (YYYY-MM): with municipality, age band, gender identity and nationality in the
  same row, an exact date would make many rows unique. The reporting delay band is computed from the exact dates
  before they are cut. The time of day is kept (four values) only when it is known;
- geography no finer than the municipality (its P-code), ages in bands;
- sex work is a context (`amparo_context_tags`), never `possible_sexual_exploitation`: that context needs an
  explicit record that money, goods or benefits were exchanged in the incident, which Amparo does not keep, so it is
  never derived; likewise possible sexual slavery (no abduction record) and harmful traditional practices.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from amparo.accounts.models import Organization
from amparo.audit.services import audit_record

from .models import Consent, Incident
from .vocab import MINOR_BANDS, ConsentKind, GBVType, GenderIdentity, MigratoryStatus, PerpetratorType

COLUMNS = [
    "incident_code",
    "survivor_code",
    "date_of_first_report",
    "incident_date",
    "incident_timeofday",
    "incident_location_admin1",
    "incident_location_admin2",
    "amparo_zone_type",
    "age_group",
    "sex",
    "amparo_gender_identity",
    "nationality",
    "displacement_status",
    "amparo_migratory_status",
    "disability_type",
    "gbv_sexual_violence_type",
    "perpetrator_relationship",
    "amparo_perpetrator_types",
    "number_of_perpetrators",
    "elapsed_reporting_time",
    "gbv_case_context",
    "amparo_context_tags",
    "consent_reporting",
]

# Local perpetrator types mapped back to the GBVIMS relationship list (reference sheet, section 6).
RELATIONSHIP: dict[str, str] = {
    PerpetratorType.INTIMATE_PARTNER: "intimate_partner_former_partner",
    PerpetratorType.FAMILY: "family_other_than_spouse_or_caregiver",
    PerpetratorType.ACQUAINTANCE: "family_friend_neighbor",
    PerpetratorType.EMPLOYER: "supervisor_employer",
    PerpetratorType.STRANGER: "no_relation",
    PerpetratorType.UNKNOWN: "unknown",
}  # client, exploiter, organised crime and state agents: "other"

DISPLACEMENT: dict[str, str] = {
    MigratoryStatus.NATIONAL: "resident",
    MigratoryStatus.REGULAR: "foreign_national",
    MigratoryStatus.IRREGULAR: "foreign_national",
    MigratoryStatus.IN_PROCESS: "foreign_national",
    MigratoryStatus.ASYLUM_SEEKER: "asylum_seeker",
    MigratoryStatus.REFUGEE: "refugee",
}

# IR "sex" is F/M: taken from the gender she identifies with (trans women are women); the identity itself is kept in
# amparo_gender_identity.
SEX: dict[str, str] = {
    GenderIdentity.CIS_WOMAN: "female",
    GenderIdentity.TRANS_WOMAN: "female",
    GenderIdentity.CIS_MAN: "male",
    GenderIdentity.TRANS_MAN: "male",
}

SEXUAL_TYPES = frozenset({GBVType.RAPE, GBVType.SEXUAL_ASSAULT})


def consented_incidents(organization: Organization) -> QuerySet[Incident]:
    statistics = Consent.objects.filter(case=OuterRef("case"), kind=ConsentKind.STATISTICS, withdrawn_at__isnull=True)
    return (
        Incident.objects.filter(Exists(statistics), case__organization=organization)
        .select_related("case", "place__parent")
        .order_by("occurred_at", "pk")
    )


def perpetrators_band(count: int) -> str:
    if count <= 1:
        return "equal_to_1"
    if count <= 3:
        return f"equal_to_{count}"
    return "more_than_3"


def time_of_day(incident: Incident) -> str:
    if not incident.time_known:
        return "unknown"
    try:
        zone = ZoneInfo(incident.place.timezone)
    except (ValueError, KeyError):
        zone = timezone.get_current_timezone()
    hour = incident.occurred_at.astimezone(zone).hour
    if 6 <= hour < 12:
        return "morning"
    if 12 <= hour < 18:
        return "afternoon"
    return "evening_night"


def case_context(incident: Incident, age_band: str) -> list[str]:
    """GBVIMS derived contexts that Amparo's data can support (reference sheet, section 1)."""
    gbv = incident.gbv_type not in {"", GBVType.NON_GBV}
    minor = age_band in MINOR_BANDS
    contexts = []
    if gbv and PerpetratorType.INTIMATE_PARTNER in (incident.perpetrator_types or []):
        contexts.append("intimate_partner_violence")
    if incident.gbv_type in SEXUAL_TYPES and minor:
        contexts.append("child_sexual_abuse")
    if incident.gbv_type == GBVType.FORCED_MARRIAGE and minor:
        contexts.append("early_marriage")
    return contexts


def _month(value: object) -> str:
    return timezone.localtime(value).strftime("%Y-%m")  # type: ignore[arg-type]


def _random_code(prefix: str, used: set[str]) -> str:
    while True:
        code = f"{prefix}-{secrets.token_hex(4).upper()}"
        if code not in used:
            used.add(code)
            return code


@dataclass
class ExportResult:
    incidents: int
    cases: int


def rows(incidents: Iterable[Incident]) -> Iterable[dict[str, str]]:
    used: set[str] = set()
    survivors: dict[int, str] = {}
    for incident in incidents:
        case = incident.case
        if case.pk not in survivors:
            survivors[case.pk] = _random_code("S", used)
        place = incident.place
        admin1 = place.parent.pcode if place.parent is not None and place.level == place.Level.ADMIN2 else ""
        types = [t for t in incident.perpetrator_types or [] if t in PerpetratorType.values]
        relationships = sorted({RELATIONSHIP.get(t, "other") for t in types}) or ["unknown"]
        yield {
            "incident_code": _random_code("I", used),
            "survivor_code": survivors[case.pk],
            "date_of_first_report": _month(incident.first_reported_at),
            "incident_date": _month(incident.occurred_at),
            "incident_timeofday": time_of_day(incident),
            "incident_location_admin1": admin1,
            "incident_location_admin2": place.pcode if place.level == place.Level.ADMIN2 else "",
            "amparo_zone_type": place.zone,
            "age_group": case.age_band,
            "sex": SEX.get(case.gender_identity, "unknown"),
            "amparo_gender_identity": case.gender_identity,
            "nationality": case.nationality,
            "displacement_status": DISPLACEMENT.get(case.migratory_status, "unknown"),
            "amparo_migratory_status": case.migratory_status,
            "disability_type": case.disability,
            "gbv_sexual_violence_type": incident.gbv_type,
            "perpetrator_relationship": ";".join(relationships),
            "amparo_perpetrator_types": ";".join(sorted(types)),
            "number_of_perpetrators": perpetrators_band(incident.perpetrator_count),
            "elapsed_reporting_time": incident.reporting_delay_band,
            "gbv_case_context": ";".join(case_context(incident, case.age_band)),
            "amparo_context_tags": ";".join(sorted(str(t) for t in incident.context_tags or [])),
            "consent_reporting": "true",
        }


@transaction.atomic
def export_incident_recorder(*, organization: Organization, out: IO[str], actor: object = None) -> ExportResult:
    """Write the CSV to `out` and audit the export (counts only), in one transaction."""
    incidents = list(consented_incidents(organization))
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(incidents))
    result = ExportResult(incidents=len(incidents), cases=len({i.case_id for i in incidents}))
    audit_record(
        actor=actor,
        action="export.incident_recorder",
        obj=organization,
        organization=organization,
        detail={"incidents": result.incidents, "cases": result.cases},
    )
    return result
