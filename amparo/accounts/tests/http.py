"""A tiny real-HTTP browser for tests: cookies, CSRF tokens from forms, no redirects followed automatically."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass


@dataclass
class Response:
    status: int
    url: str
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect())

    def request(
        self,
        path: str,
        data: dict[str, str] | list[tuple[str, str]] | None = None,
        *,
        referer: bool = True,
        files: list[tuple[str, str, bytes]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """GET, or POST `data` (form-encoded; multipart with `files`: (field, file name, content) triples)."""
        url = path if path.startswith("http") else self.base_url + path
        body: bytes | None = None
        content_type = ""
        if files is not None:
            body, content_type = _multipart(list(data.items()) if isinstance(data, dict) else data or [], files)
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(url, data=body)  # noqa: S310 - the live test server on localhost
        if content_type:
            req.add_header("Content-Type", content_type)
        if body is not None and referer:
            req.add_header("Referer", url)
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with self.opener.open(req, timeout=30) as resp:
                return Response(resp.status, url, dict(resp.headers), resp.read().decode())
        except urllib.error.HTTPError as err:
            return Response(err.code, url, dict(err.headers), err.read().decode())

    def cookie_names(self) -> set[str]:
        return {cookie.name for cookie in self.cookies}

    def get(self, path: str) -> Response:
        return self.request(path)

    def follow(self, response: Response, limit: int = 5) -> Response:
        while response.status in {301, 302, 303} and limit:
            response = self.get(urllib.parse.urljoin(response.url, response.location))
            limit -= 1
        return response

    def submit(self, path: str, fields: dict[str, str]) -> Response:
        """GET the form page, then POST the fields with its CSRF token, as a browser would."""
        page = self.get(path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, f"no CSRF token on {path} ({page.status})"
        return self.request(path, {"csrfmiddlewaretoken": match.group(1), **fields})


def _multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = f"----amparo{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
