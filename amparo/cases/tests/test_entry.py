"""Safe data entry and a risk assessment a caseworker trusts (issue 13, items 4 and 5), through real HTTP: the risk
questions (a rape at knifepoint yesterday is high), her judgement raises and is never lowered, resubmitted create
forms make nothing twice, duplicates are closed or merged without false checklist items, the error summary links
the fields, nationality comes from the list of countries, implausible dates are confirmed, and incidents are
corrected with their history in the audit."""

from __future__ import annotations

import copy
import json
import re
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone, translation

from amparo.accounts.tests.http import Browser
from amparo.audit.models import AuditEntry
from amparo.cases import risk, services
from amparo.cases.models import Case, Incident, LegalEvent, RiskAssessment
from amparo.core.countries import country_choices, country_name
from amparo.safechannel.tests.conftest import staff_login
from amparo.safechannel.tests.test_dump import database_dump

from .conftest import CaseWorld, open_case

pytestmark = pytest.mark.django_db(transaction=True)

FMT = "%Y-%m-%dT%H:%M"


def _form(browser: Browser, url: str) -> dict[str, str]:
    """The CSRF and one-time tokens of the form on a page, as a browser holds them."""
    page = browser.get(url)
    assert page.status == 200, page.status
    fields = {}
    for name in ("csrfmiddlewaretoken", "form_token"):
        match = re.search(rf'name="{name}" value="([^"]+)"', page.text)
        assert match, f"no {name} on {url}"
        fields[name] = match.group(1)
    return fields


def _signed_in(live_server: Any, cw: CaseWorld, who: str = "caseworker") -> Browser:
    browser = Browser(live_server.url)
    staff_login(browser, cw.staff[who])
    return browser


def _incident(
    browser: Browser, case: Case, *, hours_ago: float, answers: tuple[str, ...], description: str = ""
) -> Any:
    url = f"/staff/cases/{case.uuid}/incidents/new/"
    occurred = timezone.localtime() - timedelta(hours=hours_ago)
    data = [
        *_form(browser, url).items(),
        ("occurred_at", occurred.strftime(FMT)),
        ("time_known", "on"),
        ("first_reported_at", timezone.localtime().strftime(FMT)),
        ("place", "CO54001"),
        ("perpetrator_types", "client"),
        ("perpetrator_count", "1"),
        ("description", description),
        *((f"q_{key}", "on") for key in answers),
    ]
    return browser.request(url, data)


# --- Risk ----------------------------------------------------------------------------------------------------------


def test_a_rape_at_knifepoint_yesterday_comes_out_high(live_server: Any, case_world: CaseWorld) -> None:
    case = open_case(case_world)
    browser = _signed_in(live_server, case_world)
    assert _incident(browser, case, hours_ago=20, answers=("penetration",)).status == 302
    assert case.incidents.get().gbv_type == "rape"
    url = f"/staff/cases/{case.uuid}/risk/"
    page = browser.get(url)
    # The recorded rape answers the recent-sexual-violence question before she ticks anything.
    assert re.search(r'name="q_recent_sexual_violence"[^>]*checked', page.text)
    sent = browser.request(
        url, [*_form(browser, url).items(), ("persecution", "no"), ("q_weapon", "on"), ("safety_plan", "")]
    )
    assert sent.status == 302
    assessment = case.risk_assessments.get()
    assert assessment.level == assessment.computed_level == "high"
    assert set(assessment.answers) == {"weapon", "recent_sexual_violence"}
    assert assessment.questions_version == risk.questions().version
    shown = browser.get(f"/staff/cases/{case.uuid}/")
    assert shown.status == 200 and ("<strong>Alto</strong>" in shown.text or "<strong>High</strong>" in shown.text)


