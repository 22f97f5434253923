"""Legal aid through real HTTP against a live server: a caseworker opens a complaint against a police officer, sees
the entities that do not answer to the police (with directory services near the case), adds a hearing and marks it
done; every read and write is audited; anyone who may not see the case gets 404 on every legal URL; legal dates
become notices for the lawyer, e-mailed without identifying data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from amparo.accounts.models import Organization, User
from amparo.accounts.roles import Role
from amparo.accounts.tests.http import Browser
from amparo.audit.models import AuditEntry
from amparo.cases import legal_services, services
from amparo.cases.models import Case, LegalEvent, LegalMatter
from amparo.directory.models import Location, Place, Service, ServiceAtLocation, ServiceType
from amparo.directory.models import Organization as DirectoryOrganization
from amparo.directory.services import location_sync
from amparo.safechannel.tests.conftest import make_staff, staff_login
from amparo.today.models import Kind, Notification


def es(text: str) -> str:
    """The Spanish text (the default language of staff pages and e-mails), as a page escapes it."""
    with translation.override("es"):
        return escape(gettext(text))


pytestmark = pytest.mark.django_db(transaction=True)

PARTIES = "Agente-Ficticio-Ocre-5521 (denunciado)"
EVENT_TEXT = "Audiencia-Secreta-Lila-884"
POLICE_STATION = "Estación de Policía Ficticia Cúcuta (test)"


@dataclass
class LegalWorld:
    org: Organization
    case: Case
    staff: dict[str, User]


def legal_world_objects(org: Organization, caseworker: User, lawyer: User, *, perpetrator: str = "police") -> Case:
    """A case of `org` in Cúcuta, assigned to the caseworker and the lawyer, with one incident whose aggressor is
    `perpetrator` (also used by the role matrix through its own helper)."""
    cucuta = Place.objects.get(pcode="CO54001")
    intake = services.Intake(full_name="Nombre-Secreto-Añil", place=cucuta, consents=["services"], age_band="26-40")
    case = services.case_open(actor=caseworker, organization=org, intake=intake)
    services.case_assign(actor=caseworker, case=case, caseworkers=[caseworker, lawyer], supervisor=None)
    now = timezone.now()
    services.incident_record(
        actor=caseworker, case=case, occurred_at=now - timedelta(days=10), time_known=True,
        first_reported_at=now - timedelta(days=2), place=cucuta, answers={"sexual_contact": True},
        context_tags=["sex_work", "state_violence"], perpetrator_types=[perpetrator], perpetrator_count=2,
        description="Relato-Secreto",
    )  # fmt: skip
    return case


def police_station_near(place: Place) -> None:
    """A police station that takes complaints, in the directory: it must never be suggested against the police."""
    org = DirectoryOrganization.objects.create(name=POLICE_STATION, kind=DirectoryOrganization.Kind.POLICE)
    service = Service.objects.create(organization=org, name="Recepción de denuncias (test)")
    service.types.add(ServiceType.objects.get(code="criminal-complaint"))
    location = Location.objects.create(
        organization=org, name="Sede", place=place, latitude=place.latitude, longitude=place.longitude
    )
    ServiceAtLocation.objects.create(
        service=service, location=location, place=place, latitude=place.latitude, longitude=place.longitude
    )
    location_sync(location)


@pytest.fixture
def lw(demo_directory: None) -> LegalWorld:
    org = Organization.objects.create(name="Red Violeta (legal test)")
    other = Organization.objects.create(name="Otra (legal test)")
    staff = {
        "caseworker": make_staff("gestora@legal.example.org", org, Role.CASEWORKER, with_key=False),
        "caseworker2": make_staff("gestora2@legal.example.org", org, Role.CASEWORKER, with_key=False),
        "lawyer": make_staff("abogada@legal.example.org", org, Role.LEGAL_ADVISOR, with_key=False),
        "coordinator": make_staff("coord@legal.example.org", org, Role.COORDINATOR, with_key=False),
        "monitor": make_staff("monitora@legal.example.org", org, Role.MONITOR, with_key=False),
        "outsider": make_staff("gestora@otra-legal.example.org", other, Role.CASEWORKER, with_key=False),
        "outsider_coord": make_staff("coord@otra-legal.example.org", other, Role.COORDINATOR, with_key=False),
    }
    case = legal_world_objects(org, staff["caseworker"], staff["lawyer"])
    police_station_near(Place.objects.get(pcode="CO54001"))
    return LegalWorld(org, case, staff)


def signed_in(live_server: Any, user: User) -> Browser:
    browser = Browser(live_server.url)
    staff_login(browser, user)
    return browser


def test_complaint_against_police_from_opening_to_hearing_done(live_server: Any, lw: LegalWorld) -> None:
    browser = signed_in(live_server, lw.staff["caseworker"])
    opened = browser.submit(
        f"/staff/cases/{lw.case.uuid}/legal/new/",
        {"kind": "state_agent_complaint", "lawyer": str(lw.staff["lawyer"].pk), "parties": PARTIES},
    )
    assert opened.status == 302, opened.text[:2000]
    matter = LegalMatter.objects.get()
    assert opened.location.endswith(f"/staff/cases/legal/{matter.uuid}/")
    assert matter.lawyer == lw.staff["lawyer"] and matter.parties == PARTIES

    page = browser.get(f"/staff/cases/legal/{matter.uuid}/")
    assert page.status == 200 and PARTIES in page.text
    back = f'href="/staff/cases/{lw.case.uuid}/"'  # the matter and the new-matter pages lead back to the case
    assert back in page.text and back in browser.get(f"/staff/cases/{lw.case.uuid}/legal/new/").text
    # The entities that do not answer to the police, and nothing of the police itself.
    for entity in ("fiscalia", "procuraduria", "defensoria", "personeria"):
        assert f'data-entity="{entity}"' in page.text, entity
    assert "Personería Municipal de Cúcuta" in page.text  # the directory's own entity near the case
    assert "Defensoría del Pueblo" in page.text
    assert POLICE_STATION not in page.text
    assert "155" in page.text  # the women's line is answered by police agents: said on the page
    # An UNCONFIRMED fact is presented as something to confirm, never as certain.
    assert (
        es("Whether that law names sexual violence expressly is not confirmed: confirm with the Fiscalía.") in page.text
    )
    # Without the exclusion the police station would be the nearest place to file a complaint: proof it exists.
    assert any(h.sal.service.organization.name == POLICE_STATION for h in _complaint_hits(lw.case))

    due = timezone.localtime() + timedelta(days=3)
    added = browser.submit(
        f"/staff/cases/legal/{matter.uuid}/",
        {"action": "event", "event-kind": "hearing", "event-due_at": due.strftime("%Y-%m-%dT%H:%M"),
         "event-description": EVENT_TEXT},
    )  # fmt: skip
    assert added.status == 302, added.text[:2000]
    event = LegalEvent.objects.get()
    assert event.kind == "hearing" and not event.done
    page = browser.get(f"/staff/cases/legal/{matter.uuid}/")
    assert EVENT_TEXT in page.text
    done = browser.submit(f"/staff/cases/legal/{matter.uuid}/", {"action": "done", "event": str(event.pk)})
    assert done.status == 302
    event.refresh_from_db()
    assert event.done
    updated = browser.submit(
        f"/staff/cases/legal/{matter.uuid}/",
        {"action": "update", "matter-status": "filed", "matter-lawyer": str(lw.staff["lawyer"].pk),
         "matter-filing_reference": "NUNC-0001-SECRETO", "matter-parties": PARTIES, "matter-outcome": ""},
    )  # fmt: skip
    assert updated.status == 302, updated.text[:2000]
    matter.refresh_from_db()
    assert matter.status == "filed" and matter.filing_reference == "NUNC-0001-SECRETO"

    actions = list(AuditEntry.objects.filter(object_id=str(matter.uuid)).values_list("action", flat=True))
    for action in ("legal.matter.open", "legal.matter.read", "legal.event.add", "legal.event.done"):
        assert action in actions, action
    assert actions.count("legal.matter.read") >= 3 and "legal.matter.update" in actions
    update = AuditEntry.objects.get(action="legal.matter.update")
    assert update.detail["fields"] == ["filing_reference", "status"]
    # Nothing identifying in the audit trail, and the protected fields are ciphertext in the database.
    trail = " ".join(str(e.detail) for e in AuditEntry.objects.all())
    for secret in ("Agente-Ficticio", EVENT_TEXT, "NUNC-0001"):
        assert secret not in trail
    with connection.cursor() as cursor:
        cursor.execute("SELECT parties, filing_reference FROM cases_legalmatter")
        raw = " ".join(str(v) for v in cursor.fetchone())
        cursor.execute("SELECT description FROM cases_legalevent")
        raw += str(cursor.fetchone()[0])
    assert "Agente-Ficticio" not in raw and "NUNC-0001" not in raw and EVENT_TEXT not in raw

    # The case page's include lists the matter (its selector reads no encrypted field).
    listed = legal_services.legal_matters_of_case(lw.case).get()
    assert listed.pk == matter.pk and listed.next_due_at is None  # the only hearing is done


def _complaint_hits(case: Case) -> list[Any]:
    from amparo.directory.selectors import SearchCriteria, search_services

    return search_services(SearchCriteria(needs=("criminal-complaint",), place=case.place, page_size=3)).hits


def test_no_state_agent_recorded_gives_the_general_guide(live_server: Any, lw: LegalWorld) -> None:
    case = legal_world_objects(lw.org, lw.staff["caseworker"], lw.staff["lawyer"], perpetrator="client")
    matter = legal_services.legal_matter_open(actor=lw.staff["caseworker"], case=case, kind="state_agent_complaint")
    page = signed_in(live_server, lw.staff["lawyer"]).get(f"/staff/cases/legal/{matter.uuid}/")
    general = es(
        "No incident of this case records a state agent as aggressor: the list below is the general one. Record the "
        "incident to see the guidance for police, military or migration officials."
    )
    assert page.status == 200 and general in page.text
    assert 'data-entity="fiscalia"' in page.text
    # A custody matter shows no state-agent guide.
    custody = legal_services.legal_matter_open(actor=lw.staff["caseworker"], case=case, kind="custody")
    page = signed_in(live_server, lw.staff["caseworker"]).get(f"/staff/cases/legal/{custody.uuid}/")
    assert page.status == 200 and 'data-entity="fiscalia"' not in page.text


def test_everyone_who_may_not_see_the_case_gets_404(live_server: Any, lw: LegalWorld) -> None:
    matter = legal_services.legal_matter_open(
        actor=lw.staff["caseworker"], case=lw.case, kind="criminal_complaint", parties=PARTIES
    )
    event = legal_services.legal_event_add(
        actor=lw.staff["caseworker"], matter=matter, kind="deadline", due_at=timezone.now() + timedelta(days=2)
    )
    reads_before = AuditEntry.objects.filter(action="legal.matter.read").count()
    urls = [f"/staff/cases/{lw.case.uuid}/legal/new/", f"/staff/cases/legal/{matter.uuid}/"]
    for who in ("outsider", "outsider_coord", "caseworker2", "monitor"):
        browser = signed_in(live_server, lw.staff[who])
        for url in urls:
            assert browser.get(url).status == 404, (who, url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get("/staff/").text)
        assert token, who
        posts = [
            (urls[0], {"kind": "custody"}),
            (urls[1], {"action": "done", "event": str(event.pk)}),
            (urls[1], {"action": "update", "matter-status": "closed"}),
            (urls[1], {"action": "event", "event-kind": "hearing", "event-due_at": "2030-01-01T10:00"}),
        ]
        for url, data in posts:
            assert browser.request(url, {"csrfmiddlewaretoken": token.group(1), **data}).status == 404, (who, url)
        upcoming = browser.get("/staff/cases/legal/upcoming/")
        assert upcoming.status == (404 if who == "monitor" else 200), who
        assert lw.case.code not in upcoming.text
    # Not found looks the same as not allowed.
    insider = signed_in(live_server, lw.staff["caseworker"])
    assert insider.get("/staff/cases/legal/00000000-0000-0000-0000-000000000000/").status == 404
    assert insider.get("/staff/cases/00000000-0000-0000-0000-000000000000/legal/new/").status == 404
    event.refresh_from_db()
    matter.refresh_from_db()
    assert not event.done and matter.status == "preparing" and LegalMatter.objects.count() == 1
    assert AuditEntry.objects.filter(action="legal.matter.read").count() == reads_before
    # The coordinator of the organisation sees it.
    assert signed_in(live_server, lw.staff["coordinator"]).get(urls[1]).status == 200


def test_upcoming_page_lists_the_users_dates_and_is_audited(live_server: Any, lw: LegalWorld) -> None:
    matter = legal_services.legal_matter_open(actor=lw.staff["lawyer"], case=lw.case, kind="eviction")
    now = timezone.now()
    legal_services.legal_event_add(
        actor=lw.staff["lawyer"], matter=matter, kind="hearing", due_at=now + timedelta(days=5)
    )
    legal_services.legal_event_add(
        actor=lw.staff["lawyer"], matter=matter, kind="deadline", due_at=now + timedelta(days=90)
    )
    browser = signed_in(live_server, lw.staff["lawyer"])
    page = browser.get("/staff/cases/legal/upcoming/")
    assert page.status == 200 and lw.case.code in page.text and page.text.count("<tr>") == 2  # header + 1 date
    wide = browser.get("/staff/cases/legal/upcoming/?days=120")
    assert wide.text.count("<tr>") == 3
    entry = AuditEntry.objects.filter(action="legal.upcoming.read", actor_id=lw.staff["lawyer"].pk).first()
    assert entry is not None and entry.detail["codes"] == [lw.case.code]


def _send_queued_emails() -> None:
    """What `manage.py db_worker` does in production: run the e-mail tasks stored with the notices."""
    call_command("db_worker", batch=True, interval=0, no_startup_delay=True, worker_id="test", stdout=StringIO())


def test_legal_dates_are_notices_for_the_lawyer_emailed_without_identifying_data(lw: LegalWorld, settings: Any) -> None:
    settings.BASE_URL = "https://amparo.example.org"
    lawyer, caseworker = lw.staff["lawyer"], lw.staff["caseworker"]
    matter = legal_services.legal_matter_open(
        actor=caseworker, case=lw.case, kind="state_agent_complaint", lawyer=lawyer, parties=PARTIES
    )
    now = timezone.now()
    soon = legal_services.legal_event_add(
        actor=lawyer, matter=matter, kind="hearing", due_at=now + timedelta(days=2), description=EVENT_TEXT
    )
    legal_services.legal_event_add(actor=lawyer, matter=matter, kind="deadline", due_at=now - timedelta(days=1))
    later = legal_services.legal_event_add(
        actor=lawyer, matter=matter, kind="deadline", due_at=now + timedelta(days=30)
    )
    legal_services.legal_event_add(actor=lawyer, matter=matter, kind="document", due_at=now + timedelta(days=1))
    met = legal_services.legal_event_add(actor=lawyer, matter=matter, kind="deadline", due_at=now + timedelta(days=3))
    legal_services.legal_event_done(actor=lawyer, matter=matter, event_id=met.pk)
    notices = Notification.objects.filter(kind=Kind.LEGAL_DEADLINE)  # (never evaluated itself: each use queries)

    out = StringIO()
    call_command("remind_legal_deadlines", "--days", "7", "--dry-run", stdout=out)
    assert "2 legal dates due within 7 days" in out.getvalue() and lawyer.email in out.getvalue()
    assert "(lawyer)" in out.getvalue() and lw.case.code in out.getvalue()  # the operator's terminal only
    assert not notices.exists()

    # The wrapper runs the notifications' legal part: one notice per date, e-mailed by the background worker.
    out = StringIO()
    call_command("remind_legal_deadlines", "--days", "7", stdout=out)
    assert "Notified." in out.getvalue() and not mail.outbox  # nothing is sent by the command itself
    assert [(n.recipient, n.path) for n in notices.all()] == [(lawyer, f"/staff/cases/legal/{matter.uuid}/")] * 2
    _send_queued_emails()
    assert [m.to for m in mail.outbox] == [[lawyer.email]] * 2
    for message in mail.outbox:
        assert f"https://amparo.example.org/staff/cases/legal/{matter.uuid}/" in message.body
        assert es("A legal deadline or hearing is coming up or overdue.") in message.body
        when = formats.date_format(timezone.localtime(soon.due_at), "SHORT_DATE_FORMAT")
        for secret in (lw.case.code, "Agente-Ficticio", EVENT_TEXT, "Nombre-Secreto", "Relato-Secreto", when):
            assert secret not in message.body and secret not in message.subject, secret
    assert AuditEntry.objects.filter(action="legal.reminders.send").get().detail == {
        "recipients": 1,
        "events": 2,
        "notices": 2,
    }

    # The next day's run (notify_due, the daily job) says nothing new; the hearing's last day is told once more.
    mail.outbox.clear()
    call_command("notify_due", stdout=StringIO())
    _send_queued_emails()
    assert not mail.outbox and notices.count() == 2
    LegalEvent.objects.filter(pk=soon.pk).update(due_at=now + timedelta(hours=20))
    call_command("notify_due", stdout=StringIO())
    call_command("remind_legal_deadlines", stdout=StringIO())  # both scheduled by mistake: still once
    _send_queued_emails()
    assert len(mail.outbox) == 1 and notices.count() == 3
    # A corrected date is a new date: told afresh.
    legal_services.legal_event_update(
        actor=lawyer, matter=matter, event=later, changes={"due_at": now + timedelta(days=4)}
    )
    call_command("notify_due", stdout=StringIO())
    _send_queued_emails()
    assert notices.count() == 4 and len(mail.outbox) == 2

    # Her own frequency applies: a daily summary instead of an e-mail per notice.
    from amparo.today import services as today_services

    today_services.preference_set(user=lawyer, email_frequency="daily")
    mail.outbox.clear()
    LegalEvent.objects.filter(pk=later.pk).update(due_at=now - timedelta(hours=1))
    call_command("notify_due", stdout=StringIO())
    _send_queued_emails()
    assert len(mail.outbox) == 1 and "1 × " + es("A legal deadline or hearing is coming up or overdue.") in (
        mail.outbox[0].body
    )

    # Without a lawyer who can see the case, the case's caseworkers are told; this time the mail server is down, the
    # e-mail tasks fail and leave the notices unsent, and --again queues them anew once it is back.
    mail.outbox.clear()
    settings.EMAIL_BACKEND = "amparo.cases.tests.test_legal_http.BrokenMail"
    services.case_assign(actor=caseworker, case=lw.case, caseworkers=[caseworker], supervisor=None)
    out = StringIO()
    call_command("remind_legal_deadlines", "--days", "7", stdout=out)
    assert "(caseworker)" in out.getvalue() and notices.filter(recipient=caseworker).count() == 3
    _send_queued_emails()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert not mail.outbox and notices.filter(recipient=caseworker, emailed_at__isnull=True).count() == 3
    out = StringIO()
    call_command("remind_legal_deadlines", "--again", stdout=out)
    assert "3 e-mails queued again" in out.getvalue()
    _send_queued_emails()
    assert [m.to for m in mail.outbox] == [[caseworker.email]] * 3
    assert not notices.filter(recipient=caseworker, emailed_at__isnull=True).exists()
    call_command("remind_legal_deadlines", "--again", stdout=StringIO())
    _send_queued_emails()
    assert len(mail.outbox) == 3  # never twice

    with pytest.raises(CommandError, match="--days"):
        call_command("remind_legal_deadlines", "--days", "0")


class BrokenMail:
    """A mail server that is down (the e-mail task fails and leaves its notice unsent)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


