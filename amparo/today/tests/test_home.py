"""Role home pages, the menu on every staff page and the language switch (issue 13, item 1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.cases import services as case_services
from amparo.cases.models import ActionItem
from amparo.cases.services import CLOSURE_CHECKLIST
from amparo.referrals.tests.conftest import SURVIVOR_NAME, World
from amparo.safechannel.tests.conftest import make_staff
from amparo.today.models import NotificationPreference

pytestmark = pytest.mark.django_db


def _page(client: Client, name: str = "today:home", *args: object) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def _work(page: str) -> list[str]:
    """The home page's work lines, in order, as 'count label'."""
    import re

    block = page[page.index('<ul class="work">') : page.index("</ul>", page.index('<ul class="work">'))]
    return [
        f"{count} {label.strip()}" for count, label in re.findall(r'<span class="count">(\d+)</span>([^<]+)</a>', block)
    ]


def test_the_caseworkers_home_counts_her_work_most_urgent_first(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    caseworker = world.staff["caseworker"]
    yesterday = timezone.localdate() - timedelta(days=1)
    case_services.action_add(
        actor=caseworker, case=world.case, description="Llamar", due_on=yesterday, assigned_to=None
    )
    work = _work(_page(verified_client_for(caseworker, HTTP_ACCEPT_LANGUAGE="en")))
    assert work[0] == "1 Overdue follow-ups"
    assert "1 Open cases you accompany or supervise" in work
    assert "0 New safe-channel reports, not yet read" in work
    # A colleague of the same organisation not on the case counts nothing of it (need to know).
    other = _work(_page(verified_client_for(world.staff["unassigned"], HTTP_ACCEPT_LANGUAGE="en")))
    assert "0 Overdue follow-ups" in other and "0 Open cases you accompany or supervise" in other


def test_the_coordinator_sees_closures_waiting_first(world: World, verified_client_for: Callable[..., Client]) -> None:
    checklist = dict.fromkeys(CLOSURE_CHECKLIST, True)
    case_services.closure_request(actor=world.staff["caseworker"], case=world.case, checklist=checklist)
    page = _page(verified_client_for(world.staff["coordinator"], HTTP_ACCEPT_LANGUAGE="en"))
    work = _work(page)
    assert work[0] == "1 Case closures waiting for your approval"
    # The line leads to her organisation's closure queue, where the case is (the case list shows open cases).
    queue = reverse("cases:closures", args=[world.red.uuid])
    assert f'<a href="{queue}"><span class="count">1</span> Case closures' in page
    assert world.case.code in _page(verified_client_for(world.staff["coordinator"]), "cases:closures", world.red.uuid)
    # A coordinator of two organisations: the case list, showing the closures requested in both.
    Membership.objects.create(user=world.staff["coordinator"], organization=world.casa, role=Role.COORDINATOR)
    page = _page(verified_client_for(world.staff["coordinator"], HTTP_ACCEPT_LANGUAGE="en"))
    listed = f"{reverse('cases:list')}?status=closure_requested"
    assert f'<a href="{listed}"><span class="count">1</span> Case closures' in page
    client = verified_client_for(world.staff["coordinator"])
    assert world.case.code in client.get(listed).content.decode()
    # Another organisation's coordinator counts none of it.
    assert "0 Case closures waiting for your approval" in _work(
        _page(verified_client_for(world.staff["casa_coordinator"], HTTP_ACCEPT_LANGUAGE="en"))
    )


def test_focal_points_and_monitors_get_a_link_to_their_page(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    focal = _page(verified_client_for(world.staff["focal"], HTTP_ACCEPT_LANGUAGE="en"))
    assert f'href="{reverse("referrals:inbox")}"' in focal
    assert "Emergency referrals to answer" in focal
    assert f'href="{reverse("cases:list")}"' not in focal  # no case pages for a focal point
    monitor = make_staff("monitor@defensoria.example.org", world.casa, Role.MONITOR, with_key=False)
    page = _page(verified_client_for(monitor, HTTP_ACCEPT_LANGUAGE="en"))
    assert f'href="{reverse("monitoring:alerts")}"' in page and "Trafficking alerts in your areas" in page
    assert f'href="{reverse("safechannel_staff:inbox")}"' not in page


def test_analysts_and_enumerators_are_told_what_they_can_do_today(verified_client_for: Callable[..., Client]) -> None:
    org = Organization.objects.create(name="Observatorio (test)")
    for role in (Role.ANALYST, Role.ENUMERATOR):
        user = User.objects.create_user(
            username=f"{role}@o.example.org", email=f"{role}@o.example.org", password="x" * 16
        )
        user.memberships.create(organization=org, role=role)
        page = _page(verified_client_for(user, HTTP_ACCEPT_LANGUAGE="en"))
        assert "What you can do today" in page and reverse("pathways:home") in page
        assert '<ul class="work">' not in page


def test_every_staff_page_has_the_menu_with_the_current_page_marked(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    client = verified_client_for(world.staff["caseworker"], HTTP_ACCEPT_LANGUAGE="en")
    for name in ("today:home", "cases:list", "cases:follow_ups", "legal:upcoming", "safechannel_staff:inbox"):
        page = _page(client, name)
        menu = page[page.index('<nav class="staff-menu"') : page.index("</nav>")]
        assert f'<a href="{reverse(name)}" aria-current="page">' in menu, name
        assert menu.count('aria-current="page"') == 1, name
        assert reverse("referrals:inbox") not in menu  # not hers
    case_page = _page(client, "today:home")
    assert SURVIVOR_NAME not in case_page


def test_the_language_switch_changes_staff_pages_and_her_emails(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    client = verified_client_for(world.staff["caseworker"], HTTP_ACCEPT_LANGUAGE="en")
    assert "Your work today" in _page(client)
    answer = client.post(reverse("today:set_language"), {"language": "pt", "next": reverse("cases:list")})
    assert answer.status_code == 302 and answer["Location"] == reverse("cases:list")
    cookie = answer.cookies["django_language"]
    assert cookie.value == "pt" and cookie["httponly"] and not cookie["max-age"]  # a browser-session cookie
    assert "Seu trabalho de hoje" in _page(client)
    assert NotificationPreference.objects.get(user=world.staff["caseworker"]).language == "pt"
    client.post(reverse("today:set_language"), {"language": "es", "next": reverse("today:home")})
    assert "Tu trabajo de hoy" in _page(client)
    # An address elsewhere is not followed; an unknown language changes nothing.
    answer = client.post(reverse("today:set_language"), {"language": "en", "next": "https://evil.example/"})
    assert answer.status_code == 302 and "evil" not in answer["Location"]
    client.post(reverse("today:set_language"), {"language": "xx", "next": reverse("today:home")})
    assert NotificationPreference.objects.get(user=world.staff["caseworker"]).language == "en"


def test_the_sign_in_page_has_the_switch_and_a_password_only_session_saves_nothing(world: World) -> None:
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert anonymous.post(reverse("today:set_language"), {"language": "es", "next": "/staff/login/"}).status_code == 302
    assert '<html lang="es">' in anonymous.get(reverse("accounts:login")).content.decode()
    password_only = Client()
    password_only.force_login(world.staff["focal"], backend="django.contrib.auth.backends.ModelBackend")
    password_only.post(reverse("today:set_language"), {"language": "pt", "next": "/staff/"})
    assert not NotificationPreference.objects.filter(user=world.staff["focal"], language="pt").exists()


def test_the_home_page_counts_only_and_reads_no_case_data(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    from amparo.audit.models import AuditEntry

    ActionItem.objects.create(case=world.case, description="x", due_on=timezone.localdate())
    before = AuditEntry.objects.count()
    page = _page(verified_client_for(world.staff["caseworker"], HTTP_ACCEPT_LANGUAGE="en"))
    assert AuditEntry.objects.count() == before
    assert world.case.code not in page and SURVIVOR_NAME not in page


def test_the_case_page_is_split_into_native_sections(world: World, verified_client_for: Callable[..., Client]) -> None:
    client = verified_client_for(world.staff["caseworker"], HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(reverse("cases:detail", args=[world.case.uuid])).content.decode()
    import re

    sections = re.findall(r'<details class="section"( open)?><summary><h2 id="([a-z]+)">', page)
    assert [name for _, name in sections] == [
        "consents", "incidents", "risk", "actions", "children", "referrals", "legal", "closure",
    ]  # fmt: skip
    opened = {name for is_open, name in sections if is_open}
    assert opened == {"incidents", "risk", "actions", "referrals", "closure"}  # the day's work open, the rest folded
    assert page.count("<details") == page.count("</details>")
