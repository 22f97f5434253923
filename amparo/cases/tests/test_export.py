"""The GBVIMS Incident Recorder export: only incidents of cases with an active statistics consent, de-identified
(random per-export codes, month-only dates, no free text), derived fields per the reference sheet, audited."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from amparo.accounts.models import Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.cases import services
from amparo.cases.incident_recorder import COLUMNS
from amparo.cases.models import Case
from amparo.directory.models import Place
from amparo.safechannel.tests.conftest import make_staff, place

pytestmark = pytest.mark.django_db

SECRETS = ("Nombre-Export-Secreto", "+57 300 000 1111", "PPT-EXPORT-1", "Calle-Export-9", "Relato-Export")


def new_case(org: Organization, user: User, where: Place, consents: list[str], **intake: str) -> Case:
    data = services.Intake(
        full_name=SECRETS[0], contact=SECRETS[1], document=SECRETS[2], address=SECRETS[3], narrative=SECRETS[4],
        place=where, consents=consents, **intake,
    )  # fmt: skip
    return services.case_open(actor=user, organization=org, intake=data)


def incident(case: Case, user: User, where: Place, *, days_ago: int, reported_after: int, **kw: object) -> None:
    occurred = timezone.now() - timedelta(days=days_ago)
    services.incident_record(
        actor=user, case=case, occurred_at=occurred, time_known=True,
        first_reported_at=occurred + timedelta(days=reported_after), place=where,
        answers=kw.get("answers", {"penetration": True}),  # type: ignore[arg-type]
        context_tags=kw.get("context_tags", ["sex_work"]),  # type: ignore[arg-type]
        perpetrator_types=kw.get("perpetrator_types", ["client"]),  # type: ignore[arg-type]
        perpetrator_count=kw.get("perpetrator_count", 1),  # type: ignore[arg-type]
        description=SECRETS[4] + " del incidente",
    )  # fmt: skip


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_export_only_consented_and_de_identified(tmp_path: Path) -> None:
    co = place("CO", "Colombia", Place.Level.COUNTRY, None, 4.6, -74.1)
    ns = place("CO54", "Norte de Santander", Place.Level.ADMIN1, co, 7.9, -72.5)
    cucuta = place("CO54001", "Cúcuta", Place.Level.ADMIN2, ns, 7.89, -72.5)
    org = Organization.objects.create(name="Red (export test)")
    other = Organization.objects.create(name="Otra (export test)")
    user = make_staff("gestora@export.example.org", org, Role.CASEWORKER, with_key=False)
    consented = new_case(
        org, user, cucuta, ["services", "statistics"], age_band="12-17", gender_identity="trans_woman",
        migratory_status="irregular", nationality="VE",
    )  # fmt: skip
    incident(consented, user, cucuta, days_ago=40, reported_after=5, perpetrator_count=4)
    incident(
        consented, user, cucuta, days_ago=20, reported_after=1, perpetrator_types=["intimate_partner", "police"],
        answers={"physical": True}, context_tags=["intimate_partner"],
    )  # fmt: skip
    no_consent = new_case(org, user, cucuta, ["services"])
    incident(no_consent, user, cucuta, days_ago=3, reported_after=0)
    withdrawn = new_case(org, user, cucuta, ["services", "statistics"])
    incident(withdrawn, user, cucuta, days_ago=3, reported_after=0)
    services.consent_withdraw(actor=user, case=withdrawn, kind="statistics")
    elsewhere = new_case(other, user, cucuta, ["services", "statistics"])
    incident(elsewhere, user, cucuta, days_ago=3, reported_after=0)

    target = tmp_path / "ir.csv"
    call_command("export_incident_recorder", "--organization", str(org.uuid), str(target))
    rows = read(target)
    assert len(rows) == 2 and list(rows[0]) == COLUMNS
    text = target.read_text(encoding="utf-8")
    for secret in (*SECRETS, consented.code, no_consent.code, str(consented.uuid), org.name):
        assert secret not in text, secret
    first, second = rows
    assert first["survivor_code"] == second["survivor_code"] != consented.code
    assert first["incident_code"] != second["incident_code"]
    assert len(first["incident_date"]) == 7 and first["incident_date"][4] == "-"  # YYYY-MM only
    assert first["gbv_sexual_violence_type"] == "rape"
    assert first["elapsed_reporting_time"] == "4_5_days"
    assert first["number_of_perpetrators"] == "more_than_3"
    assert first["perpetrator_relationship"] == "other" and first["amparo_perpetrator_types"] == "client"
    # Sex work is a context, never "possible_sexual_exploitation"; a girl raped: child sexual abuse.
    assert first["amparo_context_tags"] == "sex_work"
    assert "possible_sexual_exploitation" not in text
    assert first["gbv_case_context"] == "child_sexual_abuse"
    assert first["sex"] == "female" and first["amparo_gender_identity"] == "trans_woman"
    assert first["displacement_status"] == "foreign_national" and first["consent_reporting"] == "true"
    assert first["incident_location_admin1"] == "CO54" and first["incident_location_admin2"] == "CO54001"
    assert second["gbv_case_context"] == "intimate_partner_violence"
    assert second["perpetrator_relationship"] == "intimate_partner_former_partner;other"
    assert second["elapsed_reporting_time"] == "0_3_days" and second["number_of_perpetrators"] == "equal_to_1"
    entry = AuditEntry.objects.get(action="export.incident_recorder")
    assert entry.detail == {"incidents": 2, "cases": 1} and entry.organization_id == org.pk

    # A second export draws new codes.
    again = tmp_path / "ir2.csv"
    call_command("export_incident_recorder", "--organization", str(org.uuid), str(again))
    assert read(again)[0]["survivor_code"] != first["survivor_code"]


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    org = Organization.objects.create(name="Red (export args)")
    with pytest.raises(CommandError, match="UUID"):
        call_command("export_incident_recorder", "--organization", "red-violeta", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="No member organisation"):
        call_command(
            "export_incident_recorder", "--organization", "00000000-0000-0000-0000-000000000000", str(tmp_path / "x")
        )
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_incident_recorder", "--organization", str(org.uuid), str(tmp_path / "no" / "x.csv"))
    existing = tmp_path / "exists.csv"
    existing.write_text("keep")
    with pytest.raises(CommandError, match="--force"):
        call_command("export_incident_recorder", "--organization", str(org.uuid), str(existing))
    assert existing.read_text() == "keep"
    call_command("export_incident_recorder", "--organization", str(org.uuid), str(existing), "--force")
    assert read(existing) == []
    with pytest.raises(CommandError):
        call_command("export_incident_recorder", str(existing))  # --organization is required
