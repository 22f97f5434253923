"""Zero knowledge at rest (DESIGN.md rule 4): after realistic use of the channel, a dump of the database (pg_dump on
PostgreSQL, the SQL dump on SQLite) and every file in the channel's storage folder hold no plaintext of any report,
message, attachment, file name, contact detail or receipt, and no private or report key."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from amparo.accounts.tests.http import Browser
from amparo.safechannel import crypto
from amparo.safechannel.models import RecipientKey, Report

from .conftest import PASSWORD, PDF_MARKER, World, file_report, jpeg_with_metadata, receipt_of, small_pdf, staff_login

pytestmark = pytest.mark.django_db(transaction=True)


def database_dump() -> str:
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
        result = subprocess.run(
            [
                "pg_dump",
                "--data-only",
                "-h",
                db.get("HOST") or "127.0.0.1",
                "-p",
                str(db.get("PORT") or 5432),
                "-U",
                db.get("USER") or "postgres",
                db["NAME"],
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=True,
        )
        return result.stdout
    connection.ensure_connection()
    return "\n".join(connection.connection.iterdump())


def storage_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def leaks(secret: bytes, dump: str, files: bytes) -> list[str]:
    """Where a secret shows: as text in the dump, as hex (how both dumps write binary columns), or in a file."""
    found = []
    if secret.decode(errors="ignore") and secret.decode(errors="ignore") in dump:
        found.append("dump text")
    if secret.hex() in dump.lower():
        found.append("dump hex")
    if secret in files:
        found.append("storage")
    return found


def test_a_stolen_database_and_storage_reveal_nothing(live_server: Any, world: World, settings: Any) -> None:
    survivor = Browser(live_server.url)
    sent = file_report(
        survivor,
        files=[
            ("attachments", "acta-secreta.pdf", small_pdf()),
            ("attachments", "foto-golpe.jpg", jpeg_with_metadata()),
        ],
    )
    receipt = receipt_of(sent)
    sealed = re.search(r'name="sealed" value="([^"]+)"', sent.text).group(1)  # type: ignore[union-attr]
    survivor.request("/es/channel/receipt/", {"sealed": sealed, "receipt": receipt}, referer=False)
    report = Report.objects.get()

    staff = Browser(live_server.url)
    staff_login(staff, world.staff["casa"])
    staff.get(f"/staff/channel/reports/{report.uuid}/")
    staff.submit(f"/staff/channel/reports/{report.uuid}/", {"text": "Respuesta-Zafiro-8812", "status": "waiting"})
    survivor.request("/es/channel/login/", {"receipt": receipt}, referer=False)
    survivor.request(
        "/es/channel/inbox/",
        [("text", "Mensaje-Cobalto-5530")],
        files=[("attachments", "nota-de-voz.pdf", small_pdf())],
        referer=False,
    )
    survivor.request("/es/channel/inbox/case-consent/", {"consent": "give"}, referer=False)
    # A second report, still unread, from another survivor.
    file_report(Browser(live_server.url), what_happened="Segundo-relato-Onix-2290", organization=str(world.red.uuid))

    # Keys a thief would love: a recipient's private key and a report key (recovered here the legitimate way).
    key_row = RecipientKey.objects.get(user=world.staff["casa"])
    private_key = crypto.unlock_private_key(key_row.password_salt, key_row.locked_private_key, PASSWORD)
    recovery = crypto.recovery_key_from_text(world.recovery[world.casa.name])
    report_key = crypto.unseal(recovery, Report.objects.get(pk=report.pk).recovery_sealed_key)

    dump = database_dump()
    files = storage_bytes(settings.SAFECHANNEL_STORAGE_DIR)
    assert "safechannel_report" in dump and len(files) > 0  # the dump and the storage are really there
    assert leaks(b"Casa Segura", dump, files)  # the search finds what is in clear (an organisation's name)
    assert leaks(bytes(report.recovery_sealed_key), dump, files)  # ...and binary columns, written as hex

    secrets = {
        "narrative": b"Marfil-4471",
        "second narrative": b"Onix-2290",
        "contact number": b"555 0199",
        "safe times": "Martes en la mañana".encode(),
        "staff reply": b"Zafiro-8812",
        "survivor message": b"Cobalto-5530",
        "file name": b"acta-secreta",
        "photo name": b"foto-golpe",
        "voice note name": b"nota-de-voz",
        "pdf contents": PDF_MARKER,
        "photo metadata": b"SecretPhone",
        "receipt": receipt.encode(),
        "receipt, grouped": crypto.format_receipt(receipt).encode(),
        "recipient private key": private_key,
        "report key": report_key,
        "recovery private key": recovery,
    }
    found = {name: where for name, secret in secrets.items() if (where := leaks(secret, dump, files))}
    assert not found, f"plaintext at rest: {found}"


def test_no_address_is_stored_for_the_channel(live_server: Any, world: World) -> None:
    """Rule 8: the survivor's requests (report, receipt sign-in, message, leaving) leave no IP address behind."""
    survivor = Browser(live_server.url)
    receipt = receipt_of(file_report(survivor))
    survivor.request("/es/channel/login/", {"receipt": receipt}, referer=False)
    survivor.request("/es/channel/inbox/", [("text", "hola")], files=[], referer=False)
    survivor.request("/es/channel/login/", {"receipt": "0" * 16}, referer=False)  # a failed attempt too
    survivor.get("/es/channel/exit/")
    dump = database_dump()
    assert "safechannel_report" in dump
    assert "127.0.0.1" not in dump and "::1" not in dump
