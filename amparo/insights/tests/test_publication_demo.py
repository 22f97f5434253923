"""The insights' demo (make demo, step 95): a publication prepared by the demo coordinator and approved by the demo
analyst, with figures above the public threshold on the public page; run again, it adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management.base import OutputWrapper
from django.test import Client

from amparo.accounts.demo import load_demo_staff
from amparo.cases.demo import load_demo_cases
from amparo.core.registry import DemoRun
from amparo.insights import publication_demo as demo
from amparo.insights.demo import load_demo_statistics
from amparo.insights.models import Publication

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_figures_through_four_eyes(demo_directory: None, public_client: Client) -> None:
    load_demo_staff()
    load_demo_cases()
    load_demo_statistics()  # step 90: the organisations' agreements and consented cases the figures count
    out = io.StringIO()
    demo.load_demo_publication(DemoRun(reset=False, stdout=OutputWrapper(out)))
    publications = {p.scope: p for p in Publication.objects.all()}
    assert set(publications) == {Publication.Scope.REGION, Publication.Scope.COUNTRY}  # the region's and Colombia's
    for publication in publications.values():
        assert publication.status == Publication.Status.APPROVED
        assert publication.prepared_by.email == demo.PREPARER and publication.reviewed_by.email == demo.REVIEWER  # type: ignore[union-attr]
        assert publication.languages == ["es", "en", "pt"]
        shown = [v for t in publication.tables("es") for row in t.protected.grid() for v in row if v]
        assert shown and max(shown) >= 11  # meaningful figures, not only hidden cells
        page = public_client.get(f"/es/figures/{publication.uuid}/")
        assert page.status_code == 200 and b"<table" in page.content and b"<svg" in page.content
    assert demo.REVIEWER in out.getvalue()
    demo.load_demo_publication(DemoRun(reset=False, stdout=OutputWrapper(io.StringIO())))
    assert Publication.objects.count() == 2
