"""Every staff form that comes back with errors starts the page with the error summary (core/form_errors.html), each
error a link to its field, whatever name the view gives the form: the legal matter's two forms, the channel
settings' two forms, the case list's filters, the case page's section forms, and those named `form`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.template import Context, Template
from django.test import Client

from amparo.cases import legal_services
from amparo.safechannel import services as channel

from .conftest import CaseWorld, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(verified_client_for: Callable[..., Client]) -> Callable[..., Client]:
    def make(user: object) -> Client:
        return verified_client_for(user, HTTP_ACCEPT_LANGUAGE="en")

    return make


def summary_links(response: Any) -> list[str]:
    """The fields the page's error summaries link to, in order; the summaries come before the page's first form."""
    html = response.content.decode()
    start = html.find('class="notice error-summary"')
    assert start != -1, "no error summary"
    main_form = html.find("<form", html.find("<main"))
    assert start < main_form, "the summary is not at the top"
    return re.findall(r'<li><a href="#([^"]+)">', html[start:main_form])


def test_forms_of_every_name_are_summarised_with_links(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    case = open_case(case_world)
    caseworker = client_for(case_world.staff["caseworker"])
    matter = legal_services.legal_matter_open(actor=case_world.staff["caseworker"], case=case, kind="custody")
    url = f"/staff/cases/legal/{matter.uuid}/"

    # The legal matter page: `update_form` (prefix "matter") and `event_form` (prefix "event").
    update = caseworker.post(url, {"action": "update", "matter-status": "nonsense"})
    assert update.status_code == 400 and summary_links(update) == ["id_matter-status"]
    event = caseworker.post(url, {"action": "event", "event-kind": "hearing", "event-due_at": "mañana"})
    assert event.status_code == 400 and summary_links(event) == ["id_event-due_at"]
    assert "Date and time: Enter a valid date/time." in event.content.decode()

    # The case list's `filters` (a GET form: a forged choice answers 400 and says which filter).
    listing = caseworker.get("/staff/cases/", {"worker": "not-a-person"})
    assert listing.status_code == 400 and summary_links(listing) == ["id_worker"]

    # The case page's section forms (`action_form`, `child_form`, `duplicate_form`): one summary per form sent.
    action = caseworker.post(f"/staff/cases/{case.uuid}/actions/", {"description": "", "due_on": "2030-13-40"})
    assert action.status_code == 400 and summary_links(action) == ["id_description", "id_due_on"]
    child = caseworker.post(f"/staff/cases/{case.uuid}/children/", {"age_band": "ninety", "care_arrangement": "x"})
    assert child.status_code == 400 and set(summary_links(child)) == {"id_age_band", "id_care_arrangement"}

    # The channel settings: `settings_form` and `restore_form`, a coordinator's page.
    channel.channel_setup(actor=case_world.staff["coordinator"], organization=case_world.org)
    coordinator = client_for(case_world.staff["coordinator"])
    settings_url = f"/staff/channel/orgs/{case_world.org.uuid}/"
    retention = coordinator.post(settings_url, {"action": "settings", "settings-retention_days": "3"})
    assert retention.status_code == 400 and summary_links(retention) == ["id_settings-retention_days"]
    restore = coordinator.post(settings_url, {"action": "restore", "restore-recovery_key": ""})
    assert restore.status_code == 400 and summary_links(restore) == ["id_restore-recovery_key"]

    # A form named `form`, as before: the new legal matter.
    new = caseworker.post(f"/staff/cases/{case.uuid}/legal/new/", {"kind": "not-a-kind"})
    assert new.status_code == 400 and summary_links(new) == ["id_kind"]


class _Pair(forms.Form):
    name = forms.CharField(label="Name")
    when = forms.DateField(label="When", required=False)


def test_the_tag_finds_bound_forms_with_errors_under_any_name() -> None:
    template = Template("{% load amparo %}{% error_summaries %}")
    first = _Pair({"a-name": ""}, prefix="a")
    second = _Pair({"b-name": "x", "b-when": "never"}, prefix="b")
    clean = _Pair({"c-name": "fine"}, prefix="c")
    unbound = _Pair(prefix="d")
    html = template.render(Context({"whatever": first, "several": [second, clean], "empty": unbound, "again": first}))
    assert html.count('class="notice error-summary"') == 2  # each form once, only those with errors
    assert re.findall(r'href="#([^"]+)"', html) == ["id_a-name", "id_b-when"]
    assert len(set(re.findall(r'id="(error-summary-title-\d+)"', html))) == 2  # each summary its own title id
    assert template.render(Context({"form": clean, "other": unbound})) == ""
