"""The child process of `bench/faults.py kill` and of `core/tests/test_faults.py`: the real services against a real
database, killed with SIGKILL by its parent at random moments.

    python bench/faults_worker.py setup   -> one JSON line: the world (organisation, recipients, recovery key, case)
    python bench/faults_worker.py loop W  -> writes for ever, one JSON line per write *after* it committed
    python bench/faults_worker.py check F -> F: a file of the committed lines; prints one JSON document of findings

The environment selects the database and the storage folders (DATABASE_URL, SAFECHANNEL_STORAGE_DIR,
CASES_STORAGE_DIR), as for the app.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from amparo.accounts.models import Membership, Organization, User  # noqa: E402
from amparo.audit.selectors import audit_verify  # noqa: E402
from amparo.cases import casework_services, legal_services  # noqa: E402
from amparo.cases import services as case_services  # noqa: E402
from amparo.cases.models import Case, CaseFile, CaseNote, LegalDocument, LegalMatter  # noqa: E402
from amparo.core.encryption import decrypt_bytes  # noqa: E402
from amparo.core.filestore import TEMP_PREFIX, TEMP_SUFFIX  # noqa: E402
from amparo.core.uploads import CleanFile  # noqa: E402
from amparo.directory.models import Place  # noqa: E402
from amparo.safechannel import crypto  # noqa: E402
from amparo.safechannel import services as channel  # noqa: E402
from amparo.safechannel.models import Attachment, KeyGrant, Message, Report  # noqa: E402
from amparo.safechannel.services import sweep_orphan_files as sweep_channel  # noqa: E402

PASSWORD = "faults-pass-0123"  # noqa: S105 (a throw-away benchmark account)
RECIPIENTS = 2
FILE_BYTES = (64 * 1024, 512 * 1024)


def emit(**record: Any) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def setup() -> None:
    co = Place.objects.create(pcode="CO", name="Colombia", level=0, latitude=4.6, longitude=-74.1)
    ns = Place.objects.create(
        pcode="CO54", name="Norte de Santander", level=1, parent=co, latitude=7.9, longitude=-72.5
    )
    Place.objects.create(pcode="CO54001", name="Cúcuta", level=2, parent=ns, latitude=7.89, longitude=-72.5)
    org = Organization.objects.create(name="Faults receiver")
    org.areas.add(ns)
    users = []
    for i in range(RECIPIENTS):
        email = f"r{i}@faults.invalid"
        user = User.objects.create_user(username=email, email=email, password=PASSWORD)
        Membership.objects.create(user=user, organization=org, role="caseworker")
        channel.recipient_key_unlock(user, PASSWORD)
        users.append(user)
    recovery = channel.channel_setup(actor=users[0], organization=org)
    case = case_services.case_open(
        actor=users[0], organization=org, intake=case_services.Intake(full_name="Faults", consents=["services"])
    )
    matter = legal_services.legal_matter_open(actor=users[0], case=case, kind="criminal_complaint")
    emit(organization=org.pk, actor=users[0].pk, recovery=recovery, case=case.pk, matter=matter.pk)


def _file(label: str) -> CleanFile:
    data = secrets.token_bytes(secrets.choice(range(*FILE_BYTES)))
    return CleanFile(name=f"{label}.pdf", content_type="application/pdf", data=data)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def loop(world: dict[str, Any]) -> None:
    org = Organization.objects.get(pk=world["organization"])
    actor = User.objects.get(pk=world["actor"])
    case = Case.objects.get(pk=world["case"])
    matter = LegalMatter.objects.get(pk=world["matter"])
    place = Place.objects.get(pcode="CO54001")
    import_module(settings.ROOT_URLCONF)  # the receivers reverse() URLs: load every view before the clock starts
    emit(kind="ready")
    n = 0
    while True:
        n += 1
        files = [_file(f"r{n}a"), _file(f"r{n}b")]
        text = f"report {n} {secrets.token_hex(8)}"
        data = channel.NewReport(
            place=place, what_happened=text, happened=["rape"], persecuted="no", state_agent="no",
            wants=["talk"], contact_how="none", files=files,
        )  # fmt: skip
        report, receipt = channel.report_create(organization=org, data=data)
        emit(kind="report", id=report.pk, receipt=receipt, text=text, files=sorted(_sha(f.data) for f in files))
        key = crypto.decrypt(crypto.receipt_secrets(receipt).key, report.receipt_sealed_key)
        extra = _file(f"m{n}")
        channel.survivor_message(report, key, text=f"message {n}", files=[extra])
        emit(kind="message", report=report.pk, text=f"message {n}", file=_sha(extra.data))
        clean = _file(f"c{n}")
        case_file = casework_services.case_file_add(actor=actor, case=case, clean=clean)
        emit(kind="case_file", uuid=str(case_file.uuid), sha=_sha(clean.data))
        note = casework_services.case_note_add(actor=actor, case=case, noted_on=timezone.localdate(), text=f"note {n}")
        emit(kind="case_note", uuid=str(note.uuid), text=f"note {n}")
        clean = _file(f"d{n}")
        document = legal_services.legal_document_add(actor=actor, matter=matter, clean=clean)
        emit(kind="document", uuid=str(document.uuid), sha=_sha(clean.data))


def _files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.is_dir() else set()


def _row_files() -> tuple[set[str], set[str]]:
    channel_rows = {f"{r}/{u}.bin" for u, r in Attachment.objects.values_list("uuid", "report__uuid")}
    case_rows = {f"case-files/{c}/{u}.bin" for u, c in CaseFile.objects.values_list("uuid", "case__uuid")}
    case_rows |= {f"{m}/{u}.bin" for u, m in LegalDocument.objects.values_list("uuid", "matter__uuid")}
    return channel_rows, case_rows


def check(world: dict[str, Any], committed_file: Path) -> None:
    """Every committed write is there, whole and readable; no row without its file or its key grants; files left
    without a row are counted, swept (grace 0: nothing is writing now), and counted again."""
    problems: list[str] = []
    committed = [json.loads(line) for line in committed_file.read_text().splitlines() if line.strip()]
    recovery = crypto.recovery_key_from_text(world["recovery"])
    keys: dict[int, bytes] = {}
    recipients = RECIPIENTS
    # 1. Every report row (committed and acknowledged or not): its grants, its recovery seal, its attachments.
    for report in Report.objects.all():
        key = crypto.unseal(recovery, report.recovery_sealed_key)
        keys[report.pk] = key
        channel.report_content(report, key)
        if KeyGrant.objects.filter(report=report).count() != recipients:
            problems.append(f"report {report.pk}: {KeyGrant.objects.filter(report=report).count()} key grants")
        for attachment in report.attachments.all():
            path = settings.SAFECHANNEL_STORAGE_DIR / str(report.uuid) / f"{attachment.uuid}.bin"
            if not path.is_file():
                problems.append(f"report {report.pk}: attachment row without its file")
                continue
            try:
                crypto.decrypt(key, path.read_bytes())
            except crypto.CryptoError:
                problems.append(f"report {report.pk}: attachment file does not decrypt (half-written?)")
    for row in CaseFile.objects.select_related("case"):
        path = casework_services.case_file_path(row)
        if not path.is_file():
            problems.append(f"case file {row.uuid}: row without its file")
        else:
            decrypt_bytes(path.read_bytes())
    for doc in LegalDocument.objects.select_related("matter"):
        path = legal_services.document_path(doc)
        if not path.is_file():
            problems.append(f"document {doc.uuid}: row without its file")
        else:
            decrypt_bytes(path.read_bytes())
    # 2. Every acknowledged (committed) write is there with what was written.
    for record in committed:
        kind = record["kind"]
        if kind == "report":
            found = Report.objects.filter(pk=record["id"]).first()
            if found is None:
                problems.append(f"committed report {record['id']} lost")
                continue
            report = found
            derived = crypto.receipt_secrets(record["receipt"])
            if derived.lookup != report.receipt_lookup:
                problems.append(f"committed report {record['id']}: its receipt does not open it")
                continue
            key = crypto.decrypt(derived.key, report.receipt_sealed_key)
            if channel.report_content(report, key)["what_happened"] != record["text"]:
                problems.append(f"committed report {record['id']}: text differs")
            first = sorted(
                _sha(crypto.decrypt(key, (settings.SAFECHANNEL_STORAGE_DIR / str(report.uuid) / f"{a.uuid}.bin")
                                    .read_bytes()))
                for a in report.attachments.order_by("created_at", "pk")[:2]
            )  # fmt: skip
            if first != record["files"]:
                problems.append(f"committed report {record['id']}: attachments differ")
        elif kind == "message":
            bodies = [
                crypto.decrypt(keys[record["report"]], m.body).decode()
                for m in Message.objects.filter(report_id=record["report"])
            ]
            if record["text"] not in bodies:
                problems.append(f"committed message of report {record['report']} lost")
        elif kind == "case_file":
            stored = CaseFile.objects.filter(uuid=record["uuid"]).select_related("case").first()
            file_path = casework_services.case_file_path(stored) if stored is not None else None
            if file_path is None or _sha(decrypt_bytes(file_path.read_bytes())) != record["sha"]:
                problems.append(f"committed case file {record['uuid']} lost or different")
        elif kind == "case_note":
            if not CaseNote.objects.filter(uuid=record["uuid"]).exists():
                problems.append(f"committed case note {record['uuid']} lost")
        elif kind == "document":
            document = LegalDocument.objects.filter(uuid=record["uuid"]).select_related("matter").first()
            document_path = legal_services.document_path(document) if document is not None else None
            if document_path is None or _sha(decrypt_bytes(document_path.read_bytes())) != record["sha"]:
                problems.append(f"committed document {record['uuid']} lost or different")
    # 3. Files without a row, before and after the purges' sweep (grace 0: nothing is writing now).
    channel_root, cases_root = settings.SAFECHANNEL_STORAGE_DIR, settings.CASES_STORAGE_DIR
    channel_rows, case_rows = _row_files()

    def leftovers() -> dict[str, int]:
        on_disk = _files_under(channel_root) | {f"cases:{p}" for p in _files_under(cases_root)}
        rows = channel_rows | {f"cases:{p}" for p in case_rows}
        orphans = on_disk - rows
        partial = [p for p in orphans if Path(p).name.startswith(TEMP_PREFIX) and p.endswith(TEMP_SUFFIX)]
        return {"orphan_files": len(orphans) - len(partial), "temporary_files": len(partial)}

    before = leftovers()
    settings.STORAGE_ORPHAN_GRACE_SECONDS = 0
    swept_channel = sweep_channel()
    from amparo.cases.storage import sweep_orphan_files as sweep_cases

    swept_cases = sweep_cases()
    after = leftovers()
    missing_after = (channel_rows - _files_under(channel_root)) | (case_rows - _files_under(cases_root))
    if missing_after:
        problems.append(f"{len(missing_after)} files of rows missing after the sweep")
    if any(after.values()):
        problems.append(f"left after the sweep: {after}")
    audit = audit_verify()
    if not audit.ok:
        problems += [f"audit: {p}" for p in audit.problems]
    emit(
        vendor=connection.vendor,
        committed=len(committed),
        reports=Report.objects.count(),
        attachments=Attachment.objects.count(),
        case_files=CaseFile.objects.count(),
        case_notes=CaseNote.objects.count(),
        documents=LegalDocument.objects.count(),
        before_sweep=before,
        swept={
            "files": swept_channel.files + swept_cases.files,
            "folders": swept_channel.folders + swept_cases.folders,
        },
        after_sweep=after,
        audit_entries=audit.checked,
        problems=problems,
    )


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "setup":
        setup()
    elif command == "loop":
        loop(json.loads(sys.argv[2]))
    elif command == "check":
        check(json.loads(sys.argv[2]), Path(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
