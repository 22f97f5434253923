"""Demo staff: member organisations and one account per role, all obviously fictional (demo only)."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import transaction

from amparo.core.registry import DemoRun

from .models import Membership, Organization, User
from .roles import Role

DEMO_PASSWORD = "amparo-demo-2026"  # noqa: S105 - printed by `make demo`; the demo runs on a laptop's SQLite


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    organization: str
    role: str


ACCOUNTS = (
    DemoAccount("coordinadora@demo.example.org", "Coordinadora Demo", "Red Violeta (demo)", Role.COORDINATOR),
    DemoAccount("gestora@demo.example.org", "Gestora de Casos Demo", "Red Violeta (demo)", Role.CASEWORKER),
    DemoAccount("abogada@demo.example.org", "Abogada Demo", "Red Violeta (demo)", Role.LEGAL_ADVISOR),
    DemoAccount("encuestadora@demo.example.org", "Encuestadora Demo", "Red Violeta (demo)", Role.ENUMERATOR),
    DemoAccount("punto.focal@demo.example.org", "Punto Focal Demo", "Hospital Demo Cúcuta", Role.FOCAL_POINT),
    DemoAccount("monitora@demo.example.org", "Monitora Defensoría Demo", "Defensoría Demo", Role.MONITOR),
    # The analyst reads the risk characterisation of Red Violeta's surveys (the demo's interviews are theirs).
    DemoAccount("analista@demo.example.org", "Analista Demo", "Red Violeta (demo)", Role.ANALYST),
)


@transaction.atomic
def load_demo_staff() -> list[DemoAccount]:
    """Create the demo organisations and accounts (idempotent)."""
    # The directory's models by name: accounts sits below the domain apps and imports none of them.
    Place = apps.get_model("directory", "Place")
    DirectoryOrganization = apps.get_model("directory", "Organization")
    cucuta_region = Place.objects.filter(pcode="CO54").first()
    linked = DirectoryOrganization.objects.filter(kind="sex-worker-led", name__contains="Cúcuta").first()
    for account in ACCOUNTS:
        organization, created = Organization.objects.get_or_create(name=account.organization)
        if created and account.organization == "Red Violeta (demo)":
            organization.directory_organization = linked
            organization.save(update_fields=["directory_organization"])
        if created and cucuta_region is not None:
            organization.areas.add(cucuta_region)
        user = User.objects.filter(email=account.email).first()
        if user is None:
            user = User.objects.create_user(
                username=account.email, email=account.email, password=DEMO_PASSWORD, display_name=account.name
            )
        Membership.objects.get_or_create(user=user, organization=organization, role=account.role)
    if not User.objects.filter(email="admin@demo.example.org").exists():
        User.objects.create_superuser(
            username="admin@demo.example.org",
            email="admin@demo.example.org",
            password=DEMO_PASSWORD,
            display_name="Administradora Demo",
        )
    return list(ACCOUNTS)


def load_demo_accounts(run: DemoRun) -> None:
    """load_demo's step: the demo accounts, listed at the end of the output with their password."""
    accounts = load_demo_staff()
    run.say_at_end(f"\nDemo staff accounts (password for all: {DEMO_PASSWORD}) at /staff/login/:")
    run.say_at_end("  admin@demo.example.org                 platform administrator")
    for account in accounts:
        run.say_at_end(f"  {account.email:<38} {account.role} · {account.organization}")
    run.say_at_end(
        "Roles that see cases or reports set up two-step verification (an authenticator app) at first sign-in."
    )