def test_recent_sexual_violence_raises_the_level_by_itself(live_server: Any, case_world: CaseWorld) -> None:
    """Even when nobody ticks it (an old form, a hurried save), a rape recorded in the last 30 days makes the level
    high; one recorded 40 days ago does not by itself."""
    case = open_case(case_world)
    actor = case_world.staff["caseworker"]

    def record(days: int) -> None:
        services.incident_record(
            actor=actor, case=case, occurred_at=timezone.now() - timedelta(days=days), time_known=True,
            first_reported_at=timezone.now(), place=case_world.places["CO54001"], answers={"penetration": True},
            context_tags=[], perpetrator_types=["stranger"], perpetrator_count=1, description="",
        )  # fmt: skip

    record(40)
    old = services.risk_assess(actor=actor, case=case, persecution="no", indicators=[], safety_plan="", answers=[])
    assert old.level == "low"
    record(1)
    recent = services.risk_assess(actor=actor, case=case, persecution="no", indicators=[], safety_plan="", answers=[])
    assert recent.level == "high" and recent.answers == ["recent_sexual_violence"]


def test_her_judgement_raises_the_level_and_no_score_lowers_it(live_server: Any, case_world: CaseWorld) -> None:
    case = open_case(case_world)
    browser = _signed_in(live_server, case_world)
    url = f"/staff/cases/{case.uuid}/risk/"
    base = [("persecution", "no"), ("safety_plan", "Plan-Jade-2291")]
    # Lowering below what the answers give is refused, and nothing is saved; what she typed comes back.
    lower = browser.request(
        url, [*_form(browser, url).items(), *base, ("q_threat_to_kill", "on"), ("judged_level", "low")]
    )
    assert lower.status == 400 and "Plan-Jade-2291" in lower.text and not case.risk_assessments.exists()
    assert 'href="#id_judged_level"' in lower.text  # the error summary links the field
    # Raising needs a reason.
    no_reason = browser.request(url, [*_form(browser, url).items(), *base, ("judged_level", "high")])
    assert no_reason.status == 400 and 'href="#id_raise_reason"' in no_reason.text
    assert not case.risk_assessments.exists()
    reason = "Motivo-Cobalto-8812: él vive en la misma cuadra"
    raised = browser.request(
        url, [*_form(browser, url).items(), *base, ("judged_level", "high"), ("raise_reason", reason)]
    )
    assert raised.status == 302
    assessment = case.risk_assessments.get()
    assert (assessment.computed_level, assessment.level, assessment.raised_reason) == ("low", "high", reason)
    entry = AuditEntry.objects.get(action="case.risk.raise", object_id=str(case.uuid))
    assert entry.detail["from"] == "low" and entry.detail["to"] == "high"
    assert "Cobalto" not in json.dumps(list(AuditEntry.objects.values_list("detail", flat=True)))
    assert "Motivo-Cobalto-8812" not in database_dump()  # the reason is encrypted like the safety plan
    page = browser.get(f"/staff/cases/{case.uuid}/")
    assert reason in page.text
    # Judging the level the answers already give is not a raise: no reason needed, nothing audited as a raise.
    same = browser.request(url, [*_form(browser, url).items(), *base, ("q_weapon", "on"), ("judged_level", "high")])
    assert same.status == 302 and AuditEntry.objects.filter(action="case.risk.raise").count() == 1


def test_the_question_file_is_checked_and_scored_as_written() -> None:
    data = json.loads(risk.CONTENT.read_text(encoding="utf-8"))
    qs = risk.parse(data)  # the shipped file is valid
    assert {q.key for q in qs.questions} >= {
        "weapon", "threat_to_kill", "strangulation", "recent_sexual_violence", "escalation", "stalking", "control",
        "client_returns", "exploiter_threats", "armed_group",
    }  # fmt: skip
    assert all(set(q.text) == {"es", "en", "pt"} for q in qs.questions)
    for key in ("weapon", "threat_to_kill", "strangulation", "recent_sexual_violence", "armed_group"):
        assert risk.score({key}, qs).level == "high", key
    assert risk.score(set(), qs).level == "low"
    assert risk.score({"control", "knows_where"}, qs).level == "medium"  # 1 + 1 reaches the medium threshold
    assert risk.score({"escalation", "stalking", "control"}, qs).level == "high"  # 2 + 2 + 1 reaches high
    assert risk.highest("low", "", "medium") == "medium"
    broken = copy.deepcopy(data)
    broken["questions"].append(copy.deepcopy(broken["questions"][0]))
    with pytest.raises(ValueError, match="repeated"):
        risk.parse(broken)
    broken = copy.deepcopy(data)
    broken["questions"][0]["group"] = "nowhere"
    with pytest.raises(ValueError, match="groups"):
        risk.parse(broken)
    broken = copy.deepcopy(data)
    del broken["questions"][0]["text"]["pt"]
    with pytest.raises(jsonschema.ValidationError):
        risk.parse(broken)
    broken = copy.deepcopy(data)
    broken["questions"] = [q for q in broken["questions"] if q["key"] != "recent_sexual_violence"]
    with pytest.raises(ValueError, match="recent_sexual_violence"):
        risk.parse(broken)


