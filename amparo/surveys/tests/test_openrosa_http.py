"""ODK Collect's conversation with Amparo over real HTTP (the live test server, httpx), with a form compiled by
pyxform and instances that conform to it: formList -> form download -> manifest -> media -> HEAD -> POST -> resend,
a submission split over several POSTs, the phone's credential (Basic, scoped to its enumerator's forms, revoked at
once) and the OpenRosa headers on every answer."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import openpyxl
import pytest
from defusedxml.ElementTree import fromstring
from PIL import Image

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.core.encryption import decrypt_bytes
from amparo.surveys import form_admin, phones
from amparo.surveys.models import Attachment, EnumeratorCredential, FormVersion, Submission
from amparo.surveys.services import publish_xlsform
from amparo.surveys.tests.factories import CHOICES, SURVEY_HEADER, SURVEY_ROWS, instance_xml, make_form

pytestmark = pytest.mark.django_db(transaction=True)

LIST_NS = "{http://openrosa.org/xforms/xformsList}"
MANIFEST_NS = "{http://openrosa.org/xforms/xformsManifest}"
RESPONSE_NS = "{http://openrosa.org/http/response}"
MUNICIPIOS_CSV = "name,label::Español (es),label::English (en)\nCO54001,Cúcuta,Cúcuta\nCO44001,Riohacha,Riohacha\n"


def media_xlsform(form_id: str = "amparo_media", version: str = "1") -> bytes:
    """The factories' test form plus a select_one_from_file question (a CSV the phone downloads by the manifest)."""
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(SURVEY_HEADER)
    for row in SURVEY_ROWS:
        survey.append(row)
    survey.append(["select_one_from_file municipios.csv", "place", "Lugar", "Place", "Lugar", "", "", "", "", ""])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::Español (es)", "label::English (en)", "label::Português (pt)"])
    for choice in CHOICES:
        choices.append(choice)
    settings_sheet = book.create_sheet("settings")
    settings_sheet.append(["form_title", "form_id", "version", "default_language", "namespaces"])
    settings_sheet.append(["Encuesta con archivo", form_id, version, "Español (es)", 'amparo="urn:amparo:xforms"'])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


@dataclass
class PhoneWorld:
    org: Organization
    coordinator: User
    enumerator: User
    version: FormVersion
    credential: EnumeratorCredential
    secret: str


def member(org: Organization, email: str, role: str) -> User:
    user = User.objects.create_user(username=email, email=email, password="x" * 16)
    Membership.objects.create(user=user, organization=org, role=role)
    return user


@pytest.fixture
def phone_world(demo_directory: None) -> PhoneWorld:
    org = Organization.objects.create(name="Red Violeta")
    coordinator = member(org, "coord@example.org", Role.COORDINATOR)
    enumerator = member(org, "enc@example.org", Role.ENUMERATOR)
    version = publish_xlsform(organization=org, filename="media.xlsx", data=media_xlsform(), user=coordinator)
    form_admin.media_add(actor=coordinator, version=version, filename="municipios.csv", data=MUNICIPIOS_CSV.encode())
    form_admin.form_set_enumerators(actor=coordinator, form=version.form, users=[enumerator])
    credential, secret = phones.credential_create(
        actor=coordinator, organization=org, user=enumerator, label="Cúcuta, teléfono 1"
    )
    return PhoneWorld(org, coordinator, enumerator, version, credential, secret)


def phone(live_server: Any, world: PhoneWorld, secret: str | None = None) -> httpx.Client:
    """A client that behaves as Collect: OpenRosa header, Basic credentials, no redirects followed."""
    return httpx.Client(
        base_url=f"{live_server.url}/openrosa",
        auth=httpx.BasicAuth(world.credential.username, secret or world.secret),
        headers={"X-OpenRosa-Version": "1.0", "Accept-Language": "en"},
        follow_redirects=False,
        timeout=30,
    )