def test_the_filing_entity_is_chosen_from_the_case_department(live_server: Any, lw: LegalWorld) -> None:
    """Entities of the directory in the case's department are offered; one elsewhere is refused (400)."""
    near = legal_services.entity_choices(lw.case)
    prosecutor = near.filter(kind="prosecutor").first()
    assert prosecutor is not None
    far = (
        DirectoryOrganization.objects.filter(kind="prosecutor")
        .exclude(locations__place__parent=lw.case.place.parent)  # type: ignore[union-attr]
        .first()
    )
    assert far is not None and not near.filter(pk=far.pk).exists()
    assert not near.filter(kind="police").exists()  # her aggressor was a police officer: never file with them
    browser = signed_in(live_server, lw.staff["lawyer"])
    url = f"/staff/cases/{lw.case.uuid}/legal/new/"
    refused = browser.submit(url, {"kind": "criminal_complaint", "entity": str(far.pk)})
    assert refused.status == 400 and not LegalMatter.objects.filter(case=lw.case).exists()
    opened = browser.submit(url, {"kind": "criminal_complaint", "entity": str(prosecutor.pk)})
    assert opened.status == 302
    matter = LegalMatter.objects.get(case=lw.case)
    assert matter.entity == prosecutor
    assert prosecutor.name in browser.get(opened.location).text.replace("&#x27;", "'")


