"""Key operations rehearsed end to end (issue 18, item 6; docs/operations.md): what the person on call does.

1. Rotating the field keys: a new key first, the old one still decrypts, `rotate_field_keys`, the old key dropped,
   and everything still opens: every encrypted text field, every file kept in the database (survey attachments) and
   every encrypted file on disk (case files, legal documents), found through core's registry, so a store that
   rotation forgets fails here.
2. A recipient forgets her password: the real reset link by e-mail, a new password, her old key pair replaced at
   sign-in (she can no longer open the old reports), the coordinator restores access with the organisation's
   recovery key, and she reads the old report and its attachment again.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core import mail
from django.core.management import call_command
from django.db import connection

from amparo.accounts.tests.http import Browser
from amparo.audit.models import AuditEntry
from amparo.audit.selectors import audit_verify
from amparo.cases import services as case_services
from amparo.cases.casework_services import case_file_add, case_file_read
from amparo.cases.legal_services import document_path, legal_document_add
from amparo.cases.models import Case, LegalMatter
from amparo.cases.search import search_cases
from amparo.core.encryption import decrypt_bytes
from amparo.core.registry import encrypted_blob_columns, encrypted_fields, encrypted_file_stores
from amparo.core.uploads import CleanFile
from amparo.safechannel import services
from amparo.safechannel.models import KeyGrant, RecipientKey, Report
from amparo.safechannel.tests.conftest import CUCUTA, World, staff_login
from amparo.surveys.models import Attachment as SurveyAttachment
from amparo.surveys.models import Form
from amparo.surveys.services import IncomingFile, receive_submission
from amparo.surveys.tests.factories import instance_xml, make_form

PHOTO = b"\xff\xd8\xff\xe0 foto-de-encuesta-Cobalto-3310"


def stored_tokens() -> dict[str, list[bytes]]:
    """Every value encrypted with the field keys, as stored (raw SQL and raw files: nothing decrypts here)."""
    found: dict[str, list[bytes]] = {}
    with connection.cursor() as cursor:
        for model, fields in encrypted_fields():
            for field in fields:
                cursor.execute(f"SELECT {field.column} FROM {model._meta.db_table}")
                found[f"{model._meta.db_table}.{field.column}"] = [r[0].encode() for r in cursor.fetchall() if r[0]]
        for blob in encrypted_blob_columns():
            model = blob.model()
            cursor.execute(f"SELECT {blob.field} FROM {model._meta.db_table}")
            found[f"{model._meta.db_table}.{blob.field}"] = [bytes(r[0]) for r in cursor.fetchall() if r[0]]
    for store in encrypted_file_stores():
        found[f"files: {store.name}"] = [path.read_bytes() for path in store.files() if path.exists()]
    return found


def opens_with(key: str, tokens: dict[str, list[bytes]]) -> dict[str, bool]:
    """For each store: does every stored token open with this one key?"""

    def ok(token: bytes) -> bool:
        try:
            Fernet(key.encode()).decrypt(token)
        except InvalidToken:
            return False
        return True

    return {where: all(ok(t) for t in values) for where, values in tokens.items() if values}


@pytest.mark.django_db
def test_field_key_rotation_rehearsed_end_to_end(world: World, settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    caseworker = world.staff["caseworker"]
    case = case_services.case_open(
        actor=caseworker,
        organization=world.red,
        intake=case_services.Intake(
            full_name="Valentina Secreta-Rubí",
            contact="+57 300 555 0142",
            document="PPT 99887766",
            address="Calle Oculta 12-34",
            narrative="Relato-Turquesa-7731",
            consents=["services"],
        ),
    )
    case_file = case_file_add(
        actor=caseworker, case=case, clean=CleanFile("dictamen.pdf", "application/pdf", b"%PDF-1.4 dictamen")
    )
    matter = LegalMatter.objects.create(case=case, kind="custody")
    document = legal_document_add(
        actor=None, matter=matter, clean=CleanFile("acta.pdf", "application/pdf", b"%PDF-1.4 acta")
    )
    version = make_form(world.red)
    receive_submission(
        xml=instance_xml(version, {"photo": "p.jpg"}), attachments=[IncomingFile("p.jpg", "image/jpeg", PHOTO)],
        source="openrosa", forms=Form.objects.filter(pk=version.form_id),
    )  # fmt: skip
    before = stored_tokens()
    # The rehearsal covers each kind of store, or it proves nothing.
    for where in ("cases_case.full_name", "cases_case.narrative", "surveys_attachment.content"):
        assert before[where], where
    assert before["files: case files"] and before["files: legal documents"]
    assert all(opens_with(old, before).values())

    # 1. The new key goes FIRST, the old one stays after it (restart): everything still reads; new writes use it.
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert Case.objects.get(pk=case.pk).full_name == "Valentina Secreta-Rubí"
    case_services.case_update(actor=caseworker, case=case, changes={"contact": "+57 300 555 0000"})
    # 2. Rotate: every stored value and file is re-encrypted with the new key; running it again is harmless.
    call_command("rotate_field_keys", verbosity=0)
    call_command("rotate_field_keys", verbosity=0)
    after = stored_tokens()
    assert {where: len(values) for where, values in after.items()} == {
        where: len(values) for where, values in before.items()
    }
    assert all(opens_with(new, after).values()), opens_with(new, after)
    assert not any(opens_with(old, after).values())

    # 3. The old key is dropped (and destroyed once the next backup is taken): everything still opens.
    settings.FIELD_ENCRYPTION_KEYS = [new]
    reread = Case.objects.get(pk=case.pk)
    assert (reread.full_name, reread.contact, reread.document, reread.address, reread.narrative) == (
        "Valentina Secreta-Rubí", "+57 300 555 0000", "PPT 99887766", "Calle Oculta 12-34", "Relato-Turquesa-7731",
    )  # fmt: skip
    assert case_file_read(actor=caseworker, case_file=case_file) == b"%PDF-1.4 dictamen"
    assert decrypt_bytes(document_path(document).read_bytes()) == b"%PDF-1.4 acta"
    assert decrypt_bytes(bytes(SurveyAttachment.objects.get().content)) == PHOTO
    # The blind search index has its own key (CASE_SEARCH_KEY): a rotation of the field keys does not touch it.
    assert search_cases(Case.objects.filter(organization=world.red), "Valentina Secreta-Rubí").cases == [case]
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_forgotten_password_then_recovery_key_restores_her_old_reports(
    live_server: Any, world: World, tmp_path: Path
) -> None:
    caseworker, coordinator = world.staff["caseworker"], world.staff["coordinator"]
    report, _receipt = services.report_create(
        organization=world.red,
        data=services.NewReport(
            place=world.places[CUCUTA],
            what_happened="Un cliente me agredió en el hotel Marfil-4471.",
            happened=["sexual_assault"],
            persecuted="yes",
            state_agent="no",
            wants=["legal"],
            contact_how="channel",
            files=[CleanFile("acta.pdf", "application/pdf", b"%PDF-1.4 acta-Quetzal-5521")],
        ),
    )
    page = f"/staff/channel/reports/{report.uuid}/"
    before = Browser(live_server.url)
    staff_login(before, caseworker)
    assert "Marfil-4471" in before.get(page).text
    old_public = bytes(RecipientKey.objects.get(user=caseworker).public_key)

    # She forgets her password: the reset link by e-mail, a new password.
    mail.outbox.clear()
    browser = Browser(live_server.url)
    assert browser.submit("/staff/password-reset/", {"email": caseworker.email}).status == 302
    link = re.search(r"/staff/password-reset/[^/\s]+/[^/\s]+/", str(mail.outbox[0].body))
    assert link, mail.outbox[0].body
    form = browser.follow(browser.get(link.group(0)))
    assert form.status == 200 and "new_password1" in form.text
    new_password = "una frase nueva y larga 2026"
    done = browser.submit(form.url, {"new_password1": new_password, "new_password2": new_password})
    assert done.status == 302, done.text[:300]

    # She signs in with the new password: her old private key cannot be unlocked, a new key pair replaces it, and
    # the report's key, sealed to the old one, is gone with it: she sees the report exists, not what it says.
    caseworker.refresh_from_db()
    signed = Browser(live_server.url)
    _login_with(signed, caseworker, new_password)
    assert bytes(RecipientKey.objects.get(user=caseworker).public_key) != old_public
    assert not KeyGrant.objects.filter(report=report, recipient__user=caseworker).exists()
    locked = signed.get(page)
    assert locked.status == 200 and "Marfil-4471" not in locked.text
    assert AuditEntry.objects.filter(action="safechannel.key.replace", actor_id=caseworker.pk).exists()

    # The coordinator takes the recovery key out of its safe place and restores access (a wrong key is refused).
    coord = Browser(live_server.url)
    staff_login(coord, coordinator)
    settings_url = f"/staff/channel/orgs/{world.red.uuid}/"
    assert coord.submit(settings_url, {"action": "restore", "restore-recovery_key": "cd" * 32}).status == 400
    ok = coord.submit(settings_url, {"action": "restore", "restore-recovery_key": world.recovery[world.red.name]})
    assert ok.status == 302

    # She reads the old report and its attachment again, with her new password's key.
    assert "Marfil-4471" in signed.get(page).text
    key = services.report_key_for(
        Report.objects.get(pk=report.pk),
        caseworker,
        services.recipient_key_unlock(caseworker, new_password),
    )
    assert key is not None
    attachment = services.attachments_of(report, key)[0]
    assert services.attachment_read(report, key, attachment.uuid)[1] == b"%PDF-1.4 acta-Quetzal-5521"
    assert AuditEntry.objects.filter(action="safechannel.restore_access", actor_id=coordinator.pk).exists()
    assert audit_verify().ok


def _login_with(browser: Browser, user: Any, password: str) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.tests.test_auth_http import code_for

    step = browser.submit("/staff/login/", {"email": user.email, "password": password})
    assert step.status == 302 and "/staff/login/verify/" in step.location, step.status
    # The next time step's code (within the device's tolerance): this morning's code was spent at her first sign-in.
    device = TOTPDevice.objects.get(user=user)
    done = browser.submit("/staff/login/verify/", {"token": code_for(device, offset=1)})
    assert done.status == 302
