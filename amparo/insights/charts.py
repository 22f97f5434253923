"""Charts of `StatTable`s as server-side SVG (issue 16, part 4): horizontal bars, lines for months, small
multiples by zone type. No JavaScript, no third-party library: a few rectangles and lines drawn from the table's
shown counts (a plotting library would add a dependency and its fonts for what is arithmetic; the networks'
picture is drawn the same way).

Every chart has a `<title>` and a `<desc>` (what it counts, how many hidden), is `role="img"` labelled by them,
and is shown next to the table it draws (`insights/_table.html`, a real `<table>` for screen readers). A hidden
count is never drawn as zero: its bar is hatched across the whole scale with the word "hidden", and a line breaks
where a month is hidden. Colours have their word beside them; printing keeps the drawing (black hatching).
Presentation attributes only (no `style`), so the Content-Security-Policy needs no `unsafe-inline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .display import TableView, hidden_text, table_view
from .tables import StatTable

WIDTH = 640
LABEL = 200  # room for the category labels, left of the bars
ROW = 22
PALETTE = ("#6A1B9A", "#00796B", "#E65100", "#455A64", "#AD1457", "#2E7D32")  # contrast >= 4.5:1 on white


@dataclass(frozen=True)
class Chart:
    kind: str  # "bars", "lines", "small_multiples"
    svg: SafeString
    table: StatTable

    @property
    def view(self) -> TableView:
        """The table beside the chart, hidden counts written as on every other page (display.py)."""
        return table_view(self.table)


def _short(label: str, room: int) -> str:
    """A label cut to the room left for it (about 7 px a character at 12 px), with an ellipsis when cut: the whole
    label is in the table beside the chart."""
    return label if len(label) <= room else label[: room - 1].rstrip() + "…"


def _hatch(uid: str) -> str:
    return (
        f'<defs><pattern id="{uid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#FFFFFF"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#555555" stroke-width="2"/></pattern></defs>'
    )


def _frame(uid: str, height: int, title: str, desc: str, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" class="chart">'
        f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(desc)}</desc>'
        f"{_hatch(uid)}" + "".join(body) + "</svg>"
    )


def _description(table: StatTable, drawn: str) -> str:
    hidden = table.protected.hidden
    text = f"{table.description} {drawn}"
    if table.protected.withheld:
        return text + " " + _("The whole table is withheld: no safe way to show it.")
    if hidden:
        text += " " + _(
            "%(n)s counts are hidden (fewer than %(threshold)s, or hidden so that a small count cannot be worked "
            "out); they are drawn hatched, never as zero."
        ) % {"n": hidden, "threshold": table.threshold}
    return text


def _uid(table: StatTable, kind: str) -> str:
    return "c-" + "".join(ch if ch.isalnum() else "-" for ch in f"{table.key}-{kind}")


def _bar_rows(
    uid: str, labels: Sequence[str], values: Sequence[int | None], top: int, left: int, width: int, scale: int,
    colour: str, hidden: str,
) -> list[str]:  # fmt: skip
    body = []
    hidden_word = escape(hidden)
    for k, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + k * ROW
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="#222222">'
            f"{escape(_short(label, 28))}</text>"
        )
        if value is None:
            body.append(
                f'<rect x="{left}" y="{y + 3}" width="{width}" height="{ROW - 6}" fill="url(#{uid}-hatch)" '
                f'stroke="#555555" stroke-width="0.5"/>'
                f'<text x="{left + 4}" y="{y + 15}" font-size="11" fill="#000000">{hidden_word}</text>'
            )
            continue
        w = round(width * value / scale) if scale else 0
        body.append(f'<rect x="{left}" y="{y + 3}" width="{w}" height="{ROW - 6}" fill="{colour}"/>')
        body.append(f'<text x="{left + w + 4}" y="{y + 15}" font-size="11" fill="#222222">{value}</text>')
    return body


def bars(table: StatTable) -> Chart:
    """One horizontal bar per row category: its total over the columns."""
    uid = _uid(table, "bars")
    values = list(table.shown_row_totals)
    labels = [c.label for c in table.row_categories]
    scale = max((v for v in values if v is not None), default=0)
    height = 10 + ROW * max(len(labels), 1)
    body = _bar_rows(uid, labels, values, 5, LABEL, WIDTH - LABEL - 50, scale, PALETTE[0], hidden_text(table))
    desc = _description(table, _("Bars: one per %(rows)s.") % {"rows": table.rows.label})
    return Chart("bars", _frame(uid, height, table.title, desc, body), table)


def small_multiples(table: StatTable) -> Chart:
    """One small bar chart per column category (zone types side by side), on one scale so they compare."""
    uid = _uid(table, "multiples")
    p = table.protected
    columns = [c.label for c in table.column_categories]
    labels = [c.label for c in table.row_categories]
    panel = (WIDTH - LABEL) // max(len(columns), 1)
    scale = max((v for row in p.cells for v in row if v is not None), default=0)
    height = 30 + ROW * max(len(labels), 1)
    body = []
    for k, label in enumerate(labels):
        body.append(
            f'<text x="{LABEL - 6}" y="{30 + k * ROW + 15}" text-anchor="end" font-size="12" fill="#222222">'
            f"{escape(_short(label, 28))}</text>"
        )
    for j, column in enumerate(columns):
        left = LABEL + j * panel
        body.append(
            f'<text x="{left + 4}" y="16" font-size="12" font-weight="bold" fill="#222222">'
            f"{escape(_short(column, max(6, panel // 8)))}</text>"
        )
        values = [row[j] for row in p.cells]
        rows = _bar_rows(
            uid, ["" for _ in labels], values, 30, left + 4, panel - 40, scale, PALETTE[j % len(PALETTE)],
            hidden_text(table),
        )  # fmt: skip
        body.extend(part for part in rows if 'text-anchor="end"' not in part)
    desc = _description(
        table, _("One panel per %(columns)s, bars per %(rows)s.") % {"columns": table.columns.label,
                                                                     "rows": table.rows.label}
    )  # fmt: skip
    return Chart("small_multiples", _frame(uid, height, table.title, desc, body), table)


def lines(table: StatTable) -> Chart:
    """Months along the bottom; one line per column category, and the total. A hidden month breaks the line and
    is hatched from top to bottom (a count is there, it is not shown)."""
    uid = _uid(table, "lines")
    p = table.protected
    months = [c.label for c in table.row_categories]
    n = max(len(months), 1)
    left, top, plot_w, plot_h = 50, 10, WIDTH - 50 - 150, 180
    series: list[tuple[str, list[int | None]]] = [(_("Total"), list(table.shown_row_totals))]
    series += [(c.label, [row[j] for row in p.cells]) for j, c in enumerate(table.column_categories)]
    scale = max((v for _label, values in series for v in values if v is not None), default=0) or 1
    step = plot_w / max(n - 1, 1)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#222222"/>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="11" fill="#222222">{scale}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11" fill="#222222">0</text>',
    ]
    for k, label in enumerate(months):
        x = left + k * step
        if k % max(1, n // 8) == 0:
            body.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="10" fill="#222222">'
                f"{escape(label)}</text>"
            )
    hidden_months = {k for _label, values in series for k, v in enumerate(values) if v is None}
    for k in sorted(hidden_months):
        x = left + k * step - min(step, 20) / 2
        body.append(
            f'<rect x="{x:.1f}" y="{top}" width="{min(step, 20):.1f}" height="{plot_h}" fill="url(#{uid}-hatch)" '
            f'opacity="0.6"/>'
        )
    for s, (label, values) in enumerate(series):
        colour = "#000000" if s == 0 else PALETTE[(s - 1) % len(PALETTE)]
        dash = ' stroke-dasharray="4 3"' if s == 0 else ""
        segment: list[str] = []
        for k, v in enumerate([*values, None]):
            if v is None:
                if len(segment) > 1:
                    body.append(
                        f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
                    )
                elif segment:
                    cx, cy = segment[0].split(",")
                    body.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
                segment = []
                continue
            segment.append(f"{left + k * step:.1f},{top + plot_h - plot_h * v / scale:.1f}")
        y = top + 12 + s * 16
        body.append(
            f'<line x1="{left + plot_w + 10}" y1="{y - 4}" x2="{left + plot_w + 30}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="2"{dash}/><text x="{left + plot_w + 34}" y="{y}" font-size="11" fill="#222222">'
            f"{escape(_short(label, 18))}</text>"
        )
    desc = _description(table, _("Lines: one per %(columns)s and the total, by month.") % {
        "columns": table.columns.label})  # fmt: skip
    return Chart("lines", _frame(uid, top + plot_h + 26, table.title, desc, body), table)


def chart_for(table: StatTable) -> Chart:
    """The chart that suits the table: lines for months, small multiples for a zone-type table with a few rows,
    bars otherwise."""
    if table.rows.key == "month" and len(table.row_categories) > 1:
        return lines(table)
    if table.columns.key == "zone_type" and len(table.row_categories) <= 10:
        return small_multiples(table)
    return bars(table)
