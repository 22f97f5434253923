"""The safe channel's small world (places, two receiving organisations, their staff and recovery keys)."""

from amparo.safechannel.tests.conftest import _isolated, world  # noqa: F401 - fixtures
