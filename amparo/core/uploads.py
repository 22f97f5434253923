"""Checking and cleaning uploads (safe-channel attachments, legal documents) before they are encrypted.

The type is decided by the file's contents (the `filetype` package reads magic numbers), never by its name or the
browser's claim; a file whose contents do not match its extension is refused as disguised. Images are decoded and
re-encoded with Pillow, which drops EXIF (GPS position, phone model, time), XMP and comments; their size is checked
from the header before any pixel is decoded. PDFs and audio are kept as sent (their metadata can still name the
author or device: the form says so).

Uploads are read in memory only (`LimitedMemoryUploadHandler`): no plaintext copy lands in a temporary file.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, MemoryFileUploadHandler, SkipFile, StopUpload
from PIL import Image, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
ALLOWED = {
    "image/jpeg": {"jpg", "jpeg"},
    "image/png": {"png"},
    "image/webp": {"webp"},
    "application/pdf": {"pdf"},
    "audio/mpeg": {"mp3"},
    "audio/ogg": {"ogg", "oga", "opus"},
    "audio/mp4": {"m4a", "mp4", "aac"},
    "audio/aac": {"aac"},
    "audio/x-wav": {"wav"},
    "audio/amr": {"amr"},
    "video/webm": {"webm", "weba"},  # browsers record voice notes as WebM audio
}
# Decoded pixels at most: a 12 MP phone photo and a 3 MP screenshot fit; a 48/108/200 MP photo is decoded in JPEG
# draft mode at a reduced scale; a larger PNG or WebP is refused before decoding (a 6300 x 6300 PNG of 150 KB
# would otherwise take 120 MB per decoded copy).
MAX_PIXELS = 16_000_000
MAX_SIDE = 65_500  # JPEG's own limit; also bounds a PNG or WebP header that claims an absurd side
DECODERS: dict[str, Callable[[IO[bytes]], ImageFile.ImageFile]] = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
}


class AttachmentRejected(ValueError):
    """`code` says why: too_big, empty, unknown_type, disguised, broken_image, too_many_pixels, skipped."""

    def __init__(self, code: str, name: str) -> None:
        super().__init__(code)
        self.code = code
        self.name = name


@dataclass(frozen=True)
class CleanFile:
    name: str
    content_type: str
    data: bytes

    @property
    def identity(self) -> str:
        """Its name and a hash of its bytes: what a one-time form's fingerprint (core/once.py) knows of a file."""
        return f"{self.name}\n{hashlib.sha256(self.data).hexdigest()}"


