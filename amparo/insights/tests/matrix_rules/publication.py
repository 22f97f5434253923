"""Publications of figures (four eyes): coordinators prepare and withdraw; coordinators, analysts and monitors of the
organisation read and review. The world's publication was prepared by its coordinator and waits for review.
Another organisation's members get 404 on it (the matrix tries every role of a second organisation)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from amparo.accounts.roles import Role
from amparo.accounts.tests.matrix_case import Case
from amparo.insights.models import Publication, month_end

READ = frozenset({Role.COORDINATOR, Role.ANALYST, Role.MONITOR})
PREPARE = frozenset({Role.COORDINATOR})


def _publication(world: dict[str, object]) -> list[object]:
    return [world["publication"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Any] = {
    "publications:publications": Case(READ),
    "publications:publication_new": Case(PREPARE),
    "publications:publication": Case(READ, _publication),
    # A POST without a decision (or without a reason to withdraw): the page says what is missing (400).
    "publications:publication_review": Case(READ, _publication, "post", 400),
    "publications:publication_withdraw": Case(PREPARE, _publication, "post", 400),
}
# The empty preparation form: what is missing (400), nothing built.
POSTS: dict[str, Any] = {
    "publications:publication_new": Case(PREPARE, method="post", ok=400),
}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    first = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    publication = Publication.objects.create(
        organization=org,
        scope=Publication.Scope.COUNTRY,
        country="CO",
        period_start=first,
        period_end=month_end(first),
        languages=["es"],
        frozen={"parameters": {}, "tables": {"es": []}},
        prepared_by=users[Role.COORDINATOR],
    )
    return {"publication": publication}
