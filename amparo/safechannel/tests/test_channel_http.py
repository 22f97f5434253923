"""The safe channel through real HTTP against a live server: a survivor reports and reads the answer with her
receipt; recipients read (audited) and answer after 2FA; bad input is refused without losing her text."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from amparo.accounts.tests.http import Browser
from amparo.audit.models import AuditEntry
from amparo.safechannel import crypto, services
from amparo.safechannel.models import KeyGrant, Message, ReceiptSession, RecipientKey, Report, UsedFormToken

from .conftest import (
    CUCUTA,
    PASSWORD,
    QUITO,
    VILLA_DEL_ROSARIO,
    World,
    file_report,
    form_token,
    jpeg_with_metadata,
    receipt_of,
    report_fields,
    small_pdf,
    staff_login,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_report_receipt_reply_and_read_back(live_server: Any, world: World) -> None:
    survivor = Browser(live_server.url)
    assert survivor.get("/es/channel/").status == 200
    sent = file_report(
        survivor, files=[("attachments", "foto.jpg", jpeg_with_metadata()), ("attachments", "acta.pdf", small_pdf())]
    )
    assert sent.status == 200, sent.text[:3000]
    receipt = receipt_of(sent)
    assert survivor.cookie_names() == set()  # no cookie until she signs in with the receipt
    assert sent.headers["Cache-Control"] == "no-store" and sent.headers["Referrer-Policy"] == "no-referrer"
    report = Report.objects.get()
    # Persecuted: first in the inbox, answer due within 24 hours; routed to the closest organisation (Cúcuta).
    assert report.risk == Report.Risk.PERSECUTED and report.organization == world.casa and report.routed_by_platform
    assert timedelta(hours=23) < report.due_at - report.created_at <= timedelta(hours=24)

    # The confirmation step: a wrong copy shows the receipt again; the right one confirms.
    sealed = re.search(r'name="sealed" value="([^"]+)"', sent.text).group(1)  # type: ignore[union-attr]
    wrong = survivor.request("/es/channel/receipt/", {"sealed": sealed, "receipt": "1" * 16}, referer=False)
    assert wrong.status == 400 and receipt_of(wrong) == receipt
    # Each sealed value works once: the old one is spent, the page brought a new one.
    reused = survivor.request("/es/channel/receipt/", {"sealed": sealed, "receipt": receipt}, referer=False)
    assert reused.status == 400 and not Report.objects.get().receipt_confirmed
    sealed = re.search(r'name="sealed" value="([^"]+)"', wrong.text).group(1)  # type: ignore[union-attr]
    right = survivor.request("/es/channel/receipt/", {"sealed": sealed, "receipt": receipt}, referer=False)
    assert right.status == 200 and Report.objects.get().receipt_confirmed

    # A recipient signs in with password and TOTP, finds it in the inbox, reads it (audited) and answers.
    staff = Browser(live_server.url)
    staff_login(staff, world.staff["casa"])
    inbox = staff.get("/staff/channel/")
    assert inbox.status == 200 and str(report.uuid) in inbox.text
    page = staff.get(f"/staff/channel/reports/{report.uuid}/")
    assert page.status == 200 and "Marfil-4471" in page.text and "+57 300 555 0199" in page.text
    assert AuditEntry.objects.filter(action="safechannel.report.read", object_id=str(report.uuid)).count() == 1
    files = re.findall(r'href="(/staff/channel/reports/[^"]+/files/[^"]+/)">([^<]+)<', page.text)
    assert {name for _, name in files} == {"foto.jpg", "acta.pdf"}
    photo = staff.opener.open(live_server.url + next(url for url, name in files if name == "foto.jpg")).read()
    with Image.open(io.BytesIO(photo)) as image:
        assert image.size == (64, 48) and not image.getexif()  # GPS, make and model are gone
    assert b"SecretPhone" not in photo
    assert AuditEntry.objects.filter(action="safechannel.attachment.read").count() == 1
    replied = staff.submit(
        f"/staff/channel/reports/{report.uuid}/",
        {"text": "Hola. Podemos acompañarte a pedir medidas de protección.", "status": "waiting"},
    )
    assert replied.status == 302

    # The survivor signs in with her receipt (spaces allowed), reads the answer, and writes back.
    login = survivor.request("/es/channel/login/", {"receipt": " ".join([receipt[:8], receipt[8:]])}, referer=False)
    assert login.status == 302 and login.location.endswith("/es/channel/inbox/")
    assert survivor.cookie_names() == {"amparo_channel"}
    cookie = next(iter(survivor.cookies))
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.expires is None  # ends with the browser
    page = survivor.get("/es/channel/inbox/")
    assert page.status == 200 and "medidas de protección" in page.text and "Esperando tu respuesta" in page.text
    # The cookie goes nowhere else: other public pages neither read nor set it.
    assert "Set-Cookie" not in survivor.get("/es/").headers
    answer = survivor.request("/es/channel/inbox/", [("text", "Gracias, prefiero el martes.")], files=[], referer=False)
    assert answer.status == 302
    report.refresh_from_db()
    assert report.awaiting_staff and report.status == Report.Status.IN_PROGRESS
    consent = survivor.request("/es/channel/inbox/case-consent/", {"consent": "give"}, referer=False)
    assert consent.status == 302
    assert Report.objects.get().case_consent_at is not None
    staff_view = staff.get(f"/staff/channel/reports/{report.uuid}/")
    assert "prefiero el martes" in staff_view.text

    # Leaving ends the session and asks the browser to forget the site.
    left = survivor.get("/es/channel/exit/")
    assert left.status == 302 and '"cookies"' in left.headers["Clear-Site-Data"]
    assert not ReceiptSession.objects.exists()
    survivor.cookies.clear()
    assert survivor.get("/es/channel/inbox/").status == 302
    assert Message.objects.count() == 2


def test_nothing_identifying_is_in_the_audit_log(live_server: Any, world: World) -> None:
    survivor = Browser(live_server.url)
    receipt = receipt_of(file_report(survivor))
    survivor.request("/es/channel/login/", {"receipt": receipt}, referer=False)
    text = " ".join(str(e.detail) + e.actor_label + e.object_id for e in AuditEntry.objects.all())
    # the phone number whole: a random UUID in object_id may hold "555" (it did once)
    assert "Marfil" not in text and receipt not in text and "300 555 0199" not in text and "3005550199" not in text
    assert AuditEntry.objects.filter(action="safechannel.receipt.login", actor_id=None).count() == 1


def test_bad_attachments_keep_her_text_and_store_nothing(live_server: Any, world: World, settings: Any) -> None:
    settings.SAFECHANNEL_MAX_FILE_BYTES = 50_000
    # A valid text is counted before its files are decoded (a refused file still cost the server a decode).
    settings.SAFECHANNEL_RATE_LIMITS = {**settings.SAFECHANNEL_RATE_LIMITS, "report_client": (20, 600)}
    survivor = Browser(live_server.url)
    cases = {
        "too big": [("attachments", "grande.pdf", small_pdf() + b"0" * 60_000)],
        "disguised": [("attachments", "foto.jpg", small_pdf())],
        "unknown type": [("attachments", "programa.pdf", b"MZ\x90\x00" + b"\x00" * 200)],
        "empty": [("attachments", "vacio.pdf", b"")],
        "too many": [("attachments", f"f{i}.pdf", small_pdf()) for i in range(4)],
        "broken image": [("attachments", "rota.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)],
    }
    for name, files in cases.items():
        sent = file_report(survivor, files=files)
        assert sent.status == 400, name
        assert "Marfil-4471" in sent.text, f"{name}: her text must come back"
        assert 'value="+57 300 555 0199"' in sent.text, name
        assert 'role="alert"' in sent.text, name
    assert not Report.objects.exists()
    assert not list(settings.SAFECHANNEL_STORAGE_DIR.glob("**/*.bin"))


def test_invalid_form_comes_back_filled_with_a_fresh_token(live_server: Any, world: World) -> None:
    survivor = Browser(live_server.url)
    sent = file_report(survivor, contact_details="", persecuted="")
    assert sent.status == 400 and "Marfil-4471" in sent.text
    assert 'name="safe_times" value="Martes en la mañana"' in sent.text
    again = survivor.request(
        "/es/channel/report/", report_fields(form_token(sent)), files=[], referer=False
    )  # corrected and sent with the new token
    assert again.status == 200 and Report.objects.count() == 1


def test_replayed_and_forged_forms_are_refused(live_server: Any, world: World) -> None:
    survivor = Browser(live_server.url)
    page = survivor.get(f"/es/channel/report/?place={CUCUTA}")
    fields = report_fields(form_token(page))
    assert survivor.request("/es/channel/report/", fields, files=[], referer=False).status == 200
    replay = survivor.request("/es/channel/report/", fields, files=[], referer=False)
    assert replay.status == 409 and Report.objects.count() == 1
    forged = survivor.request("/es/channel/report/", report_fields("forged"), files=[], referer=False)
    assert forged.status == 400 and "Marfil-4471" in forged.text
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site", "Origin": "null"}):
        cross_site = survivor.request("/es/channel/report/", report_fields(form_token(page)), files=[], headers=headers)
        assert cross_site.status == 403, headers
    assert Report.objects.count() == 1 and UsedFormToken.objects.count() == 1


def test_unknown_place_and_unserved_place(live_server: Any, world: World) -> None:
    survivor = Browser(live_server.url)
    assert survivor.get("/es/channel/report/?place=ZZ999").status == 400
    assert survivor.get("/es/channel/report/?place=" + "9" * 5000).status == 400
    chooser = survivor.get("/es/channel/report/")
    assert chooser.status == 200 and CUCUTA in chooser.text and QUITO not in chooser.text  # nobody serves Quito
    unserved = file_report(survivor, place=QUITO)
    assert unserved.status == 400 and "Marfil-4471" in unserved.text
    # An organisation that does not serve the municipality cannot be chosen by editing the form.
    casa = str(world.casa.uuid)
    wrong = file_report(survivor, place=VILLA_DEL_ROSARIO, organization=casa)
    assert wrong.status == 400 and not Report.objects.exists()


def test_receipt_login_refuses_malformed_and_unknown_receipts(live_server: Any, world: World) -> None:
    survivor = Browser(live_server.url)
    for bad in ["123", "abcd" * 4, "1" * 17, "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦", "\x00" * 16, "9" * 5000]:
        response = survivor.request("/es/channel/login/", {"receipt": bad}, referer=False)
        assert response.status == 400 and "errorlist" in response.text, bad
    unknown = survivor.request("/es/channel/login/", {"receipt": "1234567812345678"}, referer=False)
    assert unknown.status == 400 and survivor.cookie_names() == set()
    assert not ReceiptSession.objects.exists()


def test_rate_limits_refuse_floods_and_keep_her_text(live_server: Any, world: World, settings: Any) -> None:
    settings.SAFECHANNEL_RATE_LIMITS = {
        **settings.SAFECHANNEL_RATE_LIMITS,
        "report_client": (2, 600),
        "receipt_client": (3, 600),
    }
    survivor = Browser(live_server.url)
    assert file_report(survivor).status == 200
    assert file_report(survivor).status == 200
    flooded = file_report(survivor)
    assert flooded.status == 429 and "Marfil-4471" in flooded.text
    assert Report.objects.count() == 2
    junk = "1" * 15 + str(crypto.damm("1" * 15))  # well-formed: passes the check digit, opens nothing
    statuses = [survivor.request("/es/channel/login/", {"receipt": junk}, referer=False).status for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_inbox_is_ordered_by_risk_and_limited_to_recipients(live_server: Any, world: World) -> None:
    survivor = Browser(live_server.url)
    red = str(world.red.uuid)
    file_report(survivor, organization=red, persecuted="no", state_agent="no")
    file_report(survivor, organization=red, persecuted="no", state_agent="yes")
    file_report(survivor, organization=red, persecuted="yes", state_agent="yes")
    reports = list(Report.objects.order_by("-risk"))
    assert [r.risk for r in reports] == [3, 1, 0]
    staff = Browser(live_server.url)
    staff_login(staff, world.staff["lawyer"])
    inbox = staff.get("/staff/channel/").text
    positions = [inbox.index(str(r.uuid)) for r in reports]
    assert positions == sorted(positions)
    # Another organisation's recipient, a focal point and a monitor get 404 for the report.
    for who in ("casa", "focal", "monitor"):
        other = Browser(live_server.url)
        staff_login(other, world.staff[who])
        assert other.get(f"/staff/channel/reports/{reports[0].uuid}/").status == 404, who


def test_lost_password_then_restore_with_the_recovery_key(live_server: Any, world: World) -> None:
    survivor = Browser(live_server.url)
    file_report(survivor, organization=str(world.red.uuid))
    report = Report.objects.get()
    caseworker = world.staff["caseworker"]
    assert KeyGrant.objects.filter(report=report, recipient__user=caseworker).exists()
    # Her password is reset (forgotten): at next sign-in a new key pair replaces the old one...
    caseworker.set_password(PASSWORD)  # same text, new hash: the point is the old key is unlocked by password
    caseworker.save()
    RecipientKey.objects.filter(user=caseworker).update(password_salt=b"\x00" * 16)  # as after a reset
    staff = Browser(live_server.url)
    staff_login(staff, caseworker)
    locked = staff.get(f"/staff/channel/reports/{report.uuid}/")
    assert locked.status == 200 and "Marfil" not in locked.text
    # ...and a coordinator restores access with the recovery key (a wrong key is refused).
    coordinator = Browser(live_server.url)
    staff_login(coordinator, world.staff["coordinator"])
    settings_url = f"/staff/channel/orgs/{world.red.uuid}/"
    wrong = coordinator.submit(settings_url, {"action": "restore", "restore-recovery_key": "ab" * 32})
    assert wrong.status == 400
    ok = coordinator.submit(settings_url, {"action": "restore", "restore-recovery_key": world.recovery[world.red.name]})
    assert ok.status == 302
    assert "Marfil-4471" in staff.get(f"/staff/channel/reports/{report.uuid}/").text


def test_a_new_member_gets_the_key_when_a_colleague_opens_the_report(live_server: Any, world: World) -> None:
    from .conftest import make_staff

    survivor = Browser(live_server.url)
    file_report(survivor, organization=str(world.red.uuid))
    report = Report.objects.get()
    newcomer = make_staff("nueva@red.example.org", world.red, "caseworker")
    assert not KeyGrant.objects.filter(report=report, recipient__user=newcomer).exists()
    colleague = Browser(live_server.url)
    staff_login(colleague, world.staff["caseworker"])
    colleague.get(f"/staff/channel/reports/{report.uuid}/")
    assert KeyGrant.objects.filter(report=report, recipient__user=newcomer).exists()


def test_purge_deletes_expired_reports_and_files(live_server: Any, world: World, settings: Any) -> None:
    survivor = Browser(live_server.url)
    file_report(survivor, files=[("attachments", "acta.pdf", small_pdf())])
    file_report(survivor)
    old, recent = Report.objects.order_by("pk")
    Report.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert services.purge_expired() == 1
    assert list(Report.objects.all()) == [recent]
    assert not (settings.SAFECHANNEL_STORAGE_DIR / str(old.uuid)).exists()
    entry = AuditEntry.objects.get(action="safechannel.report.purge")
    assert entry.object_id == str(old.uuid)


def test_staff_settings_set_up_and_retention(live_server: Any, world: World) -> None:
    from amparo.accounts.models import Organization
    from amparo.safechannel.models import ChannelSettings

    from .conftest import make_staff

    new_org = Organization.objects.create(name="Nueva (test)")
    coordinator = make_staff("coord@nueva.example.org", new_org, "coordinator")
    staff = Browser(live_server.url)
    staff_login(staff, coordinator)
    url = f"/staff/channel/orgs/{new_org.uuid}/"
    shown = staff.submit(url, {"action": "setup"})
    assert shown.status == 200 and re.search(r"([0-9a-f]{8}-){7}[0-9a-f]{8}", shown.text)
    assert staff.submit(url, {"action": "settings", "settings-retention_days": "3"}).status == 400
    saved = staff.submit(
        url, {"action": "settings", "settings-retention_days": "30", "settings-receives_reports": "on"}
    )
    assert saved.status == 302 and ChannelSettings.objects.get(organization=new_org).retention_days == 30


def test_sexual_violence_is_answered_within_24_hours(live_server: Any, world: World) -> None:
    """Neither persecuted nor a state agent, but rape or sexual assault: the PEP window (72 h from the violence) must
    not be missed waiting for a 72-hour first answer. Other reports keep 72 hours."""
    survivor = Browser(live_server.url)
    for happened in (["rape"], ["psychological_emotional_abuse"]):
        assert file_report(survivor, happened=happened, persecuted="no", state_agent="no").status == 200
    raped, threatened = Report.objects.order_by("pk")
    assert raped.risk == threatened.risk == Report.Risk.ROUTINE
    assert timedelta(hours=23) < raped.due_at - raped.created_at <= timedelta(hours=24)
    assert timedelta(hours=71) < threatened.due_at - threatened.created_at <= timedelta(hours=72)


def test_an_attachment_named_with_accents_downloads_with_an_rfc6266_header(live_server: Any, world: World) -> None:
    """She names her file as she speaks ("denuncia de la señora.pdf"): the recipient's download carries a valid
    Content-Disposition (ASCII fallback plus filename*=UTF-8''), never a raw or MIME-encoded header."""
    survivor = Browser(live_server.url)
    sent = file_report(
        survivor, files=[("attachments", "denuncia de la señora.pdf", small_pdf())], organization=str(world.casa.uuid)
    )
    assert sent.status == 200, sent.text[:2000]
    report = Report.objects.get()
    staff = Browser(live_server.url)
    staff_login(staff, world.staff["casa"])
    page = staff.get(f"/staff/channel/reports/{report.uuid}/")
    url = re.search(r'href="(/staff/channel/reports/[^"]+/files/[^"]+/)"', page.text)
    assert url, page.text[:2000]
    response = staff.get(url.group(1))
    header = response.headers["Content-Disposition"]
    assert response.status == 200 and header.isascii() and "=?utf-8?" not in header
    assert "filename*=utf-8''denuncia%20de%20la%20se%C3%B1ora.pdf" in header
