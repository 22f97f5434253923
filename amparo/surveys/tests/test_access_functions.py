"""The access functions of the web entry and the referral offer (amparo/access, "Surveys: the web entry and the
referral offer"): who may fill which form, whose offer she may see, and whether the offer links her to a case; every
other case is the same 404 as an object that does not exist. The pages' rows are in the role matrix
(`matrix_rules/webentry.py`, `matrix_rules/instrument.py`)."""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404

from amparo.access import (
    get_survey_form_for_entry,
    get_survey_submission_for_offer,
    opens_cases_for,
    survey_forms_for_entry,
    survey_submissions_for_offer,
)
from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.surveys.models import Form, FormVersion, Submission
from amparo.surveys.tests.factories import make_form, make_submission

pytestmark = pytest.mark.django_db


def _member(org: Organization, name: str, role: str) -> User:
    user = User.objects.create_user(username=f"{name}@example.org", email=f"{name}@example.org")
    Membership.objects.create(user=user, organization=org, role=role)
    return user


@pytest.fixture
def world() -> dict[str, object]:
    org, other = Organization.objects.create(name="Red Violeta"), Organization.objects.create(name="Otra Red")
    users = {
        "enumerator": _member(org, "enc", Role.ENUMERATOR),
        "unassigned": _member(org, "enc2", Role.ENUMERATOR),
        "coordinator": _member(org, "coord", Role.COORDINATOR),
        "caseworker": _member(org, "cw", Role.CASEWORKER),
        "analyst": _member(org, "an", Role.ANALYST),
        "outsider": _member(other, "coord-otra", Role.COORDINATOR),
    }
    version: FormVersion = make_form(org, users["coordinator"])
    version.form.enumerators.add(users["enumerator"])
    own = make_submission(version, enumerator=users["enumerator"])
    return {"org": org, "users": users, "form": version.form, "own": own}


def test_who_may_fill_a_form_on_the_web(world: dict[str, object]) -> None:
    users: dict[str, User] = world["users"]  # type: ignore[assignment]
    form: Form = world["form"]  # type: ignore[assignment]
    may = {name for name, user in users.items() if form in survey_forms_for_entry(user)}
    assert may == {"enumerator", "coordinator"}
    assert get_survey_form_for_entry(users["enumerator"], str(form.uuid)) == form
    for name in ("unassigned", "caseworker", "analyst", "outsider"):
        with pytest.raises(Http404):
            get_survey_form_for_entry(users[name], form.uuid)
    with pytest.raises(Http404):
        get_survey_form_for_entry(users["coordinator"], "not-a-uuid")
    Membership.objects.filter(user=users["enumerator"]).update(active=False)
    assert not survey_forms_for_entry(users["enumerator"]).exists()


def test_whose_offer_she_may_see(world: dict[str, object]) -> None:
    users: dict[str, User] = world["users"]  # type: ignore[assignment]
    own: Submission = world["own"]  # type: ignore[assignment]
    assert get_survey_submission_for_offer(users["enumerator"], own.uuid) == own
    assert get_survey_submission_for_offer(users["coordinator"], str(own.uuid)) == own
    for name in ("unassigned", "caseworker", "analyst", "outsider"):
        assert not survey_submissions_for_offer(users[name]).exists(), name
        with pytest.raises(Http404):
            get_survey_submission_for_offer(users[name], own.uuid)
    with pytest.raises(Http404):
        get_survey_submission_for_offer(users["coordinator"], uuid.uuid4())
    Submission.objects.filter(pk=own.pk).update(encrypted=True)  # awaiting decryption: no offer yet
    with pytest.raises(Http404):
        get_survey_submission_for_offer(users["coordinator"], own.uuid)


def test_the_offer_links_to_a_case_only_for_case_roles_of_its_organisation(world: dict[str, object]) -> None:
    users: dict[str, User] = world["users"]  # type: ignore[assignment]
    org: Organization = world["org"]  # type: ignore[assignment]
    assert {name for name, user in users.items() if opens_cases_for(user, org)} == {"caseworker", "coordinator"}