# --- Idempotent create forms --------------------------------------------------------------------------------------


INTAKE = {
    "full_name": "Marisol Nombre-Privado",
    "age_band": "18-25",
    "gender_identity": "trans_woman",
    "nationality": "VE",
    "migratory_status": "irregular",
    "disability": "no",
    "place": "CO54001",
    "consents": "services",
    "consent_method": "verbal",
}


def test_a_resubmitted_intake_opens_no_second_case(live_server: Any, case_world: CaseWorld) -> None:
    browser = _signed_in(live_server, case_world)
    tokens = _form(browser, "/staff/cases/new/")
    first = browser.request("/staff/cases/new/", {**tokens, **INTAKE})
    assert first.status == 302 and Case.objects.count() == 1
    case = Case.objects.get()
    # The same form sent again (a double click, a retry): the case it opened, not a second one.
    again = browser.request("/staff/cases/new/", {**tokens, **INTAKE})
    assert again.status == 302 and again.location == first.location and Case.objects.count() == 1
    # Back, then send again: the browser fetched the form anew (a new token) but kept what she typed.
    back = browser.request("/staff/cases/new/", {**_form(browser, "/staff/cases/new/"), **INTAKE})
    assert back.status == 302 and back.location == first.location and Case.objects.count() == 1
    page = browser.follow(back)
    assert page.status == 200 and case.code in page.text
    assert AuditEntry.objects.filter(action="case.open").count() == 1
    # Another person's intake is another case.
    other = browser.request("/staff/cases/new/", {**_form(browser, "/staff/cases/new/"), **INTAKE, "full_name": "Otra"})
    assert other.status == 302 and Case.objects.count() == 2
    # A malformed token is a form message, not a server error, and nothing is created.
    bad = browser.request("/staff/cases/new/", {**tokens, "form_token": "<x>", **INTAKE, "full_name": "Tercera"})
    assert bad.status == 400 and "Tercera" in bad.text and Case.objects.count() == 2


def test_resubmitted_incident_risk_action_and_child_are_recorded_once(live_server: Any, case_world: CaseWorld) -> None:
    case = open_case(case_world)
    browser = _signed_in(live_server, case_world)
    url = f"/staff/cases/{case.uuid}/incidents/new/"
    tokens = _form(browser, url)
    incident = {
        **tokens, "occurred_at": (timezone.localtime() - timedelta(days=3)).strftime(FMT),
        "first_reported_at": timezone.localtime().strftime(FMT), "place": "CO54001", "perpetrator_types": "client",
        "perpetrator_count": "1", "q_physical": "on",
    }  # fmt: skip
    assert browser.request(url, incident).status == 302
    assert browser.request(url, incident).status == 302
    assert case.incidents.count() == 1
    risk_url = f"/staff/cases/{case.uuid}/risk/"
    assessment = {**_form(browser, risk_url), "persecution": "no"}
    assert browser.request(risk_url, assessment).status == 302
    assert browser.request(risk_url, assessment).status == 302
    assert case.risk_assessments.count() == 1
    detail = f"/staff/cases/{case.uuid}/"
    page = browser.get(detail)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    token = re.findall(r'name="form_token" value="([^"]+)"', page.text)
    assert csrf and len(token) == 2  # the action form and the child form, each with its own token
    action = {
        "csrfmiddlewaretoken": csrf.group(1),
        "form_token": token[0],
        "description": "Llamar",
        "due_on": "2030-01-01",
    }
    assert browser.request(f"{detail}actions/", action).status == 302
    assert browser.request(f"{detail}actions/", action).status == 302
    child = {
        "csrfmiddlewaretoken": csrf.group(1),
        "form_token": token[1],
        "age_band": "0-11",
        "care_arrangement": "kinship",
    }
    assert browser.request(f"{detail}children/", child).status == 302
    assert browser.request(f"{detail}children/", child).status == 302
    assert case.actions.count() == 1 and case.children.count() == 1


