"""How many SMS segments a text takes, exactly (issue 17: "Spanish accents change the length").

An SMS is sent in one of two encodings:

- **GSM-7** (3GPP TS 23.038, the "GSM 03.38" default alphabet) when every character of the text is in its basic
  table or its extension table. A single message holds 160 septets; a longer text is split into segments of 153
  (7 septets of each go to the concatenation header). A character of the extension table (€ [ ] { } ^ ~ \\ | and
  the form feed) is sent as ESC + code: it takes TWO septets, and the pair is never split between two segments.
- **UCS-2** (UTF-16) as soon as ONE character is in neither table: the whole text then takes 70 characters in a
  single message and 67 per segment; a character outside the Basic Multilingual Plane (an emoji) takes two units,
  never split either.

The tables are data (`data/gsm0338.json`, with their source), not code. They are why Spanish and Portuguese texts
grow: é, ñ, ü, à, ¿ and ¡ are in GSM-7, but á, í, ó, ú, ã, õ, ê, â, ô and ç (small) are not, so a single "días"
turns a 160-character message into a 70-character one. `count` says which characters force UCS-2, and
`without_accents` offers the same text with those letters plain, when the campaign prefers one segment.

National language shift tables (3GPP TS 23.038 annex A, e.g. the Spanish single shift that adds á í ó ú) are not
counted: few phones and gateways use them, and a text counted without them never costs more than said.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE_FILE = Path(__file__).resolve().parent / "data" / "gsm0338.json"

GSM_SINGLE = 160
GSM_SEGMENT = 153
UCS2_SINGLE = 70
UCS2_SEGMENT = 67


@dataclass(frozen=True)
class Alphabet:
    basic: frozenset[str]
    extension: frozenset[str]
    source: str


@cache
def alphabet() -> Alphabet:
    data = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    basic = frozenset(data["basic"].values())
    extension = frozenset(data["extension"].values())
    if len(data["basic"]) != 127 or len(extension) != 10 or basic & extension:  # 128 codes, 0x1B is the escape
        raise ValueError(f"{TABLE_FILE} is not the GSM 03.38 table")
    return Alphabet(basic=basic, extension=extension, source=data["source"])


@dataclass(frozen=True)
class SmsCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    characters: int
    segments: int
    per_segment: int  # what one segment holds in this encoding, for this length (160/153 or 70/67)
    forcing_ucs2: tuple[str, ...]  # the characters that are not in GSM-7, in the order they first appear
    extension_characters: tuple[str, ...]  # GSM-7 characters that take two septets

    @property
    def is_gsm(self) -> bool:
        return self.encoding == "GSM-7"

    def over(self, budget: int) -> bool:
        return self.segments > budget


def _units(text: str, sizes: list[int], single: int, segment: int) -> int:
    """Segments for characters of the given sizes: one message if everything fits `single`, else greedy segments of
    `segment` units in which no character (an escape pair, a surrogate pair) is cut in two."""
    total = sum(sizes)
    if total <= single:
        return 1 if total else 0
    segments, room = 1, segment
    for size in sizes:
        if size > room:
            segments += 1
            room = segment
        room -= size
    return segments


def count(text: str) -> SmsCount:
    table = alphabet()
    forcing: list[str] = []
    extension: list[str] = []
    for ch in text:
        if ch in table.basic:
            continue
        if ch in table.extension:
            if ch not in extension:
                extension.append(ch)
        elif ch not in forcing:
            forcing.append(ch)
    if not forcing:
        sizes = [2 if ch in table.extension else 1 for ch in text]
        encoding, single, segment = "GSM-7", GSM_SINGLE, GSM_SEGMENT
    else:
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        encoding, single, segment = "UCS-2", UCS2_SINGLE, UCS2_SEGMENT
    segments = _units(text, sizes, single, segment)
    return SmsCount(
        encoding=encoding,
        units=sum(sizes),
        characters=len(text),
        segments=segments,
        per_segment=single if segments <= 1 else segment,
        forcing_ucs2=tuple(forcing),
        extension_characters=tuple(extension) if not forcing else (),
    )


def without_accents(text: str) -> str:
    """The text with every letter that is not in GSM-7 replaced by its plain letter (á -> a, ç -> c, õ -> o), the
    GSM-7 ones kept (é, ñ, ü); characters with no plain form are left as they are (the count still says so)."""
    table = alphabet()
    out = []
    for ch in text:
        if ch in table.basic or ch in table.extension:
            out.append(ch)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        out.append(plain if plain and all(c in table.basic for c in plain) else ch)
    return "".join(out)
