"""Case management through real HTTP: intake with consents, the audited case page, consent withdrawal, GBVIMS
classification, risk and the anonymous trafficking alert, closure approval, need to know (404 for others), and a
database dump without identifying text."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from amparo.accounts.tests.http import Browser
from amparo.audit.models import AuditEntry
from amparo.cases import services
from amparo.cases.models import Case, Consent, TraffickingAlert
from amparo.cases.vocab import ChildRisk
from amparo.safechannel.tests.conftest import staff_login
from amparo.safechannel.tests.test_dump import database_dump

from .conftest import CaseWorld, open_case

pytestmark = pytest.mark.django_db(transaction=True)


def test_intake_needs_consent_and_opens_an_encrypted_case(live_server: Any, case_world: CaseWorld) -> None:
    browser = Browser(live_server.url)
    staff_login(browser, case_world.staff["caseworker"])
    fields = {
        "full_name": "Luna Nombre-Privado",
        "contact": "+57 300 555 0177",
        "narrative": "Relato-Ámbar-5521",
        "age_band": "18-25",
        "gender_identity": "trans_woman",
        "nationality": "VE",
        "migratory_status": "irregular",
        "disability": "no",
        "place": "CO54001",
        "consent_method": "verbal",
    }
    refused = browser.submit("/staff/cases/new/", fields)  # no consent to receive services
    assert refused.status == 400 and "Relato-Ámbar-5521" in refused.text and not Case.objects.exists()
    bad = browser.submit("/staff/cases/new/", {**fields, "consents": "services", "nationality": "Venezuela"})
    assert bad.status == 400 and not Case.objects.exists()
    opened = browser.request(
        "/staff/cases/new/",
        [
            *fields.items(),
            ("consents", "services"),
            ("consents", "share_health"),
            ("csrfmiddlewaretoken", _csrf(browser)),
        ],
    )
    assert opened.status == 302
    case = Case.objects.get()
    assert re.fullmatch(r"C-[A-Z2-9]{4}-[A-Z2-9]{4}", case.code)
    assert services.active_consents(case) == {"services", "share_health"}
    page = browser.get(opened.location)
    assert page.status == 200 and "Luna Nombre-Privado" in page.text and case.code in page.text
    assert AuditEntry.objects.filter(action="case.read", object_id=str(case.uuid)).count() == 1


def _csrf(browser: Browser) -> str:
    page = browser.get("/staff/cases/new/")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_consent_withdrawal_takes_effect_at_once(live_server: Any, case_world: CaseWorld) -> None:
    case = open_case(case_world, consents=("services", "share_legal"))
    browser = Browser(live_server.url)
    staff_login(browser, case_world.staff["caseworker"])
    url = f"/staff/cases/{case.uuid}/"
    withdrawn = browser.request(
        f"{url}consent/", {"kind": "share_legal", "action": "withdraw", "csrfmiddlewaretoken": _page_csrf(browser, url)}
    )
    assert withdrawn.status == 302
    assert not services.has_consent(case, "share_legal")
    consent = Consent.objects.get(case=case, kind="share_legal")
    assert consent.withdrawn_at is not None and consent.withdrawn_by == case_world.staff["caseworker"]
    assert AuditEntry.objects.filter(action="case.consent.withdraw").count() == 1


def _page_csrf(browser: Browser, url: str) -> str:
    page = browser.get(url)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, page.status
    return match.group(1)


def test_incident_is_classified_by_the_elimination_order(live_server: Any, case_world: CaseWorld) -> None:
    case = open_case(case_world)
    browser = Browser(live_server.url)
    staff_login(browser, case_world.staff["caseworker"])
    url = f"/staff/cases/{case.uuid}/incidents/new/"
    fields = [
        ("occurred_at", "2026-11-20T22:30"),
        ("time_known", "on"),
        ("first_reported_at", "2026-11-27T10:00"),
        ("place", "CO54001"),
        ("q_physical", "on"),
        ("q_psychological", "on"),
        ("context_tags", "sex_work"),
        ("perpetrator_types", "client"),
        ("perpetrator_types", "police"),
        ("perpetrator_count", "2"),
        ("description", "Descripción-Jade-3301"),
    ]
    future = browser.request(
        url, [*fields[1:], ("occurred_at", "2099-01-01T00:00"), ("csrfmiddlewaretoken", _page_csrf(browser, url))]
    )
    assert future.status == 400 and not case.incidents.exists()
    saved = browser.request(url, [*fields, ("csrfmiddlewaretoken", _page_csrf(browser, url))])
    assert saved.status == 302
    incident = case.incidents.get()
    assert incident.gbv_type == "physical_assault"  # physical comes before psychological
    assert incident.context_tags == ["sex_work"]  # a context, not "exploitation"
    assert incident.reporting_delay.days == 6 and incident.reporting_delay_band == "6_14_days"


def test_trafficking_indicators_raise_an_alert_without_identity(live_server: Any, case_world: CaseWorld) -> None:
    case = open_case(case_world)
    browser = Browser(live_server.url)
    staff_login(browser, case_world.staff["caseworker"])
    url = f"/staff/cases/{case.uuid}/risk/"
    form = [("persecution", "yes"), ("indicators", "debt_bondage"), ("indicators", "retained_documents")]
    sent = browser.request(
        url, [*form, ("safety_plan", "Plan-Ónix-4410"), ("csrfmiddlewaretoken", _page_csrf(browser, url))]
    )
    assert sent.status == 302
    alert = TraffickingAlert.objects.get()
    assert alert.place.pcode == "CO54001" and alert.indicators == ["debt_bondage", "retained_documents"]
    assert alert.case_code == "" and not alert.detail_consented  # no identity, no link to the case
    assert case.risk_assessments.get().level == "high"
    # A second assessment does not raise a second alert for the same case.
    browser.request(url, [*form, ("csrfmiddlewaretoken", _page_csrf(browser, url))])
    assert TraffickingAlert.objects.count() == 1


def test_closure_needs_checklist_and_another_persons_approval(live_server: Any, case_world: CaseWorld) -> None:
    case = open_case(case_world)
    case.supervisor = case_world.staff["caseworker2"]
    case.save()
    case.caseworkers.add(case_world.staff["caseworker2"])
    worker = Browser(live_server.url)
    staff_login(worker, case_world.staff["caseworker"])
    url = f"/staff/cases/{case.uuid}/"
    half = worker.request(
        f"{url}closure/", {"step": "request", "needs_met": "on", "csrfmiddlewaretoken": _page_csrf(worker, url)}
    )
    assert half.status == 400
    checklist = dict.fromkeys(services.CLOSURE_CHECKLIST, "on")
    asked = worker.request(
        f"{url}closure/", {"step": "request", **checklist, "csrfmiddlewaretoken": _page_csrf(worker, url)}
    )
    assert asked.status == 302 and Case.objects.get().status == "closure_requested"
    own = worker.request(f"{url}closure/", {"step": "approve", "csrfmiddlewaretoken": _page_csrf(worker, url)})
    assert own.status == 400 and Case.objects.get().status == "closure_requested"  # not the person who asked
    supervisor = Browser(live_server.url)
    staff_login(supervisor, case_world.staff["caseworker2"])
    ok = supervisor.request(f"{url}closure/", {"step": "approve", "csrfmiddlewaretoken": _page_csrf(supervisor, url)})
    assert ok.status == 302
    closed = Case.objects.get()
    assert closed.status == "closed" and closed.closure_approved_by == case_world.staff["caseworker2"]


CASE_URLS = ["detail", "edit", "team", "consent", "incident_new", "risk", "action", "child", "closure"]
POST_ONLY = {"consent", "action", "child", "closure"}  # (a GET answers 405 for any id: it reveals nothing)


def test_need_to_know_every_case_url_is_404_for_others(live_server: Any, case_world: CaseWorld) -> None:
    case = open_case(case_world)
    for who in ("outsider", "outsider_coord", "caseworker2", "focal", "monitor"):
        browser = Browser(live_server.url)
        staff_login(browser, case_world.staff[who])
        token = _page_csrf(browser, "/staff/")
        for name in CASE_URLS:
            path = reverse(f"cases:{name}", args=[case.uuid])
            if name not in POST_ONLY:
                assert browser.get(path).status == 404, (who, name)
            if name != "detail":
                assert browser.request(path, {"csrfmiddlewaretoken": token}).status == 404, (who, name)
    # A coordinator of the organisation supervises every case of it; the assigned caseworker sees hers.
    for who in ("coordinator", "caseworker"):
        browser = Browser(live_server.url)
        staff_login(browser, case_world.staff[who])
        assert browser.get(reverse("cases:detail", args=[case.uuid])).status == 200, who
        assert case.code in browser.get("/staff/cases/").text
        listed = AuditEntry.objects.filter(action="case.list.read", actor_id=case_world.staff[who].pk).get()
        assert listed.detail == {"rows": 1, "codes": [case.code]}  # listing cases is a read too


def test_a_database_dump_shows_no_identifying_text(live_server: Any, case_world: CaseWorld) -> None:
    case = open_case(case_world)
    services.risk_assess(
        actor=case_world.staff["caseworker"], case=case, persecution="yes", indicators=[], safety_plan="Plan-Coral-8890"
    )
    from amparo.cases.casework_services import case_note_add

    case_note_add(
        actor=case_world.staff["caseworker"],
        case=case,
        noted_on=timezone.localdate(case.opened_at),
        text="Nota-Ámbar-5521",
    )
    dump = database_dump()
    assert "cases_casesearchtoken" in dump or "casesearchtoken" in dump.casefold()  # the blind index is dumped...
    assert "safety_plan" in dump or "cases_riskassessment" in dump
    assert case.code in dump  # the pseudonymous code is in clear, by design
    # ...and holds no name or document: keyed HMACs only (docs/security.md, "Case search").
    for secret in ["Secreta-Rubí", "555 0142", "99887766", "Calle Oculta", "Turquesa-7731", "Coral-8890", "Ámbar-5521",
                   "valentina", "secreta", "rubi"]:  # fmt: skip
        assert secret not in dump, secret


def test_a_consented_safe_channel_report_becomes_a_case(live_server: Any, world: Any) -> None:
    """The channel's consent opens the way: the recipient's intake form comes prefilled from the decrypted report,
    and the case remembers its source (once only)."""
    from amparo.safechannel.models import Report
    from amparo.safechannel.tests.conftest import file_report, receipt_of

    survivor = Browser(live_server.url)
    receipt = receipt_of(file_report(survivor, organization=str(world.red.uuid)))
    staff = Browser(live_server.url)
    staff_login(staff, world.staff["caseworker"])
    report = Report.objects.get()
    assert staff.get(f"/staff/cases/new/?report={report.uuid}").status == 404  # no consent through the channel yet
    survivor.request("/es/channel/login/", {"receipt": receipt}, referer=False)
    survivor.request("/es/channel/inbox/case-consent/", {"consent": "give"}, referer=False)
    form = staff.get(f"/staff/cases/new/?report={report.uuid}")
    assert form.status == 200 and "Marfil-4471" in form.text
    fields = {
        "report": str(report.uuid),
        "narrative": "Marfil-4471",
        "age_band": "unknown",
        "gender_identity": "not_said",
        "migratory_status": "unknown",
        "disability": "unknown",
        "consents": "services",
        "consent_method": "safe_channel",
    }
    opened = staff.submit(f"/staff/cases/new/?report={report.uuid}", fields)
    assert opened.status == 302
    case = Case.objects.get()
    assert case.source_report == report and case.organization == world.red and case.narrative == "Marfil-4471"
    assert staff.get(f"/staff/cases/new/?report={report.uuid}").status == 404  # only once


def test_health_priority_clock_on_the_case_page(live_server: Any, case_world: CaseWorld) -> None:
    from datetime import timedelta

    from django.utils import timezone

    case = open_case(case_world)
    services.incident_record(
        actor=case_world.staff["caseworker"], case=case, occurred_at=timezone.now() - timedelta(hours=30),
        time_known=True, first_reported_at=timezone.now(), place=case_world.places["CO54001"],
        answers={"penetration": True}, context_tags=[], perpetrator_types=["client"], perpetrator_count=1,
        description="",
    )  # fmt: skip
    windows = services.health_windows(case.incidents.get())
    assert [(w.code, round(w.hours_left)) for w in windows] == [("pep", 42), ("emergency_contraception", 90)]
    browser = Browser(live_server.url)
    staff_login(browser, case_world.staff["caseworker"])
    page = browser.get(f"/staff/cases/{case.uuid}/")
    assert page.text.count('class="notice" role="alert"') == 2


def test_purge_deletes_cases_closed_past_retention(case_world: CaseWorld, settings: Any) -> None:
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    settings.CASES_RETENTION_DAYS = 30
    old, recent, still_open = open_case(case_world), open_case(case_world), open_case(case_world)
    Case.objects.filter(pk=old.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=31))
    Case.objects.filter(pk=recent.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=29))
    call_command("purge_cases", verbosity=0)
    assert set(Case.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}
    assert not Consent.objects.filter(case_id=old.pk).exists()
    assert AuditEntry.objects.get(action="case.purge").object_id == str(old.uuid)


def test_follow_ups_due_across_her_cases_only(live_server: Any, case_world: CaseWorld) -> None:
    """The follow-ups page lists the due and overdue actions and children's care follow-ups of the cases she may
    see, overdue first, and nothing of cases she may not see, closed cases or dates beyond the week."""
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    worker, other = case_world.staff["caseworker"], case_world.staff["caseworker2"]
    mine = open_case(case_world)
    theirs = open_case(case_world, by="caseworker2")
    for case, actor in ((mine, worker), (theirs, other)):
        services.action_add(
            actor=actor, case=case, description=f"Acción-{case.code}", due_on=today - timedelta(days=2),
            assigned_to=actor,
        )  # fmt: skip
        services.child_add(
            actor=actor, case=case, age_band="0-11", risks=["recruitment"], care_arrangement="kinship",
            care_notes="Con la abuela", next_follow_up=today - timedelta(days=1),
        )  # fmt: skip
    services.action_add(
        actor=worker, case=mine, description="Acción-lejana", due_on=today + timedelta(days=30), assigned_to=worker
    )
    browser = Browser(live_server.url)
    staff_login(browser, worker)
    with translation.override("es"):
        page = browser.get(reverse("cases:follow_ups"))
        assert page.status == 200
        assert f"Acción-{mine.code}" in page.text and mine.code in page.text
        assert theirs.code not in page.text and "Acción-lejana" not in page.text
        assert str(ChildRisk.RECRUITMENT.label) in page.text and page.text.count("vencid") >= 2
    entry = AuditEntry.objects.filter(action="case.follow_ups.read", actor_id=worker.pk).get()
    assert entry.detail == {"rows": 2, "codes": [mine.code]}
    # Her coordinator sees both cases' follow-ups; a closed case drops out.
    Case.objects.filter(pk=theirs.pk).update(status=Case.Status.CLOSED)
    coordinator = Browser(live_server.url)
    staff_login(coordinator, case_world.staff["coordinator"])
    text = coordinator.get(reverse("cases:follow_ups")).text
    assert mine.code in text and theirs.code not in text


def test_bad_input_and_closed_cases_get_400_never_500(live_server: Any, case_world: CaseWorld) -> None:
    """Forged or mistyped input comes back as a 400 with the form, a closed case takes no new work, and a page
    re-rendered after an error is a read of the case like any other (audited)."""
    case = open_case(case_world)
    browser = Browser(live_server.url)
    staff_login(browser, case_world.staff["caseworker"])
    url = f"/staff/cases/{case.uuid}/"
    token = _page_csrf(browser, url)
    reads = AuditEntry.objects.filter(action="case.read", object_id=str(case.uuid)).count()
    # "²" is a digit to str.isdigit(), not to int().
    assert browser.request(f"{url}actions/", {"done": "²", "csrfmiddlewaretoken": token}).status == 404
    # A year 9999 would overflow when converted to UTC; a report date in the future is refused.
    future = {
        "csrfmiddlewaretoken": token, "occurred_at": "9999-12-31T23:59", "first_reported_at": "2026-01-01T10:00",
        "place": "CO54001", "perpetrator_types": "client", "perpetrator_count": "1",
    }  # fmt: skip
    assert browser.request(f"{url}incidents/new/", future).status == 400
    future |= {"occurred_at": "2026-01-01T09:00", "first_reported_at": "2100-01-01T10:00"}
    assert browser.request(f"{url}incidents/new/", future).status == 400
    # An invalid action re-renders the case page: that read is audited too.
    invalid = browser.request(f"{url}actions/", {"description": "", "due_on": "x", "csrfmiddlewaretoken": token})
    assert invalid.status == 400
    assert AuditEntry.objects.filter(action="case.read", object_id=str(case.uuid)).count() == reads + 1
    # "Through the safe channel" only for what she gave in the channel: not for an intake without a report.
    intake = browser.request(
        "/staff/cases/new/",
        {"csrfmiddlewaretoken": _csrf(browser), "consents": "services", "consent_method": "safe_channel",
         "age_band": "unknown", "gender_identity": "not_said", "migratory_status": "unknown", "disability": "unknown"},
    )  # fmt: skip
    assert intake.status == 400 and Case.objects.count() == 1
    # A closed case takes no new action, child, incident or closure request until it is reopened (the same posts
    # work while it is open).
    action = {"description": "Llamar", "due_on": "2030-01-01", "csrfmiddlewaretoken": token}
    child = {"age_band": "0-11", "care_arrangement": "kinship", "csrfmiddlewaretoken": token}
    assert browser.request(f"{url}actions/", action).status == 302
    assert browser.request(f"{url}children/", child).status == 302
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED)
    assert browser.request(f"{url}actions/", action).status == 400
    assert browser.request(f"{url}children/", child).status == 400
    future |= {"first_reported_at": "2026-01-02T10:00"}
    assert browser.request(f"{url}incidents/new/", future).status == 400
    checklist = {"step": "request", "csrfmiddlewaretoken": token, **dict.fromkeys(services.CLOSURE_CHECKLIST, "on")}
    assert browser.request(f"{url}closure/", checklist).status == 400
    assert case.actions.count() == 1 and case.children.count() == 1 and not case.incidents.exists()
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


def test_team_edit_and_child_follow_up(live_server: Any, case_world: CaseWorld) -> None:
    """A coordinator puts a lawyer on the case and names a supervisor, who then approves the closure; a caseworker
    corrects her details (encrypted, audited by field name) and records a child's follow-up."""
    from datetime import timedelta

    from django.utils import timezone

    case = open_case(case_world)
    staff = case_world.staff
    lawyer = Browser(live_server.url)
    staff_login(lawyer, staff["lawyer"])
    assert lawyer.get(f"/staff/cases/{case.uuid}/").status == 404  # not on the case yet
    coordinator = Browser(live_server.url)
    staff_login(coordinator, staff["coordinator"])
    team = f"/staff/cases/{case.uuid}/team/"
    token = _page_csrf(coordinator, team)
    people = {"csrfmiddlewaretoken": token, "caseworkers": [str(staff["caseworker"].pk), str(staff["lawyer"].pk)]}
    # The supervisor is someone other than the people on the case; an outsider is not offered at all.
    same = coordinator.request(team, [*_pairs(people), ("supervisor", str(staff["caseworker"].pk))])
    outsider = coordinator.request(team, [*_pairs(people), ("supervisor", str(staff["outsider"].pk))])
    assert same.status == 400 and outsider.status == 400
    saved = coordinator.request(team, [*_pairs(people), ("supervisor", str(staff["caseworker2"].pk))])
    assert saved.status == 302
    case.refresh_from_db()
    assert case.supervisor == staff["caseworker2"] and set(case.caseworkers.all()) == {
        staff["caseworker"], staff["lawyer"],
    }  # fmt: skip
    assert lawyer.get(f"/staff/cases/{case.uuid}/").status == 200
    assert AuditEntry.objects.filter(action="case.assign", object_id=str(case.uuid)).exists()
    # A caseworker may not choose the team (only coordinators).
    worker = Browser(live_server.url)
    staff_login(worker, staff["caseworker"])
    assert worker.get(team).status == 404

    # She asks to correct her name: stored encrypted, audited by field name only.
    edit = f"/staff/cases/{case.uuid}/edit/"
    page = worker.get(edit)
    assert page.status == 200 and "Valentina Secreta-Rubí" in page.text
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', page.text))
    form = {name: fields.get(name, "") for name in ("full_name", "contact", "document", "address")}
    assert '<option value="VE" selected>' in page.text  # nationality is chosen from the list of countries
    form |= {
        "nationality": "VE",
        "full_name": "Valentina Corregida", "narrative": case.narrative, "age_band": "26-40",
        "gender_identity": "trans_woman", "migratory_status": "irregular", "disability": "unknown",
        "place": "CO54001", "csrfmiddlewaretoken": _page_csrf(worker, edit),
    }  # fmt: skip
    assert worker.request(edit, form).status == 302
    assert Case.objects.get(pk=case.pk).full_name == "Valentina Corregida"
    entry = AuditEntry.objects.filter(action="case.update", object_id=str(case.uuid)).get()
    assert entry.detail == {"fields": ["full_name"]}

    # A child's follow-up moves the next date: the child leaves the follow-ups page.
    child = services.child_add(
        actor=staff["caseworker"], case=case, age_band="0-11", risks=["recruitment"], care_arrangement="kinship",
        care_notes="Con la abuela", next_follow_up=timezone.localdate() - timedelta(days=1),
    )  # fmt: skip
    assert child.code in worker.get("/staff/cases/follow-ups/").text
    follow = f"/staff/cases/{case.uuid}/children/{child.code}/"
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    answer = worker.request(
        follow,
        {"age_band": "0-11", "risks": "recruitment", "care_arrangement": "foster", "care_notes": "Familia de acogida",
         "next_follow_up": later, "csrfmiddlewaretoken": _page_csrf(worker, follow)},
    )  # fmt: skip
    assert answer.status == 302
    child.refresh_from_db()
    assert child.care_arrangement == "foster" and child.next_follow_up.isoformat() == later  # type: ignore[union-attr]
    assert child.code not in worker.get("/staff/cases/follow-ups/").text
    assert worker.get(f"/staff/cases/{case.uuid}/children/N-NOPE00/").status == 404

    # The named supervisor approves the closure the caseworker asked for.
    url = f"/staff/cases/{case.uuid}/"
    checklist = {"step": "request", "csrfmiddlewaretoken": _page_csrf(worker, url)}
    checklist |= dict.fromkeys(services.CLOSURE_CHECKLIST, "on")
    assert worker.request(f"{url}closure/", checklist).status == 302
    supervisor = Browser(live_server.url)
    staff_login(supervisor, staff["caseworker2"])
    approve = {"step": "approve", "csrfmiddlewaretoken": _page_csrf(supervisor, url)}
    assert supervisor.request(f"{url}closure/", approve).status == 302
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


def _pairs(fields: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k, item) for k, v in fields.items() for item in (v if isinstance(v, list) else [v])]


def test_someone_in_two_organisations_says_which_one_opens_the_case(live_server: Any, case_world: CaseWorld) -> None:
    from amparo.accounts.models import Membership
    from amparo.accounts.roles import Role

    worker = case_world.staff["caseworker"]
    Membership.objects.create(user=worker, organization=case_world.other, role=Role.CASEWORKER)
    browser = Browser(live_server.url)
    staff_login(browser, worker)
    base = {"consents": "services", "consent_method": "verbal", "age_band": "unknown", "gender_identity": "not_said",
            "migratory_status": "unknown", "disability": "unknown"}  # fmt: skip
    missing = browser.request("/staff/cases/new/", base | {"csrfmiddlewaretoken": _csrf(browser)})
    assert missing.status == 400 and not Case.objects.exists()
    chosen = base | {"organization": str(case_world.other.uuid), "csrfmiddlewaretoken": _csrf(browser)}
    assert browser.request("/staff/cases/new/", chosen).status == 302
    assert Case.objects.get().organization == case_world.other
