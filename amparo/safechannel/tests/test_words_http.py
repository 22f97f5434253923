"""Words on the recipients' pages (issue 13, item 9): labels, never codes; and no "Persecuted" for a survivor who
said she was not sure."""

from __future__ import annotations

from typing import Any

import pytest

from amparo.accounts.tests.http import Browser
from amparo.safechannel.forms import describe
from amparo.safechannel.models import Report

from .conftest import World, file_report, staff_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_report_page_shows_labels_and_the_inbox_says_not_sure(live_server: Any, world: World) -> None:
    survivor = Browser(live_server.url)
    file_report(
        survivor, lang="pt", organization=str(world.red.uuid), happened=["psychological_emotional_abuse"],
        persecuted="unknown", state_agent="no",
    )  # fmt: skip
    report = Report.objects.get()
    assert report.persecuted  # "not sure" weighs like "yes" for triage...
    staff = Browser(live_server.url)  # no Accept-Language: Spanish
    staff_login(staff, world.staff["caseworker"])
    inbox = staff.get("/staff/channel/").text
    assert "Persecución: sí o no está segura" in inbox  # ...but the inbox does not call her "Perseguida"
    assert "<strong>Perseguida</strong>" not in inbox
    page = staff.get(f"/staff/channel/reports/{report.uuid}/").text
    assert "psychological_emotional_abuse" not in page
    assert "Abuso psicológico" in page
    assert "<dd>Portugués</dd>" in page  # not "pt"
    assert "Perseguida" not in page  # the question she answered, then her answer
    assert "¿El agresor la persigue ahora?</dt><dd>No tengo certeza</dd>" in page


def test_describe_names_an_unknown_code_as_it_is() -> None:
    described = describe({"gbv_type": "not_a_type", "language": "xx"})
    assert described["gbv_type_label"] == "not_a_type" and described["language_label"] == "xx"
    assert describe({})["language_label"] == ""