# --- Duplicates ----------------------------------------------------------------------------------------------------


def test_a_duplicate_is_closed_and_merged_without_false_checklist_items(
    live_server: Any, case_world: CaseWorld
) -> None:
    kept = open_case(case_world)
    duplicate = open_case(case_world)
    actor = case_world.staff["caseworker"]
    services.incident_record(
        actor=actor, case=duplicate, occurred_at=timezone.now() - timedelta(days=2), time_known=True,
        first_reported_at=timezone.now(), place=case_world.places["CO54001"], answers={"physical": True},
        context_tags=[], perpetrator_types=["client"], perpetrator_count=1, description="",
    )  # fmt: skip
    services.action_add(
        actor=actor, case=duplicate, description="Llamar", due_on=timezone.localdate(), assigned_to=None
    )
    other_org = services.case_open(
        actor=case_world.staff["outsider"], organization=case_world.other,
        intake=services.Intake(full_name="Otra", consents=["services"]),
    )  # fmt: skip
    browser = _signed_in(live_server, case_world)
    url = f"/staff/cases/{duplicate.uuid}/"
    csrf = _form(browser, url)["csrfmiddlewaretoken"]
    step = {"csrfmiddlewaretoken": csrf, "step": "duplicate", "merge": "on"}
    # A case she may not see, or the same case, is refused with a message; nothing changes.
    refused = browser.request(f"{url}closure/", {**step, "kept": other_org.code})
    assert refused.status == 400 and 'href="#id_kept"' in refused.text
    assert browser.request(f"{url}closure/", {**step, "kept": duplicate.code}).status == 400
    assert Case.objects.get(pk=duplicate.pk).status == Case.Status.OPEN
    # The code as she reads it aloud, lower case and without dashes, is enough.
    done = browser.request(f"{url}closure/", {**step, "kept": kept.code.lower().replace("-", "")})
    assert done.status == 302 and str(kept.uuid) in done.location
    duplicate.refresh_from_db()
    assert duplicate.status == Case.Status.CLOSED and duplicate.closed_as == Case.ClosedAs.DUPLICATE
    assert duplicate.duplicate_of == kept and duplicate.closure_checklist == {}
    assert kept.incidents.count() == 1 and kept.actions.count() == 1 and not duplicate.incidents.exists()
    assert AuditEntry.objects.filter(action="case.close_as_duplicate", object_id=str(duplicate.uuid)).exists()
    assert AuditEntry.objects.filter(action="case.duplicate_merged", object_id=str(kept.uuid)).exists()
    page = browser.get(url)
    assert kept.code in page.text
    # Reopened, it is no longer a duplicate.
    assert browser.request(f"{url}closure/", {"csrfmiddlewaretoken": csrf, "step": "reopen"}).status == 302
    duplicate.refresh_from_db()
    assert duplicate.status == Case.Status.OPEN and duplicate.duplicate_of is None and duplicate.closed_as == ""


# --- Error summary, countries, dates ---------------------------------------------------------------------------


