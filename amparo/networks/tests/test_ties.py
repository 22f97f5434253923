"""Recording ties: every rule with its message, the audit entry of each write, and the pages that record them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amparo.accounts.models import Organization as MemberOrganization
from amparo.audit.models import AuditEntry
from amparo.directory.models import FocalPoint
from amparo.networks import services
from amparo.networks.models import Tie, TieKind
from amparo.networks.services import TieData

from .netcore_world import coordinator, organization, places

pytestmark = pytest.mark.django_db


@pytest.fixture
def net() -> dict[str, object]:
    where = places()
    member = MemberOrganization.objects.create(name="Red Violeta (prueba)")
    return {
        "places": where,
        "member": member,
        "user": coordinator(member),
        "hospital": organization("Hospital Cúcuta", "health", where["CO54001"]),
        "collective": organization("Colectiva Cúcuta", "sex-worker-led", where["CO54001"]),
        "maicao": organization("Punto Migrante Maicao", "international", where["CO44430"]),
    }


def _data(net: dict[str, object], **changes: object) -> TieData:
    values: dict[str, object] = {
        "kind": TieKind.REFERRAL_AGREEMENT,
        "from_key": f"o{net['hospital'].pk}",  # type: ignore[attr-defined]
        "to_key": f"o{net['collective'].pk}",  # type: ignore[attr-defined]
        "place": net["places"]["CO54001"],  # type: ignore[index]
        "starts_on": date(2026, 1, 1),
        "ends_on": date(2026, 6, 30),
    }
    values.update(changes)
    return TieData(**values)  # type: ignore[arg-type]


def _add(net: dict[str, object], **changes: object) -> Tie:
    return services.tie_add(actor=net["user"], organization=net["member"], data=_data(net, **changes))


def _refused(net: dict[str, object], **changes: object) -> str:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        _add(net, **changes)
    return " ".join(error.value.messages)


def test_a_tie_is_recorded_with_its_audit_entry(net: dict[str, object]) -> None:
    tie = _add(net)
    assert (tie.from_key, tie.to_key, tie.recorded_for) == (
        f"o{net['hospital'].pk}", f"o{net['collective'].pk}", net["member"],  # type: ignore[attr-defined]
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="network.tie.add")
    assert entry.object_id == str(tie.uuid) and entry.detail["kind"] == "referral_agreement"


def test_no_tie_to_itself(net: dict[str, object]) -> None:
    same = f"o{net['hospital'].pk}"  # type: ignore[attr-defined]
    assert "two different actors" in _refused(net, from_key=same, to_key=same)
    focal = FocalPoint.objects.create(entity=net["hospital"], display_name="Punto", grant="approved")  # type: ignore[misc]
    assert "works at that organisation" in _refused(net, to_key=f"f{focal.pk}")
    assert not Tie.objects.exists() and not AuditEntry.objects.filter(action="network.tie.add").exists()


def test_unknown_actors_and_kinds_are_refused(net: dict[str, object]) -> None:
    assert "do not know this actor" in _refused(net, to_key="o999999")
    assert "do not know this actor" in _refused(net, to_key="x12")
    assert "kind of tie" in _refused(net, kind="friendship")


def test_overlapping_periods_of_the_same_kind_are_refused(net: dict[str, object]) -> None:
    first = _add(net)
    hospital, collective = f"o{net['hospital'].pk}", f"o{net['collective'].pk}"  # type: ignore[attr-defined]
    message = _refused(net, starts_on=date(2026, 6, 1), ends_on=None)
    assert "from 2026-01-01 to 2026-06-30" in message
    # The other way round is the same pair.
    assert "already have a tie" in _refused(net, from_key=collective, to_key=hospital, starts_on=date(2026, 3, 1))
    # Another kind, or a period after the first ends, is fine; so is changing the first one itself.
    _add(net, kind=TieKind.JOINT_TRAINING)
    later = _add(net, starts_on=date(2026, 7, 1), ends_on=None)
    services.tie_change(actor=net["user"], tie=first, data=_data(net, ends_on=date(2026, 5, 31)))
    # A tie still going on overlaps every later period.
    assert "still going on" in _refused(net, starts_on=date(2030, 1, 1), ends_on=None)
    assert later.ends_on is None


def test_period_must_end_after_it_starts(net: dict[str, object]) -> None:
    assert "cannot end before it starts" in _refused(net, ends_on=date(2025, 12, 31))
    tie = _add(net, ends_on=None)
    with pytest.raises(ValidationError):
        services.tie_end(actor=net["user"], tie=tie, ends_on=date(2025, 1, 1))
    services.tie_end(actor=net["user"], tie=tie, ends_on=date(2026, 2, 1))
    tie.refresh_from_db()
    assert tie.ends_on == date(2026, 2, 1)
    assert AuditEntry.objects.filter(action="network.tie.end", object_id=str(tie.uuid)).count() == 1


def test_the_form_records_a_tie_and_says_what_is_wrong(
    net: dict[str, object], verified_client_for: Callable[..., Client]
) -> None:
    client = verified_client_for(net["user"])
    url = reverse("networks:tie_new") + "?place=CO54001"
    page = client.get(url)
    assert page.status_code == 200 and "Colectiva Cúcuta" in page.content.decode()
    post = {
        "kind": "information_exchange",
        "from_actor": f"o{net['hospital'].pk}",  # type: ignore[attr-defined]
        "to_actor": f"o{net['collective'].pk}",  # type: ignore[attr-defined]
        "place": "CO54001",
        "starts_on": "2026-02-01",
    }
    with translation.override("en"):
        unknown = client.post(url, {**post, "place": "XX99"}, HTTP_ACCEPT_LANGUAGE="en")
        assert unknown.status_code == 400
        assert "We do not know the place code “XX99”." in unknown.content.decode()
        itself = client.post(url, {**post, "to_actor": post["from_actor"]}, HTTP_ACCEPT_LANGUAGE="en")
        assert itself.status_code == 400 and "two different actors" in itself.content.decode()
        assert not Tie.objects.exists()
        done = client.post(url, post)
        assert done.status_code == 302
        again = client.post(url, {**post, "starts_on": "2026-03-01"}, HTTP_ACCEPT_LANGUAGE="en")
        assert again.status_code == 400 and "already have a tie of this kind" in again.content.decode()
    tie = Tie.objects.get()
    assert tie.recorded_by == net["user"] and tie.place.pcode == "CO54001"
    listing = client.get(reverse("networks:ties") + "?place=CO54")
    assert reverse("networks:tie_edit", args=[tie.uuid]) in listing.content.decode()
    ended = client.post(reverse("networks:tie_end", args=[tie.uuid]), {"ends_on": "2026-04-01"})
    assert ended.status_code == 302
    tie.refresh_from_db()
    assert tie.ends_on == date(2026, 4, 1)


def test_another_organisations_coordinator_cannot_change_a_tie(
    net: dict[str, object], verified_client_for: Callable[..., Client]
) -> None:
    tie = _add(net)
    other = coordinator(MemberOrganization.objects.create(name="Otra (prueba)"), "other@example.org")
    client = verified_client_for(other)
    assert client.get(reverse("networks:tie_edit", args=[tie.uuid])).status_code == 404
    assert client.post(reverse("networks:tie_end", args=[tie.uuid]), {"ends_on": "2026-02-01"}).status_code == 404
    # ...but reads it in the list, without the link to change it.
    listing = client.get(reverse("networks:ties")).content.decode()
    assert "Colectiva Cúcuta" in listing and reverse("networks:tie_edit", args=[tie.uuid]) not in listing
