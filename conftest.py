"""Shared test fixtures. Tests run on SQLite by default and on PostgreSQL with DATABASE_URL set."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

# The logs of the whole run are searched for the personal data the tests used (amparo/core/tests/log_guard.py);
# pytester runs that plugin in a run of its own to prove it fails (amparo/core/tests/test_logs.py).
pytest_plugins = ["amparo.core.tests.log_guard", "pytester"]


@pytest.fixture(autouse=True)
def _file_storage_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Encrypted files written by tests go to a temporary folder, never to var/."""
    settings.CASES_STORAGE_DIR = tmp_path / "cases"
    settings.SAFECHANNEL_STORAGE_DIR = tmp_path / "safechannel"


@pytest.fixture(scope="session")
def redis_server():  # type: ignore[no-untyped-def]
    """A private, real redis-server for this run (amparo/core/tests/redis_server.py), started on first use."""
    from amparo.core.tests.redis_server import redis_server as start

    with start() as server:
        yield server


@pytest.fixture
def shared_cache(settings, redis_server):  # type: ignore[no-untyped-def]
    """The production cache: Django's RedisCache on the private redis-server, emptied after the test."""
    from django.core.cache import cache

    from amparo.core.tests.redis_server import redis_cache_settings

    if redis_server.process is None:  # a test stopped it to see a failure
        redis_server.start()
    settings.CACHES = redis_cache_settings(redis_server.url, "test")
    yield redis_server
    if redis_server.process is None:
        redis_server.start()
    cache.clear()


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


# The read replica (settings.py, core/db_router.py). Settings load once per run, so for tests marked `replica` the
# `replica` alias is added the way Django's test runner sets up DATABASE_REPLICA_URL's: a test mirror of default
# (`"TEST": {"MIRROR": "default"}`), a second connection to the same test database. It is added before the test's
# database set-up (so that `databases="__all__"` lets the test use it) and removed after its tear-down.
_ADDED_REPLICA = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("replica") is None:
        return
    import copy

    from django.db import connections

    from amparo.core.db_router import REPLICA

    if REPLICA in connections.settings:  # the run is configured with DATABASE_REPLICA_URL: the runner's mirror
        return
    mirror = copy.deepcopy(connections["default"].settings_dict)  # already the test database's
    mirror["TEST"] = {**mirror.get("TEST", {}), "MIRROR": "default"}
    connections.settings[REPLICA] = mirror
    item.stash[_ADDED_REPLICA] = True


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if not item.stash.get(_ADDED_REPLICA, False):
        return
    from django.db import connections

    from amparo.core.db_router import REPLICA

    wrapper = connections[REPLICA]
    wrapper.close()
    if wrapper.connection is not None:  # Django keeps a connection to an in-memory SQLite test database open
        wrapper.connection.close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replica(request: pytest.FixtureRequest, transactional_db: None):  # type: ignore[no-untyped-def]
    """The replica's connection, for tests marked `replica` and
    `django_db(transaction=True, databases="__all__")`. A mirror reads what another connection committed, never
    what is still inside a test's transaction (Django's docs: tests of a mirror use TransactionTestCase)."""
    from django.db import connections

    from amparo.core.db_router import REPLICA

    assert request.node.get_closest_marker("replica") is not None, "mark the test `replica`"
    return connections[REPLICA]
