"""The network page of a place, with referral flows counted from real referrals, and its exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

import networkx as nx
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from amparo.accounts.models import Membership, User
from amparo.accounts.models import Organization as MemberOrganization
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.directory.models import Service
from amparo.networks import selectors, services
from amparo.networks.models import TieKind
from amparo.networks.services import TieData

from .netcore_world import coordinator, organization, places, send_referrals

pytestmark = pytest.mark.django_db


@pytest.fixture
def net() -> dict[str, object]:
    """Cúcuta: a collective (also a member organisation) that refers to a hospital (6) and to a shelter (2); the
    collective is the only bridge to Villa del Rosario's collective; a Comisaría with nobody."""
    where = places()
    hospital = organization("Hospital Cúcuta", "health", where["CO54001"])
    shelter = organization("Casa Refugio Cúcuta", "ngo", where["CO54001"])
    collective = organization("Colectiva Cúcuta", "sex-worker-led", where["CO54001"])
    villa = organization("Colectiva Villa del Rosario", "sex-worker-led", where["CO54874"])
    organization("Comisaría Cúcuta", "comisaria", where["CO54001"])
    member = MemberOrganization.objects.create(name="Colectiva (miembro)", directory_organization=collective)
    user = coordinator(member)
    for a, b, place in ((collective, villa, "CO54"), (hospital, shelter, "CO54001")):
        services.tie_add(
            actor=user,
            organization=member,
            data=TieData(TieKind.JOINT_TRAINING, f"o{a.pk}", f"o{b.pk}", where[place], date(2026, 1, 1), None),
        )
    to_hospital = Service.objects.create(organization=hospital, name="Urgencias")
    to_shelter = Service.objects.create(organization=shelter, name="Acogida")
    send_referrals(
        member,
        to_hospital,
        ["attended"] * 5 + ["declined"],
        days_to_attention=[1, 2, 3, 4, 10],
    )
    send_referrals(member, to_shelter, ["attended", "sent"], days_to_attention=[2])
    return {"places": where, "member": member, "user": user, "hospital": hospital, "collective": collective}


def test_referral_flows_are_counts_per_pair(net: dict[str, object]) -> None:
    start, end = selectors.default_period()
    flows = selectors.referral_flows(net["places"]["CO54001"], start, end)  # type: ignore[index]
    collective, hospital = f"o{net['collective'].pk}", f"o{net['hospital'].pk}"  # type: ignore[attr-defined]
    first = flows[0]
    assert (first.sender, first.receiver, first.sent, first.accepted, first.attended) == (
        collective, hospital, 6, 5, 5,
    )  # fmt: skip
    assert first.declined == {"not_eligible": 1} and first.median_days == pytest.approx(3.0, abs=0.01)
    assert (flows[1].sent, flows[1].attended) == (2, 1)
    # Out of the period: nothing.
    assert selectors.referral_flows(net["places"]["CO54001"], date(2020, 1, 1), date(2020, 12, 31)) == []  # type: ignore[index]


def test_the_network_page_of_cucuta(net: dict[str, object], verified_client_for: Callable[..., Client]) -> None:
    analyst = User.objects.create_user(username="a@example.org", email="a@example.org", password="x" * 16)
    Membership.objects.create(user=analyst, organization=net["member"], role=Role.ANALYST)  # type: ignore[misc]
    client = verified_client_for(analyst)
    with translation.override("en"):
        page = client.get(reverse("networks:network") + "?place=CO54001", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and 'role="img"' in html
    brokers = html.split("<h2>Brokers</h2>")[1].split("<h2>")[0]
    assert "Colectiva Cúcuta" in brokers and "Hospital Cúcuta" not in brokers  # a triangle with the shelter
    isolated = html.split("<h2>Isolated actors</h2>")[1].split("<h2>")[0]
    assert "Comisaría Cúcuta" in isolated
    flows = html.split("<h2>Referrals between actors</h2>")[1].split("<h2>")[0]
    assert "<td>6</td>" in flows and "3.0" in flows  # the hospital: 6 sent, median 3 days to attention
    assert "fewer than 5" in flows  # the shelter: 2 sent
    declines = html.split("<h2>Declined referrals, by reason</h2>")[1]
    assert "Not eligible for this service: fewer than 5" in declines
    entry = AuditEntry.objects.get(action="network.read")
    assert entry.object_id == "CO54001" and entry.detail == {"what": "page", "actors": 5, "referral_pairs": 2}


def test_the_whole_region_and_an_empty_municipality(
    net: dict[str, object], verified_client_for: Callable[..., Client]
) -> None:
    client = verified_client_for(net["user"])
    with translation.override("en"):
        region = client.get(reverse("networks:network") + "?place=co54", HTTP_ACCEPT_LANGUAGE="en")
        assert region.status_code == 200 and "Colectiva Villa del Rosario" in region.content.decode()
        empty = client.get(reverse("networks:network") + "?place=CO54810", HTTP_ACCEPT_LANGUAGE="en")
        assert empty.status_code == 200 and "there is no network to show yet" in empty.content.decode()
        unknown = client.get(reverse("networks:network") + "?place=ZZ1", HTTP_ACCEPT_LANGUAGE="en")
        assert unknown.status_code == 400 and "We do not know the place code" in unknown.content.decode()
        backwards = client.get(
            reverse("networks:network") + "?place=CO54&start=2026-05-01&end=2026-01-01", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert backwards.status_code == 400 and "ends before it starts" in backwards.content.decode()
        bad_date = client.get(reverse("networks:network") + "?place=CO54&start=yesterday")
        assert bad_date.status_code == 400


def test_exports(net: dict[str, object], verified_client_for: Callable[..., Client]) -> None:
    client = verified_client_for(net["user"])
    base = reverse("networks:export") + "?place=CO54001&format="
    graphml = client.get(base + "graphml")
    assert graphml.status_code == 200 and "attachment" in graphml["Content-Disposition"]
    graph = nx.read_graphml(io.BytesIO(graphml.content))
    collective = f"o{net['collective'].pk}"  # type: ignore[attr-defined]
    assert graph.nodes[collective]["broker"] is True
    assert nx.read_gexf(io.BytesIO(client.get(base + "gexf").content)).number_of_nodes() == graph.number_of_nodes()
    ties = list(csv.reader(io.StringIO(client.get(base + "ties").content.decode("utf-8-sig"))))
    assert sorted(row[8] for row in ties[1:] if row[0] == "referrals") == ["6", "<5"]
    central = list(csv.reader(io.StringIO(client.get(base + "centralities").content.decode("utf-8-sig"))))
    assert central[1][0] == collective
    assert client.get(base + "pdf").status_code == 400
    assert client.get(reverse("networks:export")).status_code == 400
    assert AuditEntry.objects.filter(action="network.export").count() == 4


def test_a_network_of_more_than_300_actors_is_drawn_by_department(
    net: dict[str, object], verified_client_for: Callable[..., Client]
) -> None:
    where = net["places"]
    for i in range(320):
        organization(f"Org {i}", "ngo", where["CO54001"] if i % 2 else where["CO44430"])  # type: ignore[index]
    client = verified_client_for(net["user"])
    with translation.override("en"):
        page = client.get(reverse("networks:network") + "?place=CO", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "the picture sums them by department" in html
    assert "Norte de Santander (" in html and "La Guajira (" in html
    assert timezone.now()
