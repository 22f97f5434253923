from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from amparo.accounts.demo import DEMO_PASSWORD, load_demo_staff
from amparo.cases.demo import load_demo_cases
from amparo.directory.demo import build_directory, focal_points_link_demo_staff
from amparo.directory.models import FocalPoint, Organization, Service
from amparo.safechannel.demo import DEMO_RECEIVER, load_demo_channel


class Command(BaseCommand):
    help = "Load the demo: places, a synthetic directory, the care pathways and demo staff accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete the existing directory first.")

    def handle(self, *args: object, **options: object) -> None:
        if options["reset"]:
            Organization.objects.all().delete()
        if Service.objects.exists():
            self.stdout.write("The directory already has services; leaving it as it is (use --reset to rebuild).")
        else:
            count = build_directory()
            self.stdout.write(f"Demo directory: {count} services, {FocalPoint.objects.count()} focal points.")
        call_command("load_pathways", stdout=self.stdout)
        accounts = load_demo_staff()
        focal_points_link_demo_staff()
        recovery_key = load_demo_channel()
        if load_demo_cases():
            self.stdout.write("Demo cases: 3 for Red Violeta (demo), assigned to gestora@demo.example.org.")
        self.stdout.write(f"\nDemo staff accounts (password for all: {DEMO_PASSWORD}) at /staff/login/:")
        self.stdout.write("  admin@demo.example.org                 platform administrator")
        for account in accounts:
            self.stdout.write(f"  {account.email:<38} {account.role} · {account.organization}")
        self.stdout.write(
            "Roles that see cases or reports set up two-step verification (an authenticator app) at first sign-in."
        )
        if recovery_key:
            self.stdout.write(
                f"\nSafe channel: {DEMO_RECEIVER} receives reports from Colombia. Its recovery key (demo only; shown "
                f"once, keep it offline in real use):\n  {recovery_key}"
            )
