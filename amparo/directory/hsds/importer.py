"""Import of HSDS JSON into the directory (docs/hsds.md).

Three phases, and nothing is written unless all of them succeed:
1. read: size limit, binary data, encoding, JSON syntax, the document's shape;
2. validate: every object against the HSDS schemas (compiled shapes), then our own rules while planning
   (municipality of every location, organisation of every service, values our fields can hold);
3. write: everything in ONE transaction, update-or-create by uuid, then reindex the touched services.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation

from ..models import Location, OpeningHours, Organization, Place, Service, ServiceAtLocation
from ..selectors import Point, haversine_km
from ..services import ensure_service_types, services_reindex
from ..taxonomy import FACTS_TAXONOMY_URI, INCLUSION_FACT_BY_CODE, SERVICE_TYPE_BY_CODE, TAXONOMY_URI
from ..text import normalize
from . import mapping, schemas, selectors
from .mapping import MappingError, TermRef, Warnings

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_CENTROID_KM = 30.0
MAX_REPORTED_OBJECTS = 10
_BATCH = 500
_TOP_LEVEL = {
    "organizations": "organization",
    "services": "service",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}
_BINARY_MAGIC = {
    b"PK\x03\x04": "a ZIP archive",
    b"\x1f\x8b": "a gzip file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"SQLite format 3": "an SQLite database",
}
_VERSION_RE = re.compile(r"^3(\.\d+){0,2}$")

# Fields each HSDS object may carry that the import reads; anything else with a value is reported as left out.
_SERVICE_KEYS = {
    "id", "organization_id", "name", "description", "url", "email", "status", "application_process",
    "fees_description", "fees", "eligibility_description", "assured_date", "last_modified", "phones", "schedules",
    "service_at_locations", "languages", "organization", "cost_options", "attributes",
}  # fmt: skip
_ORGANIZATION_KEYS = {"id", "name", "description", "email", "website", "locations", "services"}
_LOCATION_KEYS = {
    "id", "location_type", "organization_id", "name", "transportation", "latitude", "longitude", "addresses",
    "schedules",
}  # fmt: skip
_SAL_KEYS = {"id", "service_id", "location_id", "location", "schedules"}

M = TypeVar("M", bound=models.Model)


class HsdsImportError(Exception):
    """The file cannot be imported; the message names the problem (object, id and field path)."""


@dataclass
class Document:
    organizations: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    taxonomies: list[dict[str, Any]] = field(default_factory=list)
    taxonomy_terms: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class ImportResult:
    organizations: Counts = field(default_factory=Counts)
    locations: Counts = field(default_factory=Counts)
    services: Counts = field(default_factory=Counts)
    service_at_locations: Counts = field(default_factory=Counts)
    warnings: Warnings = field(default_factory=Warnings)


# --- 1. Read -------------------------------------------------------------------------------------------------


def read_file(path: str | os.PathLike[str]) -> bytes:
    try:
        size = os.stat(path).st_size
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise HsdsImportError(f"cannot read {path}: {exc.strerror}") from None
    if max(size, len(raw)) > MAX_FILE_BYTES:
        raise HsdsImportError(
            f"{path} is too large ({max(size, len(raw)) / 1024 / 1024:.1f} MB); "
            f"the limit is {MAX_FILE_BYTES // 1024 // 1024} MB"
        )
    return raw


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in JSON")


def _drop_nulls(value: Any) -> Any:
    """Many producers write null for an empty optional field; HSDS types do not allow null, so null means absent."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value if v is not None]
    return value


def parse_document(raw: bytes) -> Document:
    """Bytes -> Document: a {"hsds_version": "3.x", ...} export document, or a plain array of HSDS services."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or raw[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        raise HsdsImportError("wrong encoding: the file is UTF-16 or UTF-32; HSDS JSON must be UTF-8")
    for magic, what in _BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise HsdsImportError(f"binary data: the file is {what}, not a JSON text file")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise HsdsImportError(f"binary data: NUL byte at offset {nul}; expected a UTF-8 JSON text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HsdsImportError(
            f"wrong encoding: byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8; save the file as UTF-8"
        ) from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise HsdsImportError(f"bad JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except ValueError as exc:
        raise HsdsImportError(f"bad JSON: {exc}") from None
    except RecursionError:
        raise HsdsImportError("bad JSON: nested too deeply") from None
    data = _drop_nulls(data)
    if isinstance(data, list):
        document = Document(services=data)
    elif isinstance(data, dict):
        if "hsds_version" not in data:
            raise HsdsImportError(
                'a JSON object must be an export document with "hsds_version"; '
                "other tools' data can be given as a JSON array of HSDS services"
            )
        version = data["hsds_version"]
        if not isinstance(version, str) or not _VERSION_RE.match(version):
            raise HsdsImportError(f"hsds_version: {version!r} is not supported; expected 3.0 (or a later 3.x)")
        unknown = sorted(set(data) - {"hsds_version", *_TOP_LEVEL})
        if unknown:
            raise HsdsImportError(f"unknown top-level key {unknown[0]!r}; expected {', '.join(_TOP_LEVEL)}")
        for key in _TOP_LEVEL:
            if not isinstance(data.get(key, []), list):
                raise HsdsImportError(f"{key}: must be a JSON array")
        document = Document(**{key: data.get(key, []) for key in _TOP_LEVEL})
    else:
        raise HsdsImportError("the top level must be a JSON object (export document) or an array of services")
    for key in _TOP_LEVEL:
        for i, item in enumerate(getattr(document, key)):
            if not isinstance(item, dict):
                raise HsdsImportError(f"{key}[{i}]: must be a JSON object, not {type(item).__name__}")
    return document


# --- 2. Validate ---------------------------------------------------------------------------------------------


def _label(key: str, index: int, obj: Mapping[str, Any]) -> str:
    ident = obj.get("id")
    return f"{key}[{index}] (id {ident})" if isinstance(ident, str) else f"{key}[{index}]"


def validate_document(document: Document) -> None:
    """Every object against its HSDS schema (services in the compiled shape); ids unique per kind."""
    problems: list[str] = []
    invalid = 0
    for key, name in _TOP_LEVEL.items():
        seen: dict[str, int] = {}
        for i, obj in enumerate(getattr(document, key)):
            found = schemas.errors(name, obj)
            if found:
                invalid += 1
                if invalid <= MAX_REPORTED_OBJECTS:
                    problems.append(f"{_label(key, i, obj)}: " + "; ".join(found))
                continue
            if obj["id"] in seen:
                invalid += 1
                problems.append(f"{_label(key, i, obj)}: the same id as {key}[{seen[obj['id']]}]")
            seen.setdefault(obj["id"], i)
    if problems:
        more = f"\n(and {invalid - MAX_REPORTED_OBJECTS} more)" if invalid > MAX_REPORTED_OBJECTS else ""
        raise HsdsImportError("not valid HSDS 3.0:\n" + "\n".join(problems) + more)


# --- Places --------------------------------------------------------------------------------------------------


class PlaceIndex:
    """Municipalities (admin2) by folded name, for mapping HSDS addresses and coordinates to places.

    Rule: (1) candidates are the municipalities whose name (accents and case folded) equals the address's `city`
    (or whose P-code equals it), within the address's country when `country` is given; (2) the candidate whose
    department/province equals `state_province` wins; a single candidate wins even if `state_province` is spelled
    differently; (3) otherwise the municipality with the nearest centroid within MAX_CENTROID_KM of the location's
    latitude/longitude (within the same country when given); (4) otherwise it is an error.
    """

    def __init__(self) -> None:
        self.places = list(
            Place.objects.filter(level=Place.Level.ADMIN2).select_related("parent__parent").order_by("pcode")
        )
        self.countries = {p.pcode[:2].upper() for p in Place.objects.filter(level=Place.Level.COUNTRY)}
        self.by_name: dict[str, list[Place]] = {}
        for place in self.places:
            self.by_name.setdefault(place.search_name, []).append(place)
            self.by_name.setdefault(normalize(place.pcode), []).append(place)

    def resolve(self, address: Mapping[str, Any] | None, point: Point | None) -> Place | str:
        """The municipality, or a message saying why none fits."""
        country = str((address or {}).get("country", "")).strip().upper()[:2]
        if country and country not in self.countries:
            return f"country {country!r} is not in the directory's places"
        in_country = [p for p in self.places if not country or mapping.country_code(p) == country]
        city = normalize(str((address or {}).get("city", "")))
        state = normalize(str((address or {}).get("state_province", "")))
        candidates = [p for p in self.by_name.get(city, []) if p in in_country] if city else []
        by_state = [p for p in candidates if p.parent and normalize(p.parent.name) == state]
        if len(by_state) == 1:
            return by_state[0]
        if len(candidates) == 1:
            return candidates[0]
        if point is not None and in_country:
            nearest = min(in_country, key=lambda p: haversine_km(point, Point(p.latitude, p.longitude)))
            if haversine_km(point, Point(nearest.latitude, nearest.longitude)) <= MAX_CENTROID_KM:
                return nearest
        if address:
            what = f"city {address.get('city', '')!r}, state_province {address.get('state_province', '')!r}"
        else:
            what = "no address"
        where = f"({point.latitude}, {point.longitude})" if point else "no latitude/longitude"
        ambiguous = " (several municipalities have that name)" if len(candidates) > 1 else ""
        return (
            f"no municipality matches {what}{ambiguous}, and no municipality centroid is within "
            f"{MAX_CENTROID_KM:g} km of {where}"
        )


# --- Planning ------------------------------------------------------------------------------------------------


@dataclass
class OrgPlan:
    label: str
    fields: dict[str, Any]


@dataclass
class LocationPlan:
    label: str
    data: dict[str, Any]
    org_uuid: UUID
    fields: dict[str, Any] = field(default_factory=dict)
    place: Place | None = None


@dataclass
class SalPlan:
    label: str
    uuid: UUID
    location_uuid: UUID
    schedules: list[tuple[str, dict[str, Any]]]
    location_schedules: list[tuple[str, dict[str, Any]]]
    hours: mapping.Hours = field(default_factory=mapping.Hours)


@dataclass
class ServicePlan:
    label: str
    uuid: UUID
    org_uuid: UUID
    fields: dict[str, Any]
    types: list[str]
    sals: list[SalPlan]


@dataclass
class Plan:
    orgs: dict[UUID, OrgPlan] = field(default_factory=dict)
    locations: dict[UUID, LocationPlan] = field(default_factory=dict)
    services: list[ServicePlan] = field(default_factory=list)


def _chunks(values: Sequence[Any], size: int = _BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _by_uuid(model: type[M], uuids: Iterable[UUID], qs: models.QuerySet[M] | None = None) -> dict[UUID, M]:
    base = qs if qs is not None else model._default_manager.all()
    found: dict[UUID, M] = {}
    for chunk in _chunks(sorted(set(uuids), key=str)):
        found.update({obj.uuid: obj for obj in base.filter(uuid__in=chunk)})  # type: ignore[attr-defined]
    return found


def _left_out(obj: Mapping[str, Any], known: set[str], kind: str, label: str, warnings: Warnings) -> None:
    for key, value in obj.items():
        if key not in known and value not in ("", [], {}):
            warnings.add(f"{kind} field {key} (not kept by the directory)", label)


class Planner:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.warnings = Warnings()
        self.plan = Plan()
        self.virtual: set[UUID] = set()
        self.sal_labels: dict[UUID, str] = {}
        self.refs = mapping.term_refs()
        self.file_terms = {t["id"]: t for t in document.taxonomy_terms}
        self.file_taxonomy_uris = {t["id"]: t.get("uri", "") for t in document.taxonomies}

    # Terms ---------------------------------------------------------------------------------------------------

    def _term_ref(self, attribute: Mapping[str, Any], path: str) -> TermRef | None:
        embedded = attribute.get("taxonomy_term") or {}
        term_id = attribute.get("taxonomy_term_id") or embedded.get("id")
        if term_id in self.refs:
            return self.refs[term_id]
        term = embedded or self.file_terms.get(term_id) or {}
        taxonomy_id = term.get("taxonomy_id", "")
        uris = {
            term.get("taxonomy", ""),
            (term.get("taxonomy_detail") or {}).get("uri", ""),
            self.file_taxonomy_uris.get(taxonomy_id, ""),
        }
        code = str(term.get("code", ""))
        if taxonomy_id == str(mapping.SERVICE_TYPES_TAXONOMY_ID) or TAXONOMY_URI in uris:
            if code not in SERVICE_TYPE_BY_CODE:
                raise MappingError(f"{path}/taxonomy_term/code", f"{code!r} is not a code of {TAXONOMY_URI}")
            return TermRef("type", code)
        if taxonomy_id == str(mapping.FACTS_TAXONOMY_ID) or FACTS_TAXONOMY_URI in uris:
            if code not in INCLUSION_FACT_BY_CODE:
                raise MappingError(f"{path}/taxonomy_term/code", f"{code!r} is not a code of {FACTS_TAXONOMY_URI}")
            return TermRef("fact", code)
        return None

    # Objects -------------------------------------------------------------------------------------------------

    def _add_org(self, data: Mapping[str, Any], label: str) -> UUID:
        org_uuid = UUID(data["id"])
        if org_uuid not in self.plan.orgs:
            _left_out(data, _ORGANIZATION_KEYS, "organization", label, self.warnings)
            self.plan.orgs[org_uuid] = OrgPlan(label, mapping.organization_fields(data))
        return org_uuid

    def _add_location(self, data: dict[str, Any], label: str, org_uuid: UUID) -> UUID | None:
        loc_uuid = UUID(data["id"])
        if loc_uuid in self.plan.locations:
            return loc_uuid
        if data["location_type"] == "virtual":
            if loc_uuid not in self.virtual:
                self.virtual.add(loc_uuid)
                self.warnings.add("virtual locations (the directory keeps physical places only)", label)
            return None
        if "organization_id" in data:
            org_uuid = UUID(data["organization_id"])
        _left_out(data, _LOCATION_KEYS, "location", label, self.warnings)
        self.plan.locations[loc_uuid] = LocationPlan(label, data, org_uuid)
        return loc_uuid

    def _resolve_location(self, plan: LocationPlan, places: PlaceIndex, org_names: Mapping[UUID, str]) -> None:
        data = plan.data
        addresses = data.get("addresses", [])
        address = next((a for a in addresses if a.get("address_type") == "physical"), None) or (
            addresses[0] if addresses else None
        )
        has_point = "latitude" in data and "longitude" in data
        point = Point(float(data["latitude"]), float(data["longitude"])) if has_point else None
        place = places.resolve(address, point)
        if isinstance(place, str):
            raise HsdsImportError(f"{plan.label}: location {data.get('name', '')!r}: {place}")
        if point is None:
            self.warnings.add("locations without latitude/longitude (set to the municipality centroid)", plan.label)
            point = Point(place.latitude, place.longitude)
        street = ""
        if address:
            street = ", ".join(str(address[k]).strip() for k in ("address_1", "address_2") if address.get(k))
        plan.place = place
        plan.fields = {
            "name": data.get("name") or org_names.get(plan.org_uuid, "") or street,
            "address": street,
            "transportation": data.get("transportation", ""),
            "latitude": point.latitude,
            "longitude": point.longitude,
        }

    def _service(self, i: int, data: dict[str, Any]) -> ServicePlan:
        label = _label("services", i, data)
        service_uuid = UUID(data["id"])
        nested_org = data.get("organization")
        org_id = data.get("organization_id") or (nested_org or {}).get("id")
        if not org_id:
            raise HsdsImportError(f"{label}: organization_id: is required (or a nested organization)")
        if nested_org and data.get("organization_id") and nested_org["id"] != data["organization_id"]:
            raise HsdsImportError(f"{label}: organization/id: differs from organization_id")
        if nested_org:
            self._add_org(nested_org, f"{label}/organization")
        org_uuid = UUID(org_id)
        _left_out(data, _SERVICE_KEYS, "service", label, self.warnings)

        phones = mapping.phone_fields(data.get("phones", []), self.warnings, label)
        fields: dict[str, Any] = {
            "name": data["name"],
            "description": data.get("description", ""),
            "status": mapping.status_field(data["status"]),
            "email": data.get("email", ""),
            "url": data.get("url", ""),
            "cost": data.get("fees_description") or data.get("fees", ""),
            "eligibility": data.get("eligibility_description", ""),
            "last_verified_on": mapping.parse_date(data["assured_date"], "assured_date")
            if data.get("assured_date")
            else None,
            "languages": mapping.language_codes(data.get("languages", []), self.warnings, label),
            "phone": phones.phone,
            "whatsapp": phones.whatsapp,
            "walk_in": False,
        }
        process = data.get("application_process", "")
        if process and normalize(process) == normalize(mapping.WALK_IN_TEXT):
            fields["walk_in"] = True
        elif process:
            self.warnings.add("service field application_process (not kept by the directory)", label)

        types: list[str] = []
        facts: dict[str, bool] = {}
        verified: dict[str, str] = {}
        for j, attribute in enumerate(data.get("attributes", [])):
            path = f"attributes/{j}"
            ref = self._term_ref(attribute, path)
            if ref is None:
                self.warnings.add("attributes with terms of other taxonomies", f"{label}: {path}")
            elif ref.kind == "type":
                if ref.code not in types:
                    types.append(ref.code)
            else:
                facts[ref.code] = mapping.parse_bool(attribute.get("value", "true"), f"{path}/value")
                verified_on = mapping.verified_on_from_label(attribute.get("label"))
                if verified_on:
                    verified[ref.code] = verified_on.isoformat()
        if "free_of_charge" not in facts and any(c.get("amount") == 0 for c in data.get("cost_options", [])):
            facts["free_of_charge"] = True
        for code in INCLUSION_FACT_BY_CODE:
            fields[code] = facts.get(code, False)
        fields["facts_verified_on"] = verified

        sals: list[SalPlan] = []
        seen_locations: dict[UUID, str] = {}
        for j, sal in enumerate(data.get("service_at_locations", [])):
            sal_label = f"{label}: service_at_locations/{j}"
            if sal.get("service_id") and sal["service_id"] != data["id"]:
                raise HsdsImportError(f"{sal_label}/service_id: differs from the service's id")
            location = sal.get("location")
            location_id = sal.get("location_id") or (location or {}).get("id")
            if not location_id:
                raise HsdsImportError(f"{sal_label}: location_id: is required (or a nested location)")
            if location and sal.get("location_id") and location["id"] != sal["location_id"]:
                raise HsdsImportError(f"{sal_label}/location/id: differs from location_id")
            _left_out(sal, _SAL_KEYS, "service_at_location", sal_label, self.warnings)
            if location:
                self._add_location(location, f"{sal_label}/location", org_uuid)
            loc_uuid = UUID(location_id)
            if loc_uuid in self.virtual:
                continue
            if loc_uuid in seen_locations:
                raise HsdsImportError(f"{sal_label}: the same location as {seen_locations[loc_uuid]}")
            seen_locations[loc_uuid] = sal_label
            sal_uuid = UUID(sal["id"])
            if sal_uuid in self.sal_labels:
                raise HsdsImportError(f"{sal_label}: the same id as {self.sal_labels[sal_uuid]}")
            self.sal_labels[sal_uuid] = sal_label
            own = [(f"{sal_label}/schedules/{k}", s) for k, s in enumerate(sal.get("schedules", []))]
            own += [
                (f"{label}: schedules/{k}", s)
                for k, s in enumerate(data.get("schedules", []))
                if s.get("service_at_location_id") == sal["id"]
                or ("service_at_location_id" not in s and s.get("location_id", location_id) == location_id)
            ]
            at_location = [
                (f"{sal_label}/location/schedules/{k}", s) for k, s in enumerate((location or {}).get("schedules", []))
            ]
            sals.append(SalPlan(sal_label, sal_uuid, loc_uuid, own, at_location))
        if not sals and data.get("schedules"):
            self.warnings.add("service schedules without a service_at_location to hold them", label)
        return ServicePlan(label, service_uuid, org_uuid, fields, types, sals)

    def build(self) -> Plan:
        doc = self.document
        for i, org in enumerate(doc.organizations):
            org_uuid = self._add_org(org, _label("organizations", i, org))
            for j, location in enumerate(org.get("locations", [])):
                self._add_location(location, f"{_label('organizations', i, org)}: locations/{j}", org_uuid)
            if org.get("services"):
                self.warnings.add(
                    "services nested in organizations (give them in the services array)",
                    _label("organizations", i, org),
                )
        for i, data in enumerate(doc.services):
            try:
                self.plan.services.append(self._service(i, data))
            except MappingError as exc:
                raise HsdsImportError(f"{_label('services', i, data)}: {exc}") from None

        # Organisations and locations referenced by id only must already be in the directory.
        referenced_orgs = {s.org_uuid for s in self.plan.services} | {
            loc.org_uuid for loc in self.plan.locations.values()
        }
        missing_orgs = referenced_orgs - set(self.plan.orgs)
        self.existing_orgs = _by_uuid(Organization, missing_orgs)
        for service in self.plan.services:
            if service.org_uuid not in self.plan.orgs and service.org_uuid not in self.existing_orgs:
                raise HsdsImportError(
                    f"{service.label}: organization_id: {service.org_uuid} is neither in the file nor in the directory"
                )
        for loc in self.plan.locations.values():
            if loc.org_uuid not in self.plan.orgs and loc.org_uuid not in self.existing_orgs:
                raise HsdsImportError(
                    f"{loc.label}: organization_id: {loc.org_uuid} is neither in the file nor in the directory"
                )
        wanted_locations = {sal.location_uuid for s in self.plan.services for sal in s.sals}
        self.existing_locations = _by_uuid(
            Location, wanted_locations - set(self.plan.locations), Location.objects.select_related("place")
        )
        for service in self.plan.services:
            for sal in service.sals:
                if sal.location_uuid not in self.plan.locations and sal.location_uuid not in self.existing_locations:
                    raise HsdsImportError(
                        f"{sal.label}: location_id: {sal.location_uuid} is neither in the file nor in the directory"
                    )

        places = PlaceIndex()
        org_names = {u: o.fields["name"] for u, o in self.plan.orgs.items()}
        org_names |= {u: o.name for u, o in self.existing_orgs.items()}
        for loc in self.plan.locations.values():
            self._resolve_location(loc, places, org_names)

        now = timezone.now()
        for service in self.plan.services:
            for sal in service.sals:
                planned = self.plan.locations.get(sal.location_uuid)
                place = planned.place if planned else self.existing_locations[sal.location_uuid].place
                assert place is not None
                offset = round(mapping.utc_offset_hours(place, now) * 60)
                schedules = _dedupe(sal.schedules) or _dedupe(sal.location_schedules)
                try:
                    sal.hours = mapping.hours_from_schedules(schedules, offset, self.warnings)
                except MappingError as exc:
                    raise HsdsImportError(str(exc)) from None
        return self.plan


def _dedupe(schedules: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    seen: set[str] = set()
    result = []
    for path, schedule in schedules:
        if schedule["id"] not in seen:
            seen.add(schedule["id"])
            result.append((path, schedule))
    return result


# --- 3. Write ------------------------------------------------------------------------------------------------

# Model field -> HSDS field, to name the field in an error.
_HSDS_FIELD = {
    Organization: {"website": "website"},
    Location: {"address": "addresses/0/address_1"},
    Service: {"cost": "fees_description", "eligibility": "eligibility_description", "last_verified_on": "assured_date"},
}


def _apply(obj: M, fields: Mapping[str, Any], label: str, exclude: list[str]) -> bool:
    """Set `fields` on `obj`, check them against the model; True when something changed."""
    changed = False
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    try:
        obj.clean_fields(exclude=exclude)
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        hsds = _HSDS_FIELD.get(type(obj), {}).get(name, name)
        raise HsdsImportError(f"{label}: {hsds}: {' '.join(messages)}") from None
    return changed


def _snapshots(service_pks: Iterable[int]) -> dict[int, dict[str, Any]]:
    """What the HSDS export says of each service, without last_modified: the definition of "changed"."""
    result = {}
    pks = sorted(set(service_pks))
    for chunk in _chunks(pks):
        for service in selectors.services(full=True).filter(pk__in=chunk):
            data = mapping.service_to_hsds(service)
            data.pop("last_modified")
            result[service.pk] = data
    return result


class Writer:
    def __init__(self, plan: Plan, planner: Planner, result: ImportResult) -> None:
        self.plan, self.planner, self.result = plan, planner, result

    def _upsert(
        self,
        model: type[M],
        plans: Mapping[UUID, tuple[str, dict[str, Any]]],
        counts: Counts,
        exclude: list[str],
        new_defaults: Mapping[str, Any] | None = None,
    ) -> dict[UUID, M]:
        existing = _by_uuid(model, plans)
        created: list[M] = []
        changed: list[M] = []
        for obj_uuid, (label, fields) in plans.items():
            obj = existing.get(obj_uuid)
            if obj is None:
                obj = model(uuid=obj_uuid, **(new_defaults or {}))
                _apply(obj, fields, label, exclude)
                created.append(obj)
            elif _apply(obj, fields, label, exclude):
                changed.append(obj)
            else:
                counts.unchanged += 1
            existing[obj_uuid] = obj
        model._default_manager.bulk_create(created, batch_size=_BATCH)
        if changed:
            names = sorted({name for _label, fields in plans.values() for name in fields})
            model._default_manager.bulk_update(changed, names, batch_size=_BATCH)
        counts.created += len(created)
        counts.updated += len(changed)
        return existing

    def write(self) -> None:
        plan = self.plan
        ensure_service_types()
        file_service_uuids = [s.uuid for s in plan.services]
        location_uuids = list(plan.locations)
        org_uuids = list(plan.orgs)

        # Services whose HSDS picture may change: those in the file, those of touched organisations and those at
        # touched locations. Remember how the export describes them now, to keep last_modified honest.
        affected: set[int] = set()
        for lookup, values in (
            ("uuid__in", file_service_uuids),
            ("organization__uuid__in", org_uuids),
            ("at_locations__location__uuid__in", location_uuids),
        ):
            for chunk in _chunks(values):
                affected.update(Service.objects.filter(**{lookup: chunk}).values_list("pk", flat=True))
        before = _snapshots(affected)
        old_updated: dict[int, Any] = {}
        for chunk in _chunks(sorted(affected)):
            old_updated.update(Service.objects.filter(pk__in=chunk).values_list("pk", "updated_at"))

        orgs = self._upsert(
            Organization,
            {u: (p.label, p.fields) for u, p in plan.orgs.items()},
            self.result.organizations,
            exclude=["uuid", "kind"],
            new_defaults={"kind": Organization.Kind.OTHER},
        )
        orgs |= self.planner.existing_orgs

        for loc in plan.locations.values():
            assert loc.place is not None
            loc.fields["organization_id"] = orgs[loc.org_uuid].pk
            loc.fields["place_id"] = loc.place.pk
        locations = self._upsert(
            Location,
            {u: (p.label, p.fields) for u, p in plan.locations.items()},
            self.result.locations,
            exclude=["uuid", "organization", "place"],
        )
        locations |= self.planner.existing_locations

        for service in plan.services:
            service.fields["organization_id"] = orgs[service.org_uuid].pk
        services = self._upsert(
            Service,
            {s.uuid: (s.label, s.fields) for s in plan.services},
            self.result.services,
            exclude=["uuid", "organization", "search_text", "types"],
        )
        touched = [services[s.uuid].pk for s in plan.services]

        through = Service.types.through
        for chunk in _chunks(touched):
            through.objects.filter(service_id__in=chunk).delete()
        through.objects.bulk_create(
            [through(service_id=services[s.uuid].pk, servicetype_id=code) for s in plan.services for code in s.types],
            batch_size=_BATCH,
        )

        self._write_service_at_locations(services, locations, touched)

        # Locations that moved carry their new place and coordinates to every service offered there.
        moved: list[ServiceAtLocation] = []
        location_pks = [locations[u].pk for u in plan.locations]
        for chunk in _chunks(location_pks):
            for sal in ServiceAtLocation.objects.filter(location_id__in=chunk).select_related("location"):
                where = sal.location
                if (sal.place_id, sal.latitude, sal.longitude) != (where.place_id, where.latitude, where.longitude):
                    sal.place_id, sal.latitude, sal.longitude = where.place_id, where.latitude, where.longitude
                    moved.append(sal)
        ServiceAtLocation.objects.bulk_update(moved, ["place", "latitude", "longitude"], batch_size=_BATCH)

        reindex = set(touched) | {sal.service_id for sal in moved} | affected
        services_reindex(reindex)

        # last_modified moves only for services whose HSDS description really changed.
        after = _snapshots(affected)
        now = timezone.now()
        stamps = [Service(pk=pk, updated_at=old_updated[pk] if before[pk] == after.get(pk) else now) for pk in before]
        Service.objects.bulk_update(stamps, ["updated_at"], batch_size=_BATCH)
        self._recount_services(touched, before, after)

    def _recount_services(
        self, touched: list[int], before: Mapping[int, dict[str, Any]], after: Mapping[int, dict[str, Any]]
    ) -> None:
        counts = self.result.services
        counts.updated = counts.unchanged = 0
        for pk in touched:
            if pk not in before:
                continue  # created
            if before[pk] == after.get(pk):
                counts.unchanged += 1
            else:
                counts.updated += 1

    def _write_service_at_locations(
        self, services: Mapping[UUID, Service], locations: Mapping[UUID, Location], touched: list[int]
    ) -> None:
        counts = self.result.service_at_locations
        plans = {sal.uuid: (service, sal) for service in self.plan.services for sal in service.sals}
        current: dict[UUID, ServiceAtLocation] = {}
        for chunk in _chunks(touched):
            current.update({s.uuid: s for s in ServiceAtLocation.objects.filter(service_id__in=chunk)})
        current |= _by_uuid(ServiceAtLocation, plans)
        stale = [s.pk for u, s in current.items() if u not in plans]
        for chunk in _chunks(stale):
            ServiceAtLocation.objects.filter(pk__in=chunk).delete()

        created: list[ServiceAtLocation] = []
        changed: list[ServiceAtLocation] = []
        for sal_uuid, (service_plan, sal_plan) in plans.items():
            location = locations[sal_plan.location_uuid]
            values = {
                "service_id": services[service_plan.uuid].pk,
                "location_id": location.pk,
                "place_id": location.place_id,
                "latitude": location.latitude,
                "longitude": location.longitude,
                "open_24h": sal_plan.hours.open_24h,
            }
            obj = current.get(sal_uuid)
            if obj is None:
                created.append(ServiceAtLocation(uuid=sal_uuid, **values))
                continue
            if any(getattr(obj, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(obj, k, v)
                changed.append(obj)
            else:
                counts.unchanged += 1
        ServiceAtLocation.objects.bulk_update(
            changed, ["service", "location", "place", "latitude", "longitude", "open_24h"], batch_size=_BATCH
        )
        ServiceAtLocation.objects.bulk_create(created, batch_size=_BATCH)
        counts.created += len(created)
        counts.updated += len(changed)

        rows = {s.uuid: s for s in [*created, *changed]} | {u: current[u] for u in plans if u in current}
        sal_pks = [rows[u].pk for u in plans]
        for chunk in _chunks(sal_pks):
            OpeningHours.objects.filter(service_at_location_id__in=chunk).delete()
        OpeningHours.objects.bulk_create(
            [h for u, (_s, p) in plans.items() for h in mapping.hours_rows(rows[u], p.hours)], batch_size=_BATCH
        )


# --- Entry points --------------------------------------------------------------------------------------------


def import_document(document: Document) -> ImportResult:
    """Validate and write `document` in one transaction; raises HsdsImportError and writes nothing on any problem."""
    # Messages in English, like the HSDS schemas' own (the model's validation messages are translated).
    with translation.override("en"):
        validate_document(document)
        planner = Planner(document)
        plan = planner.build()
        result = ImportResult(warnings=planner.warnings)
        with transaction.atomic():
            Writer(plan, planner, result).write()
    return result


def import_file(path: str | os.PathLike[str]) -> ImportResult:
    return import_document(parse_document(read_file(Path(path))))
