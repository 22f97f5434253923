"""The analysis, the picture and the exports over hand-made networks whose answers are known."""

from __future__ import annotations

import csv
import io
from datetime import date

import networkx as nx
import pytest
from defusedxml import ElementTree
from django.utils import translation

from amparo.directory.models import Place
from amparo.networks import exports
from amparo.networks.analysis import aggregate_by_department, analyse, analyse_graphs, referral_graph, structure_graph
from amparo.networks.drawing import MAX_DRAWN_ACTORS, draw
from amparo.networks.selectors import Actor, Flow, Network, TieRow, shown_count, shown_flows

PLACE = Place(pcode="CO54001", name="Cúcuta", level=2, latitude=7.9, longitude=-72.5)


def _network(actors: list[tuple[str, str, str]], ties: list[tuple[str, str]], flows: list[Flow] = ()) -> Network:  # type: ignore[assignment]
    return Network(
        place=PLACE,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        actors={key: Actor(key, label, kind, "CO54", True) for key, label, kind in actors},
        ties=[
            TieRow(f"t{i}", a, b, "information_exchange", date(2026, 1, 1), None, "Cúcuta")
            for i, (a, b) in enumerate(ties)
        ],
        flows=list(flows),
        department_names={"CO54": "Norte de Santander", "CO44": "La Guajira"},
        department_points={"CO54": (8.0, -72.9), "CO44": (11.35, -72.5)},
    )


def _two_triangles_and_a_loner() -> Network:
    """Two triangles joined only through "o3" - "o4" (a bridge), and "o9" with nobody."""
    actors = [(f"o{i}", f"Org {i}", "ngo") for i in (1, 2, 3, 4, 5, 6, 9)]
    ties = [("o1", "o2"), ("o2", "o3"), ("o1", "o3"), ("o3", "o4"), ("o4", "o5"), ("o5", "o6"), ("o4", "o6")]
    return _network(actors, ties)


def test_brokers_bridges_components_and_isolated_actors() -> None:
    result = analyse(_two_triangles_and_a_loner())
    assert [b.key for b in result.brokers] == ["o3", "o4"]
    assert [b.cut_off for b in result.brokers] == [2, 2]  # without o3, o1 and o2 are cut off from the rest
    assert result.bridges == [("o3", "o4")]
    assert result.components == [6, 1]
    assert result.isolated == ["o9"]
    assert result.betweenness["o3"] == pytest.approx(result.betweenness["o4"])
    assert result.betweenness["o3"] > result.betweenness["o1"] == 0
    assert result.degree["o3"] == pytest.approx(3 / 6)
    assert result.reciprocity is None  # no referrals at all


def test_a_focal_point_hangs_on_its_organisation_and_referrals_count_as_links() -> None:
    network = _network([("o1", "A", "health"), ("o2", "B", "ngo")], [])
    network.actors["f7"] = Actor("f7", "Focal", "focal-point", "CO54", True, entity_key="o1")
    network.flows.append(Flow("o2", "o1", sent=3))
    graph = structure_graph(network)
    assert graph.edges["f7", "o1"]["kinds"] == {"works_at"}
    assert graph.edges["o1", "o2"]["referrals"] == 3
    result = analyse_graphs(graph, referral_graph(network.flows))
    assert [b.key for b in result.brokers] == ["o1"] and result.isolated == []


def test_reciprocity_of_referrals() -> None:
    flows = [Flow("o1", "o2", sent=6), Flow("o2", "o1", sent=2), Flow("o1", "o3", sent=1)]
    network = _network([("o1", "A", "ngo"), ("o2", "B", "health"), ("o3", "C", "health")], [], flows)
    result = analyse(network)
    assert result.reciprocity == pytest.approx(2 / 3)  # two of the three directed links are answered
    assert result.reciprocal_pairs == [("o1", "o2")]


