"""Exports of a network: GraphML and GEXF (networkx's writers, for Gephi) and CSV of ties and of centralities.

Referral counts pass the same disclosure control as the pages: a pair with fewer than 5 referrals in the period
carries "<5", never the count (`selectors.shown_count`).
"""

from __future__ import annotations

import csv
import io

import networkx as nx

from .analysis import REFERRALS, WORKS_AT, Analysis
from .selectors import Network, shown_count

FEWER = "<5"


def _referrals_text(n: int) -> str:
    shown = shown_count(n)
    return FEWER if shown is None else str(shown)


def export_graph(network: Network, analysis: Analysis, graph: nx.Graph) -> nx.Graph:
    """A copy of the structure with only scalar attributes (what GraphML and GEXF can hold)."""
    brokers = {b.key for b in analysis.brokers}
    isolated = set(analysis.isolated)
    out = nx.Graph(name=f"{network.place.pcode} {network.start.isoformat()}/{network.end.isoformat()}")
    for key in graph.nodes:
        actor = network.actors[key]
        out.add_node(
            key,
            label=actor.label,
            kind=actor.kind,
            department=actor.department,
            degree_centrality=round(analysis.degree.get(key, 0.0), 6),
            betweenness=round(analysis.betweenness.get(key, 0.0), 6),
            broker=key in brokers,
            isolated=key in isolated,
        )
    for a, b, data in graph.edges(data=True):
        kinds: set[str] = data["kinds"]
        out.add_edge(
            a,
            b,
            kinds=" ".join(sorted(kinds)),
            recorded_ties=sum(1 for k in kinds if k not in {REFERRALS, WORKS_AT}),
            referrals=_referrals_text(data["referrals"]),
        )
    return out


def graphml_bytes(graph: nx.Graph) -> bytes:
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8")
    return buffer.getvalue()


def gexf_bytes(graph: nx.Graph) -> bytes:
    buffer = io.BytesIO()
    nx.write_gexf(graph, buffer, encoding="utf-8")
    return buffer.getvalue()


def _csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_safe(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def _safe(cell: object) -> object:
    """No spreadsheet formula from a name: a text starting with = + - @ gets a leading apostrophe."""
    if isinstance(cell, str) and cell[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + cell
    return cell


def ties_csv(network: Network) -> bytes:
    """Every recorded tie of the network, and every referral flow (counts under disclosure control)."""
    rows: list[list[object]] = [
        ["kind", "from_id", "from", "to_id", "to", "starts_on", "ends_on", "place", "referrals_sent", "accepted",
         "attended", "median_days_to_attention"]
    ]  # fmt: skip
    label = {key: actor.label for key, actor in network.actors.items()}
    for tie in network.ties:
        rows.append(
            [tie.kind, tie.from_key, label[tie.from_key], tie.to_key, label[tie.to_key], tie.starts_on.isoformat(),
             tie.ends_on.isoformat() if tie.ends_on else "", tie.place, "", "", "", ""]
        )  # fmt: skip
    start, end = network.start.isoformat(), network.end.isoformat()
    for flow in network.flows:
        small = shown_count(flow.sent) is None
        rows.append(
            [REFERRALS, flow.sender, label[flow.sender], flow.receiver, label[flow.receiver], start, end,
             network.place.name, _referrals_text(flow.sent), "" if small else _referrals_text(flow.accepted),
             "" if small else _referrals_text(flow.attended),
             "" if small or shown_count(flow.attended) is None or flow.median_days is None else flow.median_days]
        )  # fmt: skip
    return _csv(rows)


def centralities_csv(network: Network, analysis: Analysis, graph: nx.Graph) -> bytes:
    brokers = {b.key: b.cut_off for b in analysis.brokers}
    isolated = set(analysis.isolated)
    rows: list[list[object]] = [
        ["id", "name", "kind", "department", "degree", "degree_centrality", "betweenness", "broker", "cut_off",
         "isolated"]
    ]  # fmt: skip
    order = sorted(
        graph.nodes,
        key=lambda k: (-analysis.betweenness.get(k, 0.0), -analysis.degree.get(k, 0.0), network.actors[k].label, k),
    )
    for key in order:
        actor = network.actors[key]
        rows.append(
            [key, actor.label, actor.kind, actor.department, graph.degree(key),
             round(analysis.degree.get(key, 0.0), 6), round(analysis.betweenness.get(key, 0.0), 6),
             "yes" if key in brokers else "no", brokers.get(key, ""), "yes" if key in isolated else "no"]
        )  # fmt: skip
    return _csv(rows)
