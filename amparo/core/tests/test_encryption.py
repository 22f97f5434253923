"""Identifying data at rest: Fernet tokens in the database, readable with any configured key, rotatable."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from amparo.accounts.models import Organization
from amparo.cases.legal_services import document_path, legal_document_add
from amparo.cases.models import Case, LegalMatter
from amparo.core import encryption
from amparo.core.uploads import CleanFile

pytestmark = pytest.mark.django_db


def raw_name(case: Case) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name FROM cases_case WHERE id = %s", [case.pk])
        value: str = cursor.fetchone()[0]
        return value


def test_values_are_tokens_at_rest_and_rotate_to_a_new_key(settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    org = Organization.objects.create(name="Org")
    case = Case.objects.create(organization=org, full_name="Nombre-Secreto-1")
    matter = LegalMatter.objects.create(case=case, kind="custody")
    document = legal_document_add(
        actor=None, matter=matter, clean=CleanFile("acta.pdf", "application/pdf", b"%PDF-1.4 acta")
    )
    assert Fernet(old.encode()).decrypt(document_path(document).read_bytes()) == b"%PDF-1.4 acta"
    token = raw_name(case)
    assert "Nombre-Secreto" not in token and Fernet(old.encode()).decrypt(token.encode()) == b"Nombre-Secreto-1"
    assert Case.objects.get(pk=case.pk).full_name == "Nombre-Secreto-1"

    settings.FIELD_ENCRYPTION_KEYS = [new, old]  # the new key first; the old one still decrypts
    assert Case.objects.get(pk=case.pk).full_name == "Nombre-Secreto-1"
    call_command("rotate_field_keys", verbosity=0)
    rotated = raw_name(case)
    assert Fernet(new.encode()).decrypt(rotated.encode()) == b"Nombre-Secreto-1"
    assert Fernet(new.encode()).decrypt(document_path(document).read_bytes()) == b"%PDF-1.4 acta"

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key removed: everything still reads
    assert Case.objects.get(pk=case.pk).full_name == "Nombre-Secreto-1"
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured):
        Case.objects.get(pk=case.pk)  # a wrong key is a loud configuration error, never garbage


def test_tampering_is_detected(settings: Any) -> None:
    token = encryption.encrypt_text("dato")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(ImproperlyConfigured):
        encryption.decrypt_text(forged)
