"""The demo's situation report (load_demo step 97): built at once, in a few seconds, once."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management.base import OutputWrapper
from django.utils import timezone

from amparo.accounts.models import Organization
from amparo.core.registry import DemoRun, demo_loaders
from amparo.directory.models import Place
from amparo.insights.models import SituationReport
from amparo.insights.report_demo import DEMO_ORGANIZATION, load_demo_report

from .report_world import add_cases, build_world

pytestmark = pytest.mark.django_db


def test_the_demo_builds_one_report_after_every_other_step() -> None:
    steps = {loader.name: loader.order for loader in demo_loaders()}
    assert steps["insights: a situation report"] == 97
    assert steps["cases"] < 97 and steps["staff accounts"] < 97  # the demo organisation and its cases first
    build_world()
    organization = Organization.objects.create(name=DEMO_ORGANIZATION)
    add_cases(organization, "CO54001", 7, timezone.localdate())
    # Its area gives the dashboard a coverage-gap table, built at threshold 1 (it counts places, not people): the
    # report must take it, not refuse the lower threshold (the demo's report failed so).
    organization.areas.add(Place.objects.get(pcode="CO54001"))
    out = StringIO()
    run = DemoRun(reset=False, stdout=OutputWrapper(out))
    started = time.perf_counter()
    load_demo_report(run)
    assert time.perf_counter() - started < 10
    report = SituationReport.objects.get()
    assert report.status == SituationReport.Status.BUILT and report.organization == organization
    assert any(table["unit"] == "places" for table in report.tables)
    assert report.period_end >= timezone.localdate() and bytes(report.pdf or b"").startswith(b"%PDF-")
    assert "a situation report of Red Violeta (demo)" in out.getvalue()
    load_demo_report(run)  # a second load_demo keeps the one there
    assert SituationReport.objects.count() == 1 and "already there" in out.getvalue()
