"""Reading a submitted instance: parsed safely (defusedxml: no DTDs, no entities, bounded size), identified (form id,
version, instanceID), and turned into the closed answers and facets that analysis counts.

Kept in clear (DESIGN.md rule 3): answers of select_one / select_multiple questions that are one of the form's
choices, numbers, dates, and calculations whose value is a number. Everything else, free text above all, stays only
in the encrypted raw instance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.utils.translation import gettext as _

from amparo.vocab import AgeBand, GenderIdentity, MigratoryStatus

from .xlsform import CLOSED_TYPES

_PCODE = re.compile(r"^[A-Za-z]{2}[A-Za-z0-9]{0,14}$")
_ISO2 = re.compile(r"^[A-Za-z]{2}$")
# ISO 3166's code for an unknown country, which forms use for "unknown" or "prefer not to answer" (the shipped
# instrument's skip choice): the nationality is not recorded, as when the answer is empty, so the characterisation
# counts it among "not recorded" rather than as a nationality of its own.
UNKNOWN_NATIONALITY = "ZZ"
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
ZONES = frozenset({"border", "urban", "rural"})
YES = frozenset({"yes", "si", "sí", "sim", "true", "1"})
NO = frozenset({"no", "não", "nao", "false", "0"})


class InstanceError(ValueError):
    """The XML is not an instance Amparo can read; the message says why, in words for the sender."""


@dataclass
class Extracted:
    answers: dict[str, Any] = field(default_factory=dict)
    facets: dict[str, Any] = field(default_factory=dict)


def max_instance_bytes() -> int:
    return int(getattr(settings, "SURVEYS_MAX_INSTANCE_BYTES", 2 * 1024 * 1024))


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_instance(xml: bytes) -> Element:
    """The instance's root element; raises InstanceError for XML that is too big, not well formed, or that declares
    a DTD or entities (expansion and external entities are refused, never resolved)."""
    if len(xml) > max_instance_bytes():
        raise InstanceError(_("The submission's XML is larger than allowed."))
    try:
        root: Element = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InstanceError(_("The submission's XML declares a DTD or entities, which are not accepted.")) from None
    except (ParseError, ValueError):
        raise InstanceError(_("The submission's XML is not well formed.")) from None
    return root


def instance_identity(root: Element) -> tuple[str, str, str]:
    """(form id, version, instanceID) of an instance; the instanceID from meta/instanceID (orx:meta too)."""
    form_id = (root.get("id") or "").strip()
    version = (root.get("version") or "").strip()
    instance_id = ""
    for element in root.iter():
        if local_name(element.tag) == "instanceID" and element.text:
            instance_id = element.text.strip()
            break
    return form_id, version, instance_id


def is_envelope(root: Element) -> bool:
    """An ODK-encrypted submission's envelope (<data encrypted="yes">) rather than the instance itself."""
    return (root.get("encrypted") or "").lower() == "yes"


def values_by_path(root: Element) -> dict[str, str]:
    """Text of every element by its path of local names (/data/group/question); the first occurrence wins (repeats
    are kept only in the raw instance)."""
    values: dict[str, str] = {}

    def walk(element: Element, path: str) -> None:
        here = f"{path}/{local_name(element.tag)}"
        if here not in values:
            values[here] = (element.text or "").strip() if len(element) == 0 else ""
        for child in element:
            walk(child, here)

    walk(root, "")
    return values


def typed_answer(question: dict[str, Any], raw: str) -> Any:
    """The closed answer of one question, typed; None for an empty, invalid or free-text answer."""
    kind = question["type"]
    if not raw or kind not in CLOSED_TYPES:
        return None
    choices = {c["name"] for c in question.get("choices") or []}
    if kind == "select one":
        return raw if raw in choices else None
    if kind == "select all that apply":
        picked = [v for v in raw.split() if v in choices]
        return picked or None
    if kind == "integer":
        return int(raw) if re.fullmatch(r"-?\d{1,12}", raw) else None
    if kind in {"decimal", "range"}:
        return float(raw) if _NUMBER.fullmatch(raw) and len(raw) < 32 else None
    if kind in {"date", "today"}:
        return _iso_date(raw)
    if kind in {"start", "end"}:
        day = _iso_date(raw[:10])
        return day
    if kind == "calculate":
        return float(raw) if _NUMBER.fullmatch(raw) and len(raw) < 32 else None
    return None


def _iso_date(raw: str) -> str | None:
    try:
        return date.fromisoformat(raw[:10]).isoformat()
    except ValueError:
        return None


def extract(schema: list[dict[str, Any]], root: Element) -> Extracted:
    """The closed answers (by question name) and the facets of one decrypted instance."""
    values = values_by_path(root)
    result = Extracted()
    for question in schema:
        raw = values.get(question["path"], "")
        answer = typed_answer(question, raw)
        if answer is not None:
            result.answers[question["name"]] = answer
        facet = question.get("facet")
        if facet and raw:
            _set_facet(result.facets, facet, raw)
    return result


def _set_facet(facets: dict[str, Any], facet: str, raw: str) -> None:
    value = raw.strip()
    if facet == "municipality" and _PCODE.fullmatch(value):
        facets["municipality_pcode"] = value.upper()
    elif facet == "zone_type" and value in ZONES:
        facets["zone_type"] = value
    elif facet == "gender_identity" and value in GenderIdentity.values:
        facets["gender_identity"] = value
    elif facet == "nationality" and _ISO2.fullmatch(value):
        if value.upper() != UNKNOWN_NATIONALITY:
            facets["nationality"] = value.upper()
    elif facet == "migratory_status" and value in MigratoryStatus.values:
        facets["migratory_status"] = value
    elif facet == "age_band" and value in AgeBand.values:
        facets["age_band"] = value
    elif facet == "age" and re.fullmatch(r"\d{1,3}", value):
        facets["age_band"] = age_band(int(value))
    elif facet == "interview_date":
        day = _iso_date(value)
        if day:
            facets["interview_date"] = date.fromisoformat(day)
    elif facet == "statistics_consent":
        lowered = value.lower()
        if lowered in YES:
            facets["statistics_consent"] = True
        elif lowered in NO:
            facets["statistics_consent"] = False


def age_band(age: int) -> str:
    """The band of an age in years (DESIGN rule 6: ages leave only in bands)."""
    bands = [
        (11, AgeBand.AGE_0_11),
        (17, AgeBand.AGE_12_17),
        (25, AgeBand.AGE_18_25),
        (40, AgeBand.AGE_26_40),
        (60, AgeBand.AGE_41_60),
        (130, AgeBand.AGE_61),
    ]
    for upper, band in bands:
        if age <= upper:
            return str(band)
    return str(AgeBand.UNKNOWN)