def test_disclosure_of_referral_pairs() -> None:
    assert [shown_count(n) for n in (0, 1, 4, 5, 12)] == [0, None, None, 5, 12]
    small = Flow("o1", "o2", sent=4, accepted=4, attended=3, days_to_attention=[1.0, 2.0, 3.0])
    large = Flow("o1", "o3", sent=9, accepted=7, attended=4, days_to_attention=[1.0, 2.0, 3.0, 9.0])
    network = _network([("o1", "A", "ngo"), ("o2", "B", "health"), ("o3", "C", "health")], [], [small, large])
    rows = shown_flows(network)
    assert (rows[0].sent, rows[0].accepted, rows[0].attended, rows[0].median_days) == (None, None, None, None)
    # Enough sent, but fewer than 5 attended: the attended count and its median are not shown either.
    assert (rows[1].sent, rows[1].accepted, rows[1].acceptance, rows[1].attended, rows[1].median_days) == (
        9, 7, 78, None, None,
    )  # fmt: skip
    ties_csv = list(csv.reader(io.StringIO(exports.ties_csv(network).decode("utf-8-sig"))))
    assert [row[8] for row in ties_csv[1:]] == ["<5", "9"]
    assert ties_csv[1][9:] == ["", "", ""]


def test_the_picture_names_its_actors_and_marks_brokers() -> None:
    network = _two_triangles_and_a_loner()
    graph = structure_graph(network)
    result = analyse_graphs(graph, referral_graph(network.flows))
    with translation.override("en"):
        picture = draw(network, result, graph, "Red de <Cúcuta>")
    assert not picture.aggregated and picture.drawn_nodes == 7
    root = ElementTree.fromstring(picture.svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "Red de <Cúcuta>"  # escaped in the SVG, read back as text
    titles = [t.text for t in root.iter(f"{ns}title")]
    assert sum("broker" in (t or "") for t in titles) == 2
    assert len(list(root.iter(f"{ns}circle"))) >= 7


def test_above_the_threshold_the_picture_sums_by_department() -> None:
    actors = [(f"o{i}", f"Org {i}", "ngo") for i in range(MAX_DRAWN_ACTORS + 50)]
    network = _network(actors, [(f"o{i}", f"o{i + 1}") for i in range(MAX_DRAWN_ACTORS + 49)])
    for i in range(0, 100):
        network.actors[f"o{i}"] = Actor(f"o{i}", f"Org {i}", "ngo", "CO44", True)
    graph = structure_graph(network)
    summed = aggregate_by_department(network, graph)
    assert sorted(summed.graph.nodes) == ["CO44", "CO54"]
    assert summed.graph.edges["CO44", "CO54"]["weight"] == 1  # the chain crosses once
    assert summed.internal == {"CO44": 99, "CO54": MAX_DRAWN_ACTORS + 49 - 100}
    with translation.override("en"):
        picture = draw(network, analyse_graphs(graph, referral_graph([])), graph, "Región")
    assert picture.aggregated and picture.drawn_nodes == 2
    assert "La Guajira" in picture.svg and "Norte de Santander" in picture.svg


def test_exports_read_back_in_networkx() -> None:
    network = _two_triangles_and_a_loner()
    network.flows.append(Flow("o1", "o2", sent=2))
    graph = structure_graph(network)
    result = analyse_graphs(graph, referral_graph(network.flows))
    out = exports.export_graph(network, result, graph)
    back = nx.read_graphml(io.BytesIO(exports.graphml_bytes(out)))
    assert back.number_of_nodes() == 7 and back.nodes["o3"]["broker"] is True
    assert back.edges["o1", "o2"]["referrals"] == "<5"
    gexf = nx.read_gexf(io.BytesIO(exports.gexf_bytes(out)))
    assert gexf.number_of_edges() == graph.number_of_edges()
    rows = list(csv.reader(io.StringIO(exports.centralities_csv(network, result, graph).decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "name", "kind"] and {rows[1][0], rows[2][0]} == {"o3", "o4"}


def test_csv_cells_never_start_a_formula() -> None:
    network = _network([("o1", "=HYPERLINK(1)", "ngo"), ("o2", "B", "ngo")], [("o1", "o2")])
    text = exports.ties_csv(network).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text
