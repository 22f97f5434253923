"""The objects every surveys page of the matrix may take: a published test form with one submission."""

from __future__ import annotations

from typing import Any

from amparo.accounts.roles import Role
from amparo.surveys.tests.factories import make_form, make_submission

EXPECTED: dict[str, Any] = {}
POSTS: dict[str, Any] = {}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    version = make_form(org, users[Role.COORDINATOR])
    version.form.enumerators.add(users[Role.ENUMERATOR])
    submission = make_submission(version, enumerator=users[Role.ENUMERATOR])
    return {"survey_form": version.form, "survey_version": version, "survey_submission": submission}
