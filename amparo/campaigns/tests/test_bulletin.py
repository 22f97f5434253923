"""The bulletin and the orientation library (issue 17, part 4): who reads what follows membership and the
organisations' areas; nothing that looks like a survivor's phone number or a case code gets in; the readers are
notified without the text; uploads are checked and bounded before they are read; other organisations get 404."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.campaigns import bulletin_services as services
from amparo.campaigns.bulletin_models import Audience, BulletinPost, LibraryDocument, PostKind
from amparo.campaigns.bulletin_selectors import documents_for, posts_for, readers, survivor_data_found
from amparo.core.uploads import CleanFile
from amparo.directory.models import Place
from amparo.today.models import Kind, Notification

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")  # a PNG header


@dataclass
class World:
    places: dict[str, Place]
    orgs: dict[str, Organization]
    users: dict[str, User]


def _place(pcode: str, name: str, level: int, parent: Place | None) -> Place:
    return Place.objects.create(pcode=pcode, name=name, level=level, parent=parent, latitude=0, longitude=0)


def _member(email: str, org: Organization, role: str) -> User:
    user = User.objects.create_user(username=email, email=email, password="x-Pass-2026-bulletin")
    Membership.objects.create(user=user, organization=org, role=role)
    return user


@pytest.fixture
def world() -> World:
    co = _place("CO", "Colombia", Place.Level.COUNTRY, None)
    ns = _place("CO54", "Norte de Santander", Place.Level.ADMIN1, co)
    cucuta = _place("CO54001", "Cúcuta", Place.Level.ADMIN2, ns)
    villa = _place("CO54874", "Villa del Rosario", Place.Level.ADMIN2, ns)
    guajira = _place("CO44", "La Guajira", Place.Level.ADMIN1, co)
    maicao = _place("CO44430", "Maicao", Place.Level.ADMIN2, guajira)
    ec = _place("EC", "Ecuador", Place.Level.COUNTRY, None)
    pichincha = _place("EC17", "Pichincha", Place.Level.ADMIN1, ec)
    quito = _place("EC1701", "Quito", Place.Level.ADMIN2, pichincha)
    orgs = {
        "cucuta": Organization.objects.create(name="Red Cúcuta (bulletin)"),
        "department": Organization.objects.create(name="Red Norte de Santander (bulletin)"),
        "national": Organization.objects.create(name="Red Colombia (bulletin)"),
        "guajira": Organization.objects.create(name="Red Maicao (bulletin)"),
        "quito": Organization.objects.create(name="Casa Quito (bulletin)"),
    }
    orgs["cucuta"].areas.add(cucuta)
    orgs["department"].areas.add(ns)
    orgs["national"].areas.add(co)
    orgs["guajira"].areas.add(maicao)
    orgs["quito"].areas.add(quito)
    users = {
        "author": _member("outreach@cucuta.example.org", orgs["cucuta"], Role.CASEWORKER),
        "coordinator": _member("coord@cucuta.example.org", orgs["cucuta"], Role.COORDINATOR),
        "department": _member("analyst@ns.example.org", orgs["department"], Role.ANALYST),
        "national": _member("coord@co.example.org", orgs["national"], Role.COORDINATOR),
        "guajira": _member("coord@maicao.example.org", orgs["guajira"], Role.COORDINATOR),
        "quito": _member("coord@quito.example.org", orgs["quito"], Role.COORDINATOR),
    }
    places = {"villa": villa, "cucuta": cucuta, "maicao": maicao, "co": co, "quito": quito}
    return World(places, orgs, users)


def _post(w: World, audience: str, *, place: str = "villa", days: int = 10, author: str = "author") -> BulletinPost:
    return services.post_publish(
        actor=w.users[author], organization=w.orgs["cucuta"],
        data=services.PostInput(kind=PostKind.RISK_ALERT, title="Operativo en el centro", body="Eviten la zona hoy.",
                                audience=audience, place=w.places[place],
                                expires_on=timezone.localdate() + timedelta(days=days)),
    )  # fmt: skip


def _readers_of(w: World, post: BulletinPost) -> set[str]:
    return {name for name, user in w.users.items() if posts_for(user).filter(pk=post.pk).exists()}


def test_the_audience_follows_the_organisations_areas(world: World) -> None:
    area = _post(world, Audience.AREA)
    assert (area.country, area.admin1) == ("CO", "CO54")
    # The same department: Cúcuta's organisations, the department's, and the one covering all of Colombia.
    assert _readers_of(world, area) == {"author", "coordinator", "department", "national"}
    country = _post(world, Audience.COUNTRY)
    assert _readers_of(world, country) == {"author", "coordinator", "department", "national", "guajira"}
    region = _post(world, Audience.REGION)
    assert _readers_of(world, region) == set(world.users)
    # The notification's recipients are the same people, computed from the organisations' side.
    assert {u.email for u in readers(area)} == {world.users[n].email for n in _readers_of(world, area)}


def test_expired_and_withdrawn_posts_leave_the_bulletin(world: World) -> None:
    post = _post(world, Audience.REGION, days=1)
    assert posts_for(world.users["quito"], today=timezone.localdate() + timedelta(days=2)).count() == 0
    services.post_withdraw(actor=world.users["author"], post=post)
    assert posts_for(world.users["quito"]).count() == 0
    assert AuditEntry.objects.filter(action="campaigns.bulletin.withdraw").count() == 1


@pytest.mark.parametrize(
    "text",
    ["Llamen a Ana al 310 555 1234", "+57 (310) 5551234", "tel 3105551234", "caso C-7KQ2-MX4P", "niña N-7KQ2MX"],
)
def test_phone_numbers_and_case_codes_are_found(text: str) -> None:
    assert survivor_data_found(text)


@pytest.mark.parametrize(
    "text", ["Taller el 2026-12-04 a las 18:00", "Reunión 04/12/2026", "Línea 155 y 123", "Sala 12, piso 3"]
)
def test_dates_times_and_short_helplines_are_not_taken_for_phone_numbers(text: str) -> None:
    assert survivor_data_found(text) == []


def test_the_readers_are_notified_without_the_text_and_the_author_is_not(world: World) -> None:
    post = _post(world, Audience.AREA)
    notified = Notification.objects.filter(kind=Kind.BULLETIN, key=str(post.uuid))
    assert {n.recipient.email for n in notified} == {
        world.users[n].email for n in ("coordinator", "department", "national")
    }
    assert all(n.path.endswith(f"#post-{post.uuid}") and "Operativo" not in n.path for n in notified)


def test_posting_through_the_page_refuses_a_phone_number_and_keeps_the_text(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    client = verified_client_for(world.users["author"], HTTP_ACCEPT_LANGUAGE="en")
    data = {
        "organization": world.orgs["cucuta"].pk, "kind": PostKind.RISK_ALERT, "title": "Redada",
        "body": "Escriban a la compañera al 310 555 1234", "place": world.places["villa"].pk,
        "audience": Audience.AREA, "expires_on": (timezone.localdate() + timedelta(days=5)).isoformat(),
    }  # fmt: skip
    with translation.override("en"):
        refused = client.post(reverse("bulletin:post_new"), data)
        assert refused.status_code == 400
        page = refused.content.decode()
        assert "nothing about a survivor" in page and "310 555 1234" in page  # said, and her text kept in the form
        assert BulletinPost.objects.count() == 0
        data["body"] = "Eviten el parque central esta noche."
        done = client.post(reverse("bulletin:post_new"), data)
    assert done.status_code == 302 and BulletinPost.objects.count() == 1
    listing = client.get(reverse("bulletin:list")).content.decode()
    assert "Eviten el parque central" in listing
    # Past the last date: a form message, not a 500.
    data["expires_on"] = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert client.post(reverse("bulletin:post_new"), data).status_code == 400


def test_only_a_coordinator_of_the_posting_organisation_withdraws_and_others_get_404(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    post = _post(world, Audience.REGION)
    url = reverse("bulletin:post_withdraw", args=[post.uuid])
    for name in ("author", "department", "quito", "national"):
        assert verified_client_for(world.users[name]).post(url).status_code == 404
    assert Client().post(url).status_code == 302  # to the sign-in
    assert verified_client_for(world.users["coordinator"]).post(url).status_code == 302
    post.refresh_from_db()
    assert post.withdrawn_at is not None
    # An organisation outside the audience does not see an area post in the list.
    area = _post(world, Audience.AREA)
    page = verified_client_for(world.users["quito"]).get(reverse("bulletin:list")).content.decode()
    assert str(area.uuid) not in page


def _document(w: World, audience: str = Audience.AREA) -> LibraryDocument:
    return services.document_add(
        actor=w.users["coordinator"], organization=w.orgs["cucuta"],
        data=services.DocumentInput(kind="protocol", title="Protocolo de acogida", description="Para equipos.",
                                    language="es", audience=audience, place=w.places["cucuta"]),
        clean=CleanFile(name="protocolo.pdf", content_type="application/pdf", data=PDF),
        issued_on=timezone.localdate(),
    )  # fmt: skip


def test_the_library_keeps_versions_and_follows_the_audience(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    document = _document(world)
    client = verified_client_for(world.users["coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    upload = SimpleUploadedFile("protocolo-v2.pdf", PDF + b"% v2\n", content_type="application/pdf")
    answer = client.post(
        reverse("bulletin:version_add", args=[document.uuid]),
        {"issued_on": timezone.localdate().isoformat(), "file": upload},
    )
    assert answer.status_code == 302
    assert list(document.versions.values_list("number", flat=True)) == [2, 1]
    latest = document.versions.first()
    assert latest is not None
    download = verified_client_for(world.users["department"]).get(
        reverse("bulletin:version_download", args=[document.uuid, latest.uuid])
    )
    assert download.status_code == 200 and download.content.endswith(b"% v2\n")
    assert download["Content-Disposition"].startswith("attachment")
    other = verified_client_for(world.users["quito"])
    assert other.get(reverse("bulletin:document", args=[document.uuid])).status_code == 404
    assert other.get(reverse("bulletin:version_download", args=[document.uuid, latest.uuid])).status_code == 404
    assert not documents_for(world.users["quito"]).exists() and documents_for(world.users["national"]).exists()
    # A reader who does not edit the library cannot add a version.
    reader = verified_client_for(world.users["author"])
    refused = reader.post(reverse("bulletin:version_add", args=[document.uuid]), {"issued_on": "2026-01-01"})
    assert refused.status_code == 404


def test_disguised_and_oversized_files_are_refused_with_the_text_kept(
    world: World, verified_client_for: Callable[..., Client], settings: object
) -> None:
    client = verified_client_for(world.users["coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    data = {
        "organization": world.orgs["cucuta"].pk, "kind": "guide", "title": "Guía de derechos", "description": "",
        "language": "es", "place": world.places["co"].pk, "audience": Audience.REGION,
        "issued_on": timezone.localdate().isoformat(),
    }  # fmt: skip
    with translation.override("en"):
        disguised = client.post(
            reverse("bulletin:document_new"), {**data, "file": SimpleUploadedFile("guia.pdf", PNG + b"\0" * 64)}
        )
        assert disguised.status_code == 400 and "whose contents match their name" in disguised.content.decode()
        settings.SAFECHANNEL_MAX_FILE_BYTES = 1024  # type: ignore[attr-defined]
        big = client.post(
            reverse("bulletin:document_new"), {**data, "file": SimpleUploadedFile("guia.pdf", PDF + b"0" * 4096)}
        )
        page = big.content.decode()
        assert big.status_code == 400 and "at most" in page and "Guía de derechos" in page
        # Declared far over the limit (a 200 MB upload): refused before the body is read, the text still there.
        huge = client.post(
            reverse("bulletin:document_new"),
            {**data, "file": SimpleUploadedFile("guia.pdf", PDF + b"0" * 200_000)},
        )
        assert huge.status_code == 400 and "Guía de derechos" in huge.content.decode()
    assert LibraryDocument.objects.count() == 0


def test_the_demo_posts_three_news_and_shares_a_guide_in_two_versions(demo_directory: None) -> None:
    import io

    from django.core.management.base import OutputWrapper

    from amparo.accounts.demo import load_demo_staff
    from amparo.campaigns.bulletin_demo import load_demo_bulletin
    from amparo.core.registry import DemoRun

    load_demo_staff()
    run = DemoRun(reset=False, stdout=OutputWrapper(io.StringIO()))
    load_demo_bulletin(run)
    load_demo_bulletin(run)  # idempotent
    assert BulletinPost.objects.count() == 3
    assert all(not survivor_data_found(f"{p.title} {p.body}") for p in BulletinPost.objects.all())
    document = LibraryDocument.objects.get()
    assert [v.number for v in document.versions.all()] == [2, 1]
    assert all(bytes(v.data).startswith(b"%PDF") for v in document.versions.all())
    monitor = User.objects.get(email="monitora@demo.example.org")  # the Defensoría works in Norte de Santander
    assert posts_for(monitor).count() == 3
    assert Notification.objects.filter(kind=Kind.BULLETIN, recipient=monitor).count() == 3


def test_a_withdrawn_document_leaves_the_list_but_its_link_says_so(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    document = _document(world)
    client = verified_client_for(world.users["coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    assert client.post(reverse("bulletin:document_withdraw", args=[document.uuid])).status_code == 302
    assert client.post(reverse("bulletin:document_withdraw", args=[document.uuid])).status_code == 302  # again: same
    assert not documents_for(world.users["department"]).exists()
    with translation.override("en"):
        reader = verified_client_for(world.users["department"], HTTP_ACCEPT_LANGUAGE="en")
        page = reader.get(reverse("bulletin:document", args=[document.uuid]))
        assert page.status_code == 200 and "withdrawn" in page.content.decode()
        upload = SimpleUploadedFile("v2.pdf", PDF, content_type="application/pdf")
        refused = client.post(
            reverse("bulletin:version_add", args=[document.uuid]),
            {"issued_on": timezone.localdate().isoformat(), "file": upload},
        )
        assert refused.status_code == 400 and "was withdrawn" in refused.content.decode()
    assert document.versions.count() == 1