def test_documents_are_stored_encrypted_and_read_with_audit(live_server: Any, lw: LegalWorld, settings: Any) -> None:
    import io

    from PIL import Image

    from amparo.cases.models import LegalDocument
    from amparo.safechannel.tests.conftest import PDF_MARKER, jpeg_with_metadata, small_pdf

    matter = legal_services.legal_matter_open(actor=lw.staff["lawyer"], case=lw.case, kind="criminal_complaint")
    browser = signed_in(live_server, lw.staff["lawyer"])
    page_url = f"/staff/cases/legal/{matter.uuid}/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(page_url).text).group(1)  # type: ignore[union-attr]
    upload = f"{page_url}documents/"
    for name, data in [("denuncia-firmada.pdf", small_pdf()), ("foto-lesion.jpg", jpeg_with_metadata())]:
        sent = browser.request(upload, [("csrfmiddlewaretoken", token)], files=[("file", name, data)])
        assert sent.status == 302, name
    disguised = browser.request(upload, [("csrfmiddlewaretoken", token)], files=[("file", "foto.jpg", small_pdf())])
    assert disguised.status == 302 and LegalDocument.objects.count() == 2  # refused with a message
    forged = browser.request(upload, [], files=[("file", "x.pdf", small_pdf())])
    assert forged.status == 403  # CSRF is still checked

    stored = b"".join(p.read_bytes() for p in settings.CASES_STORAGE_DIR.rglob("*.bin"))
    assert stored and PDF_MARKER not in stored and b"SecretPhone" not in stored
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM cases_legaldocument")
        assert all("denuncia" not in row[0] for row in cursor.fetchall())  # the name is encrypted too

    page = browser.get(page_url)
    links = re.findall(r'href="(/staff/cases/legal/[^"]+/documents/[^"]+/)">([^<]+)<', page.text)
    assert {name for _, name in links} == {"denuncia-firmada.pdf", "foto-lesion.jpg"}
    photo = browser.opener.open(live_server.url + next(u for u, n in links if n == "foto-lesion.jpg")).read()
    with Image.open(io.BytesIO(photo)) as image:
        assert not image.getexif()
    assert AuditEntry.objects.filter(action="legal.document.read").count() == 1
    outsider = signed_in(live_server, lw.staff["outsider"])
    assert outsider.get(links[0][0]).status == 404


def test_a_document_name_with_accents_downloads_with_an_rfc6266_header(live_server: Any, lw: LegalWorld) -> None:
    """Names as people write them ("declaración de María.pdf") give a valid Content-Disposition: an ASCII fallback
    and the UTF-8 name in filename* (RFC 6266 / 5987), never a raw non-ASCII or MIME-encoded header."""
    from amparo.core.uploads import CleanFile
    from amparo.safechannel.tests.conftest import small_pdf

    matter = legal_services.legal_matter_open(actor=lw.staff["lawyer"], case=lw.case, kind="criminal_complaint")
    document = legal_services.legal_document_add(
        actor=lw.staff["lawyer"],
        matter=matter,
        clean=CleanFile("declaración de María.pdf", "application/pdf", small_pdf()),
    )
    browser = signed_in(live_server, lw.staff["lawyer"])
    response = browser.get(f"/staff/cases/legal/{matter.uuid}/documents/{document.uuid}/")
    assert response.status == 200
    header = response.headers["Content-Disposition"]
    assert header.isascii() and "=?utf-8?" not in header
    assert header.startswith("attachment;") and "filename*=utf-8''declaraci%C3%B3n%20de%20Mar%C3%ADa.pdf" in header
