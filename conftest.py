"""Shared test fixtures. Tests run on SQLite by default and on PostgreSQL with DATABASE_URL set."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client


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
