"""The database down (issue 18, item 5; docs/faults.md): every request is answered with the 503 page (translated,
Retry-After, no trace, no cookie) while no connection can be made, and served again as soon as the database
answers, by the same process and the same connection object (no restart).

The database is made unreachable for real: the app's `default` connection is a PostgreSQL connection to a port
where nothing listens (psycopg's own refusal). On PostgreSQL runs it is the test database's own settings with the
port changed, and the port is then put back on the same connection object. `bench/faults.py postgres` does the
same with a real cluster stopped and started under gunicorn.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connections
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client

from amparo.core.tests.ports import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down() -> Iterator[Callable[[], None]]:
    """The app's connection swapped for one whose server is down; yields the function that brings it back."""
    original = connections["default"]
    if original.vendor == "postgresql":
        base = dict(original.settings_dict)
        good_port = base["PORT"]
    else:
        base = {
            "NAME": "amparo_down", "USER": "postgres", "PASSWORD": "", "HOST": "127.0.0.1", "OPTIONS": {},
            "TIME_ZONE": None, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": True, "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False, "TEST": {},
        }  # fmt: skip
        good_port = None
    down = {**base, "ENGINE": "django.db.backends.postgresql", "PORT": free_port(), "CONN_MAX_AGE": 60}
    down["OPTIONS"] = {**base.get("OPTIONS", {}), "connect_timeout": 2}
    wrapper = DatabaseWrapper(down, alias="default")
    connections["default"] = wrapper

    def recover() -> None:
        if good_port is None:  # SQLite run: the working database is the original connection
            connections["default"] = original
        else:  # the same connection object, the server answering again
            wrapper.settings_dict["PORT"] = good_port

    try:
        yield recover
    finally:
        wrapper.close()
        connections["default"] = original


def server() -> Client:
    return Client(HTTP_HOST="localhost", raise_request_exception=False)


def assert_503(response: Any, text: str) -> None:
    body = response.content.decode()
    assert response.status_code == 503, body[:500]
    assert response["Retry-After"] == "30"
    assert text in body
    assert "Traceback" not in body and "psycopg" not in body and "OperationalError" not in body
    assert not response.cookies


def test_while_the_database_is_down_every_page_answers_503_and_then_recovers_without_a_restart(
    database_down: Callable[[], None],
) -> None:
    assert_503(server().get("/es/channel/report/?place=CO54001"), "Amparo no puede responder en este momento")
    assert_503(server().get("/pt/services/?q=abrigo"), "O Amparo não pode responder agora")
    staff = server()
    staff.cookies["sessionid"] = "a" * 32  # a staff page reads its session from the database
    assert_503(staff.get("/staff/"), "Amparo no puede responder en este momento")
    database_down()  # the database answers again
    assert server().get("/es/channel/report/").status_code == 200
    assert server().get("/pt/services/?q=abrigo").status_code == 200
    assert staff.get("/staff/").status_code == 302  # to the sign-in page: the unknown session is simply empty


def test_machines_get_a_503_they_can_read(database_down: Callable[[], None]) -> None:
    """The JSON API answers JSON and the phones' OpenRosa endpoints a short text with their version header."""
    api = server().get("/api/hsds/services")
    assert api.status_code == 503 and api["Retry-After"] == "30" and api["Content-Type"] == "application/json"
    assert api.json() == {"detail": "Service unavailable: try again later.", "retry_after": 30}
    credentials = base64.b64encode(b"telefono-1:secreto-de-prueba").decode()
    phone = server().get("/openrosa/formList", HTTP_AUTHORIZATION=f"Basic {credentials}")  # looked up: the database
    assert phone.status_code == 503 and phone["Retry-After"] == "30" and phone["X-OpenRosa-Version"] == "1.0"
    assert phone.content == b"Service unavailable: try again later."
