"""SMS segments counted exactly (sms.py): the GSM 03.38 table as data, known strings, every accent of Spanish and
Portuguese checked one by one."""

from __future__ import annotations

import json

import pytest

from amparo.campaigns import sms
from amparo.campaigns.materials import sms_problem


def test_the_table_is_the_gsm_0338_table_with_its_source() -> None:
    data = json.loads(sms.TABLE_FILE.read_text(encoding="utf-8"))
    assert "3GPP TS 23.038" in data["source"]
    assert len(data["basic"]) == 127  # 128 codes, 0x1B is the escape
    assert data["basic"]["0x00"] == "@" and data["basic"]["0x24"] == "¤" and data["basic"]["0x60"] == "¿"
    assert data["basic"]["0x09"] == "Ç"
    assert set(data["extension"].values()) == {"\f", "^", "{", "}", "\\", "[", "~", "]", "|", "€"}


# Verified one by one against 3GPP TS 23.038, clause 6.2.1 (basic table): in GSM-7 or not.
IN_GSM = "éÉñÑüÜàèùìòÇ¿¡ÄÖäö"
NOT_IN_GSM = "áÁíÍóÓúÚãÃõÕêÊâÂôÔçÀÈÌÒÙ"


@pytest.mark.parametrize("ch", list(IN_GSM))
def test_letters_in_gsm_7(ch: str) -> None:
    counted = sms.count(ch * 160)
    assert counted.encoding == "GSM-7" and counted.segments == 1


@pytest.mark.parametrize("ch", list(NOT_IN_GSM))
def test_letters_that_force_ucs2(ch: str) -> None:
    counted = sms.count("Hola " + ch)
    assert counted.encoding == "UCS-2" and counted.forcing_ucs2 == (ch,)


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # an extension character counts twice
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 152 + "[" + "a" * 152, "GSM-7", 306, 3),  # ... and is never cut in two: 306 septets, 3 segments
        ("a" * 151 + "[" + "a" * 153, "GSM-7", 306, 2),
        (
            "¿Necesitas ayuda? Llama al 155, es gratis y confidencial, 24 horas. Más información en amparo.org/r/abc",
            "UCS-2",
            103,
            2,
        ),
        (
            "¿Necesitas ayuda? Llama al 155, es gratis y confidencial, 24 horas. Mas informacion en amparo.org/r/abc",
            "GSM-7",
            103,
            1,
        ),
        ("á" * 70, "UCS-2", 70, 1),
        ("á" * 71, "UCS-2", 71, 2),
        ("á" * 134, "UCS-2", 134, 2),
        ("á" * 135, "UCS-2", 135, 3),
        ("a" * 66 + "😀" + "a" * 66, "UCS-2", 134, 3),  # an emoji is two UTF-16 units, never split: 134 units, 3
    ],
)
def test_known_strings(text: str, encoding: str, units: int, segments: int) -> None:
    counted = sms.count(text)
    assert (counted.encoding, counted.units, counted.segments) == (encoding, units, segments)


def test_one_accent_turns_160_characters_into_three_segments() -> None:
    text = "a" * 159 + "í"
    counted = sms.count(text)
    assert counted.segments == 3 and counted.forcing_ucs2 == ("í",)
    assert sms.count(sms.without_accents(text)).segments == 1


def test_without_accents_keeps_the_gsm_letters() -> None:
    assert sms.without_accents("días, ação, você, ñandú, café") == "dias, acao, voce, ñandu, café"


def test_a_text_over_its_budget_says_why_and_by_how_much() -> None:
    counted = sms.count("Atención: " + "a" * 70)
    with __import__("django").utils.translation.override("en"):
        message = sms_problem(counted, 1)
    assert "2 SMS segments" in message and "budget is 1" in message and "ó" in message and "UCS-2" in message
    assert sms_problem(sms.count("short"), 1) == ""
