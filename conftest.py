"""Shared test fixtures. Tests run on SQLite by default and on PostgreSQL with DATABASE_URL set."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.fixture(autouse=True)
def _file_storage_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Encrypted files written by tests go to a temporary folder, never to var/."""
    settings.CASES_STORAGE_DIR = tmp_path / "cases"
    settings.SAFECHANNEL_STORAGE_DIR = tmp_path / "safechannel"


@pytest.fixture
def demo_directory(db):  # type: ignore[no-untyped-def]
    """The demo directory (a few hundred services over the demo places) and the shipped pathways."""
    from amparo.directory.demo import build_directory

    build_directory()
    call_command("load_pathways", verbosity=0)


@pytest.fixture
def public_client() -> Client:
    """A client that, like a survivor's phone, sends no cookies and does not follow redirects."""
    return Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="es")


@pytest.fixture
def verified_client_for(db):  # type: ignore[no-untyped-def]
    """A factory: `verified_client_for(user)` returns a Client logged in as `user` whose session passed 2FA.

    It gives the user a confirmed TOTP device (if they have none) and stores it in the session exactly as
    `django_otp.login` does, so Require2FAMiddleware lets the user through without a real code.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def make(user, **client_kwargs) -> Client:  # type: ignore[no-untyped-def]
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="test device", confirmed=True)
        client = Client(**client_kwargs)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return make
