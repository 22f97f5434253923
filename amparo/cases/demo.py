"""Demo cases for the demo NGO, so the staff pages are not empty (fictional names, demo only)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from amparo.accounts.models import Organization, User
from amparo.core.registry import DemoRun
from amparo.directory.models import Place

from . import services
from .models import Case

DEMO_CASES = (
    ("Ana Demo", "26-40", "trans_woman", "VE", "irregular", 30, {"penetration": True}, ["sex_work"], ["client"]),
    ("Bea Demo", "18-25", "cis_woman", "CO", "national", 400, {"physical": True}, ["intimate_partner"], ["family"]),
    ("Carla Demo", "41-60", "trans_woman", "VE", "in_process", 1200, {"psychological": True}, ["state_violence"],
     ["police"]),
)  # fmt: skip


def load_demo_cases(organization_name: str = "Red Violeta (demo)") -> int:
    """Three demo cases assigned to the demo caseworker (idempotent: nothing if the organisation has cases)."""
    organization = Organization.objects.filter(name=organization_name).first()
    caseworker = User.objects.filter(email="gestora@demo.example.org").first()
    place = Place.objects.filter(pcode="CO54001").first()
    if organization is None or caseworker is None or place is None or Case.objects.filter(organization=organization):
        return 0
    now = timezone.now()
    for name, age, gender, nationality, status, hours_ago, answers, context, perpetrators in DEMO_CASES:
        case = services.case_open(
            actor=caseworker,
            organization=organization,
            intake=services.Intake(
                full_name=name,
                contact="+57 000 000 0000 (demo)",
                age_band=age,
                gender_identity=gender,
                nationality=nationality,
                migratory_status=status,
                place=place,
                consents=["services", "share_health", "share_psychosocial", "statistics"],
            ),
        )
        services.incident_record(
            actor=caseworker, case=case, occurred_at=now - timedelta(hours=hours_ago), time_known=True,
            first_reported_at=now - timedelta(hours=max(hours_ago - 20, 0)), place=place, answers=answers,
            context_tags=context, perpetrator_types=perpetrators, perpetrator_count=1, description="(demo)",
        )  # fmt: skip
        services.action_add(
            actor=caseworker, case=case, description="Llamar para acordar la cita (demo)",
            due_on=timezone.localdate(now + timedelta(days=3)), assigned_to=caseworker,
        )  # fmt: skip
    return len(DEMO_CASES)


def load_demo_case_records(run: DemoRun) -> None:
    """load_demo's step: the demo cases, the first time."""
    if load_demo_cases():
        run.say("Demo cases: 3 for Red Violeta (demo), assigned to gestora@demo.example.org.")
