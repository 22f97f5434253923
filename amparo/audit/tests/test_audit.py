from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AppendOnlyError, AuditEntry
from amparo.audit.selectors import audit_verify
from amparo.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_and_user() -> tuple[Organization, User]:
    organization = Organization.objects.create(name="Red Violeta (demo)")
    user = User.objects.create_user(username="ana@example.org", email="ana@example.org", password="x" * 20)
    return organization, user


def write_entries(organization: Organization, user: User, n: int = 5) -> None:
    for i in range(n):
        with transaction.atomic():
            audit_record(actor=user, action="test.write", organization=organization, object_id=str(i))


def test_chain_verifies_and_command_says_so(
    org_and_user: tuple[Organization, User], capsys: pytest.CaptureFixture[str]
) -> None:
    write_entries(org_and_user[0], org_and_user[1])
    assert audit_verify().ok
    call_command("audit_verify")
    assert "5 entries verified" in capsys.readouterr().out


def test_record_outside_a_transaction_is_refused(org_and_user: tuple[Organization, User]) -> None:
    if connection.in_atomic_block:  # pytest-django wraps each test in one; leave it for this check
        with pytest.raises(RuntimeError), transaction.atomic():
            connection.in_atomic_block = False  # simulate autocommit for the guard only
            try:
                audit_record(action="x")
            finally:
                connection.in_atomic_block = True


def test_entry_rolls_back_with_the_change(org_and_user: tuple[Organization, User]) -> None:
    organization, user = org_and_user
    before = AuditEntry.objects.count()
    with pytest.raises(ValueError), transaction.atomic():
        Membership.objects.create(user=user, organization=organization, role=Role.CASEWORKER)
        audit_record(actor=user, action="membership.create", organization=organization)
        raise ValueError("the change fails after the audit row was written")
    assert AuditEntry.objects.count() == before
    assert not Membership.objects.exists()


def test_application_has_no_update_or_delete_path(org_and_user: tuple[Organization, User]) -> None:
    write_entries(org_and_user[0], org_and_user[1], n=1)
    entry = AuditEntry.objects.get()
    entry.action = "forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


def _raw(sql: str, params: list[str] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def test_postgresql_refuses_update_and_delete(org_and_user: tuple[Organization, User]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the database-level guard is PostgreSQL's")
    write_entries(org_and_user[0], org_and_user[1], n=2)
    for sql in ("UPDATE audit_auditentry SET action = 'forged'", "DELETE FROM audit_auditentry"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw(sql)


def _tamper(sql: str) -> None:
    """What an intruder with database rights would do: switch the guard off, edit, switch it back on."""
    if connection.vendor == "postgresql":
        _raw("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_append_only")
        _raw(sql)
        _raw("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_append_only")
    else:
        _raw(sql)


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("UPDATE audit_auditentry SET actor_label = 'someone else' WHERE seq = 3", "entry 3: content"),
        ("DELETE FROM audit_auditentry WHERE seq = 2", "entries 2–2 are missing"),
        ("DELETE FROM audit_auditentry WHERE seq = 5", "truncated"),
    ],
)
def test_verify_catches_a_tampered_row(org_and_user: tuple[Organization, User], sql: str, problem: str) -> None:
    write_entries(org_and_user[0], org_and_user[1])
    _tamper(sql)
    result = audit_verify()
    assert not result.ok
    assert any(problem in p for p in result.problems), result.problems
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit_verify")


def test_recomputed_hash_still_breaks_the_link(org_and_user: tuple[Organization, User]) -> None:
    """Editing a row and recomputing its own hash is caught by the next row's link."""
    from amparo.audit.services import entry_hash, hashed_fields

    write_entries(org_and_user[0], org_and_user[1])
    entry = AuditEntry.objects.get(seq=3)
    entry.actor_label = "someone else"
    new_hash = entry_hash(entry.prev_hash, hashed_fields(entry))
    _tamper(f"UPDATE audit_auditentry SET actor_label = 'someone else', hash = '{new_hash}' WHERE seq = 3")
    result = audit_verify()
    assert any("entry 4: link" in p for p in result.problems), result.problems
