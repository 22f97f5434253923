"""Checking and cleaning attachments before they are encrypted.

The type is decided by the file's contents (the `filetype` package reads magic numbers), never by its name or the
browser's claim; a file whose contents do not match its extension is refused as disguised. Images are decoded and
re-encoded with Pillow, which drops EXIF (GPS position, phone model, time), XMP and comments. PDFs and audio are
kept as sent (their metadata can still name the author or device: the form says so).

Uploads are read in memory only (`LimitedMemoryUploadHandler`): no plaintext copy lands in a temporary file.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, SkipFile
from PIL import Image, ImageOps

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
MAX_PIXELS = 40_000_000


class AttachmentRejected(ValueError):
    """`code` says why: too_big, empty, unknown_type, disguised, broken_image, skipped."""

    def __init__(self, code: str, name: str) -> None:
        super().__init__(code)
        self.code = code
        self.name = name


@dataclass(frozen=True)
class CleanFile:
    name: str
    content_type: str
    data: bytes


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


def strip_image(data: bytes, fmt: str, name: str) -> bytes:
    """Decode and re-encode: the new file carries pixels only (orientation applied first, so nothing turns)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise AttachmentRejected("broken_image", name)
                image.load()
                upright = ImageOps.exif_transpose(image)
                pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
                palette = upright.getpalette() if upright.mode == "P" else None
                if palette:
                    pixels.putpalette(palette)
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if isinstance(exc, AttachmentRejected):
            raise
        raise AttachmentRejected("broken_image", name) from exc
    out = io.BytesIO()
    if fmt == "JPEG" and pixels.mode not in {"RGB", "L"}:
        pixels = pixels.convert("RGB")
    pixels.save(out, format=fmt, **({"quality": 90} if fmt in {"JPEG", "WEBP"} else {}))
    return out.getvalue()


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
