"""The second half of the restore rehearsal (test_backup_restore.py), run as its own process on the RESTORED
deployment: a new database and new storage folders, with only the keys handed over in the environment.

    python -m amparo.backup.tests.rehearsal '<json>'

It reads the safe-channel report as the survivor (with her receipt) and as a recipient (password-unlocked key),
opens the case and its file with the field keys, and verifies the audit chain; prints what it found as JSON for the
test to compare. Nothing here is a mock: the same services the pages call.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def rehearse(expected: dict[str, Any]) -> dict[str, Any]:
    from django.core.management import call_command

    from amparo.accounts.models import User
    from amparo.audit.models import AuditEntry
    from amparo.audit.selectors import audit_verify
    from amparo.cases.casework_services import case_file_read
    from amparo.cases.models import Case
    from amparo.safechannel import services
    from amparo.safechannel.models import Report

    found: dict[str, Any] = {"entries_before": AuditEntry.objects.count()}
    chain = audit_verify()  # before anything new is written: the chain as it came out of the archive
    found["audit_ok"], found["audit_checked"] = chain.ok, chain.checked

    # The survivor's side: her receipt opens her report and her attachment.
    opened = services.receipt_login(expected["receipt"])
    assert opened is not None, "the receipt does not open the report"
    report, token = opened
    session = services.receipt_session(token)
    assert session is not None
    _, key = session
    found["survivor_text"] = services.report_content(report, key)["what_happened"]
    attachment = services.attachments_of(report, key)[0]
    found["survivor_attachment"] = services.attachment_read(report, key, attachment.uuid)[1].hex()

    # A recipient: her password unlocks her private key, which opens the report key sealed to her.
    recipient = User.objects.get(email=expected["recipient_email"])
    private = services.recipient_key_unlock(recipient, expected["password"])
    staff_key = services.report_key_for(Report.objects.get(uuid=expected["report_uuid"]), recipient, private)
    assert staff_key is not None, "the recipient's key does not open the report"
    found["staff_text"] = services.staff_read(actor=recipient, report=report, key=staff_key)["what_happened"]

    # The case: its encrypted fields and its encrypted file open with the field keys.
    case = Case.objects.get(uuid=expected["case_uuid"])
    found["case_name"], found["case_narrative"] = case.full_name, case.narrative
    case_file = case.files.get()
    found["case_file"] = case_file_read(actor=recipient, case_file=case_file).hex()

    call_command("audit_verify")  # the operator's command too (raises if the chain is broken)
    after = audit_verify()
    found["audit_ok_after"] = after.ok and after.checked > found["audit_checked"]
    return found


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django

    django.setup()
    print(json.dumps(rehearse(json.loads(sys.argv[1]))))


if __name__ == "__main__":
    main()