def test_the_error_summary_is_at_the_top_and_links_the_fields(live_server: Any, case_world: CaseWorld) -> None:
    browser = _signed_in(live_server, case_world)
    refused = browser.request("/staff/cases/new/", {**_form(browser, "/staff/cases/new/"), **INTAKE, "consents": ""})
    assert refused.status == 400
    summary = refused.text.index("error-summary")
    assert summary < refused.text.index('name="full_name"')
    assert 'href="#id_consents"' in refused.text and "Marisol Nombre-Privado" in refused.text
    # A rejected save on the case page (a closed case) shows why, at the top of the page.
    case = open_case(case_world)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED)
    url = f"/staff/cases/{case.uuid}/"
    csrf = _form(browser, url)["csrfmiddlewaretoken"]
    closed = browser.request(
        f"{url}actions/", {"csrfmiddlewaretoken": csrf, "description": "Llamar", "due_on": "2030-01-01"}
    )
    assert closed.status == 400 and "error-summary" in closed.text and not case.actions.exists()
    with translation.override("es"):  # the staff pages of the test server speak Spanish, its default
        assert str(translation.gettext("This case is closed: reopen it first.")) in closed.text


def test_nationality_comes_from_the_list_of_countries(live_server: Any, case_world: CaseWorld) -> None:
    def germany(lang: str) -> str:
        with translation.override(lang):
            return dict(country_choices())["DE"]

    names = {lang: germany(lang) for lang in ("es", "en", "pt")}
    assert names == {"es": "Alemania", "en": "Germany", "pt": "Alemanha"}
    with translation.override("es"):
        assert country_name("VE") == "Venezuela" and country_name("") == ""
    browser = _signed_in(live_server, case_world)
    page = browser.get("/staff/cases/new/")
    assert '<option value="CL">' in page.text  # Chile is chosen by name, never typed as "CH"
    refused = browser.request(
        "/staff/cases/new/", {**_form(browser, "/staff/cases/new/"), **INTAKE, "nationality": "XX"}
    )
    assert refused.status == 400 and not Case.objects.exists()


def test_the_migration_keeps_country_codes_and_empties_the_rest(case_world: CaseWorld) -> None:
    from importlib import import_module

    migration = import_module("amparo.cases.migrations.0005_risk_questions_duplicates_countries")
    cases = [open_case(case_world) for _ in range(4)]
    for case, value in zip(cases, ["ve", "UK", "XX", "CO"], strict=True):
        Case.objects.filter(pk=case.pk).update(nationality=value)
    migration.countries_from_the_list(apps, None)
    assert [str(Case.objects.get(pk=c.pk).nationality) for c in cases] == ["VE", "GB", "", "CO"]


def test_implausible_dates_are_confirmed_before_they_are_kept(live_server: Any, case_world: CaseWorld) -> None:
    from amparo.cases import legal_services

    case = open_case(case_world)
    browser = _signed_in(live_server, case_world)
    url = f"/staff/cases/{case.uuid}/incidents/new/"
    old = {
        "occurred_at": "1995-03-01T10:00", "first_reported_at": timezone.localtime().strftime(FMT),
        "place": "CO54001", "perpetrator_types": "client", "perpetrator_count": "1", "q_physical": "on",
    }  # fmt: skip
    asked = browser.request(url, {**_form(browser, url), **old})
    assert asked.status == 400 and 'type="checkbox" name="confirm_dates"' in asked.text and not case.incidents.exists()
    assert browser.request(url, {**_form(browser, url), **old, "confirm_dates": "on"}).status == 302
    assert case.incidents.count() == 1
    # A legal deadline in 2020 is a typo until she confirms it.
    matter = legal_services.legal_matter_open(
        actor=case_world.staff["caseworker"], case=case, kind="custody", lawyer=None
    )
    matter_url = reverse("legal:matter", args=[matter.uuid])
    csrf = _form_csrf(browser, matter_url)
    deadline = {
        "csrfmiddlewaretoken": csrf,
        "action": "event",
        "event-kind": "deadline",
        "event-due_at": "2020-05-04T09:00",
    }
    typo = browser.request(matter_url, deadline)
    assert typo.status == 400 and not LegalEvent.objects.exists()
    assert browser.request(matter_url, {**deadline, "event-confirm_dates": "on"}).status in {200, 302}
    assert LegalEvent.objects.count() == 1
    # A follow-up action due yesterday, too.
    detail = f"/staff/cases/{case.uuid}/"
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    action = {"csrfmiddlewaretoken": csrf, "description": "Llamar", "due_on": yesterday}
    assert browser.request(f"{detail}actions/", action).status == 400 and not case.actions.exists()
    assert browser.request(f"{detail}actions/", {**action, "confirm_dates": "on"}).status == 302


