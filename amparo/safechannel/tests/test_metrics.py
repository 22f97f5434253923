"""The channel's submissions counted for operations by outcome alone (amparo/core/metrics.py), over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from amparo.accounts.tests.http import Browser

from .conftest import World, file_report, receipt_of

pytestmark = pytest.mark.django_db(transaction=True)


def counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("amparo_channel_submissions_total", {"outcome": outcome}) or 0.0


def test_submissions_are_counted_by_outcome_and_nothing_else(live_server: Any, world: World) -> None:
    before = {outcome: counted(outcome) for outcome in ("accepted", "invalid", "duplicate", "refused")}
    survivor = Browser(live_server.url)
    sent = file_report(survivor)
    assert sent.status == 200 and receipt_of(sent)
    empty = file_report(survivor, what_happened="")
    assert empty.status == 400
    assert counted("accepted") - before["accepted"] == 1
    assert counted("invalid") - before["invalid"] == 1
    assert counted("duplicate") == before["duplicate"] and counted("refused") == before["refused"]
    # The only label is the outcome: no place, organisation, language or anything else about who sent it.
    family = next(f for f in REGISTRY.collect() if f.name == "amparo_channel_submissions")
    assert {tuple(sample.labels) for sample in family.samples} == {("outcome",)}
