"""Network analysis with networkx, pure over the plain data of `selectors.Network` (docs/networks.md, "Analysis").

Two graphs: the *structure* (undirected: every recorded tie, every referral flow, and each focal point with its
organisation), on which centrality, brokers and components are computed; and the *referrals* (directed: sender to
receiving entity, weighted by referrals sent), on which reciprocity is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from .selectors import Flow, Network

# Exact betweenness up to this many actors; above it, an estimate from a fixed sample of sources (seeded, so the
# same network gives the same figures).
EXACT_BETWEENNESS_MAX = 1000
BETWEENNESS_SAMPLE = 100
# How many brokers are measured (how many actors each one's removal cuts off): the most central ones.
BROKERS_MEASURED = 50
WORKS_AT = "works_at"
REFERRALS = "referrals"


def structure_graph(network: Network) -> nx.Graph:
    graph = nx.Graph()
    for actor in network.actors.values():
        graph.add_node(actor.key)
    for actor in network.actors.values():
        if actor.entity_key and actor.entity_key in network.actors:
            _link(graph, actor.key, actor.entity_key, WORKS_AT)
    for tie in network.ties:
        _link(graph, tie.from_key, tie.to_key, tie.kind)
    for flow in network.flows:
        if flow.sent and flow.sender != flow.receiver:
            _link(graph, flow.sender, flow.receiver, REFERRALS, flow.sent)
    return graph


def _link(graph: nx.Graph, a: str, b: str, kind: str, weight: int = 1) -> None:
    if a == b:
        return
    if not graph.has_edge(a, b):
        graph.add_edge(a, b, kinds=set(), weight=0, referrals=0)
    data = graph.edges[a, b]
    data["kinds"].add(kind)
    data["weight"] += weight
    if kind == REFERRALS:
        data["referrals"] += weight


def referral_graph(flows: list[Flow]) -> nx.DiGraph:
    graph = nx.DiGraph()
    for flow in flows:
        if flow.sent and flow.sender != flow.receiver:
            graph.add_edge(flow.sender, flow.receiver, weight=flow.sent)
    return graph


@dataclass(frozen=True)
class Broker:
    key: str
    cut_off: int  # actors that lose every path to the rest of their component if this one goes


@dataclass
class Analysis:
    actors: int
    ties: int
    degree: dict[str, float]
    betweenness: dict[str, float]
    betweenness_exact: bool
    brokers: list[Broker]
    bridges: list[tuple[str, str]]
    components: list[int]  # sizes, largest first (isolated actors count as components of one)
    isolated: list[str]
    reciprocity: float | None  # share of referral links that go both ways (None: no referrals)
    reciprocal_pairs: list[tuple[str, str]] = field(default_factory=list)

    def centrality(self, key: str) -> float:
        return self.betweenness.get(key, 0.0)


def analyse(network: Network) -> Analysis:
    return analyse_graphs(structure_graph(network), referral_graph(network.flows))


def analyse_graphs(graph: nx.Graph, referrals: nx.DiGraph) -> Analysis:
    n = graph.number_of_nodes()
    degree = nx.degree_centrality(graph) if n > 1 else dict.fromkeys(graph.nodes, 0.0)
    exact = n <= EXACT_BETWEENNESS_MAX
    if n <= 2:
        betweenness = dict.fromkeys(graph.nodes, 0.0)
    elif exact:
        betweenness = nx.betweenness_centrality(graph)
    else:
        betweenness = nx.betweenness_centrality(graph, k=BETWEENNESS_SAMPLE, seed=7)
    points = list(nx.articulation_points(graph))
    points.sort(key=lambda key: (-betweenness.get(key, 0.0), key))
    brokers = [Broker(key, _cut_off(graph, key)) for key in points[:BROKERS_MEASURED]]
    brokers += [Broker(key, 0) for key in points[BROKERS_MEASURED:]]
    brokers.sort(key=lambda b: (-b.cut_off, -betweenness.get(b.key, 0.0), b.key))
    bridges = sorted(tuple(sorted(edge)) for edge in nx.bridges(graph))
    components = sorted((len(c) for c in nx.connected_components(graph)), reverse=True)
    isolated = sorted(nx.isolates(graph))
    reciprocity: float | None = None
    pairs: list[tuple[str, str]] = []
    if referrals.number_of_edges():
        reciprocity = float(nx.overall_reciprocity(referrals))
        pairs = sorted({tuple(sorted((a, b))) for a, b in referrals.edges if referrals.has_edge(b, a)})
    return Analysis(
        actors=n,
        ties=graph.number_of_edges(),
        degree=degree,
        betweenness=betweenness,
        betweenness_exact=exact,
        brokers=brokers,
        bridges=bridges,
        components=components,
        isolated=isolated,
        reciprocity=reciprocity,
        reciprocal_pairs=pairs,
    )


def _cut_off(graph: nx.Graph, key: str) -> int:
    """How many actors of the broker's component lose every path to the largest remaining part without it."""
    component = nx.node_connected_component(graph, key)
    rest = graph.subgraph(component - {key})
    sizes = [len(c) for c in nx.connected_components(rest)]
    return sum(sizes) - max(sizes) if sizes else 0


@dataclass(frozen=True)
class Aggregate:
    """The network summed by department: a node per department (its actors), a link per pair (its ties)."""

    graph: nx.Graph  # nodes: department P-codes with "actors"; edges with "weight" (ties + referral links)
    internal: dict[str, int]  # ties inside each department


def aggregate_by_department(network: Network, graph: nx.Graph | None = None) -> Aggregate:
    graph = graph if graph is not None else structure_graph(network)
    summed = nx.Graph()
    internal: dict[str, int] = {}
    for actor in network.actors.values():
        department = actor.department or "?"
        if summed.has_node(department):
            summed.nodes[department]["actors"] += 1
        else:
            summed.add_node(department, actors=1)
    for a, b in graph.edges:
        da = network.actors[a].department or "?"
        db = network.actors[b].department or "?"
        if da == db:
            internal[da] = internal.get(da, 0) + 1
        elif summed.has_edge(da, db):
            summed.edges[da, db]["weight"] += 1
        else:
            summed.add_edge(da, db, weight=1)
    return Aggregate(summed, internal)
