"""Backup and restore, rehearsed end to end (issue 18, item 4; docs/operations.md).

Real data through the real services (a safe-channel report with an attachment, a case with encrypted fields and an
encrypted file, the audit entries they write), `amparo backup` to an age recipient, then `amparo restore` in ANOTHER
process into an empty deployment (a new database: a second PostgreSQL database or a new SQLite file; new, empty
storage folders) that is given only the keys. That deployment reads the report with the survivor's receipt and as a
recipient, opens the case with the field keys and verifies the audit chain. A damaged archive, a truncated one and
a wrong identity are refused with a clear message and leave the empty deployment empty; a deployment with data is
never restored over.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyrage
import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection

from amparo.audit.models import AuditEntry
from amparo.backup.archive import KEY_FILE_NAMES
from amparo.cases import services as case_services
from amparo.cases.casework_services import case_file_add
from amparo.core.uploads import CleanFile
from amparo.safechannel import services
from amparo.safechannel.tests.conftest import CUCUTA, PASSWORD, World

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump and the restoring process see committed data only

ROOT = Path(__file__).resolve().parents[3]
ATTACHMENT = b"%PDF-1.4 acta-de-denuncia-Quetzal-5521"
CASE_FILE = b"%PDF-1.4 dictamen-Ambar-9034"


def keygen(folder: Path) -> tuple[Path, str]:
    identity = folder / "backup-identity.txt"
    out = io.StringIO()
    call_command("backup_keygen", str(identity), stdout=out)
    public = out.getvalue().rsplit(": ", 1)[1].strip()
    assert public.startswith("age1") and oct(identity.stat().st_mode)[-3:] == "600"
    return identity, public


def make_data(world: World) -> dict[str, Any]:
    caseworker = world.staff["caseworker"]
    report, receipt = services.report_create(
        organization=world.red,
        data=services.NewReport(
            place=world.places[CUCUTA],
            what_happened="Un cliente me agredió en el hotel Marfil-4471.",
            happened=["sexual_assault"],
            persecuted="yes",
            state_agent="no",
            wants=["legal"],
            contact_how="whatsapp",
            contact_details="+57 300 555 0199",
            files=[CleanFile("acta.pdf", "application/pdf", ATTACHMENT)],
        ),
    )
    case = case_services.case_open(
        actor=caseworker,
        organization=world.red,
        intake=case_services.Intake(
            full_name="Valentina Secreta-Rubí", narrative="Relato-Turquesa-7731", consents=["services"]
        ),
        source_report=None,
    )
    case_file_add(actor=caseworker, case=case, clean=CleanFile("dictamen.pdf", "application/pdf", CASE_FILE))
    assert AuditEntry.objects.count() >= 4
    return {
        "receipt": receipt,
        "report_uuid": str(report.uuid),
        "case_uuid": str(case.uuid),
        "recipient_email": caseworker.email,
        "password": PASSWORD,
    }


class Target:
    """An empty deployment: a database that does not exist yet (created empty for PostgreSQL) and new storage
    folders, with the keys of the deployment that made the backup, and nothing else."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        db = connection.settings_dict
        if connection.vendor == "postgresql":
            self.name = f"{db['NAME']}_restored"
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
                cursor.execute(f'CREATE DATABASE "{self.name}"')
            auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
            self.url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{self.name}"
        else:
            self.name = str(folder / "restored.sqlite3")
            self.url = f"sqlite:///{self.name}"
        self.storage = {"safechannel": folder / "safechannel", "cases": folder / "cases"}
        argon2 = django_settings.SAFECHANNEL_ARGON2
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PYTEST", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": "amparo.settings",
            "DATABASE_URL": self.url,
            "AMPARO_VAR_DIR": str(folder / "var"),
            "SAFECHANNEL_STORAGE_DIR": str(self.storage["safechannel"]),
            "CASES_STORAGE_DIR": str(self.storage["cases"]),
            # The keys: kept apart from the backups, handed to the new deployment by its operator.
            "SECRET_KEY": django_settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(django_settings.FIELD_ENCRYPTION_KEYS),
            "SAFECHANNEL_PEPPER": django_settings.SAFECHANNEL_PEPPER,
            "CASE_SEARCH_KEY": django_settings.CASE_SEARCH_KEY,
            "SAFECHANNEL_ARGON2_TIME_COST": str(argon2["time_cost"]),
            "SAFECHANNEL_ARGON2_MEMORY_KIB": str(argon2["memory_kib"]),
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300, check=False
        )

    def restore(self, archive: Path, identity: Path) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "amparo", "restore", str(archive), "--identity", str(identity))

    def tables(self) -> int:
        if connection.vendor == "postgresql":
            import psycopg  # the catalogue of another database is not visible from this connection: ask it

            db = connection.settings_dict
            with psycopg.connect(
                dbname=self.name, host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                password=db.get("PASSWORD") or None,
            ) as other:  # fmt: skip
                row = other.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                ).fetchone()
                assert row is not None
                return int(row[0])
        if not Path(self.name).exists():
            return 0
        with sqlite3.connect(self.name) as restored:
            return int(restored.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])

    def files(self) -> list[Path]:
        return [p for root in self.storage.values() if root.exists() for p in root.rglob("*") if p.is_file()]

    def drop(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    made = Target(tmp_path / "restored")
    try:
        yield made
    finally:
        made.drop()


def plaintext_members(archive: Path, identity: Path) -> dict[str, bytes]:
    """The decrypted tar, read in memory (test-sized): name -> content."""
    ident = pyrage.x25519.Identity.from_str(identity.read_text().splitlines()[-1])
    with tarfile.open(fileobj=io.BytesIO(pyrage.decrypt(archive.read_bytes(), [ident]))) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def test_backup_then_restore_into_an_empty_deployment(world: World, tmp_path: Path, target: Target) -> None:
    expected = make_data(world)
    identity, public = keygen(tmp_path)
    archive = tmp_path / "amparo.age"
    out = io.StringIO()
    call_command("backup", str(archive), recipient=public, stdout=out)
    assert "Backup written" in out.getvalue() and oct(archive.stat().st_mode)[-3:] == "600"

    # What is inside: the dump, both storage folders, the manifest with a checksum per file; never a key.
    members = plaintext_members(archive, identity)
    manifest = json.loads(members["manifest.json"])
    assert {f["path"] for f in manifest["files"]} == set(members) - {"manifest.json"}
    assert manifest["database"]["vendor"] == connection.vendor and manifest["migrations"]["safechannel"]
    assert any(name.startswith("storage/safechannel/") for name in members)
    assert any(name.startswith("storage/cases/case-files/") for name in members)
    assert not any(Path(name).name in KEY_FILE_NAMES for name in members)
    secrets_ = [
        django_settings.SECRET_KEY, django_settings.SAFECHANNEL_PEPPER, django_settings.CASE_SEARCH_KEY,
        *django_settings.FIELD_ENCRYPTION_KEYS,
    ]  # fmt: skip
    for name, content in members.items():
        for secret in secrets_:
            assert secret.encode() not in content, f"a key is in {name}"
    assert b"Marfil-4471" not in archive.read_bytes() and b"Secreta" not in b"".join(members.values())

    # A damaged archive (one byte flipped in the middle) and a truncated one: refused, the target stays empty.
    damaged = tmp_path / "damaged.age"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.age"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    for bad in (damaged, truncated):
        refused = target.restore(bad, identity)
        assert refused.returncode != 0 and "damaged or truncated" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
        assert target.tables() == 0 and target.files() == []
    # A wrong identity: refused, in words.
    (tmp_path / "other").mkdir()
    other_identity, _ = keygen(tmp_path / "other")
    wrong = target.restore(archive, other_identity)
    assert wrong.returncode != 0 and "does not open this archive" in wrong.stderr, wrong.stderr
    assert target.tables() == 0 and target.files() == []

    # The real restore, then the survivor, a recipient, the case and the audit chain on the restored deployment.
    restored = target.restore(archive, identity)
    assert restored.returncode == 0, restored.stderr
    assert "every checksum correct" in restored.stdout
    assert len(target.files()) == 2  # the report's attachment and the case's file
    run = target.run("-m", "amparo.backup.tests.rehearsal", json.dumps(expected))
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["survivor_text"] == found["staff_text"] == "Un cliente me agredió en el hotel Marfil-4471."
    assert bytes.fromhex(found["survivor_attachment"]) == ATTACHMENT
    assert (found["case_name"], found["case_narrative"]) == ("Valentina Secreta-Rubí", "Relato-Turquesa-7731")
    assert bytes.fromhex(found["case_file"]) == CASE_FILE
    assert found["entries_before"] == AuditEntry.objects.count() == found["audit_checked"]
    assert found["audit_ok"] and found["audit_ok_after"]

    # Restoring again over the deployment that now has data is refused, and changes nothing.
    tables = target.tables()
    again = target.restore(archive, identity)
    assert again.returncode != 0 and "not empty" in again.stderr
    assert target.tables() == tables and len(target.files()) == 2


def test_restore_refuses_a_database_with_data_before_reading_the_archive(world: World, tmp_path: Path) -> None:
    identity, public = keygen(tmp_path)
    archive = tmp_path / "amparo.age"
    call_command("backup", str(archive), recipient=public, stdout=io.StringIO())
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="target database is not empty"):
        call_command("restore", str(archive), identity=str(identity))
    assert AuditEntry.objects.count() == before


