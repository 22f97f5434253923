"""Situation reports: input, tables through the statistics layer, the chart, the HTML and the PDF (WeasyPrint,
nothing fetched), the build as a background task, the command, retention."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from defusedxml import ElementTree as ET
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from amparo.audit.models import AuditEntry
from amparo.cases.models import Consent
from amparo.core.disclosure import ORGANISATION_THRESHOLD, PUBLIC_THRESHOLD, protect_table
from amparo.core.pdf import LocalOnlyFetcher, render_pdf
from amparo.insights.models import ReportFailure, ReportScope, ReportStatus, SituationReport
from amparo.insights.report_services import ReportRequest, report_build, report_request, reports_purge
from amparo.insights.reports import (
    ReportInputError,
    parse_period,
    parse_scope,
    render_report_html,
    report_table,
)
from amparo.insights.statistics import Scope, dashboard_tables
from amparo.insights.tables import Category, Dimension, StatTable
from amparo.insights.tasks import build_situation_report

from .report_world import PERIOD, World, add_cases, build_world

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def world() -> World:
    return build_world()


def _request(
    world: World, kind: str = ReportScope.ORGANISATION, country: str = "", language: str = "en"
) -> ReportRequest:
    return ReportRequest(
        scope_kind=kind,
        start=PERIOD[0],
        end=PERIOD[1],
        language=language,
        scope_organization=world.org if kind == ReportScope.ORGANISATION else None,
        country=country,
    )


# --- Input ----------------------------------------------------------------------------------------------------------


def test_a_period_is_whole_months_not_empty_and_at_most_24() -> None:
    today = date(2026, 7, 15)
    assert parse_period("2026-01..2026-06", today) == (date(2026, 1, 1), date(2026, 6, 30))
    assert parse_period("2024-02", today) == (date(2024, 2, 1), date(2024, 2, 29))
    assert parse_period("2024-08..2026-07", today) == (date(2024, 8, 1), date(2026, 7, 31))  # 24 months
    with translation.override("en"):
        for text, words in [
            ("2026-06..2026-01", "empty"),
            ("2024-07..2026-07", "at most 24 months; this period has 25"),
            ("2026-13", "not a month"),
            ("junio", "not a month"),
            ("2026-01..", "first and last month"),
            ("2026-01..2026-02..2026-03", "first and last month"),
            ("2026-08..2026-09", "not begun"),
        ]:
            with pytest.raises(ReportInputError, match=words):
                parse_period(text, today)


def test_a_scope_is_the_region_a_country_or_an_organisation() -> None:
    assert parse_scope("region").kind == ReportScope.REGION
    assert parse_scope("country:co").country == "CO"
    assert parse_scope("org:1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed").organization_uuid.startswith("1b9d")
    with translation.override("en"):
        for text in ("planet", "country:", "org:", "region:CO", ""):
            with pytest.raises(ReportInputError, match="not a scope"):
                parse_scope(text)


# --- The chart ------------------------------------------------------------------------------------------------------


def _table(counts: list[list[int]], threshold: int, *, column_totals: bool = True) -> StatTable:
    return StatTable(
        key="test.zone_by_gender",
        title="People by zone",
        description="People counted, by zone and gender.",
        rows=Dimension("zone_type", "Zone"),
        columns=Dimension("gender_identity", "Gender"),
        row_categories=tuple(Category(f"r{i}", f"Row <{i}>") for i in range(len(counts))),
        column_categories=tuple(Category(f"c{j}", f"Col {j}") for j in range(len(counts[0]))),
        protected=protect_table(counts, threshold, column_totals=column_totals),
        threshold=threshold,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        sources=("cases",),
    )


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_the_report_chart_draws_row_totals_and_never_a_hidden_count_as_zero() -> None:
    with translation.override("en"):
        # Row totals 40, 7 (under 11) and 0: the small total and its cells are hidden, with complements so the
        # grand total does not give them away: some hidden counts are large, so every one is written "hidden".
        table = _table([[20, 20], [3, 4], [0, 0]], PUBLIC_THRESHOLD)
        svg = report_table(table).chart.svg  # the dashboards' chart (charts.chart_for)
        root = ET.fromstring(svg)  # well-formed XML
        assert root.find(f"{SVG}title") is not None and "People by zone" in (root.find(f"{SVG}title").text or "")
        desc = root.find(f"{SVG}desc").text or ""
        assert root.get("role") == "img" and "desc" in (root.get("aria-labelledby") or "")
        texts = _texts(svg)
        assert "Row <1>" in texts  # labels escaped, read back intact
        hidden_row = table.protected.row_totals[1]
        assert hidden_row is None
        assert "0" not in texts[texts.index("Row <1>") + 1 :][:1]  # the hidden total is not drawn as 0
        assert "0" in texts[texts.index("Row <2>") + 1 :][:1]  # a true zero is
        assert table.protected.complementary > 0 and "hidden" in texts
        assert "hidden" in desc and "7" not in desc


def test_small_counts_alone_are_written_fewer_than_n() -> None:
    with translation.override("en"):
        # One column, no column totals: the 3 and its row total are hidden for being small, nothing else is.
        table = _table([[3], [30], [0]], ORGANISATION_THRESHOLD, column_totals=False)
        assert table.protected.complementary == 0 and table.protected.row_totals == (None, 30, 0)
        item = report_table(table)
        texts = _texts(item.chart.svg)
        assert texts[texts.index("Row <0>") + 1] == "fewer than 5"
        assert texts[texts.index("Row <1>") + 1] == "30"  # a one-column table's row total is its cell, shown
        assert "hidden" not in texts
        assert not item.view.has_row_totals and [r.total.value for r in item.view.rows] == [None, 30, 0]


# --- Building -------------------------------------------------------------------------------------------------------


def test_an_organisation_report_is_built_by_the_task_with_the_organisation_threshold(world: World) -> None:
    add_cases(world.org, "CO54001", 14, date(2026, 2, 1))  # border
    add_cases(world.org, "CO11001", 3, date(2026, 3, 1), gender="cis_woman")  # urban, small
    add_cases(world.org, "CO54001", 9, date(2026, 3, 1), consent=False)  # not counted
    add_cases(world.other, "CO54001", 20, date(2026, 2, 1))  # another organisation
    report = report_request(actor=world.users["coordinator"], organization=world.org, request=_request(world))
    assert report.status == ReportStatus.QUEUED and report.threshold == ORGANISATION_THRESHOLD
    assert build_situation_report.call(report.pk) == ReportStatus.BUILT  # the task's function, for real
    report.refresh_from_db()
    assert report.status == ReportStatus.BUILT and report.failure == "" and report.built_at is not None
    pdf = bytes(report.pdf or b"")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and report.pdf_bytes == len(pdf)
    frozen = [StatTable.from_json(t) for t in report.tables]
    assert frozen and all(t.threshold == ORGANISATION_THRESHOLD for t in frozen)
    assert 17 in {t.protected.total for t in frozen}  # her organisation's consented cases only
    assert report.parameters["threshold"] == 5 and report.parameters["period_end"] == "2026-06-30"
    actions = list(
        AuditEntry.objects.filter(object_id=str(report.uuid)).order_by("seq").values_list("action", flat=True)
    )
    assert actions == ["insights.report.request", "insights.report.build"]
    assert build_situation_report.call(report.pk) == ""  # a second run builds nothing


def test_the_html_has_the_method_the_parameters_and_fewer_than_n(world: World) -> None:
    add_cases(world.org, "CO54001", 14, date(2026, 2, 1))
    add_cases(world.org, "CO11001", 3, date(2026, 3, 1))
    report = report_request(actor=None, organization=world.org, request=_request(world))
    tables = dashboard_tables(scope=Scope("organisation", world.org.pk), start=PERIOD[0], end=PERIOD[1], language="en")
    html = render_report_html(report, tables)
    assert "Situation report" in html and "Red Violeta (prueba)" in html
    assert "January 2026 to June 2026" in html
    assert "Cases recorded by the member organisations" in html or not any("cases" in t.sources for t in tables)
    assert "How the figures were made" in html and "Disclosure threshold" in html
    assert "fewer than 5" in html or "hidden" in html
    assert html.count("<svg") == len(tables) and html.count("<table>") == len(tables)
    assert "<title" in html and "<desc" in html
    assert str(report.uuid) in html
    with translation.override("es"):
        spanish = render_report_html(SituationReport(**{**_fields(report), "language": "es"}), tables)
    assert "Informe de situación" in spanish and f"{len(tables)} tabla" in spanish


def _fields(report: SituationReport) -> dict[str, object]:
    return {f.attname: getattr(report, f.attname) for f in report._meta.concrete_fields}


def test_a_consent_withdrawn_leaves_the_next_report(world: World) -> None:
    cases = add_cases(world.org, "CO54001", 12, date(2026, 2, 1))
    first = report_build(report_request(actor=None, organization=world.org, request=_request(world)).pk)
    assert first is not None and 12 in _totals(first)
    Consent.objects.filter(case=cases[0]).update(withdrawn_at=timezone.now())
    second = report_build(report_request(actor=None, organization=world.org, request=_request(world)).pk)
    assert second is not None and 11 in _totals(second) and 12 not in _totals(second)
    first.refresh_from_db()
    assert 12 in _totals(first)  # what was built stays as it was built


def _totals(report: SituationReport) -> set[int | None]:
    return {StatTable.from_json(t).protected.total for t in report.tables}


def test_a_country_report_uses_the_public_threshold(world: World) -> None:
    add_cases(world.org, "CO54001", 14, date(2026, 2, 1))
    add_cases(world.other, "CO54001", 3, date(2026, 2, 1))
    add_cases(world.org, "EC04001" if _has("EC04001") else "CO11001", 4, date(2026, 4, 1))
    report = report_request(actor=None, organization=world.org, request=_request(world, ReportScope.COUNTRY, "CO"))
    built = report_build(report.pk)
    assert built is not None and built.status == ReportStatus.BUILT
    assert built.threshold == PUBLIC_THRESHOLD
    assert all(t["threshold"] == PUBLIC_THRESHOLD for t in built.tables)


def _has(pcode: str) -> bool:
    from amparo.directory.models import Place

    return Place.objects.filter(pcode=pcode).exists()


def test_a_country_with_no_data_fails_in_our_words(world: World) -> None:
    add_cases(world.org, "CO54001", 14, date(2026, 2, 1))
    report = report_request(actor=None, organization=None, request=_request(world, ReportScope.COUNTRY, "PE"))
    built = report_build(report.pk)
    assert built is not None and built.status == ReportStatus.FAILED and built.failure == ReportFailure.NO_DATA
    assert built.pdf is None and built.tables == []
    with translation.override("en"):
        assert built.failure_text.startswith("There are no figures for this scope in this period")
    entry = AuditEntry.objects.get(action="insights.report.build", object_id=str(report.uuid))
    assert entry.detail["failure"] == "no_data"


def test_a_build_stops_when_a_table_has_a_lower_threshold_than_the_report(world: World) -> None:
    add_cases(world.org, "CO54001", 14, date(2026, 2, 1))
    report = report_request(actor=None, organization=world.org, request=_request(world))
    SituationReport.objects.filter(pk=report.pk).update(threshold=PUBLIC_THRESHOLD)  # asks more than 5
    built = report_build(report.pk)
    assert built is not None and built.failure == ReportFailure.THRESHOLD and built.pdf is None


def test_an_organisation_report_without_its_organisation_fails_in_our_words(world: World) -> None:
    report = SituationReport.objects.create(
        organization=world.org, scope_kind=ReportScope.ORGANISATION, period_start=PERIOD[0], period_end=PERIOD[1],
        language="en", threshold=5,
    )  # fmt: skip
    built = report_build(report.pk)
    assert built is not None and built.failure == ReportFailure.SCOPE_GONE


# --- The PDF fetches nothing ------------------------------------------------------------------------------------------


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_rendering_fetches_nothing_from_the_network(http_server: str) -> None:
    _Counting.hits = []
    html = (
        f'<html><head><link rel="stylesheet" href="{http_server}/style.css">'
        f"<style>@import url({http_server}/more.css); body{{background:url({http_server}/bg.png)}}</style></head>"
        f'<body><p>Hola</p><img src="{http_server}/logo.png"><img src="file:///etc/passwd">'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt=""></body></html>'
    )
    fetcher = LocalOnlyFetcher()
    pdf = render_pdf(html, fetcher)
    assert pdf.startswith(b"%PDF-")
    assert _Counting.hits == []  # the server never heard from WeasyPrint
    assert any(url.endswith("/logo.png") for url in fetcher.refused)
    assert any(url.startswith("file:") for url in fetcher.refused)
    assert not any(url.startswith("data:") for url in fetcher.refused)


# --- The command ------------------------------------------------------------------------------------------------------


def test_the_command_builds_an_organisation_report(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    add_cases(world.org, "CO54001", 14, date(2026, 2, 1))
    call_command("build_situation_report", scope=f"org:{world.org.uuid}", period="2026-01..2026-06", language="pt")
    assert "Built situation report" in capsys.readouterr().out
    report = SituationReport.objects.get()
    assert report.organization == world.org and report.language == "pt" and report.status == ReportStatus.BUILT
    assert report.requested_by is None


def test_the_command_refuses_bad_input_in_words(world: World) -> None:
    add_cases(world.org, "CO54001", 14, date(2026, 2, 1))
    for options, words in [
        ({"scope": "planet"}, "not a scope"),
        ({"scope": "country:ZZ"}, "not a country"),
        ({"scope": "org:not-a-uuid"}, "no organisation"),
        ({"scope": "org:1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"}, "no organisation"),
        ({"period": "2026-06..2026-01"}, "empty"),
        ({"period": "2024-01..2026-06"}, "at most 24"),
        ({"language": "fr"}, "unknown language"),
        ({"organisation": "nope"}, "no organisation"),
    ]:
        arguments = {"scope": "region", "period": "2026-01..2026-06", "language": "es", **options}
        with pytest.raises(CommandError, match=words):
            call_command("build_situation_report", **arguments)
    assert not SituationReport.objects.exists()
    with pytest.raises(CommandError, match="was not built: There are no figures"):
        call_command("build_situation_report", scope="country:PE", period="2026-01..2026-06")
    assert SituationReport.objects.get().status == ReportStatus.FAILED  # kept, with the reason


def test_the_command_files_a_region_report_for_an_organisation(world: World) -> None:
    add_cases(world.org, "CO54001", 14, date(2026, 2, 1))
    call_command(
        "build_situation_report", scope="region", period="2026-01..2026-06", organisation=str(world.other.uuid)
    )
    report = SituationReport.objects.get()
    assert report.organization == world.other and report.scope_kind == ReportScope.REGION
    assert report.threshold == PUBLIC_THRESHOLD


# --- Retention ------------------------------------------------------------------------------------------------------


def test_old_reports_are_purged_and_the_purge_audited(world: World, settings: object) -> None:
    old = report_request(actor=None, organization=world.org, request=_request(world))
    kept = report_request(actor=None, organization=world.org, request=_request(world))
    platform = report_request(actor=None, organization=None, request=_request(world, ReportScope.REGION))
    long_ago = timezone.now() - timedelta(days=731)
    SituationReport.objects.filter(pk__in=[old.pk, platform.pk]).update(requested_at=long_ago)
    assert reports_purge(dry_run=True) == 2 and SituationReport.objects.count() == 3
    call_command("purge_situation_reports")
    assert list(SituationReport.objects.values_list("pk", flat=True)) == [kept.pk]
    purges = AuditEntry.objects.filter(action="insights.report.purge").order_by("seq")
    assert [(e.organization_id, e.detail["deleted"]) for e in purges] == [(None, 1), (world.org.pk, 1)]
    call_command("audit_verify")