def _form_csrf(browser: Browser, url: str) -> str:
    page = browser.get(url)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, page.status
    return match.group(1)


# --- Corrections with history -------------------------------------------------------------------------------------


def test_an_incident_is_corrected_with_its_history_in_the_audit(live_server: Any, case_world: CaseWorld) -> None:
    case = open_case(case_world)
    browser = _signed_in(live_server, case_world)
    assert _incident(browser, case, hours_ago=50, answers=("physical",), description="Relato-Coral-1").status == 302
    incident = case.incidents.get()
    url = f"/staff/cases/{case.uuid}/incidents/{incident.pk}/"
    page = browser.get(url)
    assert page.status == 200 and "Relato-Coral-1" in page.text
    fixed = {
        "csrfmiddlewaretoken": _form_csrf(browser, url),
        "occurred_at": timezone.localtime(incident.occurred_at).strftime(FMT), "time_known": "on",
        "first_reported_at": timezone.localtime(incident.first_reported_at).strftime(FMT), "place": "CO54001",
        "perpetrator_types": "client", "perpetrator_count": "2", "q_penetration": "on",
        "description": "Relato-Coral-2",
    }  # fmt: skip
    assert browser.request(url, fixed).status == 302
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.gbv_type, incident.perpetrator_count, incident.description) == ("rape", 2, "Relato-Coral-2")
    entry = AuditEntry.objects.get(action="case.incident.update")
    assert set(entry.detail["fields"]) == {"description", "elimination_answers", "perpetrator_count", "gbv_type"}
    assert "Coral" not in json.dumps(entry.detail)
    history = browser.get(url)
    assert "perpetrator_count" in history.text and "Not corrected" not in history.text
    # Another organisation's staff reach neither the page nor the save.
    outsider = _signed_in(live_server, case_world, "outsider")
    assert outsider.get(url).status == 404
    assert RiskAssessment.objects.count() == 0


def test_a_legal_date_is_corrected_with_its_history(live_server: Any, case_world: CaseWorld) -> None:
    from amparo.cases import legal_services

    case = open_case(case_world)
    actor = case_world.staff["caseworker"]
    matter = legal_services.legal_matter_open(actor=actor, case=case, kind="custody", lawyer=None)
    typo = timezone.now() + timedelta(days=400)
    event = legal_services.legal_event_add(actor=actor, matter=matter, kind="deadline", due_at=typo)
    browser = _signed_in(live_server, case_world)
    url = reverse("legal:event_edit", args=[matter.uuid, event.pk])
    assert "Not corrected" in browser.get(url).text or "Sin correcciones" in browser.get(url).text
    right = (timezone.localtime() + timedelta(days=20)).replace(second=0, microsecond=0)
    sent = browser.request(
        url,
        {"csrfmiddlewaretoken": _form_csrf(browser, url), "kind": "deadline", "due_at": right.strftime(FMT),
         "description": "Nota-Ámbar-5"},
    )  # fmt: skip
    assert sent.status == 302
    event.refresh_from_db()
    assert event.due_at == right and event.description == "Nota-Ámbar-5"
    entry = AuditEntry.objects.get(action="legal.event.update")
    assert entry.detail["fields"] == ["description", "due_at"] and "Ámbar" not in json.dumps(entry.detail)
    assert "due_at" in browser.get(url).text
    outsider = _signed_in(live_server, case_world, "outsider")
    assert outsider.get(url).status == 404
    # Her details too: the edit page lists who corrected which fields.
    services.case_update(actor=actor, case=case, changes={"document": "PPT 1"})
    edit = browser.get(f"/staff/cases/{case.uuid}/edit/")
    assert edit.status == 200 and re.search(r"<li>[^<]*· document</li>", edit.text)
