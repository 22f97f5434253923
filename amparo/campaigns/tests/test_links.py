"""Short links /r/<code>: where they land, in which language; one counter per code per day, atomic; nothing about
who; the public-page rules over real HTTP."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.live_server_helper import LiveServer

from amparo.campaigns.models import LinkDay, Material, ShortLink
from amparo.campaigns.services import link_visit
from amparo.core.tests.test_public_pages import csp_problems, fetch, parse
from amparo.pathways.models import Pathway

from .conftest import CUCUTA, World


def _link(world: World, kind: str = "pathway", language: str = "es", material: str = Material.CARD) -> ShortLink:
    return ShortLink.objects.get(campaign=world.campaign, kind=kind, language=language, material=material)


def test_every_target_language_and_material_has_its_own_code(world: World) -> None:
    links = ShortLink.objects.filter(campaign=world.campaign)
    # 2 targets x 3 languages x 6 materials (cards, posters and their discreet variants, SMS, WhatsApp)
    assert links.count() == 36
    assert len({link.code for link in links}) == 36
    assert all(len(link.code) == 7 and link.place_code == CUCUTA for link in links)


@pytest.mark.parametrize("language", ["es", "en", "pt"])
def test_a_pathway_link_lands_on_the_pathway_in_its_language_for_the_place(
    world: World, public_client: Client, language: str
) -> None:
    link = _link(world, language=language)
    response = public_client.get(f"/r/{link.code}")
    assert response.status_code == 302
    assert response["Location"] == f"/{language}/routes/sexual-violence-72h/?place={CUCUTA}"
    assert not response.cookies and response["Cache-Control"] == "no-store"


def test_a_service_link_lands_on_the_service(world: World, public_client: Client) -> None:
    link = _link(world, kind="service", language="pt", material=Material.SMS)
    response = public_client.get(f"/r/{link.code}")
    assert response["Location"] == f"/pt/services/{world.sal.uuid}/"
    assert public_client.get(response["Location"]).status_code == 200


def test_codes_typed_in_capitals_or_with_a_slash_work(world: World, public_client: Client) -> None:
    link = _link(world)
    assert public_client.get(f"/r/{link.code.upper()}").status_code == 302
    assert public_client.get(f"/r/{link.code}/").status_code == 302


def test_a_link_to_a_deleted_pathway_lands_on_the_pathways_list(world: World, public_client: Client) -> None:
    link = _link(world, language="en")
    Pathway.objects.filter(slug="sexual-violence-72h").delete()
    response = public_client.get(f"/r/{link.code}")
    assert response.status_code == 302 and response["Location"] == f"/en/?place={CUCUTA}"
    assert public_client.get(response["Location"]).status_code == 200
    link.refresh_from_db()
    assert link.pathway is None and link.target_key == "sexual-violence-72h"  # the link outlives it


def test_a_link_to_an_unpublished_pathway_lands_on_the_list(world: World, public_client: Client) -> None:
    link = _link(world)
    Pathway.objects.filter(slug="sexual-violence-72h").update(published=False)
    assert public_client.get(f"/r/{link.code}")["Location"] == f"/es/?place={CUCUTA}"


def test_a_link_to_a_deleted_or_closed_service_lands_on_the_finder(world: World, public_client: Client) -> None:
    link = _link(world, kind="service")
    world.sal.service.status = "inactive"
    world.sal.service.save()
    assert public_client.get(f"/r/{link.code}")["Location"] == f"/es/services/?place={CUCUTA}"
    world.sal.delete()
    response = public_client.get(f"/r/{link.code}")
    assert response["Location"] == f"/es/services/?place={CUCUTA}"
    assert public_client.get(response["Location"]).status_code == 200


def test_an_unknown_code_is_the_404_page(db: None, public_client: Client) -> None:
    for path in ("/r/zzzzzzz", "/r/no-such-code!", "/r/" + "a" * 40):
        response = public_client.get(path)
        assert response.status_code == 404 and not response.cookies


def test_each_visit_is_one_atomic_update_of_the_days_counter(world: World, public_client: Client) -> None:
    link = _link(world)
    public_client.get(f"/r/{link.code}")  # the day's row is made
    with CaptureQueriesContext(connection) as queries:
        public_client.get(f"/r/{link.code}")
        public_client.get(f"/r/{link.code}")
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2 and all('"visits" + 1' in sql or '"visits" + %s' in sql or "+ 1" in sql for sql in updates)
    assert not any(q["sql"].startswith("SELECT") and "linkday" in q["sql"] for q in queries.captured_queries)
    assert LinkDay.objects.get(link=link).visits == 3
    public_client.head(f"/r/{link.code}")  # a HEAD is answered, not counted
    assert LinkDay.objects.get(link=link).visits == 3
    assert public_client.post(f"/r/{link.code}").status_code == 405


def test_the_counter_keeps_nothing_about_who(world: World, public_client: Client) -> None:
    link = _link(world)
    public_client.get(f"/r/{link.code}", HTTP_USER_AGENT="Secret/1.0", REMOTE_ADDR="203.0.113.9")
    fields = {f.name for f in LinkDay._meta.get_fields()}
    assert fields == {"id", "link", "day", "visits"}
    dumped = str(list(LinkDay.objects.values())) + str(list(ShortLink.objects.values()))
    assert "203.0.113.9" not in dumped and "Secret" not in dumped


def test_one_row_per_link_and_day(world: World) -> None:
    link = _link(world)
    for day in (date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 2)):
        link_visit(link.pk, day)
    assert list(LinkDay.objects.filter(link=link).values_list("day", "visits")) == [
        (date(2026, 3, 1), 2),
        (date(2026, 3, 2), 1),
    ]


THREADS, PER_THREAD = 8, 25


def _visit_at_once(link_id: int, day: date) -> list[BaseException]:
    """THREADS threads, each with its own connection, start together and count PER_THREAD visits of one link on
    one day; returns what they raised."""
    barrier, errors = threading.Barrier(THREADS), []

    def visit() -> None:
        from django.db import connections

        try:
            barrier.wait()
            for _ in range(PER_THREAD):
                link_visit(link_id, day)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=visit) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_visits_lose_no_count(demo_directory: None) -> None:
    """Threads with their own connections hit the same link on a day with no row yet: every visit counts once."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race is a PostgreSQL test (run with DATABASE_URL)")
    from amparo.accounts.models import Organization, User
    from amparo.campaigns.services import campaign_create

    from .conftest import campaign_input

    org = Organization.objects.create(name="Concurrencia")
    user = User.objects.create_user(username="c@example.org", email="c@example.org")
    campaign = campaign_create(actor=user, organization=org, data=campaign_input())
    link = ShortLink.objects.filter(campaign=campaign).first()
    assert link is not None
    assert _visit_at_once(link.pk, date(2026, 5, 1)) == []
    assert LinkDay.objects.get(link=link, day=date(2026, 5, 1)).visits == THREADS * PER_THREAD


