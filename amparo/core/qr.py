"""QR codes drawn on the server as SVG (segno), so a page needs no script or third party: the pathways' pocket
cards and the staff's two-factor set-up (plumbing shared by pathways and accounts, hence in core)."""

from __future__ import annotations

import segno


def qr_svg(url: str) -> str:
    """An inline <svg> element encoding url, black on white, sized by its viewBox."""
    code = segno.make(url, error="m", micro=False)
    return code.svg_inline(scale=4, border=2, dark="#000", light="#fff", omitsize=True, svgclass="qr")
