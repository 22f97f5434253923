"""What people said of services (campaigns' community-led monitoring) in the statistics layer: each answer counted
once, by the zone type of the service's municipality, reported discrimination or not; an organisation's view counts
the services of its directory entry, a national view those located in the country; small counts hidden."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from amparo.campaigns.feedback_services import Answers
from amparo.campaigns.tests.feedback_world import answer, last_month, make_world
from amparo.insights.statistics import Scope, by_key, dashboard_tables

pytestmark = pytest.mark.django_db

KEY = "feedback.discrimination_by_zone"


def _table(scope: Scope, start: date) -> object:
    tables = by_key(dashboard_tables(scope=scope, start=start, end=timezone.localdate(), language="en"))
    return tables.get(KEY)


def test_answers_count_once_by_zone_and_discrimination(demo_directory: None) -> None:
    world = make_world(referral=False)
    zone = world.sal.place.zone
    answer(
        world, Answers(attended=False, turned_away=True, for_trans=True, id_asked=True), n=7
    )  # one answer, two reports
    answer(world, Answers(attended=True, respected=True), n=9)
    start = last_month()
    own = _table(Scope("organisation", organization_id=world.org.pk), start)
    assert own is not None
    rows = {c.code: i for i, c in enumerate(own.row_categories)}  # type: ignore[attr-defined]
    columns = {c.code: j for j, c in enumerate(own.column_categories)}  # type: ignore[attr-defined]
    cells = own.protected.cells  # type: ignore[attr-defined]
    assert cells[rows["discrimination"]][columns[zone]] == 7  # counted once though it reported two things
    assert cells[rows["none"]][columns[zone]] == 9
    assert own.grand_total == 16 and own.unit == "answers"  # type: ignore[attr-defined]
    # The region counts them too, at the public threshold: the 7 and the 9 are small there, so they are hidden.
    region = _table(Scope("region"), start)
    assert region is not None and region.threshold == 11  # type: ignore[attr-defined]
    assert region.protected.cells[rows["discrimination"]][columns[zone]] is None  # type: ignore[attr-defined]
    # Another country has none of them; an organisation without a directory entry gets no table.
    assert _table(Scope("country", country="EC"), start) is None
    world.org.directory_organization = None
    world.org.save(update_fields=["directory_organization"])
    assert _table(Scope("organisation", organization_id=world.org.pk), start) is None
