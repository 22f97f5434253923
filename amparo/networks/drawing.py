"""The network as a server-side SVG (docs/networks.md, "Pictures and exports"): no JavaScript, printable on A4.

Up to `MAX_DRAWN_ACTORS` actors the picture shows each actor: a networkx spring layout of the linked actors
(seeded: the same network is drawn the same way) with the isolated ones in rows below, node area by betweenness
centrality, colour by kind, brokers ringed in black with a diamond, and a title on each node and link for screen
readers and for hovering. Above it, the picture sums the network by department (a node per department at its map
position, links summed) rather than hang the page.

Colour is never the only signal: the legend names each kind, brokers also carry a diamond, and the page lists the
brokers and isolated actors in text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import networkx as nx
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.vocab import OrganizationKind

from .analysis import REFERRALS, WORKS_AT, Analysis, aggregate_by_department
from .models import TieKind
from .selectors import DISCLOSURE_MIN, Network

MAX_DRAWN_ACTORS = 300
LABELLED_ACTORS = 40  # every node is labelled up to this many actors; above it, only the brokers
WIDTH, HEIGHT, LEGEND = 800, 560, 150
MARGIN = 40
ISOLATED_PER_ROW, ISOLATED_ROWS, ISOLATED_ROW_HEIGHT = 4, 4, 34  # isolated actors: at least 4 a row, at most 4 rows
LABEL_HALF_WIDTH = 45  # pixels kept free at each side of the linked actors for their centred labels

# Okabe-Ito and neighbours: distinguishable with the common colour-vision deficiencies.
KIND_COLOURS: dict[str, str] = {
    OrganizationKind.NGO: "#0072B2",
    OrganizationKind.SEX_WORKER_LED: "#CC79A7",
    OrganizationKind.HEALTH: "#009E73",
    OrganizationKind.PROSECUTOR: "#D55E00",
    OrganizationKind.COMISARIA: "#E69F00",
    OrganizationKind.OMBUDSMAN: "#56B4E9",
    OrganizationKind.CHILD_WELFARE: "#F0E442",
    OrganizationKind.LOCAL_GOVERNMENT: "#999999",
    OrganizationKind.POLICE: "#6A3D9A",
    OrganizationKind.INTERNATIONAL: "#8C564B",
    OrganizationKind.OTHER: "#C7C7C7",
    "focal-point": "#FFFFFF",
}
LINK_COLOURS = {REFERRALS: "#1F4E9C", WORKS_AT: "#9E9E9E", "tie": "#555555"}


def kind_label(kind: str) -> str:
    if kind == "focal-point":
        return _("Focal point")
    try:
        return str(OrganizationKind(kind).label)
    except ValueError:
        return kind


def link_kinds_label(kinds: set[str]) -> str:
    labels = []
    for kind in sorted(kinds):
        if kind == REFERRALS:
            labels.append(_("Referrals"))
        elif kind == WORKS_AT:
            labels.append(_("Works at"))
        else:
            labels.append(str(TieKind(kind).label) if kind in TieKind.values else kind)
    return ", ".join(labels)


@dataclass(frozen=True)
class Picture:
    svg: str
    aggregated: bool
    drawn_nodes: int


def draw(network: Network, analysis: Analysis, graph: nx.Graph, title: str) -> Picture:
    if graph.number_of_nodes() > MAX_DRAWN_ACTORS:
        return _draw_aggregated(network, graph, title)
    return _draw_actors(network, analysis, graph, title)


def _frame(title: str, description: str, body: list[str]) -> str:
    total = HEIGHT + LEGEND
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {total}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="net-title net-desc" '
        f'font-family="sans-serif" font-size="11">'
        f'<title id="net-title">{escape(title)}</title><desc id="net-desc">{escape(description)}</desc>'
        f'<rect x="0" y="0" width="{WIDTH}" height="{total}" fill="#FFFFFF"/>' + "".join(body) + "</svg>"
    )


def _layout(graph: nx.Graph) -> dict[str, tuple[float, float]]:
    """Positions in the picture: the linked actors by a seeded spring layout over the upper band, the isolated ones
    in rows along the bottom. Laid out together, the isolated actors (repelled by everything, held by nothing) took
    the edges of the picture and squeezed the linked core into a knot in the middle where the labels overlapped
    (Cúcuta's demo network); apart, the core gets the whole width and the isolated are easy to count."""
    linked = sorted((n for n in graph.nodes if graph.degree(n) > 0), key=str)
    isolated = sorted((n for n in graph.nodes if graph.degree(n) == 0), key=str)
    per_row = _isolated_per_row(len(isolated))
    rows = math.ceil(len(isolated) / per_row)
    band = rows * ISOLATED_ROW_HEIGHT
    positions: dict[str, tuple[float, float]] = {}
    if linked:
        # k: the natural distance between nodes; networkx's default (1/sqrt(n)) packs a small network tightly.
        spring = nx.spring_layout(graph.subgraph(linked), seed=7, iterations=60, k=2.5 / math.sqrt(len(linked)))
        # Room for the labels: half a label's width at each side, a row's height above the isolated actors.
        positions.update(
            _scale(
                {key: (float(p[0]), float(p[1])) for key, p in spring.items()},
                bottom=band + (ISOLATED_ROW_HEIGHT if isolated else 0),
                side=LABEL_HALF_WIDTH,
            )
        )
    step = (WIDTH - 2 * MARGIN) / per_row
    for i, key in enumerate(isolated):
        row, column = divmod(i, per_row)
        x = MARGIN + (column + 0.5) * step
        y = HEIGHT - MARGIN - band + (row + 0.5) * ISOLATED_ROW_HEIGHT
        positions[key] = (round(x, 1), round(y, 1))
    return positions


def _isolated_per_row(count: int) -> int:
    return max(ISOLATED_PER_ROW, math.ceil(count / ISOLATED_ROWS))


def _label_chars(graph: nx.Graph, key: str) -> int:
    """How many characters of a label fit: an isolated actor's label must stay inside its column."""
    if graph.degree(key):
        return 26
    isolated = sum(1 for n in graph.nodes if graph.degree(n) == 0)
    return max(8, min(26, int((WIDTH - 2 * MARGIN) / _isolated_per_row(isolated) / 6.5)))


def _scale(
    positions: dict[str, tuple[float, float]], *, bottom: float = 0.0, side: float = 0.0
) -> dict[str, tuple[float, float]]:
    """Fit layout coordinates into the picture, leaving `bottom` pixels free above the lower margin and `side`
    pixels inside the left and right ones."""
    if not positions:
        return {}
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    inner_w, inner_h = WIDTH - 2 * (MARGIN + side), HEIGHT - 2 * MARGIN - bottom
    out = {}
    for key, (x, y) in positions.items():
        px = MARGIN + side + (x - min(xs)) / span_x * inner_w if len(xs) > 1 else WIDTH / 2
        py = MARGIN + (max(ys) - y) / span_y * inner_h if len(ys) > 1 else MARGIN + inner_h / 2
        out[key] = (round(px, 1), round(py, 1))
    return out


def _short(text: str, limit: int = 26) -> str:
    text = text.replace(" (demo)", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _draw_actors(network: Network, analysis: Analysis, graph: nx.Graph, title: str) -> Picture:
    positions = _layout(graph)
    brokers = {b.key for b in analysis.brokers}
    top = max(analysis.betweenness.values(), default=0.0) or 1.0
    body: list[str] = ['<g class="links">']
    for a, b, data in graph.edges(data=True):
        (x1, y1), (x2, y2) = positions[a], positions[b]
        kinds: set[str] = data["kinds"]
        colour = (
            LINK_COLOURS[REFERRALS]
            if REFERRALS in kinds
            else LINK_COLOURS[WORKS_AT]
            if kinds == {WORKS_AT}
            else LINK_COLOURS["tie"]
        )
        # Banded so that the picture tells no referral count below the disclosure threshold.
        weight = data["weight"]
        width = 1.0 if weight < DISCLOSURE_MIN else 1.0 + min(3.0, math.log2(weight / DISCLOSURE_MIN + 1))
        dash = ' stroke-dasharray="3 3"' if kinds == {WORKS_AT} else ""
        label = f"{network.actors[a].label} — {network.actors[b].label}: {link_kinds_label(kinds)}"
        body.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}" stroke-width="{width:.1f}"'
            f' stroke-opacity="0.7"{dash}><title>{escape(label)}</title></line>'
        )
    body.append('</g><g class="actors">')
    labelled = graph.number_of_nodes() <= LABELLED_ACTORS
    for key, (x, y) in positions.items():
        actor = network.actors[key]
        share = analysis.betweenness.get(key, 0.0) / top
        radius = 4.0 + 14.0 * math.sqrt(share)
        if actor.kind == "focal-point":
            radius = 3.5
        fill = KIND_COLOURS.get(actor.kind, KIND_COLOURS[OrganizationKind.OTHER])
        broker = key in brokers
        stroke = ' stroke="#000000" stroke-width="3"' if broker else ' stroke="#333333" stroke-width="0.8"'
        words = [actor.label, kind_label(actor.kind)]
        words.append(_("degree %(degree)s") % {"degree": graph.degree(key)})
        if broker:
            words.append(_("broker: without it the network breaks apart"))
        body.append(f"<g><title>{escape(' · '.join(words))}</title>")
        body.append(f'<circle cx="{x}" cy="{y}" r="{radius:.1f}" fill="{fill}"{stroke}/>')
        if broker:
            d = radius + 5
            body.append(
                f'<path d="M{x} {y - d - 6}l5 6l-5 6l-5-6z" fill="#000000"/>'  # a diamond above the node
            )
        if labelled or broker:
            body.append(
                f'<text x="{x}" y="{y + radius + 11:.1f}" text-anchor="middle" fill="#111111">'
                f"{escape(_short(actor.label, _label_chars(graph, key)))}</text>"
            )
        body.append("</g>")
    body.append("</g>")
    body += _legend(sorted({a.kind for a in network.actors.values()}))
    description = ngettext(
        "%(actors)s actor and %(ties)s links; node size shows betweenness centrality, colour the kind of actor, "
        "a black ring and diamond a broker.",
        "%(actors)s actors and %(ties)s links; node size shows betweenness centrality, colour the kind of actor, "
        "a black ring and diamond a broker.",
        graph.number_of_nodes(),
    ) % {"actors": graph.number_of_nodes(), "ties": graph.number_of_edges()}
    return Picture(_frame(title, description, body), aggregated=False, drawn_nodes=len(positions))


