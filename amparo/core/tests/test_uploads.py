"""Untrusted images are bounded before they are decoded (DESIGN.md rule 10), and still lose their metadata."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from amparo.core import uploads
from amparo.core.uploads import MAX_PIXELS, AttachmentRejected, clean_upload


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The sizes at which images were decoded, recorded around the one real decode function."""
    seen: list[tuple[int, int]] = []
    real = uploads.decode

    def counting(image: Any) -> None:
        seen.append(image.size)
        real(image)

    monkeypatch.setattr(uploads, "decode", counting)
    return seen


def png(size: tuple[int, int], mode: str = "RGB", **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, format="PNG", **save)
    return out.getvalue()


def jpeg(size: tuple[int, int], **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 40, 200)).save(out, format="JPEG", quality=60, **save)
    return out.getvalue()


def test_a_decompression_bomb_png_is_refused_from_its_header(decodes: list[tuple[int, int]]) -> None:
    bomb = png((6300, 6300), optimize=True)
    assert len(bomb) < 200_000  # small on the wire, 119 MB per decoded copy
    with pytest.raises(AttachmentRejected) as refused:
        clean_upload(SimpleUploadedFile("bomb.png", bomb))
    assert refused.value.code == "too_many_pixels"
    assert decodes == []  # never decoded


def test_a_header_claiming_an_absurd_size_is_refused(decodes: list[tuple[int, int]]) -> None:
    # A PNG header that says 100000 x 1 (the pixel count is small, the side is not).
    with pytest.raises(AttachmentRejected):
        clean_upload(SimpleUploadedFile("wide.png", png((100_000, 1), mode="1")))
    assert decodes == []


def test_a_large_phone_jpeg_is_decoded_in_draft_mode(decodes: list[tuple[int, int]]) -> None:
    big = jpeg((8000, 6000))  # a 48 MP phone photo
    cleaned = clean_upload(SimpleUploadedFile("foto.jpg", big))
    assert len(decodes) == 1 and decodes[0][0] * decodes[0][1] <= MAX_PIXELS
    assert decodes[0] == (4000, 3000)  # half scale, decoded in the DCT
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.size == (4000, 3000)


def test_a_12_megapixel_photo_keeps_its_size(decodes: list[tuple[int, int]]) -> None:
    cleaned = clean_upload(SimpleUploadedFile("foto.jpg", jpeg((4000, 3000))))
    assert decodes == [(4000, 3000)]
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.size == (4000, 3000)


def test_metadata_is_stripped_from_jpeg_png_and_webp() -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"
    exif[0x0112] = 6  # rotated: the pixels are turned, the tag is gone
    photo = jpeg((64, 48), exif=exif, comment=b"SecretComment", xmp=b"<x:xmpmeta>SecretXmp</x:xmpmeta>")
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "SecretAuthor")
    screenshot = png((40, 30), pnginfo=text, exif=exif)
    out = io.BytesIO()
    Image.new("RGB", (40, 30)).save(out, format="WEBP", exif=exif, xmp=b"<x:xmpmeta>SecretXmp</x:xmpmeta>")
    for name, data in (("a.jpg", photo), ("b.png", screenshot), ("c.webp", out.getvalue())):
        cleaned = clean_upload(SimpleUploadedFile(name, data))
        assert b"Secret" not in cleaned.data, name
        with Image.open(io.BytesIO(cleaned.data)) as image:
            assert not image.getexif(), name
            if name == "a.jpg":
                assert image.size == (48, 64)  # orientation applied
