"""Community-led monitoring (issue 17, part 3), its writes and reads: what an answer keeps, the aggregates under
core.disclosure (organisation at 5, public at 11), the alert of repeated discrimination (who it tells, once per
window, the staff's day's notice), the signal for networks and insights, and the audited retention purge."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone, translation

from amparo.audit.models import AuditEntry
from amparo.campaigns import feedback_selectors as selectors
from amparo.campaigns.feedback_models import FeedbackAlert, ServiceFeedback
from amparo.campaigns.feedback_services import Answers, FeedbackError, feedback_purge, feedback_submit
from amparo.today.models import Kind, Notification

from .feedback_world import GOOD, ID_ASKED, TURNED_AWAY, World, answer, last_month, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo_directory: None) -> World:
    return make_world()


def test_an_answer_keeps_the_service_the_month_and_the_answers_only(world: World) -> None:
    visit = date(last_month().year, last_month().month, 1)
    saved = feedback_submit(service_at_location=world.sal, visit_month=visit.replace(day=1), answers=TURNED_AWAY)
    row = ServiceFeedback.objects.values().get(pk=saved.pk)
    assert set(row) == {
        "id", "service_at_location_id", "service_id", "visit_month", "attended", "respected", "id_asked",
        "turned_away", "for_trans", "for_migrant", "for_sex_work", "charged",
    }  # fmt: skip
    assert row["visit_month"] == visit and row["service_id"] == world.sal.service_id
    assert (row["turned_away"], row["for_trans"], row["for_migrant"], row["attended"]) == (True, True, False, False)
    assert row["respected"] is False and row["id_asked"] is None and row["charged"] is None
    # An answer is not audited: an entry would date it to the second.
    assert not AuditEntry.objects.filter(action__startswith="campaigns.feedback").exists()


def test_nothing_answered_and_months_outside_the_form_are_refused(world: World) -> None:
    with pytest.raises(FeedbackError):
        feedback_submit(service_at_location=world.sal, visit_month=last_month(), answers=Answers())
    too_old = selectors.add_months(selectors.month_start(timezone.localdate()), -12)
    next_month = selectors.add_months(selectors.month_start(timezone.localdate()), 1)
    for month in (too_old, next_month):
        with pytest.raises(FeedbackError):
            feedback_submit(service_at_location=world.sal, visit_month=month, answers=GOOD)
    assert not ServiceFeedback.objects.exists()


def test_reasons_are_kept_only_with_turned_away() -> None:
    answers = Answers(turned_away=False, for_trans=True, attended=True)
    assert not answers.empty
    assert Answers(attended=None).empty


def test_the_organisation_sees_nothing_under_5_answers_then_a_protected_table(world: World) -> None:
    service = world.sal.service
    answer(world, GOOD, 4)
    summary = selectors.organisation_summary(service)
    assert not summary.shown and summary.rows == []
    answer(world, GOOD, 3)
    answer(world, TURNED_AWAY, 2)  # 9 answers: 2 turned away (small), 7 not
    summary = selectors.organisation_summary(service)
    assert summary.shown and summary.answers == 9
    with translation.override("en"):
        rows = {row.label: row.cells for row in selectors.organisation_summary(service).rows}
        reasons = {row.label: row.cells for row in selectors.organisation_summary(service).reasons}
    turned = rows["Turned away or treated worse for being trans, a migrant or a sex worker"]
    # yes=2 is under 5: hidden, with a complement in its row so that 9 - 7 cannot give it away; the total shows.
    assert turned[0] in {"hidden", "fewer than 5"} and turned[-1] == "9"
    assert sum(cell in {"hidden", "fewer than 5"} for cell in turned) >= 2
    assert "2" not in turned[:3]
    assert reasons["for being trans"] == ("fewer than 5",) and reasons["for being a sex worker"] == ("0",)
    # The current month is not counted yet: a figure changes once a month, never right after one answer.
    feedback_submit(service_at_location=world.sal, visit_month=timezone.localdate(), answers=GOOD)
    assert selectors.organisation_summary(service).answers == 9


def test_the_public_signal_needs_11_answers_and_hides_small_counts(world: World) -> None:
    service = world.sal.service
    answer(world, GOOD, 10)
    assert selectors.public_signal(service) is None
    answer(world, GOOD, 1)
    signal = selectors.public_signal(service)
    assert signal is not None and signal.answers == 11 and signal.no_barrier
    assert [count for count, _said in signal.lines] == ["0"] * 5
    answer(world, ID_ASKED, 3)  # 3 asked for an ID: fewer than 11, hidden
    signal = selectors.public_signal(service)
    assert signal is not None and not signal.no_barrier
    with translation.override("en"):
        signal = selectors.public_signal(service)
        assert signal is not None
        lines = {said: count for count, said in signal.lines}
    assert lines["were asked for an ID document they did not have"] in {"fewer than 11", "hidden"}
    assert lines["were turned away or treated worse for being trans, a migrant or a sex worker"] == "0"


@override_settings(FEEDBACK_ALERT_MIN_REPORTS=3, FEEDBACK_ALERT_WINDOW_MONTHS=3)
def test_repeated_discrimination_alerts_the_focal_point_and_coordinators_once_per_window(world: World) -> None:
    this_month = selectors.month_start(timezone.localdate())
    answer(world, GOOD, 5, month=this_month)
    answer(world, TURNED_AWAY, 2, month=this_month)
    assert not FeedbackAlert.objects.exists()
    answer(world, ID_ASKED, 1, month=this_month)  # the third report in the window
    alert = FeedbackAlert.objects.get()
    told = set(alert.recipients.all())
    assert told == {world.focal, world.coordinator, world.referring_coordinator}
    notices = Notification.objects.filter(kind=Kind.FEEDBACK_ALERT)
    assert {n.recipient for n in notices} == told
    assert all(n.path == f"/staff/campaigns/feedback/alerts/{alert.uuid}/" for n in notices)
    # The notice says what kind of thing is waiting, never the service.
    assert world.sal.service.name not in str(Kind.FEEDBACK_ALERT.label)
    entry = AuditEntry.objects.get(action="campaigns.feedback.alert")
    assert entry.detail["recipients"] == 3
    # More reports in the same window: no second alert, no second notice.
    answer(world, TURNED_AWAY, 3, month=this_month)
    assert FeedbackAlert.objects.count() == 1 and notices.count() == 3
    # Reports of visits outside the rolling window do not count towards it.
    FeedbackAlert.objects.all().delete()
    ServiceFeedback.objects.filter(visit_month=this_month).update(visit_month=selectors.add_months(this_month, -4))
    answer(world, TURNED_AWAY, 1, month=this_month)
    assert not FeedbackAlert.objects.exists()


def test_the_next_window_may_alert_again(world: World) -> None:
    from amparo.campaigns.feedback_services import alert_if_repeated

    service = world.sal.service
    this_month = selectors.month_start(timezone.localdate())
    answer(world, TURNED_AWAY, 3, month=this_month)
    assert FeedbackAlert.objects.count() == 1
    later = selectors.add_months(this_month, 3)  # the next window; the reports are still in its rolling window
    ServiceFeedback.objects.update(visit_month=later)
    assert alert_if_repeated(service, on=later) is not None
    assert alert_if_repeated(service, on=later) is None
    assert FeedbackAlert.objects.count() == 2


def test_no_referring_organisation_no_coordinator_of_theirs(demo_directory: None) -> None:
    world = make_world(referral=False)
    answer(world, TURNED_AWAY, 3, month=selectors.month_start(timezone.localdate()))
    assert set(FeedbackAlert.objects.get().recipients.all()) == {world.focal, world.coordinator}


def test_the_signal_for_networks_and_insights(world: World) -> None:
    answer(world, GOOD, 2)
    answer(world, TURNED_AWAY, 3)
    first, last = selectors.summary_months()
    by_service = selectors.discrimination_by_service(first, last)
    assert by_service[world.sal.service_id] == selectors.DiscriminationCount(5, 3)
    by_need = selectors.discrimination_by_municipality_need(first, last)
    codes = set(world.sal.service.types.values_list("code", flat=True))
    assert {need for (_pcode, need) in by_need} == codes
    assert all(
        pcode == "CO54001" and count == selectors.DiscriminationCount(5, 3) for (pcode, _n), count in by_need.items()
    )
    assert selectors.discrimination_by_municipality_need(first, last, scope=world.sal.admin1) == by_need


def test_where_a_complaint_goes_comes_from_the_directory(world: World) -> None:
    found = selectors.complaint_services(world.sal)
    assert found, "the demo has a Personería and a Defensoría near Cúcuta"
    for sal in found:
        assert set(sal.service.types.values_list("code", flat=True)) & set(selectors.COMPLAINT_TYPES)
        assert sal.admin1_id == world.sal.admin1_id and sal.service_id != world.sal.service_id


@override_settings(FEEDBACK_RETENTION_MONTHS=24, FEEDBACK_WINDOW_MONTHS=12)
def test_the_purge_deletes_old_answers_and_alerts_and_is_audited(world: World) -> None:
    answer(world, TURNED_AWAY, 3, month=selectors.month_start(timezone.localdate()))
    answer(world, GOOD, 2)
    old = selectors.add_months(selectors.month_start(timezone.localdate()), -25)
    ServiceFeedback.objects.filter(turned_away=True).update(visit_month=old)
    FeedbackAlert.objects.update(first_month=old, last_month=old)
    assert feedback_purge(dry_run=True) == type(feedback_purge(dry_run=True))(3, 1)
    assert ServiceFeedback.objects.count() == 5
    call_command("purge_service_feedback", verbosity=0)
    assert ServiceFeedback.objects.count() == 2 and not FeedbackAlert.objects.exists()
    entry = AuditEntry.objects.get(action="campaigns.feedback.purge")
    assert entry.detail["deleted_answers"] == 3 and entry.detail["deleted_alerts"] == 1
    call_command("purge_service_feedback", verbosity=0)  # nothing left to delete: no second entry
    assert AuditEntry.objects.filter(action="campaigns.feedback.purge").count() == 1
    call_command("audit_verify", verbosity=0)


def test_the_demo_flags_one_service_and_is_idempotent(demo_directory: None) -> None:
    import io

    from django.core.management.base import OutputWrapper

    from amparo.accounts.demo import load_demo_accounts
    from amparo.campaigns.feedback_demo import load_feedback_demo
    from amparo.core.registry import DemoRun
    from amparo.directory.demo import load_demo_focal_point_links

    run = DemoRun(reset=False, stdout=OutputWrapper(io.StringIO()))
    load_demo_accounts(run)
    load_demo_focal_point_links(run)
    load_feedback_demo(run)
    alert = FeedbackAlert.objects.select_related("service__organization").get()
    assert alert.service.organization.name == "E.S.E. Hospital Cúcuta (demo)"
    assert "punto.focal@demo.example.org" in set(alert.recipients.values_list("email", flat=True))
    assert Notification.objects.filter(kind=Kind.FEEDBACK_ALERT).exists()
    signals = {
        sal.service.organization.name: selectors.public_signal(sal.service)
        for sal in ServiceFeedback.objects.select_related("service__organization").distinct()
        if sal.service
    }
    shown = {name for name, signal in signals.items() if signal is not None}
    assert shown == {"E.S.E. Hospital Cúcuta (demo)", next(n for n in signals if "Colectiva" in n)}
    count = ServiceFeedback.objects.count()
    load_feedback_demo(run)
    assert ServiceFeedback.objects.count() == count and FeedbackAlert.objects.count() == 1
