"""PDFs from our own HTML with WeasyPrint, fetching nothing (situation reports, campaign materials, network plans).

`LocalOnlyFetcher` refuses every URL but inline `data:` URIs, so a document never reaches the network or the disk
while it renders: a stray link to an image or a style sheet is left out, never fetched (tested against a real
local HTTP server that must receive no request). The fonts are the machine's (DejaVu Sans on Debian).
"""

from __future__ import annotations

from typing import Any

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse


class LocalOnlyFetcher(URLFetcher):
    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if not url.startswith("data:"):
            self.refused.append(url)
            raise ValueError("our PDFs fetch nothing")
        return super().fetch(url, headers)


def render_pdf(html: str, fetcher: LocalOnlyFetcher | None = None) -> bytes:
    """The PDF of an HTML document (its own @page rules set the size), with the local fonts, fetching nothing."""
    pdf = HTML(string=html, base_url=None, url_fetcher=fetcher or LocalOnlyFetcher()).write_pdf()
    assert pdf is not None
    return pdf
