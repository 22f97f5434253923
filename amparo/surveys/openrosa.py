"""The OpenRosa protocol, as ODK Collect and KoboCollect speak it (pure functions: no views, no queries).

- Documents: the form list (`xformsList`), the manifest (`xformsManifest`) and the `OpenRosaResponse` message, built
  with ElementTree so every value is escaped.
- Headers every answer carries: `X-OpenRosa-Version: 1.0` and `Date` (the HTTP Request API); the submission's
  answers add `X-OpenRosa-Accept-Content-Length`.
- HTTP Basic credentials read from the `Authorization` header (the phones send them when the server asks with a
  `WWW-Authenticate: Basic` challenge, over HTTPS).
- `BoundedMemoryUploadHandler`: the body of a submission is read in memory only, each file bounded while it
  arrives, so nothing larger than the limits is ever held or decoded.

Specifications: https://docs.getodk.org/openrosa-http/, openrosa-form-list/, openrosa-form-submission/.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, tostring

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import http_date

OPENROSA_VERSION = "1.0"
XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"
REALM = "Amparo"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"
# How the XForm refers to files the phone downloads with the manifest (select_one_from_file, images, audio).
MEDIA_REFERENCES = ("jr://file/", "jr://file-csv/", "jr://images/", "jr://audio/", "jr://video/")


def max_submission_bytes() -> int:
    """The largest submission body accepted (told to phones as X-OpenRosa-Accept-Content-Length)."""
    return int(getattr(settings, "SURVEYS_MAX_SUBMISSION_BYTES", 50 * 1024 * 1024))


@dataclass(frozen=True)
class ListedForm:
    form_id: str
    name: str
    version: str
    md5: str
    download_url: str
    manifest_url: str = ""


@dataclass(frozen=True)
class ListedMedia:
    filename: str
    md5: str
    download_url: str


def _document(root: Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8", xml_declaration=False)


def form_list_xml(forms: Iterable[ListedForm]) -> bytes:
    root = Element("xforms", {"xmlns": XFORMS_LIST_NS})
    for form in forms:
        item = SubElement(root, "xform")
        SubElement(item, "formID").text = form.form_id
        SubElement(item, "name").text = form.name
        SubElement(item, "version").text = form.version
        SubElement(item, "hash").text = f"md5:{form.md5}"
        SubElement(item, "downloadUrl").text = form.download_url
        if form.manifest_url:
            SubElement(item, "manifestUrl").text = form.manifest_url
    return _document(root)


def manifest_xml(files: Iterable[ListedMedia]) -> bytes:
    root = Element("manifest", {"xmlns": MANIFEST_NS})
    for media in files:
        item = SubElement(root, "mediaFile")
        SubElement(item, "filename").text = media.filename
        SubElement(item, "hash").text = f"md5:{media.md5}"
        SubElement(item, "downloadUrl").text = media.download_url
    return _document(root)


def response_xml(message: str, *, error: bool) -> bytes:
    root = Element("OpenRosaResponse", {"xmlns": RESPONSE_NS, "items": "0"})
    SubElement(root, "message", {"nature": "error" if error else "submit_success"}).text = message
    return _document(root)


def needs_manifest(xform: str, has_media: bool) -> bool:
    """Whether the form list gives a manifest URL: the version has files, or its XForm refers to some."""
    return has_media or any(reference in xform for reference in MEDIA_REFERENCES)


def with_openrosa_headers(response: HttpResponse, *, accept_length: bool = False) -> HttpResponse:
    response["X-OpenRosa-Version"] = OPENROSA_VERSION
    response["Date"] = http_date()
    if accept_length:
        response["X-OpenRosa-Accept-Content-Length"] = str(max_submission_bytes())
    return response


def xml_response(body: bytes, status: int = 200, *, accept_length: bool = False) -> HttpResponse:
    return with_openrosa_headers(
        HttpResponse(body, status=status, content_type=XML_CONTENT_TYPE), accept_length=accept_length
    )


def message_response(message: str, status: int, *, accept_length: bool = True) -> HttpResponse:
    """An OpenRosa message: Collect shows its text to the enumerator (success or error)."""
    return xml_response(response_xml(message, error=status >= 400), status, accept_length=accept_length)


def challenge(message: str) -> HttpResponse:
    """401 with the Basic challenge that makes Collect ask for (or send) the server's user name and secret."""
    response = message_response(message, 401)
    response["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(user name, secret) from an `Authorization: Basic ...` header, or None when it is absent or malformed."""
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value or len(value) > 1024:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    username, sep, secret = decoded.partition(":")
    if not sep or not username or not secret:
        return None
    return username, secret