def submit(
    client: httpx.Client,
    xml: bytes,
    files: Sequence[tuple[str, bytes, str]] = (),
    data: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a submission as Collect does: xml_submission_file first, then each attachment under its file name."""
    parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    parts += [(name, (name, content, content_type)) for name, content, content_type in files]
    return client.post("/submission", files=parts, data=data or {})


def assert_openrosa(response: httpx.Response) -> None:
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert response.headers.get("Date")
    assert "set-cookie" not in response.headers


def message(response: httpx.Response) -> str:
    root = fromstring(response.content)
    assert root.tag == f"{RESPONSE_NS}OpenRosaResponse"
    found = root.find(f"{RESPONSE_NS}message")
    assert found is not None
    return found.text or ""


def test_a_phone_lists_downloads_and_submits_as_collect_does(live_server: Any, phone_world: PhoneWorld) -> None:
    world = phone_world
    anonymous = httpx.get(f"{live_server.url}/openrosa/formList", headers={"X-OpenRosa-Version": "1.0"})
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith('Basic realm="Amparo"')
    assert_openrosa(anonymous)

    with phone(live_server, world) as client:
        listing = client.get("/formList")
        assert listing.status_code == 200 and listing.headers["Content-Type"].startswith("text/xml")
        assert_openrosa(listing)
        forms = fromstring(listing.content).findall(f"{LIST_NS}xform")
        assert len(forms) == 1
        item = {child.tag.removeprefix(LIST_NS): child.text for child in forms[0]}
        assert item["formID"] == "amparo_media" and item["version"] == "1" and item["name"] == "Encuesta con archivo"

        xform = client.get(item["downloadUrl"])
        assert xform.status_code == 200
        assert_openrosa(xform)
        assert item["hash"] == "md5:" + hashlib.md5(xform.content, usedforsecurity=False).hexdigest()
        assert b"jr://file-csv/municipios.csv" in xform.content

        manifest = client.get(item["manifestUrl"])
        assert manifest.status_code == 200
        assert_openrosa(manifest)
        media = fromstring(manifest.content).findall(f"{MANIFEST_NS}mediaFile")
        entry = {child.tag.removeprefix(MANIFEST_NS): child.text for child in media[0]}
        assert entry["filename"] == "municipios.csv"
        csv_file = client.get(entry["downloadUrl"])
        assert csv_file.status_code == 200 and csv_file.content == MUNICIPIOS_CSV.encode()
        assert entry["hash"] == "md5:" + hashlib.md5(csv_file.content, usedforsecurity=False).hexdigest()

        head = client.head("/submission")
        assert head.status_code == 204
        assert int(head.headers["X-OpenRosa-Accept-Content-Length"]) >= 10 * 1024 * 1024
        assert_openrosa(head)

        photo = jpeg()
        xml = instance_xml(world.version, {"photo": "1701.jpg"})
        created = submit(client, xml, [("1701.jpg", photo, "image/jpeg")])
        assert created.status_code == 201, created.text
        assert_openrosa(created)
        assert message(created)
        stored = Submission.objects.get()
        assert stored.source == "openrosa" and stored.credential == world.credential
        assert stored.enumerator == world.enumerator and stored.version == world.version
        assert (stored.municipality_pcode, stored.zone_type, stored.gender_identity) == (
            "CO54001",
            "border",
            "trans_woman",
        )
        attachment = Attachment.objects.get()
        assert attachment.filename == "1701.jpg" and decrypt_bytes(bytes(attachment.content)) == photo
        assert photo not in bytes(attachment.content)  # encrypted at rest

        again = submit(client, xml, [("1701.jpg", photo, "image/jpeg")])
        assert again.status_code == 202
        assert_openrosa(again)
        assert Submission.objects.count() == 1 and Attachment.objects.count() == 1
    actions = list(
        AuditEntry.objects.filter(action__startswith="survey.submission")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["survey.submission.receive", "survey.submission.resend"]
    world.credential.refresh_from_db()
    assert world.credential.last_used_at is not None


def test_a_submission_split_over_several_posts_is_one_record(live_server: Any, phone_world: PhoneWorld) -> None:
    """Collect sends a large submission in parts: the same XML each time, some of the files in each, and
    *isIncomplete*=yes on all but the last. Each part is kept on the one record; a changed XML is refused (409)."""
    world = phone_world
    photo = jpeg()
    xml = instance_xml(world.version, {"photo": "big.jpg"})
    with phone(live_server, world) as client:
        first = submit(client, xml, data={"*isIncomplete*": "yes"})
        assert first.status_code == 201
        assert Submission.objects.count() == 1 and Attachment.objects.count() == 0
        second = submit(client, xml, [("big.jpg", photo, "image/jpeg")])
        assert second.status_code == 201
        assert Submission.objects.count() == 1 and Attachment.objects.get().filename == "big.jpg"
        changed = instance_xml(
            world.version, {"photo": "big.jpg", "age": "33"}, instance_id=Submission.objects.get().instance_id
        )
        conflict = submit(client, changed)
        assert conflict.status_code == 409 and "XML" in message(conflict)
        assert_openrosa(conflict)
    stored = Submission.objects.get()
    assert stored.age_band == "26-40" and "<age>29</age>" in stored.raw_instance


def test_credentials_are_scoped_to_the_enumerators_forms_and_revoked_at_once(
    live_server: Any, phone_world: PhoneWorld
) -> None:
    world = phone_world
    other = make_form(world.org, world.coordinator, form_id="not_assigned")
    elsewhere = Organization.objects.create(name="Otra")
    foreign = make_form(elsewhere, form_id="amparo_media")
    with phone(live_server, world) as client:
        listed = [e.text for e in fromstring(client.get("/formList").content).iter(f"{LIST_NS}formID")]
        assert listed == ["amparo_media"]
        for version in (other, foreign):
            response = client.get(f"/forms/{version.form.uuid}/{version.pk}/form.xml")
            assert response.status_code == 404
            assert_openrosa(response)
        unassigned = submit(client, instance_xml(other))
        assert unassigned.status_code == 404 and not Submission.objects.exists()

    with phone(live_server, world, secret="not-the-secret") as wrong:
        refused = wrong.get("/formList")
        assert refused.status_code == 401 and "WWW-Authenticate" in refused.headers

    with phone(live_server, world) as client:
        assert client.get("/formList").status_code == 200  # the secret was verified once: now it is remembered
        phones.credential_revoke(actor=world.coordinator, credential=world.credential)
        revoked = submit(client, instance_xml(world.version))
        assert revoked.status_code == 401 and not Submission.objects.exists()
        assert client.head("/submission").status_code == 401

    # An enumerator who leaves the organisation (membership ended) signs in no more, with any credential.
    credential, secret = phones.credential_create(
        actor=world.coordinator, organization=world.org, user=world.enumerator, label="otro"
    )
    Membership.objects.filter(user=world.enumerator).update(active=False)
    with httpx.Client(base_url=f"{live_server.url}/openrosa", auth=(credential.username, secret)) as client:
        assert client.get("/formList").status_code == 401


def test_a_closed_form_is_not_listed_and_refuses_submissions(live_server: Any, phone_world: PhoneWorld) -> None:
    world = phone_world
    form_admin.form_set_open(actor=world.coordinator, form=world.version.form, is_open=False)
    with phone(live_server, world) as client:
        assert fromstring(client.get("/formList").content).find(f"{LIST_NS}xform") is None
        closed = submit(client, instance_xml(world.version))
        assert closed.status_code == 409 and message(closed)
        assert_openrosa(closed)
    assert not Submission.objects.exists()


def test_no_session_and_no_csrf_for_phones(live_server: Any, phone_world: PhoneWorld) -> None:
    """The phone sends no cookie and no CSRF token, and gets none back; a wrong method is a 405 in OpenRosa form."""
    with phone(live_server, phone_world) as client:
        response = submit(client, instance_xml(phone_world.version, instance_id=f"uuid:{uuid.uuid4()}"))
        assert response.status_code == 201 and "set-cookie" not in response.headers
        wrong = client.put("/submission", content=b"x")
        assert wrong.status_code == 405
        assert_openrosa(wrong)
        elsewhere = client.get("/formList/")
        assert elsewhere.status_code == 404 and message(elsewhere)
        assert_openrosa(elsewhere)


def test_a_flood_of_wrong_secrets_is_refused_unchecked_and_the_phone_keeps_working(
    live_server: Any, phone_world: PhoneWorld, settings: Any
) -> None:
    """After SURVEYS_PHONE_FAILURES wrong secrets for one user name, that name gets 429 without an Argon2 check; the
    phone the server already verified goes on working, and another phone's name is not touched."""
    settings.SURVEYS_PHONE_FAILURES = 3
    world = phone_world
    with phone(live_server, world) as client:
        assert client.get("/formList").status_code == 200  # verified once: remembered by this process
    with phone(live_server, world, secret="wrong-secret") as wrong:
        answers = [wrong.get("/formList").status_code for _ in range(5)]
        assert answers == [401, 401, 401, 429, 429]
        flooded = wrong.get("/formList")
        assert flooded.headers["Retry-After"] == "300"
        assert_openrosa(flooded)
    with phone(live_server, world) as client:
        assert client.get("/formList").status_code == 200
    other, secret = phones.credential_create(
        actor=world.coordinator, organization=world.org, user=world.enumerator, label="otro"
    )
    with httpx.Client(base_url=f"{live_server.url}/openrosa", auth=(other.username, secret)) as client:
        assert client.get("/formList").status_code == 200