def test_short_links_keep_the_public_page_rules(world: World, live_server: LiveServer) -> None:
    link = _link(world)
    for path, status in ((f"/r/{link.code}", 302), ("/r/zzzzzzz", 404)):
        for cookies in ({}, {"Cookie": "sessionid=stale; csrftoken=stale"}):
            response = fetch(live_server.url + path, **cookies)
            assert response.status == status
            assert not response.headers.get_all("Set-Cookie")
            assert response.headers.get("Cache-Control") == "no-store"
            assert response.headers.get("Referrer-Policy") == "no-referrer"
            assert csp_problems(response.headers.get("Content-Security-Policy")) == []
    page = fetch(live_server.url + "/r/zzzzzzz")
    structure = parse(page.text)
    exits = [e for e in structure.body if e.attrs.get("id") == "quick-exit"]
    assert len(exits) == 1 and len(page.raw) < 30 * 1024
    assert not structure.inline_script


# --- Counting in the shared cache (production: Redis), flushed to the day's row (campaigns/visits.py) -------------


def test_with_a_shared_cache_a_visit_writes_nothing_to_the_database(
    world: World, public_client: Client, shared_cache: object
) -> None:
    from django.utils import timezone

    from amparo.campaigns.selectors import reach

    link = _link(world)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert public_client.get(f"/r/{link.code}").status_code == 302
    assert not [q for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert not LinkDay.objects.filter(link=link).exists()
    # the reach page adds what waits in the cache: exact between flushes
    today = timezone.localdate()
    counted = reach(world.campaign)
    assert counted.total == 3 and counted.by_day == [(today, 3)]
    assert dict(counted.by_link)[link] == 3
    assert counted.by_material == [(str(Material.CARD.label), 3)]


def test_the_flush_moves_the_counts_and_keeps_what_arrives_after(
    world: World, public_client: Client, shared_cache: object
) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from amparo.campaigns.selectors import reach
    from amparo.campaigns.visits import flush_visits, pending

    link, other = _link(world), _link(world, language="pt", material=Material.SMS)
    for code, times in ((link.code, 4), (other.code, 2)):
        for _ in range(times):
            public_client.get(f"/r/{code}")
    out = __import__("io").StringIO()
    call_command("flush_link_visits", stdout=out)
    assert "Moved 6 visit(s)" in out.getvalue()
    today = timezone.localdate()
    assert LinkDay.objects.get(link=link, day=today).visits == 4
    assert LinkDay.objects.get(link=other, day=today).visits == 2
    assert pending([link.pk, other.pk]) == {}
    public_client.get(f"/r/{link.code}")  # after the flush: waits in the cache, then added to the same row
    assert reach(world.campaign).total == 7
    assert flush_visits() == 1 and flush_visits() == 0
    assert LinkDay.objects.get(link=link, day=today).visits == 5
    assert reach(world.campaign).total == 7


def test_when_the_shared_cache_is_down_visits_are_counted_in_the_database(
    world: World, public_client: Client, shared_cache: object
) -> None:
    from django.utils import timezone

    from amparo.campaigns.selectors import reach

    link = _link(world)
    public_client.get(f"/r/{link.code}")  # in the cache
    shared_cache.stop()  # type: ignore[attr-defined]
    response = public_client.get(f"/r/{link.code}")
    assert response.status_code == 302 and response["Location"].startswith("/es/routes/")
    assert LinkDay.objects.get(link=link, day=timezone.localdate()).visits == 1
    assert reach(world.campaign).total == 1  # the page still answers, with what the database holds


@pytest.mark.django_db(transaction=True)
def test_concurrent_visits_through_the_cache_lose_no_count(demo_directory: None, shared_cache: object) -> None:
    """Threads hit the same link's first visit of the day in the shared cache: every visit counts once, flushed."""
    from django.utils import timezone

    from amparo.accounts.models import Organization, User
    from amparo.campaigns.services import campaign_create
    from amparo.campaigns.visits import flush_visits

    from .conftest import campaign_input

    org = Organization.objects.create(name="Concurrencia")
    user = User.objects.create_user(username="c@example.org", email="c@example.org")
    campaign = campaign_create(actor=user, organization=org, data=campaign_input())
    link = ShortLink.objects.filter(campaign=campaign).first()
    assert link is not None
    day = timezone.localdate()
    assert _visit_at_once(link.pk, day) == []
    assert not LinkDay.objects.filter(link=link).exists()
    assert flush_visits(today=day) == THREADS * PER_THREAD
    assert LinkDay.objects.get(link=link, day=day).visits == THREADS * PER_THREAD


def test_a_redirect_remembers_its_link_for_a_minute_and_forgets_it_when_a_target_changes(
    world: World, public_client: Client, shared_cache: object
) -> None:
    """The second redirect of a code reads nothing from the database (the visit goes to the cache); saving the
    pathway makes this process look it up again; a change the signals cannot see waits for the minute."""
    import time

    from amparo.campaigns.selectors import LINK_MEMO_SECONDS, link_destination

    link = _link(world)
    public_client.get(f"/r/{link.code}")
    with CaptureQueriesContext(connection) as queries:
        response = public_client.get(f"/r/{link.code}")
    assert response.status_code == 302 and queries.captured_queries == []
    pathway = Pathway.objects.get(slug="sexual-violence-72h")
    pathway.published = False
    pathway.save()  # a save (the admin, the content loader) clears the memory at once
    assert public_client.get(f"/r/{link.code}")["Location"] == f"/es/?place={CUCUTA}"
    Pathway.objects.filter(pk=pathway.pk).update(published=True)  # no signal: remembered for the minute
    assert public_client.get(f"/r/{link.code}")["Location"] == f"/es/?place={CUCUTA}"
    later = time.monotonic() + LINK_MEMO_SECONDS + 1
    assert link_destination(link.code, now=later) == (link.pk, f"/es/routes/sexual-violence-72h/?place={CUCUTA}")
