from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from amparo.audit.selectors import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exits non-zero and names the entries if it was tampered with."

    def handle(self, *args: object, **options: object) -> None:
        result = audit_verify()
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(problem)
            raise CommandError(f"audit log tampered with: {len(result.problems)} problem(s)")
        self.stdout.write(f"audit log intact: {result.checked} entries verified.")
