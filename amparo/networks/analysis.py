"""Network analysis with networkx, pure over the plain data of `selectors.Network` (docs/networks.md, "Analysis").

Two graphs: the *structure* (undirected: every recorded tie, every referral flow, and each focal point with its
organisation), on which centrality, brokers and components are computed; and the *referrals* (directed: sender to
receiving entity, weighted by referrals sent), on which reciprocity is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from .selectors import Flow, Network

# Betweenness costs one breadth-first search per source actor, each over every actor and link. Exact while
# actors x (actors + links) stays under EXACT_BETWEENNESS_WORK; above it, estimated from a seeded sample of sources
# (the same network gives the same figures) as large as SAMPLED_BETWEENNESS_WORK allows; when that is fewer than
# BETWEENNESS_MIN_SAMPLE sources, not computed at all (central actors are then ranked by their ties). Brokers,
# bridges and components are exact at every size (linear time).
EXACT_BETWEENNESS_WORK = 2_000_000
SAMPLED_BETWEENNESS_WORK = 100_000
BETWEENNESS_MIN_SAMPLE = 10
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
    betweenness_mode: str  # "exact", "estimate" (sampled sources) or "none" (too large: not computed)
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
    size = n + graph.number_of_edges()
    sample = SAMPLED_BETWEENNESS_WORK // max(size, 1)
    mode = "exact" if n * size <= EXACT_BETWEENNESS_WORK else "estimate" if sample >= BETWEENNESS_MIN_SAMPLE else "none"
    if n <= 2 or mode == "none":
        betweenness = dict.fromkeys(graph.nodes, 0.0)
    elif mode == "exact":
        betweenness = nx.betweenness_centrality(graph)
    else:
        betweenness = nx.betweenness_centrality(graph, k=sample, seed=7)
    blocks = [set(b) for b in nx.biconnected_components(graph)]
    cut = cut_offs(graph, blocks)
    brokers = sorted(
        (Broker(key, off) for key, off in cut.items()),
        key=lambda b: (-b.cut_off, -betweenness.get(b.key, 0.0), -degree.get(b.key, 0.0), b.key),
    )
    # A bridge is a block of two actors (a biconnected component of one link): same answer as nx.bridges, without
    # a second pass over the graph.
    bridges = sorted(tuple(sorted(block)) for block in blocks if len(block) == 2)
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
        betweenness_mode=mode,
        brokers=brokers,
        bridges=bridges,
        components=components,
        isolated=isolated,
        reciprocity=reciprocity,
        reciprocal_pairs=pairs,
    )


def cut_offs(graph: nx.Graph, blocks: list[set[str]] | None = None) -> dict[str, int]:
    """For each articulation point: how many actors of its component lose every path to the largest remaining part
    if it goes. Computed for all of them at once on the block-cut tree (networkx's biconnected components): each
    block weighs its actors that are not articulation points, each articulation point weighs one; removing a point
    splits its component into the subtrees hanging from it in that tree."""
    if blocks is None:
        blocks = [set(b) for b in nx.biconnected_components(graph)]
    seen: dict[str, int] = {}
    for block in blocks:
        for v in block:
            seen[v] = seen.get(v, 0) + 1
    points = {v for v, count in seen.items() if count > 1}
    if not points:
        return {}
    tree = nx.Graph()
    weight: dict[object, int] = {}
    for i, block in enumerate(blocks):
        node = ("block", i)
        weight[node] = sum(1 for v in block if v not in points)
        tree.add_node(node)
        for v in block & points:
            tree.add_edge(node, ("point", v))
    for v in points:
        weight[("point", v)] = 1
    result: dict[str, int] = {}
    for component in nx.connected_components(tree):
        root = next(iter(component))
        total = sum(weight[node] for node in component)
        parent = nx.dfs_predecessors(tree, root)
        below: dict[object, int] = {}
        for node in nx.dfs_postorder_nodes(tree, root):
            below[node] = below.get(node, 0) + weight[node]
            if node in parent:
                up = parent[node]
                below[up] = below.get(up, 0) + below[node]
        for node in component:
            if node[0] != "point":
                continue
            pieces = [below[child] for child in tree.neighbors(node) if parent.get(child) == node]
            if node in parent:
                pieces.append(total - below[node])
            rest = total - 1
            result[node[1]] = rest - max(pieces) if pieces else 0
    return result


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