def test_check_verifies_without_restoring_and_names_each_problem(world: World, tmp_path: Path, settings: Any) -> None:
    settings.BACKUP_RECIPIENT = ""
    identity, public = keygen(tmp_path)
    archive = tmp_path / "amparo.age"
    make_data(world)
    call_command("backup", str(archive), recipient=public, stdout=io.StringIO())
    out = io.StringIO()
    call_command("restore", str(archive), identity=str(identity), check=True, stdout=out)
    assert "verified" in out.getvalue()

    # A file whose content does not match its manifest entry (re-encrypted to the same key, so age is happy).
    members = plaintext_members(archive, identity)
    name = next(n for n in members if n.startswith("storage/safechannel/"))
    members[name] = members[name][:-1] + bytes([members[name][-1] ^ 1])
    forged = tmp_path / "forged.age"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for member, content in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    forged.write_bytes(pyrage.encrypt(buffer.getvalue(), [pyrage.x25519.Recipient.from_str(public)]))
    with pytest.raises(CommandError, match="Checksum or size mismatch"):
        call_command("restore", str(forged), identity=str(identity), check=True)

    # A path that climbs out of the staging folder is refused before anything is written.
    climbing = tmp_path / "climbing.age"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("../../etc/evil")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    climbing.write_bytes(pyrage.encrypt(buffer.getvalue(), [pyrage.x25519.Recipient.from_str(public)]))
    with pytest.raises(CommandError, match="unsafe name"):
        call_command("restore", str(climbing), identity=str(identity), check=True)

    # Not an archive at all, an identity file that is the public key, a missing recipient.
    junk = tmp_path / "junk.age"
    junk.write_bytes(b"hello")
    with pytest.raises(CommandError, match="damaged or truncated"):
        call_command("restore", str(junk), identity=str(identity), check=True)
    public_file = tmp_path / "public.txt"
    public_file.write_text(public + "\n")
    with pytest.raises(CommandError, match="holds a public key"):
        call_command("restore", str(archive), identity=str(public_file), check=True)
    with pytest.raises(CommandError, match="BACKUP_RECIPIENT is not set"):
        call_command("backup", str(tmp_path / "none.age"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(archive), recipient=public, stdout=io.StringIO())
    assert not list(tmp_path.glob("*.partial"))


def test_the_scheduled_backup_writes_into_its_folder_and_deletes_only_its_old_archives(
    world: World, tmp_path: Path, settings: Any
) -> None:
    """The scheduler's job (`backup --scheduled`): nothing and a plain line while unconfigured; then one archive
    that opens with the identity, its own archives older than BACKUP_KEEP_DAYS deleted, any other file kept."""
    import os
    import time

    out = io.StringIO()
    settings.BACKUP_DIR, settings.BACKUP_RECIPIENT = "", ""
    call_command("backup", "--scheduled", stdout=out)
    assert out.getvalue().strip() == "Backups are not configured (BACKUP_DIR, BACKUP_RECIPIENT): nothing written."
    identity, public = keygen(tmp_path)
    folder = tmp_path / "backups"
    folder.mkdir()
    old, recent = folder / "amparo-20260101T013000Z.age", folder / "amparo-20261203T013000Z.age"
    other = folder / "x.age"
    for path in (old, recent, other):
        path.write_bytes(b"old")
    month_ago = time.time() - 30 * 24 * 3600
    os.utime(old, (month_ago, month_ago))
    os.utime(other, (month_ago, month_ago))
    settings.BACKUP_DIR, settings.BACKUP_RECIPIENT, settings.BACKUP_KEEP_DAYS = str(folder), public, 14
    out = io.StringIO()
    call_command("backup", "--scheduled", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "1 archive written, 1 archive(s) older than 14 days deleted."
    written = sorted(set(folder.iterdir()) - {recent, other})
    assert not old.exists() and recent.exists() and other.exists() and len(written) == 1
    assert "manifest.json" in plaintext_members(written[0], identity)