def _legend(kinds: list[str]) -> list[str]:
    body = [f'<g class="legend" transform="translate(10 {HEIGHT + 8})">']
    body.append(f'<text x="0" y="10" font-weight="bold">{escape(_("Kind of actor"))}</text>')
    for i, kind in enumerate(kinds):
        x, y = 10 + (i % 3) * 260, 28 + (i // 3) * 18
        fill = KIND_COLOURS.get(kind, KIND_COLOURS[OrganizationKind.OTHER])
        body.append(f'<circle cx="{x}" cy="{y - 4}" r="6" fill="{fill}" stroke="#333333" stroke-width="0.8"/>')
        body.append(f'<text x="{x + 12}" y="{y}">{escape(kind_label(kind))}</text>')
    y = 28 + ((len(kinds) + 2) // 3) * 18 + 6
    body.append(f'<circle cx="10" cy="{y - 4}" r="6" fill="#FFFFFF" stroke="#000000" stroke-width="3"/>')
    body.append(f'<path d="M10 {y - 20}l5 6l-5 6l-5-6z" fill="#000000"/>')
    body.append(f'<text x="22" y="{y}">{escape(_("Broker (its removal disconnects the network)"))}</text>')
    body.append(
        f'<line x1="330" y1="{y - 4}" x2="360" y2="{y - 4}" stroke="{LINK_COLOURS[REFERRALS]}" stroke-width="2.5"/>'
    )
    body.append(f'<text x="366" y="{y}">{escape(_("Referrals"))}</text>')
    body.append(f'<line x1="450" y1="{y - 4}" x2="480" y2="{y - 4}" stroke="{LINK_COLOURS["tie"]}" stroke-width="2"/>')
    body.append(f'<text x="486" y="{y}">{escape(_("Recorded tie"))}</text>')
    body.append(
        f'<line x1="600" y1="{y - 4}" x2="630" y2="{y - 4}" stroke="{LINK_COLOURS[WORKS_AT]}" stroke-width="1.5"'
        ' stroke-dasharray="3 3"/>'
    )
    body.append(f'<text x="636" y="{y}">{escape(_("Works at"))}</text>')
    body.append("</g>")
    return body


def _draw_aggregated(network: Network, graph: nx.Graph, title: str) -> Picture:
    aggregate = aggregate_by_department(network, graph)
    summed = aggregate.graph
    raw: dict[str, tuple[float, float]] = {}
    for i, code in enumerate(sorted(summed.nodes)):
        lat, lon = network.department_points.get(code, (0.0, 0.0) if code == "?" else (0.0, float(i)))
        raw[code] = (lon, lat)
    positions = _scale(raw)
    top_actors = max((summed.nodes[n]["actors"] for n in summed.nodes), default=1)
    top_weight = max((d["weight"] for _a, _b, d in summed.edges(data=True)), default=1)
    body = ['<g class="links">']
    for a, b, data in summed.edges(data=True):
        (x1, y1), (x2, y2) = positions[a], positions[b]
        width = 1.0 + 9.0 * data["weight"] / top_weight
        label = _("%(a)s — %(b)s: %(n)s links") % {
            "a": network.department_names.get(a, a),
            "b": network.department_names.get(b, b),
            "n": data["weight"],
        }
        body.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{LINK_COLOURS["tie"]}" stroke-width="{width:.1f}"'
            f' stroke-opacity="0.6"><title>{escape(label)}</title></line>'
        )
    body.append('</g><g class="departments">')
    for code, (x, y) in positions.items():
        actors = summed.nodes[code]["actors"]
        radius = 6.0 + 24.0 * math.sqrt(actors / top_actors)
        name = network.department_names.get(code, _("Unknown department") if code == "?" else code)
        words = _("%(name)s: %(actors)s actors, %(internal)s links inside") % {
            "name": name,
            "actors": actors,
            "internal": aggregate.internal.get(code, 0),
        }
        body.append(
            f'<g><title>{escape(words)}</title><circle cx="{x}" cy="{y}" r="{radius:.1f}" fill="#56B4E9"'
            f' stroke="#333333" stroke-width="1"/><text x="{x}" y="{y + radius + 12:.1f}" text-anchor="middle">'
            f"{escape(name)} ({actors})</text></g>"
        )
    body.append("</g>")
    body.append(f'<g class="legend" transform="translate(10 {HEIGHT + 20})">')
    note = _(
        "%(actors)s actors are too many to draw one by one: each circle is a department (its size: its actors), "
        "each line the links between two departments (its width: how many)."
    ) % {"actors": graph.number_of_nodes()}
    for i, line in enumerate(_wrap(note, 110)):
        body.append(f'<text x="0" y="{i * 16}">{escape(line)}</text>')
    body.append("</g>")
    description = _("The network summed by department: %(departments)s departments, %(actors)s actors.") % {
        "departments": summed.number_of_nodes(),
        "actors": graph.number_of_nodes(),
    }
    return Picture(_frame(title, description, body), aggregated=True, drawn_nodes=summed.number_of_nodes())


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines
