"""The ONE mapping between the directory models and Open Referral HSDS 3.0 objects (docs/hsds.md).

Model -> dict functions (`*_to_hsds`) are used by the API and the export; dict -> model-field functions
(`*_fields`, `hours_from_schedules`, ...) by the import. Both directions live here so that a round trip
export -> import -> export gives the same document.

Conventions:
- Ids are our `uuid` fields. Objects that have no row of their own (phones, schedules, languages, addresses,
  attributes) get deterministic ids: uuid5 of their parent's uuid and a fixed key, so every export is identical.
- Taxonomies and terms get uuid5 ids in the fixed NAMESPACE below; they must never change.
- Optional fields with no value are left out (the HSDS schemas do not allow null).
- Taxonomy names are published in English (`language: "en"`), whatever the request's language.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf.locale import LANG_INFO
from django.utils import timezone, translation

from ..models import Location, OpeningHours, Organization, Place, Service, ServiceAtLocation
from ..taxonomy import (
    FACTS_TAXONOMY_URI,
    INCLUSION_FACT_BY_CODE,
    INCLUSION_FACT_CODES,
    INCLUSION_FACTS,
    SERVICE_TYPE_BY_CODE,
    SERVICE_TYPES,
    TAXONOMY_URI,
)
from ..text import normalize

HSDS_VERSION = "3.0"
# Fixed forever: taxonomy and term ids are derived from it, and other systems store them.
NAMESPACE = uuid.UUID("3b0a6e0c-5f0d-4d6e-9a52-6a1c2f8e7d41")

SERVICE_TYPES_TAXONOMY_ID = uuid.uuid5(NAMESPACE, "taxonomy/service-types")
FACTS_TAXONOMY_ID = uuid.uuid5(NAMESPACE, "taxonomy/inclusion-facts")
SERVICE_TYPES_TAXONOMY_NAME = "Amparo service types"
FACTS_TAXONOMY_NAME = "Amparo inclusion facts"

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # index + 1 == OpeningHours.Weekday
ALL_DAYS = ",".join(WEEKDAYS)
OPEN_24H_DESCRIPTION = "Open 24 hours"
WALK_IN_TEXT = "Walk in: no appointment needed."
WHATSAPP = "WhatsApp"
FACT_LINK_TYPE = "inclusion_fact"
TYPE_LINK_TYPE = "service_type"
_VERIFIED_RE = re.compile(r"\s*\(verified (\d{4}-\d{2}-\d{2})\)\s*$")


def service_type_term_id(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"service-types/{code}")


def fact_term_id(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"inclusion-facts/{code}")


def _child_id(parent: uuid.UUID, key: str) -> str:
    return str(uuid.uuid5(parent, key))


# --- Taxonomies ----------------------------------------------------------------------------------------------


def taxonomies() -> list[dict[str, Any]]:
    return [
        {
            "id": str(SERVICE_TYPES_TAXONOMY_ID),
            "name": SERVICE_TYPES_TAXONOMY_NAME,
            "description": "Types of service a survivor of sexual violence may need (docs/taxonomy.md). "
            "Linked to services by attributes.",
            "uri": TAXONOMY_URI,
        },
        {
            "id": str(FACTS_TAXONOMY_ID),
            "name": FACTS_TAXONOMY_NAME,
            "description": 'Inclusion facts of a service. Each service has one attribute per fact, value "true" or '
            '"false"; the label ends with "(verified YYYY-MM-DD)" when the fact has a last-verified date.',
            "uri": FACTS_TAXONOMY_URI,
        },
    ]


def taxonomy_by_id(taxonomy_id: uuid.UUID) -> dict[str, Any] | None:
    return next((t for t in taxonomies() if t["id"] == str(taxonomy_id)), None)


@dataclass(frozen=True)
class TermRef:
    """One of our published terms: a service type or an inclusion fact."""

    kind: str  # "type" or "fact"
    code: str


def _term(kind: str, code: str, *, detail: bool = False) -> dict[str, Any]:
    with translation.override("en"):
        if kind == "type":
            name = str(SERVICE_TYPE_BY_CODE[code].name)
            description = name
            term_id, taxonomy_id, uri = service_type_term_id(code), SERVICE_TYPES_TAXONOMY_ID, TAXONOMY_URI
        else:
            name = str(INCLUSION_FACT_BY_CODE[code].label)
            description = f'{name}. Attribute value "true" or "false".'
            term_id, taxonomy_id, uri = fact_term_id(code), FACTS_TAXONOMY_ID, FACTS_TAXONOMY_URI
    term: dict[str, Any] = {
        "id": str(term_id),
        "code": code,
        "name": name,
        "description": description,
        "taxonomy": uri,
        "taxonomy_id": str(taxonomy_id),
        "language": "en",
    }
    if detail:
        term["taxonomy_detail"] = taxonomy_by_id(taxonomy_id)
    return term


def taxonomy_terms(*, detail: bool = False) -> list[dict[str, Any]]:
    return [_term("type", t.code, detail=detail) for t in SERVICE_TYPES] + [
        _term("fact", f.code, detail=detail) for f in INCLUSION_FACTS
    ]


def term_refs() -> dict[str, TermRef]:
    """Our terms by id (str)."""
    refs = {str(service_type_term_id(t.code)): TermRef("type", t.code) for t in SERVICE_TYPES}
    refs.update({str(fact_term_id(f.code)): TermRef("fact", f.code) for f in INCLUSION_FACTS})
    return refs


# --- Model -> HSDS -------------------------------------------------------------------------------------------


def _iso_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_offset_hours(place: Place, at: datetime | None = None) -> float:
    """The UTC offset of the municipality's time zone now (or at `at`), in hours."""
    offset = (at or timezone.now()).astimezone(ZoneInfo(place.timezone)).utcoffset() or timedelta(0)
    return offset.total_seconds() / 3600


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def country_code(place: Place) -> str:
    """ISO 3166-1 alpha-2 code of a municipality's country: the country P-code (OCHA P-codes start with it)."""
    country = place
    while country.parent_id is not None and country.parent is not None:
        country = country.parent
    return country.pcode[:2].upper()


def organization_to_hsds(
    org: Organization, *, services: Iterable[Service] | None = None, full_services: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(org.uuid),
        "name": org.name,
        # Required by HSDS; ours may be blank, so it falls back to the name (and the import undoes that).
        "description": org.description or org.name,
    }
    if org.email:
        data["email"] = org.email
    if org.website:
        data["website"] = org.website
    if services is not None:
        data["services"] = [service_to_hsds(s, full=full_services) for s in services]
    return data


def address_to_hsds(location: Location) -> dict[str, Any]:
    place = location.place
    admin1 = place.parent
    return {
        "id": _child_id(location.uuid, "address/physical"),
        "location_id": str(location.uuid),
        "address_1": location.address,  # may be "" (required by HSDS but may be empty)
        "city": place.name,
        "state_province": admin1.name if admin1 else "",
        "postal_code": "",  # we keep no postal codes; "" means unknown
        "country": country_code(place),
        "address_type": "physical",
    }


def location_to_hsds(location: Location, *, full: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(location.uuid),
        "location_type": "physical",
        "organization_id": str(location.organization.uuid),
        "name": location.name,
    }
    if location.transportation:
        data["transportation"] = location.transportation
    data["latitude"] = location.latitude
    data["longitude"] = location.longitude
    if full:
        data["addresses"] = [address_to_hsds(location)]
    return data


def schedules_to_hsds(sal: ServiceAtLocation) -> list[dict[str, Any]]:
    """Weekly opening hours as RRULE schedules: one per distinct (opens, closes) pair, local time plus `timezone`."""
    common = {
        "service_id": str(sal.service.uuid),
        "location_id": str(sal.location.uuid),
        "service_at_location_id": str(sal.uuid),
        "timezone": _number(utc_offset_hours(sal.location.place)),
        "freq": "WEEKLY",
        "wkst": "MO",
    }
    schedules = []
    if sal.open_24h:
        schedules.append(
            {
                "id": _child_id(sal.uuid, "schedule/24h"),
                **common,
                "byday": ALL_DAYS,
                "description": OPEN_24H_DESCRIPTION,
                "opens_at": "00:00",
                "closes_at": "23:59",
            }
        )
    groups: dict[tuple[time, time], list[int]] = {}
    for hours in sal.hours.all():
        days = groups.setdefault((hours.opens_at, hours.closes_at), [])
        if hours.weekday not in days:
            days.append(hours.weekday)
    for (opens, closes), days in sorted(groups.items(), key=lambda item: (min(item[1]), item[0])):
        schedules.append(
            {
                "id": _child_id(sal.uuid, f"schedule/{opens:%H%M}-{closes:%H%M}"),
                **common,
                "byday": ",".join(WEEKDAYS[d - 1] for d in sorted(days)),
                "opens_at": f"{opens:%H:%M}",
                "closes_at": f"{closes:%H:%M}",
            }
        )
    return schedules


def service_at_location_to_hsds(
    sal: ServiceAtLocation, *, full: bool = True, with_service: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(sal.uuid),
        "service_id": str(sal.service.uuid),
        "location_id": str(sal.location.uuid),
    }
    if full:
        data["schedules"] = schedules_to_hsds(sal)
    data["location"] = location_to_hsds(sal.location, full=full)
    if with_service:
        data["service"] = service_to_hsds(sal.service, full=full, with_locations=False)
    return data


def _language(service: Service, code: str) -> dict[str, Any]:
    data = {"id": _child_id(service.uuid, f"language/{code}"), "service_id": str(service.uuid)}
    name = LANG_INFO.get(code, {}).get("name")
    if name:
        data["name"] = name
    data["code"] = code
    return data


def _phones(service: Service) -> list[dict[str, Any]]:
    phones = []
    if service.phone:
        phones.append(
            {
                "id": _child_id(service.uuid, "phone/voice"),
                "service_id": str(service.uuid),
                "number": service.phone,
                "type": "voice",
            }
        )
    if service.whatsapp:
        phones.append(
            {
                "id": _child_id(service.uuid, "phone/whatsapp"),
                "service_id": str(service.uuid),
                "number": service.whatsapp,
                "type": "text",
                "description": WHATSAPP,
            }
        )
    return phones


def fact_label(code: str, verified_on: date | None) -> str:
    with translation.override("en"):
        label = str(INCLUSION_FACT_BY_CODE[code].label)
    return f"{label} (verified {verified_on.isoformat()})" if verified_on else label


def verified_on_from_label(label: str | None) -> date | None:
    match = _VERIFIED_RE.search(label or "")
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _attributes(service: Service) -> list[dict[str, Any]]:
    link = {"link_id": str(service.uuid), "link_entity": "service"}
    attributes = []
    positions = {t.code: i for i, t in enumerate(SERVICE_TYPES)}
    for code in sorted((t.code for t in service.types.all()), key=lambda c: positions.get(c, len(positions))):
        term = _term("type", code)
        attributes.append(
            {
                "id": _child_id(service.uuid, f"attribute/service-types/{code}"),
                **link,
                "link_type": TYPE_LINK_TYPE,
                "taxonomy_term_id": term["id"],
                "taxonomy_term": term,
            }
        )
    for code in INCLUSION_FACT_CODES:
        term = _term("fact", code)
        attributes.append(
            {
                "id": _child_id(service.uuid, f"attribute/inclusion-facts/{code}"),
                **link,
                "link_type": FACT_LINK_TYPE,
                "taxonomy_term_id": term["id"],
                "taxonomy_term": term,
                "value": "true" if getattr(service, code) else "false",
                "label": fact_label(code, service.fact_verified_on(code)),
            }
        )
    return attributes


def service_to_hsds(service: Service, *, full: bool = True, with_locations: bool = True) -> dict[str, Any]:
    """A service in the compiled HSDS shape (full) or the list shape (no arrays).

    Needs `organization` selected and, when full, `types` and `at_locations` (with location, its place chain and
    hours) prefetched; see selectors in api.py.
    """
    data: dict[str, Any] = {
        "id": str(service.uuid),
        "organization_id": str(service.organization.uuid),
        "name": service.name,
    }
    if service.description:
        data["description"] = service.description
    if service.url:
        data["url"] = service.url
    if service.email:
        data["email"] = service.email
    data["status"] = service.status
    if service.walk_in:
        data["application_process"] = WALK_IN_TEXT
    if service.cost:
        data["fees_description"] = service.cost
    if service.eligibility:
        data["eligibility_description"] = service.eligibility
    if service.last_verified_on:
        data["assured_date"] = service.last_verified_on.isoformat()
    data["last_modified"] = _iso_datetime(service.updated_at)
    if full:
        sals = sorted(service.at_locations.all(), key=lambda s: str(s.uuid))
        for sal in sals:
            sal.service = service  # no query: the prefetched rows point back at this service
        data["phones"] = _phones(service)
        data["schedules"] = [schedule for sal in sals for schedule in schedules_to_hsds(sal)]
        if with_locations:
            data["service_at_locations"] = [service_at_location_to_hsds(sal) for sal in sals]
        data["languages"] = [_language(service, code) for code in service.languages or []]
    data["organization"] = organization_to_hsds(service.organization)
    if full:
        data["attributes"] = _attributes(service)
    return data


# --- HSDS -> model fields ------------------------------------------------------------------------------------


class MappingError(Exception):
    """A value that the directory cannot take; `path` is the field path inside the object being mapped."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass
class Warnings:
    """Things the directory cannot hold and that the import leaves out: by kind, the places where they occur."""

    where: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, path: str) -> None:
        paths = self.where.setdefault(kind, [])
        if path not in paths:
            paths.append(path)

    def lines(self) -> list[str]:
        return [f"{kind}: {len(paths)} (e.g. {paths[0]})" for kind, paths in sorted(self.where.items())]


def organization_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    description = data.get("description", "")
    return {
        "name": data["name"],
        # The export falls back to the name for a blank description; undo that.
        "description": "" if description == data["name"] else description,
        "email": data.get("email", ""),
        "website": data.get("website", ""),
    }


_THREE_LETTER = {"spa": "es", "eng": "en", "por": "pt", "fra": "fr", "fre": "fr", "ita": "it", "deu": "de"}
_THREE_LETTER |= {"ger": "de", "ara": "ar", "zho": "zh", "chi": "zh", "rus": "ru", "nld": "nl", "dut": "nl"}
_LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2,3}$")


def _language_by_name(name: str) -> str | None:
    wanted = normalize(name)
    for code, info in LANG_INFO.items():
        if "-" in code or "name" not in info:
            continue
        if wanted in {normalize(info["name"]), normalize(info.get("name_local", ""))}:
            return code
    return None


def language_codes(languages: list[Mapping[str, Any]], warnings: Warnings, where: str) -> list[str]:
    codes: list[str] = []
    for i, language in enumerate(languages):
        raw = str(language.get("code", "")).strip().lower().split("-")[0]
        code = _THREE_LETTER.get(raw, raw) if _LANGUAGE_CODE_RE.match(raw) else None
        if code is None and language.get("name"):
            code = _language_by_name(str(language["name"]))
        if code is None:
            warnings.add("languages without a code we recognise", f"{where}/languages/{i}")
        elif code not in codes:
            codes.append(code)
    return codes


@dataclass
class Phones:
    phone: str = ""
    whatsapp: str = ""


def phone_fields(phones: list[Mapping[str, Any]], warnings: Warnings, where: str) -> Phones:
    """The first WhatsApp number (description mentions WhatsApp) and the first other number; others are left out."""
    result = Phones()
    for i, phone in enumerate(phones):
        number = str(phone["number"]).strip()
        is_whatsapp = "whatsapp" in str(phone.get("description", "")).lower()
        if is_whatsapp and not result.whatsapp:
            result.whatsapp = number
        elif not is_whatsapp and not result.phone:
            result.phone = number
        else:
            warnings.add("phones beyond one voice and one WhatsApp number", f"{where}/phones/{i}")
    return result


_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$", re.IGNORECASE)


def parse_time(value: str, path: str) -> tuple[int, int | None]:
    """'HH:MM[:SS][Z|±HH:MM]' -> (minutes after midnight, UTC offset in minutes or None); 24:00 is allowed."""
    match = _TIME_RE.match(value.strip())
    if not match:
        raise MappingError(path, f"{value!r} is not a time (HH:MM)")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes != 0):
        raise MappingError(path, f"{value!r} is not a time of day")
    suffix = match.group(4)
    offset = None
    if suffix:
        if suffix.upper() == "Z":
            offset = 0
        else:
            sign = -1 if suffix[0] == "-" else 1
            digits = suffix[1:].replace(":", "")
            offset = sign * (int(digits[:2]) * 60 + int(digits[2:] or 0))
    return hours * 60 + minutes, offset


@dataclass
class Hours:
    open_24h: bool = False
    rows: set[tuple[int, time, time]] = field(default_factory=set)  # (weekday 1-7, opens, closes)


def _minutes_to_time(minutes: int) -> time:
    minutes %= 24 * 60
    return time(minutes // 60, minutes % 60)


def hours_from_schedules(
    schedules: Sequence[tuple[str, Mapping[str, Any]]], local_offset_minutes: int, warnings: Warnings
) -> Hours:
    """Weekly opening hours from HSDS schedules given as (path, schedule) pairs.

    Times are local to the municipality unless they carry an offset (suffix, or the schedule's `timezone`), in
    which case they are converted (a shift across midnight moves the day). All seven days from 00:00 to
    23:59/24:00 means open 24 hours. Schedules that are not plain weekly hours (MONTHLY, an interval, numbered
    days, no days or times) are left out with a warning.
    """
    result = Hours()
    for path, schedule in schedules:
        freq = schedule.get("freq", "WEEKLY")
        interval = schedule.get("interval", 1)
        byday = [d.strip().upper() for d in str(schedule.get("byday", "")).split(",") if d.strip()]
        if freq != "WEEKLY" or interval != 1 or not byday or any(d not in WEEKDAYS for d in byday):
            warnings.add("schedules that are not weekly opening hours", path)
            continue
        if "opens_at" not in schedule or "closes_at" not in schedule:
            warnings.add("schedules without opening and closing times", path)
            continue
        opens, opens_offset = parse_time(str(schedule["opens_at"]), f"{path}/opens_at")
        closes, closes_offset = parse_time(str(schedule["closes_at"]), f"{path}/closes_at")
        days = sorted({WEEKDAYS.index(d) + 1 for d in byday})
        if len(days) == 7 and opens == 0 and closes in (23 * 60 + 59, 24 * 60, 0):
            result.open_24h = True
            continue
        if opens == closes or (opens, closes) == (0, 24 * 60):
            warnings.add("schedules that open and close at the same time", path)
            continue
        offset = opens_offset if opens_offset is not None else closes_offset
        if offset is None and "timezone" in schedule:
            offset = round(float(schedule["timezone"]) * 60)
        shift = 0 if offset is None else local_offset_minutes - offset
        start, end = opens + shift, closes + shift
        day_shift = start // (24 * 60)
        for day in days:
            weekday = (day - 1 + day_shift) % 7 + 1
            result.rows.add((weekday, _minutes_to_time(start), _minutes_to_time(end)))
    return result


_TRUE = {"true", "yes", "1", "y", "si", "sí"}
_FALSE = {"false", "no", "0", "n"}


def parse_bool(value: object, path: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise MappingError(path, f'{value!r} is not "true" or "false"')


def parse_date(value: str, path: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise MappingError(path, f"{value!r} is not a date (YYYY-MM-DD)") from None


def status_field(value: str) -> str:
    """HSDS active -> active; inactive, defunct and temporarily closed -> inactive (we have only those two)."""
    return Service.Status.ACTIVE if value == "active" else Service.Status.INACTIVE


def hours_rows(sal: ServiceAtLocation, hours: Hours) -> list[OpeningHours]:
    return [OpeningHours(service_at_location=sal, weekday=w, opens_at=o, closes_at=c) for w, o, c in sorted(hours.rows)]