def safe_name(name: str) -> str:
    base = PurePath(str(name).replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"/|?*')[:100]
    return cleaned or "file"


def clean_upload(upload: UploadedFile) -> CleanFile:
    name = safe_name(upload.name or "")
    if getattr(upload, "amparo_skipped", False):
        raise AttachmentRejected("too_big", name)
    if upload.size is not None and upload.size > settings.SAFECHANNEL_MAX_FILE_BYTES:
        raise AttachmentRejected("too_big", name)
    data = upload.read()
    if not data:
        raise AttachmentRejected("empty", name)
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED:
        raise AttachmentRejected("unknown_type", name)
    extension = PurePath(name).suffix.lower().lstrip(".")
    if extension and extension not in ALLOWED[kind.mime]:
        raise AttachmentRejected("disguised", name)
    if kind.mime in IMAGE_FORMATS:
        data = strip_image(data, IMAGE_FORMATS[kind.mime], name)
    return CleanFile(name=name, content_type=kind.mime, data=data)


def _open_header(data: bytes, fmt: str) -> ImageFile.ImageFile:
    """Read the header only, with the decoder the contents named (never Pillow's guess among every format it
    knows), and without Pillow's process-wide decompression-bomb threshold: the caps below are ours."""
    return DECODERS[fmt](io.BytesIO(data))


def _draft_size(width: int, height: int) -> tuple[int, int] | None:
    """The JPEG draft size (1/2, 1/4 or 1/8 scale, decoded in the DCT) that fits MAX_PIXELS, or None."""
    for scale in (1, 2, 4, 8):
        size = (-(-width // scale), -(-height // scale))
        if size[0] * size[1] <= MAX_PIXELS:
            return size
    return None


def strip_image(data: bytes, fmt: str, name: str) -> bytes:
    """Decode and re-encode: the new file carries pixels only (orientation applied first, so nothing turns).

    Bounded before decoding (DESIGN.md rule 10): the declared size is read from the header and checked first; a
    JPEG larger than MAX_PIXELS (a 48, 108 or 200 MP phone photo) is decoded in draft mode at 1/2, 1/4 or 1/8
    scale, so the decoder never holds more than MAX_PIXELS; a PNG or WebP larger than MAX_PIXELS is refused
    without decoding. One decoded copy is held (two while a rotated photo is turned), then the encoder's output.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open_header(data, fmt) as image:
                width, height = image.size
                if width < 1 or height < 1 or max(width, height) > MAX_SIDE:
                    raise AttachmentRejected("too_many_pixels", name)
                if fmt == "JPEG" and width * height > MAX_PIXELS:
                    draft = _draft_size(width, height)
                    if draft is None:
                        raise AttachmentRejected("too_many_pixels", name)
                    image.draft("RGB" if image.mode not in {"L", "RGB"} else image.mode, draft)
                if image.width * image.height > MAX_PIXELS:
                    raise AttachmentRejected("too_many_pixels", name)
                decode(image)
                ImageOps.exif_transpose(image, in_place=True)
                kept: dict[str | tuple[int, int], Any] = {}
                if "transparency" in image.info:
                    kept["transparency"] = image.info["transparency"]
                image.info = kept  # EXIF, GPS, XMP, ICC, comments: gone before encoding
                out = io.BytesIO()
                pixels: Image.Image = image
                if fmt == "JPEG" and image.mode not in {"RGB", "L"}:
                    pixels = image.convert("RGB")
                pixels.save(out, format=fmt, **({"quality": 90} if fmt in {"JPEG", "WEBP"} else {}))
    except AttachmentRejected:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise AttachmentRejected("broken_image", name) from exc
    return out.getvalue()


def decode(image: ImageFile.ImageFile) -> None:
    """The one place an untrusted image is decoded (tests count its calls to prove a refused upload is not)."""
    image.load()


class LimitedMemoryUploadHandler(MemoryFileUploadHandler):
    """Keeps every upload in memory (no temporary file holds plaintext) and skips a file past the size limit,
    so the rest of the form (her text) still arrives and the form can come back filled with an error."""

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        super().handle_raw_input(*args, **kwargs)
        self.activated = True  # memory for every size; the limit below bounds it

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        self.received = 0
        self.count = getattr(self, "count", 0) + 1
        if self.count > settings.SAFECHANNEL_MAX_FILES:
            self.skipped = [*getattr(self, "skipped", []), file_name]
            raise SkipFile
        super().new_file(field_name, file_name, *args, **kwargs)  # raises StopFutureHandlers: must come last

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.SAFECHANNEL_MAX_FILE_BYTES:
            self.skipped = [*getattr(self, "skipped", []), self.file_name]
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


class DiscardFilesUploadHandler(FileUploadHandler):
    """For a request refused before its body was read: file parts are read from the wire chunk by chunk and
    dropped (never buffered, never decoded), while the text fields are still parsed (bounded by Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE), so the form comes back with her text and a note to choose the files again."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.discarded: list[str] = []

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        if file_name:
            self.discarded.append(file_name)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        return None  # dropped

    def file_complete(self, file_size: int) -> None:
        return None  # no file object: request.FILES stays empty


class BoundedMemoryUploadHandler(MemoryFileUploadHandler):
    """Every file of a multipart body in memory (no temporary file holds an answer in clear), each bounded while it
    arrives: past `max_file_bytes`, or past `max_files` files, `too_large` is set and the upload stops (phones: the
    whole submission is refused) or, with `skip=True`, that file is skipped and the other fields still arrive (staff
    forms: the page comes back with the reason)."""

    def __init__(self, request: Any = None, *, max_file_bytes: int, max_files: int, skip: bool = False) -> None:
        super().__init__(request)
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.skip = skip
        self.files_seen = 0
        self.received = 0
        self.too_large = False

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        super().handle_raw_input(*args, **kwargs)
        self.activated = True  # memory for every size; the limits below bound it

    def _refuse(self) -> None:
        self.too_large = True
        if self.skip:
            raise SkipFile
        raise StopUpload(connection_reset=False)

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        self.received = 0
        self.files_seen += 1
        if self.files_seen > self.max_files:
            self._refuse()
        super().new_file(field_name, file_name, *args, **kwargs)  # raises StopFutureHandlers: must come last

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.max_file_bytes:
            self._refuse()
        return super().receive_data_chunk(raw_data, start)


def declared_length(meta: dict[str, Any]) -> int | None:
    """The request's Content-Length, or None when absent or not a number."""
    try:
        length = int(meta.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if length >= 0 else None
