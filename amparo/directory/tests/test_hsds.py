"""Open Referral HSDS 3.0: the read-only API, export and import, on whichever database the suite runs on.

Payloads are validated against the vendored official schemas (amparo/directory/hsds/schemas). Requests go through
the Django test client (real URL routing, middleware and JSON rendering); imports and exports through
call_command, like an operator would run them.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amparo.directory.hsds import importer, mapping, schemas
from amparo.directory.models import Location, OpeningHours, Organization, Place, Service, ServiceAtLocation
from amparo.directory.selectors import SearchCriteria, search_services
from amparo.directory.taxonomy import INCLUSION_FACT_CODES, TAXONOMY_URI

pytestmark = pytest.mark.django_db

API = "/api/hsds"


def get(client: Client, path: str, status: int = 200) -> Any:
    response = client.get(f"{API}{path}")
    assert response.status_code == status, (path, response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def assert_valid(name: str, payload: object) -> None:
    found = schemas.errors(name, payload, limit=10)
    assert not found, f"{name} {getattr(payload, 'get', lambda _k: '')('id')}: {found}"


def all_pages(client: Client, path: str, per_page: int = 200) -> list[dict[str, Any]]:
    sep = "&" if "?" in path else "?"
    first = get(client, f"{path}{sep}per_page={per_page}")
    items = list(first["contents"])
    for page in range(2, first["total_pages"] + 1):
        items += get(client, f"{path}{sep}per_page={per_page}&page={page}")["contents"]
    assert len(items) == first["total_items"]
    return items


def state() -> dict[str, object]:
    """Everything an import could change, to prove that a failed one changed nothing."""
    return {
        "organizations": sorted(Organization.objects.values_list("uuid", "name", "description", "email")),
        "locations": sorted(Location.objects.values_list("uuid", "name", "address", "place_id", "latitude")),
        "services": sorted(Service.objects.values_list("uuid", "name", "status", "phone", "updated_at", "search_text")),
        "sals": sorted(ServiceAtLocation.objects.values_list("uuid", "service__uuid", "location__uuid", "open_24h")),
        "hours": OpeningHours.objects.count(),
        "types": Service.types.through.objects.count(),
    }


def export(tmp_path: Path, name: str = "export.json") -> dict[str, Any]:
    path = tmp_path / name
    call_command("export_hsds", str(path), stdout=_Sink())
    return json.loads(path.read_text(encoding="utf-8"))


def import_file(path: Path) -> str:
    out = _Sink()
    call_command("import_hsds", str(path), stdout=out)
    return out.text


class _Sink:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def without_last_modified(document: dict[str, Any]) -> dict[str, Any]:
    copy = json.loads(json.dumps(document))
    for service in copy["services"]:
        service.pop("last_modified")
        service["organization"].pop("last_modified", None)
    return copy


def has_array(value: object) -> bool:
    if isinstance(value, list):
        return True
    return isinstance(value, dict) and any(has_array(v) for v in value.values())


@pytest.fixture
def small_directory(db: None) -> None:
    """The demo places and 30 synthetic services: enough to prove that a failed import changes nothing."""
    from amparo.directory.demo import build_directory

    build_directory(services=30)


def write_json(tmp_path: Path, data: object, name: str = "in.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --- API: shapes -------------------------------------------------------------------------------------------------


def test_root_gives_version_and_openapi(demo_directory: None, public_client: Client) -> None:
    root = get(public_client, "/")
    assert root["version"] == "3.0"
    assert root["profile"].startswith("https://")
    assert root["openapi_url"] == "http://localhost/api/openapi.json"
    spec = public_client.get("/api/openapi.json").json()
    assert {"/api/hsds/services", "/api/hsds/services/{id}", "/api/hsds/service_at_locations/{id}"} <= set(
        spec["paths"]
    )


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("/services", "service"),
        ("/services?full=true", "service"),
        ("/service_at_locations", "service_at_location"),
        ("/service_at_locations?full=true", "service_at_location"),
        ("/organizations", "organization"),
        ("/taxonomies", "taxonomy"),
        ("/taxonomy_terms", "taxonomy_term"),
    ],
)
def test_every_list_item_validates(demo_directory: None, public_client: Client, path: str, schema: str) -> None:
    items = all_pages(public_client, path)
    assert items
    for item in items:
        assert_valid(schema, item)
    if "full=true" not in path:  # the list shape has no arrays, at any depth
        assert not any(has_array(item) for item in items)


def test_every_detail_validates(demo_directory: None, public_client: Client) -> None:
    services = all_pages(public_client, "/services")
    for item in services:
        detail = get(public_client, f"/services/{item['id']}")
        assert_valid("service", detail)
        assert detail["service_at_locations"], "every demo service is offered somewhere"
        for sal in detail["service_at_locations"]:
            assert_valid("service_at_location", sal)
    for item in all_pages(public_client, "/service_at_locations"):
        detail = get(public_client, f"/service_at_locations/{item['id']}")
        assert_valid("service_at_location", detail)
        assert detail["service"]["id"] == detail["service_id"]
        assert detail["location"]["addresses"][0]["country"] in {"CO", "EC", "PE"}
    organizations = all_pages(public_client, "/organizations")
    for item in organizations[::7]:
        assert_valid("organization", get(public_client, f"/organizations/{item['id']}"))
        assert_valid("organization", get(public_client, f"/organizations/{item['id']}?full_service=true"))
    for item in all_pages(public_client, "/taxonomies"):
        assert get(public_client, f"/taxonomies/{item['id']}") == item
    for item in all_pages(public_client, "/taxonomy_terms"):
        detail = get(public_client, f"/taxonomy_terms/{item['id']}")
        assert_valid("taxonomy_term", detail)
        assert detail["taxonomy_detail"]["id"] == item["taxonomy_id"]


def test_service_mapping(demo_directory: None, public_client: Client) -> None:
    service = (
        Service.objects.filter(whatsapp__gt="", at_locations__hours__isnull=False, walk_in=True)
        .exclude(cost="")
        .distinct()
        .first()
    )
    assert service is not None
    service.email, service.url, service.eligibility = "a@example.org", "https://example.org/s", "Adults"
    service.languages = ["es", "en"]
    service.save()
    data = get(public_client, f"/services/{service.uuid}")
    assert data["status"] == "active" and data["name"] == service.name
    assert data["email"] == "a@example.org" and data["url"] == "https://example.org/s"
    assert data["eligibility_description"] == "Adults"
    assert data["fees_description"] == service.cost
    assert data["application_process"] == mapping.WALK_IN_TEXT
    assert data["assured_date"] == service.last_verified_on.isoformat()  # type: ignore[union-attr]
    assert [(p["number"], p.get("description")) for p in data["phones"]] == [
        (service.phone, None),
        (service.whatsapp, "WhatsApp"),
    ]
    assert [(lang["code"], lang["name"]) for lang in data["languages"]] == [("es", "Spanish"), ("en", "English")]
    sal = service.at_locations.get()
    expected = sorted((h.weekday, f"{h.opens_at:%H:%M}", f"{h.closes_at:%H:%M}") for h in sal.hours.all())
    days = {d: i + 1 for i, d in enumerate(mapping.WEEKDAYS)}
    got = sorted((days[d], s["opens_at"], s["closes_at"]) for s in data["schedules"] for d in s["byday"].split(","))
    assert got == expected
    assert all(s["freq"] == "WEEKLY" and s["timezone"] == -5 for s in data["schedules"])
    assert data["service_at_locations"][0]["schedules"] == data["schedules"]
    location = data["service_at_locations"][0]["location"]
    place = sal.location.place
    assert location["location_type"] == "physical"
    assert isinstance(location["latitude"], float) and location["latitude"] == sal.location.latitude
    address = location["addresses"][0]
    assert address["city"] == place.name and address["state_province"] == place.parent.name  # type: ignore[union-attr]
    assert address["country"] == place.pcode[:2] and address["postal_code"] == ""
    types = [a for a in data["attributes"] if a["link_type"] == "service_type"]
    assert {a["taxonomy_term"]["code"] for a in types} == {t.code for t in service.types.all()}
    assert all(a["taxonomy_term"]["taxonomy"] == TAXONOMY_URI for a in types)
    facts = {a["taxonomy_term"]["code"]: a for a in data["attributes"] if a["link_type"] == "inclusion_fact"}
    assert set(facts) == set(INCLUSION_FACT_CODES)
    for code, attribute in facts.items():
        assert attribute["value"] == ("true" if getattr(service, code) else "false")
        assert attribute["label"].endswith(f"(verified {service.fact_verified_on(code)})")
        assert attribute["link_id"] == str(service.uuid)


def test_open_24h_and_blank_organization_description(demo_directory: None, public_client: Client) -> None:
    sal = ServiceAtLocation.objects.filter(open_24h=True).select_related("service__organization").first()
    assert sal is not None
    org = sal.service.organization
    org.description = ""
    org.save()
    data = get(public_client, f"/service_at_locations/{sal.uuid}")
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in data["schedules"]] == [
        ("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59")
    ]
    assert get(public_client, f"/organizations/{org.uuid}")["description"] == org.name


def test_ids_are_stable_and_taxonomy_ids_deterministic(demo_directory: None, public_client: Client) -> None:
    service = Service.objects.first()
    assert service is not None
    first = get(public_client, f"/services/{service.uuid}")
    assert get(public_client, f"/services/{service.uuid}") == first
    taxonomies = {t["name"]: t for t in get(public_client, "/taxonomies")["contents"]}
    assert taxonomies["Amparo service types"]["id"] == str(uuid.uuid5(mapping.NAMESPACE, "taxonomy/service-types"))
    assert taxonomies["Amparo inclusion facts"]["uri"] == "https://amparo.example.org/taxonomy/inclusion-facts"
    terms = {t["code"]: t for t in get(public_client, "/taxonomy_terms?per_page=100")["contents"]}
    assert terms["hiv"]["id"] == str(uuid.uuid5(mapping.NAMESPACE, "service-types/hiv"))
    assert set(INCLUSION_FACT_CODES) <= set(terms)


def queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        get(client, path)
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        "/services?full=true",
        "/services?full=false",
        "/service_at_locations?full=true",
        "/service_at_locations?full=false",
        "/organizations?search=",
    ],
)
def test_lists_do_not_query_per_row(demo_directory: None, public_client: Client, path: str) -> None:
    small = queries(public_client, f"{path}&per_page=3")
    large = queries(public_client, f"{path}&per_page=200")
    assert small == large <= 6


def test_organization_detail_does_not_query_per_service(demo_directory: None, public_client: Client) -> None:
    org = Organization.objects.annotate(n=Count("services")).order_by("-n").first()
    assert org is not None and org.services.count() >= 1
    assert queries(public_client, f"/organizations/{org.uuid}?full_service=true") <= 6


# --- API: paging, filters, errors ----------------------------------------------------------------------------------


def test_paging_arithmetic(demo_directory: None, public_client: Client) -> None:
    total = Service.objects.count()
    per_page = 40
    pages = math.ceil(total / per_page)
    seen: list[str] = []
    for page in range(1, pages + 1):
        data = get(public_client, f"/services?per_page={per_page}&page={page}")
        assert data["total_items"] == total and data["total_pages"] == pages and data["page_number"] == page
        assert data["size"] == len(data["contents"]) == (per_page if page < pages else total - per_page * (pages - 1))
        assert data["first_page"] is (page == 1) and data["last_page"] is (page == pages)
        assert data["empty"] is False
        seen += [s["id"] for s in data["contents"]]
    assert len(seen) == len(set(seen)) == total
    beyond = get(public_client, f"/services?per_page={per_page}&page={pages + 1}")
    assert beyond["contents"] == [] and beyond["empty"] is True and beyond["last_page"] is True
    assert beyond["size"] == 0 and beyond["total_items"] == total
    nothing = get(public_client, "/services?search=zzqxwv")
    assert nothing == {
        "total_items": 0,
        "total_pages": 0,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }
    default = get(public_client, "/services")
    assert default["size"] == 50 and default["total_pages"] == math.ceil(total / 50)


@pytest.mark.parametrize(
    "path",
    [
        "/services?page=0",
        "/services?page=-1",
        "/services?page=abc",
        "/services?page=100001",
        "/services?per_page=0",
        "/services?per_page=201",
        "/services?per_page=ten",
        "/organizations?per_page=500",
        "/taxonomies?page=0",
        "/taxonomy_terms?per_page=1000",
        "/service_at_locations?page=0",
        "/services?taxonomy_term_id=hiv",
        "/services?taxonomy_id=1",
        "/services?organization_id=not-a-uuid",
        "/services?modified_after=yesterday",
        "/services?full=maybe",
        "/service_at_locations?organization_id=x",
        "/taxonomy_terms?taxonomy_id=x",
        "/services/not-a-uuid",
        "/services/1234",
        "/organizations/not-a-uuid",
        "/taxonomies/x",
        "/taxonomy_terms/x",
        "/service_at_locations/not-a-uuid",
    ],
)
def test_bad_input_is_400(demo_directory: None, public_client: Client, path: str) -> None:
    body = get(public_client, path, status=400)
    assert body["detail"]


@pytest.mark.parametrize("kind", ["services", "organizations", "taxonomies", "taxonomy_terms", "service_at_locations"])
def test_unknown_id_is_404(demo_directory: None, public_client: Client, kind: str) -> None:
    assert get(public_client, f"/{kind}/{uuid.uuid4()}", status=404) == {"detail": "Not found"}


def test_filters(demo_directory: None, public_client: Client) -> None:
    hiv = str(mapping.service_type_term_id("hiv"))
    found = all_pages(public_client, f"/services?taxonomy_term_id={hiv}")
    with_hiv = Service.objects.filter(types="hiv").values_list("uuid", flat=True)
    assert found and {s["id"] for s in found} == {str(u) for u in with_hiv}
    trans = str(mapping.fact_term_id("trans_affirming"))
    found = all_pages(public_client, f"/services?taxonomy_term_id={trans}")
    expected = Service.objects.filter(trans_affirming=True)
    assert found and {s["id"] for s in found} == {str(s.uuid) for s in expected}
    assert get(public_client, f"/services?taxonomy_term_id={uuid.uuid4()}")["total_items"] == 0
    assert get(public_client, f"/services?taxonomy_id={mapping.SERVICE_TYPES_TAXONOMY_ID}")["total_items"] == (
        Service.objects.count()
    )

    org = Organization.objects.filter(services__isnull=False).first()
    assert org is not None
    found = all_pages(public_client, f"/services?organization_id={org.uuid}")
    assert {s["id"] for s in found} == {str(s.uuid) for s in org.services.all()}
    sals = all_pages(public_client, f"/service_at_locations?organization_id={org.uuid}")
    assert {s["service"]["organization_id"] for s in sals} == {str(org.uuid)}

    # search goes through the directory's one search selector: the same services as the search page.
    hits = search_services(SearchCriteria(text="vih", page_size=10_000)).hits
    found = all_pages(public_client, "/services?search=vih")
    assert {s["id"] for s in found} == {str(h.sal.service.uuid) for h in hits}
    found = all_pages(public_client, "/service_at_locations?search=psicologa")
    hits = search_services(SearchCriteria(text="psicologa", page_size=10_000)).hits
    assert found and {s["id"] for s in found} == {str(h.sal.uuid) for h in hits}
    orgs = all_pages(public_client, "/organizations?search=psicologa")
    assert orgs and {o["id"] for o in orgs} == {str(h.sal.service.organization.uuid) for h in hits}

    recent = Service.objects.order_by("name").first()
    assert recent is not None
    Service.objects.update(updated_at=timezone.now() - timedelta(days=10))
    recent.save()  # auto_now: the only service modified since yesterday
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    found = get(public_client, f"/services?modified_after={since}")["contents"]
    assert [s["id"] for s in found] == [str(recent.uuid)]

    facts = str(mapping.FACTS_TAXONOMY_ID)
    terms = get(public_client, f"/taxonomy_terms?taxonomy_id={facts}")["contents"]
    assert {t["code"] for t in terms} == set(INCLUSION_FACT_CODES)
    assert get(public_client, "/taxonomy_terms?search=VIH")["total_items"] == 0  # names are published in English
    assert [t["code"] for t in get(public_client, "/taxonomy_terms?search=hiv")["contents"]] == ["hiv"]
    assert get(public_client, f"/taxonomy_terms?parent_id={uuid.uuid4()}")["empty"] is True


# --- Export and import: round trip -----------------------------------------------------------------------------


def test_export_round_trip(demo_directory: None, tmp_path: Path) -> None:
    first = export(tmp_path, "first.json")
    assert first["hsds_version"] == "3.0"
    assert len(first["services"]) == Service.objects.count()
    assert len(first["organizations"]) == Organization.objects.count()
    assert {t["uri"] for t in first["taxonomies"]} == {
        "https://amparo.example.org/taxonomy/service-types",
        "https://amparo.example.org/taxonomy/inclusion-facts",
    }
    for service in first["services"]:
        assert_valid("service", service)
    for org in first["organizations"]:
        assert_valid("organization", org)
    before = {
        s.uuid: (s.facts(), s.facts_verified_on, s.types.count(), set(s.search_text.split()))
        for s in Service.objects.prefetch_related("types")
    }

    Organization.objects.all().delete()  # wipe the directory (places stay)
    assert not Service.objects.exists()
    output = import_file(tmp_path / "first.json")
    n = len(first["services"])
    assert f"services {n} created, 0 updated, 0 unchanged" in output

    second = export(tmp_path, "second.json")
    assert without_last_modified(second) == without_last_modified(first)
    after = {
        s.uuid: (s.facts(), s.facts_verified_on, s.types.count(), set(s.search_text.split()))
        for s in Service.objects.prefetch_related("types")
    }
    assert after == before  # inclusion facts, their dates, types and the search index all survived

    # Importing the same file again changes nothing, not even last_modified.
    import_file(tmp_path / "second.json")
    third = export(tmp_path, "third.json")
    assert third == second
    assert (tmp_path / "second.json").read_text() == (tmp_path / "third.json").read_text()


def test_inclusion_facts_survive_round_trip(demo_directory: None, tmp_path: Path, public_client: Client) -> None:
    service = Service.objects.first()
    assert service is not None
    values = {code: i % 2 == 0 for i, code in enumerate(INCLUSION_FACT_CODES)}
    for code, value in values.items():
        setattr(service, code, value)
    service.facts_verified_on = {"no_id_required": "2024-02-29", "trans_affirming": "2023-12-01"}
    service.save()
    export(tmp_path)
    Organization.objects.all().delete()
    import_file(tmp_path / "export.json")
    service = Service.objects.get(uuid=service.uuid)
    assert service.facts() == values
    assert service.facts_verified_on == {"no_id_required": "2024-02-29", "trans_affirming": "2023-12-01"}
    assert service.fact_verified_on("no_id_required") == date(2024, 2, 29)
    data = get(public_client, f"/services/{service.uuid}")
    facts = {a["taxonomy_term"]["code"]: a for a in data["attributes"] if a["link_type"] == "inclusion_fact"}
    assert facts["no_id_required"]["value"] == "true"
    assert facts["no_id_required"]["label"] == "No ID document required (verified 2024-02-29)"
    assert facts["serves_irregular_migrants"]["value"] == "false"
    assert facts["serves_irregular_migrants"]["label"] == "Serves people in irregular migratory status"
    # and the search index knows the imported facts
    hits = search_services(SearchCriteria(facts=("no_id_required",), page_size=10_000)).hits
    assert service.uuid in {h.sal.service.uuid for h in hits}


def test_import_updates_by_id(demo_directory: None, tmp_path: Path) -> None:
    document = export(tmp_path)
    service = document["services"][0]
    service["name"] = "Nombre nuevo de prueba"
    service["status"] = "temporarily closed"
    sal = service["service_at_locations"][0]
    sal["schedules"] = [
        {"id": str(uuid.uuid4()), "freq": "WEEKLY", "byday": "SA,SU", "opens_at": "10:00", "closes_at": "14:00"}
    ]
    service["schedules"] = []
    path = write_json(tmp_path, {"hsds_version": "3.0", "services": [service]})
    untouched = document["services"][1]["id"]
    stamp = Service.objects.get(uuid=untouched).updated_at
    counts = Service.objects.count(), Organization.objects.count()
    output = import_file(path)
    assert "services 0 created, 1 updated" in output
    assert (Service.objects.count(), Organization.objects.count()) == counts
    updated = Service.objects.get(uuid=service["id"])
    assert updated.name == "Nombre nuevo de prueba" and updated.status == "inactive"
    hours = ServiceAtLocation.objects.get(uuid=sal["id"]).hours.all()
    assert [(h.weekday, h.opens_at, h.closes_at) for h in hours] == [(6, time(10), time(14)), (7, time(10), time(14))]
    assert " nombre nuevo " in updated.search_text
    assert Service.objects.get(uuid=untouched).updated_at == stamp


# --- Import: another tool's file -------------------------------------------------------------------------------

OTHER_TOOL_TAXONOMY = "https://openeligibility.org/"


def third_party_services() -> list[dict[str, Any]]:
    """What another HSDS 3 tool might publish: compiled services, nulls for empty fields, its own taxonomy."""
    return [
        {
            "id": "5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b01",
            "organization_id": "0d3f8a2e-51b7-4f6a-a6f1-7c2b9e0d4a10",
            "program_id": None,
            "name": "Consejería en salud sexual para mujeres trans",
            "alternate_name": None,
            "description": "Consejería, pruebas rápidas de VIH y entrega de condones.",
            "url": "https://example.net/servicios/consejeria",
            "email": "consejeria@example.net",
            "status": "active",
            "interpretation_services": "Intérprete de lengua de señas con cita previa",
            "application_process": "Llamar antes de ir.",
            "fees_description": None,
            "eligibility_description": "Mujeres trans mayores de 14 años",
            "minimum_age": 14,
            "maximum_age": None,
            "assured_date": "2025-03-10",
            "last_modified": "2025-03-11T15:20:00.000Z",
            "phones": [
                {"id": "7d5e3b1f-2a4c-4e8f-9b6d-1c3a5e7f9b02", "number": "+57 000 111 2222", "type": "voice"},
                {
                    "id": "7d5e3b1f-2a4c-4e8f-9b6d-1c3a5e7f9b03",
                    "number": "+57 000 333 4444",
                    "type": "cell",
                    "description": "Línea de WhatsApp",
                    "extension": None,
                },
            ],
            "schedules": [
                {
                    "id": "a3b1c2d4-e5f6-4a7b-8c9d-0e1f2a3b4c05",
                    "freq": "WEEKLY",
                    "byday": "MO,WE,FR",
                    "opens_at": "09:00:00",
                    "closes_at": "16:30:00",
                    "description": "Atención presencial",
                },
                {
                    "id": "a3b1c2d4-e5f6-4a7b-8c9d-0e1f2a3b4c06",
                    "freq": "WEEKLY",
                    "byday": "SA",
                    "opens_at": "14:00Z",
                    "closes_at": "18:00Z",
                },
                {
                    "id": "a3b1c2d4-e5f6-4a7b-8c9d-0e1f2a3b4c07",
                    "freq": "MONTHLY",
                    "byday": "1SU",
                    "opens_at": "09:00",
                    "closes_at": "12:00",
                },
            ],
            "service_at_locations": [
                {
                    "id": "c0ffee00-1234-4abc-8def-000000000001",
                    "service_id": "5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b01",
                    "location_id": "b1a2c3d4-0000-4000-8000-000000000001",
                    "description": None,
                    "location": {
                        "id": "b1a2c3d4-0000-4000-8000-000000000001",
                        "location_type": "physical",
                        "name": "Sede Centro",
                        "latitude": 7.89,
                        "longitude": -72.5,
                        "transportation": "Bus 12, parada Parque Santander",
                        "addresses": [
                            {
                                "id": "d1d2d3d4-0000-4000-8000-000000000001",
                                "address_1": "Avenida 5 # 10-20",
                                "address_2": "Piso 2",
                                "city": "CUCUTA",
                                "region": None,
                                "state_province": "Norte de Santander",
                                "postal_code": "540001",
                                "country": "CO",
                                "address_type": "physical",
                            }
                        ],
                    },
                },
                {
                    "id": "c0ffee00-1234-4abc-8def-000000000002",
                    "location": {
                        "id": "b1a2c3d4-0000-4000-8000-000000000002",
                        "location_type": "physical",
                        "name": "Punto móvil Paraguachón",
                        "latitude": 11.36,
                        "longitude": -72.13,
                        "addresses": [
                            {
                                "id": "d1d2d3d4-0000-4000-8000-000000000002",
                                "address_1": "Vía a Paraguachón km 3",
                                "city": "Paraguachón",
                                "state_province": "La Guajira",
                                "postal_code": "",
                                "country": "CO",
                                "address_type": "physical",
                            }
                        ],
                    },
                },
            ],
            "languages": [
                {"id": "e1e2e3e4-0000-4000-8000-000000000001", "name": "Spanish", "code": None},
                {"id": "e1e2e3e4-0000-4000-8000-000000000002", "name": "Portuguese", "code": "por"},
                {"id": "e1e2e3e4-0000-4000-8000-000000000003", "name": "Klingon", "code": None},
            ],
            "organization": {
                "id": "0d3f8a2e-51b7-4f6a-a6f1-7c2b9e0d4a10",
                "name": "Red Comunitaria Trans del Norte",
                "description": "Organización comunitaria de mujeres trans.",
                "email": None,
                "website": "https://example.net",
                "year_incorporated": 2015,
            },
            "cost_options": [{"id": "f1f2f3f4-0000-4000-8000-000000000001", "amount": 0, "currency": "COP"}],
            "attributes": [
                {
                    "id": "aa000000-0000-4000-8000-000000000001",
                    "taxonomy_term_id": "bb000000-0000-4000-8000-000000000001",
                    "taxonomy_term": {
                        "id": "bb000000-0000-4000-8000-000000000001",
                        "code": "sexual-reproductive-health",
                        "name": "Salud sexual y reproductiva",
                        "description": "Término de la taxonomía de Amparo, con id propio.",
                        "taxonomy": TAXONOMY_URI,
                    },
                },
                {
                    "id": "aa000000-0000-4000-8000-000000000002",
                    "taxonomy_term_id": str(mapping.service_type_term_id("hiv")),
                },
                {
                    "id": "aa000000-0000-4000-8000-000000000003",
                    "taxonomy_term_id": str(mapping.fact_term_id("trans_affirming")),
                    "value": "TRUE",
                },
                {
                    "id": "aa000000-0000-4000-8000-000000000004",
                    "taxonomy_term_id": "cc000000-0000-4000-8000-000000000001",
                    "taxonomy_term": {
                        "id": "cc000000-0000-4000-8000-000000000001",
                        "code": "1102",
                        "name": "Sexual health",
                        "description": "Open Eligibility: sexual health",
                        "taxonomy": OTHER_TOOL_TAXONOMY,
                    },
                },
            ],
            "contacts": [],
            "metadata": None,
        },
        {
            "id": "5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b02",
            "name": "Orientación jurídica gratuita",
            "status": "defunct",
            "organization": {
                "id": "0d3f8a2e-51b7-4f6a-a6f1-7c2b9e0d4a11",
                "name": "Consultorio Jurídico Popular",
                "description": "Consultorio Jurídico Popular",
            },
            "service_at_locations": [
                {
                    "id": "c0ffee00-1234-4abc-8def-000000000003",
                    "location_id": "b1a2c3d4-0000-4000-8000-000000000003",
                    "location": {
                        "id": "b1a2c3d4-0000-4000-8000-000000000003",
                        "location_type": "physical",
                        "addresses": [
                            {
                                "id": "d1d2d3d4-0000-4000-8000-000000000003",
                                "address_1": "Calle 1",
                                "city": "Bogota",
                                "state_province": "Cundinamarca",
                                "postal_code": "",
                                "country": "CO",
                                "address_type": "physical",
                            }
                        ],
                        "schedules": [
                            {
                                "id": "a3b1c2d4-e5f6-4a7b-8c9d-0e1f2a3b4c08",
                                "freq": "WEEKLY",
                                "byday": "MO,TU,WE,TH,FR,SA,SU",
                                "opens_at": "00:00",
                                "closes_at": "24:00",
                            }
                        ],
                    },
                }
            ],
        },
    ]


def test_import_other_tools_file(demo_directory: None, tmp_path: Path, public_client: Client) -> None:
    path = write_json(tmp_path, third_party_services())
    output = import_file(path)
    assert "services 2 created" in output
    assert "attributes with terms of other taxonomies: 1" in output
    assert "schedules that are not weekly opening hours: 1" in output
    assert "languages without a code we recognise: 1" in output

    first = Service.objects.get(uuid="5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b01")
    assert first.organization.name == "Red Comunitaria Trans del Norte"
    assert first.organization.website == "https://example.net" and first.organization.email == ""
    assert first.organization.kind == Organization.Kind.OTHER
    assert first.status == "active" and first.last_verified_on == date(2025, 3, 10)
    assert first.phone == "+57 000 111 2222" and first.whatsapp == "+57 000 333 4444"
    assert first.languages == ["es", "pt"]
    assert first.eligibility == "Mujeres trans mayores de 14 años"
    assert {t.code for t in first.types.all()} == {"sexual-reproductive-health", "hiv"}
    assert first.trans_affirming and first.free_of_charge  # free: a cost option of amount 0
    assert not first.no_id_required and first.facts_verified_on == {}
    assert first.walk_in is False

    sals = {str(s.uuid): s for s in first.at_locations.select_related("location__place")}
    centre = sals["c0ffee00-1234-4abc-8def-000000000001"]
    assert centre.location.place.pcode == "CO54001"  # "CUCUTA" matched Cúcuta by name
    assert centre.place.pcode == "CO54001" and centre.latitude == 7.89
    assert centre.location.address == "Avenida 5 # 10-20, Piso 2"
    assert centre.location.transportation == "Bus 12, parada Parque Santander"
    hours = sorted((h.weekday, h.opens_at, h.closes_at) for h in centre.hours.all())
    # 09:00-16:30 local on MO, WE, FR; 14:00Z-18:00Z on Saturday is 09:00-13:00 in Cúcuta (UTC-5).
    assert hours == [
        (1, time(9), time(16, 30)),
        (3, time(9), time(16, 30)),
        (5, time(9), time(16, 30)),
        (6, time(9), time(13)),
    ]
    mobile = sals["c0ffee00-1234-4abc-8def-000000000002"]
    assert mobile.location.place.pcode == "CO44430"  # not a municipality of ours: nearest centroid, Maicao
    assert mobile.location.organization == first.organization

    second = Service.objects.get(uuid="5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b02")
    assert second.status == "inactive"  # defunct
    assert second.organization.description == ""  # it only repeated the name
    sal = second.at_locations.select_related("location__place").get()
    assert sal.location.place.pcode == "CO11001"  # "Bogota" is unique, though the department is spelled otherwise
    assert sal.location.name == "Consultorio Jurídico Popular"  # no name: the organisation's
    place = sal.location.place
    assert (sal.location.latitude, sal.location.longitude) == (place.latitude, place.longitude)  # the centroid
    assert sal.open_24h and not sal.hours.exists()

    # The imported services are searchable and served by the API like any other.
    hits = search_services(SearchCriteria(text="consejeria trans", page_size=100)).hits
    assert first.uuid in {h.sal.service.uuid for h in hits}
    assert_valid("service", get(public_client, f"/services/{first.uuid}"))

    # And importing the same file again changes nothing.
    snapshot = state()
    assert "services 0 created, 0 updated, 2 unchanged" in import_file(path)
    assert state() == snapshot


# --- Import: invalid files change nothing ---------------------------------------------------------------------


def _with(change: Any) -> Any:
    def build() -> Any:
        services = third_party_services()
        change(services)
        return services

    return build


def _set(path: str, value: object) -> Any:
    def change(services: list[dict[str, Any]]) -> None:
        *parents, last = path.split("/")
        target: Any = services
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return _with(change)


_DELETE = object()
LOC = "0/service_at_locations/0/location"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"hsds_version": "3.0", "services": [', "bad JSON: Expecting value at line 1, column 38"),
        (b"[{'id': 1}]", "bad JSON"),
        (b"[NaN]", "bad JSON: NaN is not allowed"),
        (b"", "bad JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data: the file is a PNG image"),
        (b"[{}]\x00\x00", "binary data: NUL byte at offset 4"),
        ('[{"name": "Atención"}]'.encode("latin-1"), "wrong encoding: byte 0xf3 at offset 17 is not UTF-8"),
        ('[{"name": "x"}]'.encode("utf-16"), "wrong encoding: the file is UTF-16"),
        (b'"just a string"', "the top level must be a JSON object"),
        (b'{"services": []}', 'must be an export document with "hsds_version"'),
        (b'{"hsds_version": "2.0", "services": []}', "hsds_version: '2.0' is not supported"),
        (b'{"hsds_version": "3.0", "servises": []}', "unknown top-level key 'servises'"),
        (b'{"hsds_version": "3.0", "services": {}}', "services: must be a JSON array"),
        (b"[1, 2]", "services[0]: must be a JSON object, not int"),
        (_set("0/status", _DELETE), "services[0] (id 5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b01): status: is required"),
        (_set("1/status", "open"), "services[1] (id 5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b02): status: 'open' is not one"),
        (_set("1/id", "svc-2"), "services[1] (id svc-2): id: 'svc-2' is not a 'uuid'"),
        (_set(f"{LOC}/latitude", "7.89"), "service_at_locations/0/location/latitude: '7.89' is not of type 'number'"),
        (_set(f"{LOC}/addresses/0/city", _DELETE), "location/addresses/0/city: is required"),
        (_set("0/schedules/0/freq", "DAILY"), "schedules/0/freq: 'DAILY' is not one of ['WEEKLY', 'MONTHLY']"),
        (
            _set(f"{LOC}/addresses/0/city", "Gotham"),
            "services[0] (id 5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b01): service_at_locations/0/location: location "
            "'Sede Centro': no municipality matches city 'Gotham', state_province 'Norte de Santander', and no "
            "municipality centroid is within 30 km of (40.7, -74.0)",
        ),
        (_set(f"{LOC}/addresses/0/country", "VE"), "country 'VE' is not in the directory's places"),
        (_set("0/schedules/0/opens_at", "9am"), "services[0] (id 5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b01): schedules/0"),
        (_set("0/schedules/0/closes_at", "25:00"), "schedules/0/closes_at: '25:00' is not a time of day"),
        (_set("0/assured_date", "last week"), "assured_date: 'last week' is not a date"),
        (_set("0/attributes/2/value", "maybe"), 'attributes/2/value: \'maybe\' is not "true" or "false"'),
        (_set("0/attributes/0/taxonomy_term/code", "yoga"), "attributes/0/taxonomy_term/code: 'yoga' is not a code"),
        (_set("0/email", "not-an-email"), "email: 'not-an-email' is not a 'email'"),
        (_set("0/url", "ftp:/x"), "services[0] (id 5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b01): url: Enter a valid URL."),
        (_set("1/name", "x" * 201), "name: Ensure this value has at most 200 characters"),
        (_set("1/organization", _DELETE), "services[1] (id 5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b02): organization_id: "),
        (_set("1/organization_id", str(uuid.UUID(int=5))), "organization/id: differs from organization_id"),
        (_set("0/service_at_locations/1/location/id", "b1a2c3d4-0000-4000-8000-000000000001"), "the same location"),
        (_with(lambda s: s.append(s[0])), "services[2] (id 5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b01): the same id as "),
        (
            _set("1/service_at_locations/0/id", "c0ffee00-1234-4abc-8def-000000000001"),
            "services[1] (id 5a1c1c40-8f3b-4c55-9e2e-0f8f3a1d2b02): service_at_locations/0: the same id as services[0]",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None,
)
def test_invalid_file_changes_nothing(small_directory: None, tmp_path: Path, content: Any, message: str) -> None:
    if callable(content):
        data = content()
        if "Gotham" in message:
            location = data[0]["service_at_locations"][0]["location"]
            location["latitude"], location["longitude"] = 40.7, -74.0
        path = write_json(tmp_path, data)
    else:
        path = tmp_path / "in.json"
        path.write_bytes(content)
    before = state()
    with pytest.raises(CommandError) as error:
        import_file(path)
    assert "nothing imported" in str(error.value)
    assert message in str(error.value), str(error.value)
    assert state() == before


def test_failure_late_in_the_write_rolls_everything_back(demo_directory: None, tmp_path: Path) -> None:
    """The first service and both organisations are valid and written first; the second service's name is too long
    for our field, which only the model notices; the transaction leaves nothing behind."""
    services = third_party_services()
    services[1]["name"] = "x" * 300
    before = state()
    with pytest.raises(CommandError, match="name"):
        import_file(write_json(tmp_path, services))
    assert state() == before
    assert not Organization.objects.filter(name="Red Comunitaria Trans del Norte").exists()


def test_too_large_and_missing_files(small_directory: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert importer.MAX_FILE_BYTES == 50 * 1024 * 1024
    path = write_json(tmp_path, third_party_services())
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 1024)
    before = state()
    with pytest.raises(CommandError, match=r"is too large \(0\.0 MB\); the limit is 0 MB"):
        import_file(path)
    with pytest.raises(CommandError, match=r"cannot read .*missing\.json: No such file"):
        import_file(tmp_path / "missing.json")
    assert state() == before


def test_export_document_is_plain_utf8_json(demo_directory: None, tmp_path: Path) -> None:
    document = export(tmp_path)
    raw = (tmp_path / "export.json").read_bytes()
    assert "Cúcuta".encode() in raw  # UTF-8, not \u escapes
    assert list(document) == ["hsds_version", "organizations", "services", "taxonomies", "taxonomy_terms"]
    place = Place.objects.get(pcode="CO54001")
    assert any(
        sal["location"]["addresses"][0]["city"] == place.name
        for service in document["services"]
        for sal in service["service_at_locations"]
    )


def test_dry_run_writes_nothing_and_stdout_export(
    demo_directory: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_json(tmp_path, third_party_services())
    before = state()
    out = _Sink()
    call_command("import_hsds", str(path), "--dry-run", stdout=out)
    assert out.text.startswith("Dry run, nothing written. Would import: organizations 2 created")
    assert state() == before
    capsys.readouterr()
    call_command("export_hsds", "-")
    assert json.loads(capsys.readouterr().out) == export(tmp_path)


def test_service_at_location_may_refer_to_an_existing_location(demo_directory: None, tmp_path: Path) -> None:
    document = export(tmp_path)
    service = document["services"][0]
    other = Location.objects.exclude(uuid=service["service_at_locations"][0]["location_id"]).first()
    assert other is not None
    new_sal = str(uuid.uuid4())
    service["service_at_locations"] = [{"id": new_sal, "location_id": str(other.uuid)}]
    service["schedules"] = []
    import_file(write_json(tmp_path, [service]))
    sal = ServiceAtLocation.objects.get(uuid=new_sal)
    assert sal.location == other and sal.place_id == other.place_id and sal.service.uuid == uuid.UUID(service["id"])
    assert Service.objects.get(uuid=service["id"]).at_locations.count() == 1  # the old one was replaced
    missing = {"id": str(uuid.uuid4()), "location_id": str(uuid.uuid4())}
    service["service_at_locations"] = [missing]
    with pytest.raises(CommandError, match=f"location_id: {missing['location_id']} is neither in the file nor"):
        import_file(write_json(tmp_path, [service]))
