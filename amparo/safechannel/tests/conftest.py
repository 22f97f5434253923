"""Fixtures for the safe-channel tests: a small world of places, two receiving organisations and their staff."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.accounts.tests.http import Browser, Response
from amparo.accounts.tests.test_auth_http import code_for
from amparo.directory.models import Place
from amparo.safechannel import services

PASSWORD = "correct horse battery staple 42"
CUCUTA = "CO54001"
VILLA_DEL_ROSARIO = "CO54874"
QUITO = "EC170150"


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> None:
    settings.SAFECHANNEL_STORAGE_DIR = tmp_path / "safechannel"
    # Cheap puzzles, as the cheap Argon2 parameters: the same code, a test-sized cost.
    settings.SAFECHANNEL_POW_BITS = 6
    settings.SAFECHANNEL_POW_MAX_BITS = 12
    cache.clear()  # rate-limit counters and spent challenges from other tests


@dataclass
class World:
    places: dict[str, Place]
    red: Organization  # serves Norte de Santander (CO54)
    casa: Organization  # serves Cúcuta only
    recovery: dict[str, str]  # organisation name -> recovery key text
    staff: dict[str, User]


def place(pcode: str, name: str, level: int, parent: Place | None, lat: float, lon: float) -> Place:
    return Place.objects.create(pcode=pcode, name=name, level=level, parent=parent, latitude=lat, longitude=lon)


def make_staff(email: str, organization: Organization, role: str, *, with_key: bool = True) -> User:
    user = User.objects.create_user(username=email, email=email, password=PASSWORD, display_name=email.split("@")[0])
    Membership.objects.create(user=user, organization=organization, role=role)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    if with_key:  # as when the member accepted the invitation
        services.recipient_key_unlock(user, PASSWORD)
    return user


@pytest.fixture
def world(db: None) -> World:
    co = place("CO", "Colombia", Place.Level.COUNTRY, None, 4.6, -74.1)
    ns = place("CO54", "Norte de Santander", Place.Level.ADMIN1, co, 7.9, -72.5)
    cucuta = place(CUCUTA, "Cúcuta", Place.Level.ADMIN2, ns, 7.89, -72.5)
    villa = place(VILLA_DEL_ROSARIO, "Villa del Rosario", Place.Level.ADMIN2, ns, 7.83, -72.47)
    ec = place("EC", "Ecuador", Place.Level.COUNTRY, None, -0.2, -78.5)
    pichincha = place("EC17", "Pichincha", Place.Level.ADMIN1, ec, -0.2, -78.5)
    quito = place(QUITO, "Quito", Place.Level.ADMIN2, pichincha, -0.22, -78.51)
    red = Organization.objects.create(name="Red Violeta (test)")
    red.areas.add(ns)
    casa = Organization.objects.create(name="Casa Segura (test)")
    casa.areas.add(cucuta)
    staff = {
        "coordinator": make_staff("coord@red.example.org", red, Role.COORDINATOR),
        "caseworker": make_staff("gestora@red.example.org", red, Role.CASEWORKER),
        "lawyer": make_staff("abogada@red.example.org", red, Role.LEGAL_ADVISOR),
        "focal": make_staff("focal@red.example.org", red, Role.FOCAL_POINT, with_key=False),
        "monitor": make_staff("monitora@red.example.org", red, Role.MONITOR, with_key=False),
        "casa": make_staff("gestora@casa.example.org", casa, Role.CASEWORKER),
    }
    recovery = {
        red.name: services.channel_setup(actor=staff["coordinator"], organization=red),
        casa.name: services.channel_setup(actor=staff["casa"], organization=casa),
    }
    places = {p.pcode: p for p in (co, ns, cucuta, villa, ec, pichincha, quito)}
    return World(places, red, casa, recovery, staff)


def form_token(page: Response) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert match, f"no form token ({page.status})"
    return match.group(1)


def report_fields(token: str, **overrides: Any) -> list[tuple[str, str]]:
    fields: dict[str, Any] = {
        "place": CUCUTA,
        "form_token": token,
        "what_happened": "Un cliente me agredió en el hotel Marfil-4471 y ahora me sigue.",
        "happened": ["sexual_assault", "psychological_emotional_abuse"],
        "persecuted": "yes",
        "state_agent": "no",
        "wants": ["protection", "legal"],
        "organization": "auto",
        "contact_how": "whatsapp",
        "contact_details": "+57 300 555 0199",
        "safe_times": "Martes en la mañana",
    }
    fields.update(overrides)
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, str(item)))
    return pairs


def file_report(
    browser: Browser, files: list[tuple[str, str, bytes]] | None = None, lang: str = "es", **overrides: Any
) -> Response:
    page = browser.get(f"/{lang}/channel/report/?place={overrides.get('place', CUCUTA)}")
    assert page.status == 200, page.text
    return browser.request(
        f"/{lang}/channel/report/", report_fields(form_token(page), **overrides), files=files or [], referer=False
    )


def receipt_of(page: Response) -> str:
    match = re.search(r'<p class="receipt"[^>]*><strong>([\d ]{19})</strong>', page.text)
    assert match, page.text[:2000]
    return match.group(1).replace(" ", "")


def staff_login(browser: Browser, user: User) -> None:
    step = browser.submit("/staff/login/", {"email": user.email, "password": PASSWORD})
    assert step.status == 302 and "/staff/login/verify/" in step.location, step.status
    device = TOTPDevice.objects.get(user=user)
    done = browser.submit("/staff/login/verify/", {"token": code_for(device)})
    assert done.status == 302, done.text[:500]


def jpeg_with_metadata() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 90))
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"  # Make
    exif[0x0110] = "SecretPhone-XYZ"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (7.0, 53.0, 30.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


PDF_MARKER = b"PDF-SECRET-CONTENT-9931"


def small_pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\n% " + PDF_MARKER + b"\ntrailer<<>>\n%%EOF\n"
