"""Notifications without personal data (issue 13, item 3): who is told of what, what the badge and the e-mail say,
each person's e-mail frequency, and the background tasks on django-tasks' database backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from amparo.accounts.models import Membership
from amparo.accounts.roles import Role
from amparo.cases import legal_services
from amparo.cases import services as case_services
from amparo.cases.services import CLOSURE_CHECKLIST
from amparo.cases.vocab import TraffickingIndicator
from amparo.directory.models import Place
from amparo.referrals import services as referral_services
from amparo.referrals.models import Referral
from amparo.referrals.tests.conftest import CUCUTA, SURVIVOR_NAME, SURVIVOR_PHONE, World, add_incident
from amparo.safechannel.tests.conftest import make_staff
from amparo.today import services
from amparo.today.models import EmailFrequency, Kind, Notification
from amparo.today.tasks import email_digest, email_notification

pytestmark = pytest.mark.django_db


def _send_health_referral(world: World, priority: str = "normal") -> Referral:
    return referral_services.referral_send(
        actor=world.staff["caseworker"], case=world.case, service=world.hospital, focal_point=None,
        service_type="health", shared_fields=["age_band"], priority=priority, reason="",
    )  # fmt: skip


def _queued(task_path_end: str) -> list[DBTaskResult]:
    return [t for t in DBTaskResult.objects.all() if t.task_path.endswith(task_path_end)]


def _assert_no_personal_data(text: str, world: World) -> None:
    for secret in (SURVIVOR_NAME, SURVIVOR_PHONE, world.case.code, world.hospital.name, "Cúcuta", "Doctora"):
        assert secret not in text, secret


def test_an_emergency_referral_inside_the_pep_window_tells_its_focal_point_and_nobody_else(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    add_incident(world, hours_ago=10)  # inside the 72 h of PEP: the health referral becomes an emergency
    referral = _send_health_referral(world)
    assert referral.priority == "emergency"

    notices = list(Notification.objects.all())
    assert [(n.recipient, n.kind) for n in notices] == [(world.staff["focal"], Kind.EMERGENCY_REFERRAL)]
    assert notices[0].path == reverse("referrals:detail", args=[referral.uuid])
    # The e-mail is a background task stored in the database with the notification; run its real code.
    queued = _queued("email_notification")
    assert len(queued) == 1 and queued[0].args_kwargs["args"] == [notices[0].pk]
    assert email_notification.call(notices[0].pk) is True
    assert email_notification.call(notices[0].pk) is False  # never twice
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.staff["focal"].email]
    assert reverse("referrals:detail", args=[referral.uuid]) in message.body
    _assert_no_personal_data(str(message.subject) + str(message.body), world)

    # The badge on every staff page, and the home page's count, most urgent first.
    client = verified_client_for(world.staff["focal"], HTTP_ACCEPT_LANGUAGE="en")
    home = client.get(reverse("today:home")).content.decode()
    assert 'class="badge">1<' in home
    work = home[home.index('<ul class="work">') :]
    assert work.index("Emergency referrals to answer") < work.index("Open referrals in your inbox")
    _assert_no_personal_data(home, world)
    other = (
        verified_client_for(world.staff["other_focal"], HTTP_ACCEPT_LANGUAGE="en")
        .get(reverse("today:home"))
        .content.decode()
    )
    assert 'class="badge"' not in other


def test_a_normal_referral_notifies_nobody(world: World) -> None:
    _send_health_referral(world)  # no incident: no clinical window, a normal referral
    assert not Notification.objects.exists()
    assert not _queued("email_notification")


def test_a_new_safe_channel_report_tells_the_receiving_organisation_only(world: World) -> None:
    from amparo.accounts.tests.test_role_matrix import channel_report

    report = channel_report(world.red, world.staff["coordinator"])
    told = set(Notification.objects.filter(kind=Kind.CHANNEL_REPORT).values_list("recipient__email", flat=True))
    assert told == {"coord@red.example.org", "gestora@red.example.org", "otra@red.example.org"}
    notice = Notification.objects.filter(kind=Kind.CHANNEL_REPORT).first()
    assert notice is not None and notice.path == reverse("safechannel_staff:report", args=[report.uuid])


def test_a_closure_request_tells_who_may_approve_it_once_per_request(world: World) -> None:
    checklist = dict.fromkeys(CLOSURE_CHECKLIST, True)
    case_services.closure_request(actor=world.staff["caseworker"], case=world.case, checklist=checklist)
    notices = Notification.objects.filter(kind=Kind.CLOSURE_REQUEST)
    assert [n.recipient for n in notices] == [world.staff["coordinator"]]  # never the caseworker who asked
    world.case.refresh_from_db()
    world.case.save()  # another save while the request waits: no second notice
    assert notices.count() == 1
    case_services.closure_approve(actor=world.staff["coordinator"], case=world.case, coordinates=True)
    assert notices.count() == 1


def test_a_trafficking_alert_tells_the_monitors_of_the_area(world: World) -> None:
    cucuta = Place.objects.get(pcode=CUCUTA)
    monitor = make_staff("monitor@defensoria.example.org", world.casa, Role.MONITOR, with_key=False)
    assert cucuta.parent is not None
    world.casa.areas.add(cucuta.parent)  # the department holds the municipality
    elsewhere = make_staff("monitor@otra.example.org", world.red, Role.MONITOR, with_key=False)
    far = Place.objects.filter(level=Place.Level.ADMIN2).exclude(parent=cucuta.parent).first()
    assert far is not None
    world.red.areas.add(far)  # a municipality of another department
    add_incident(world, hours_ago=30)
    case_services.trafficking_alert_raise(case=world.case, indicators=[TraffickingIndicator.values[0]])
    told = list(Notification.objects.filter(kind=Kind.ALERT).values_list("recipient", flat=True))
    assert told == [monitor.pk]
    assert elsewhere.pk not in told


def test_each_person_chooses_how_often_she_is_emailed(world: World, verified_client_for: Callable[..., Client]) -> None:
    focal = world.staff["focal"]
    client = verified_client_for(focal, HTTP_ACCEPT_LANGUAGE="en")
    assert client.post(reverse("today:preferences"), {"email_frequency": "weekly"}).status_code == 400
    assert client.post(reverse("today:preferences"), {"email_frequency": "daily"}).status_code == 302
    add_incident(world, hours_ago=5)
    _send_health_referral(world)
    assert Notification.objects.filter(recipient=focal).count() == 1
    assert not _queued("email_notification")  # not at once: in the daily digest

    call_command("notify_due", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert [t.args_kwargs["args"] for t in _queued("email_digest")] == [[focal.pk]]
    assert email_digest.call(focal.pk) == 1
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert (
        "1 × Tienes una remisión de emergencia." in body
    )  # her language: Spanish by default and reverse("today:notifications") in body
    _assert_no_personal_data(str(mail.outbox[0].subject) + str(body), world)
    assert email_digest.call(focal.pk) == 0  # nothing new since
    assert len(mail.outbox) == 1

    services.preference_set(user=focal, email_frequency=EmailFrequency.NEVER)
    Notification.objects.all().delete()
    _send_health_referral(world)
    assert Notification.objects.filter(recipient=focal).count() == 1  # the badge still tells her
    assert email_digest.call(focal.pk) == 0 and len(mail.outbox) == 1


def test_legal_dates_due_become_notices_for_the_lawyer_emailed_once(world: World) -> None:
    lawyer = make_staff("abogada@red.example.org", world.red, Role.LEGAL_ADVISOR, with_key=False)
    world.case.caseworkers.add(lawyer)
    matter = legal_services.legal_matter_open(
        actor=world.staff["caseworker"], case=world.case, kind="custody", lawyer=lawyer
    )
    legal_services.legal_event_add(
        actor=world.staff["caseworker"], matter=matter, kind="deadline", due_at=timezone.now() + timedelta(hours=20)
    )
    call_command("notify_due", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("notify_due", stdout=open("/dev/null", "w"))  # noqa: SIM115  (daily: the same date once)
    notices = list(Notification.objects.filter(kind=Kind.LEGAL_DEADLINE))
    assert [(n.recipient, n.path) for n in notices] == [(lawyer, reverse("legal:matter", args=[matter.uuid]))]
    # One way notices go out: the same e-mail task as every kind (remind_legal_deadlines only wraps this).
    queued = _queued("email_notification")
    assert [t.args_kwargs["args"] for t in queued] == [[notices[0].pk]]
    assert email_notification.call(notices[0].pk) is True
    assert [m.to for m in mail.outbox] == [[lawyer.email]]
    _assert_no_personal_data(str(mail.outbox[0].subject) + mail.outbox[0].body, world)


def test_marking_read_follows_the_link_and_touches_only_her_own(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    add_incident(world, hours_ago=5)
    referral = _send_health_referral(world)
    notice = Notification.objects.get()
    # Someone else (of another organisation, or the same) cannot mark it, nor learn where it leads.
    outsider = verified_client_for(world.staff["casa_coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    answer = outsider.post(reverse("today:notifications_read"), {"notification": notice.pk})
    assert answer.status_code == 302 and answer["Location"] == reverse("today:notifications")
    notice.refresh_from_db()
    assert notice.read_at is None
    assert outsider.post(reverse("today:notifications_read"), {"notification": "x"}).status_code == 400
    assert outsider.post(reverse("today:notifications_read")).status_code == 302  # all of hers: none
    notice.refresh_from_db()
    assert notice.read_at is None

    client = verified_client_for(world.staff["focal"], HTTP_ACCEPT_LANGUAGE="en")
    listing = client.get(reverse("today:notifications")).content.decode()
    assert "You have an emergency referral." in listing
    _assert_no_personal_data(listing, world)
    answer = client.post(reverse("today:notifications_read"), {"notification": notice.pk})
    assert answer["Location"] == reverse("referrals:detail", args=[referral.uuid])
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'class="badge"' not in client.get(reverse("today:home")).content.decode()


def test_a_deactivated_member_is_not_told(world: World) -> None:
    Membership.objects.filter(user=world.staff["focal"]).update(active=False)
    add_incident(world, hours_ago=5)
    _send_health_referral(world)
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_sends_the_email(world: World) -> None:
    """The real worker of django-tasks-db (`manage.py db_worker`) picks the stored task and runs it."""
    add_incident(world, hours_ago=5)
    _send_health_referral(world)
    assert len(mail.outbox) == 0  # nothing is sent in the request
    call_command("db_worker", batch=True, interval=0, no_startup_delay=True, worker_id="test")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world.staff["focal"].email]
    (result,) = DBTaskResult.objects.all()
    assert result.status == "SUCCESSFUL"


def test_anonymous_and_password_only_sessions_get_no_menu(world: World) -> None:
    anonymous = Client().get(reverse("accounts:login")).content.decode()
    assert "staff-menu" not in anonymous and reverse("today:set_language") in anonymous
    password_only = Client()
    password_only.force_login(world.staff["focal"], backend="django.contrib.auth.backends.ModelBackend")
    verify = password_only.get(reverse("accounts:verify")).content.decode()
    assert "staff-menu" not in verify
