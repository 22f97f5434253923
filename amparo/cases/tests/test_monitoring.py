"""Ombudsman monitoring through real HTTP: a monitor sees the trafficking alerts of her organisation's areas only
(areas may be a department: its municipalities count), never an identity, a case code only with consent, and
trends with small counts hidden by core.disclosure."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from amparo.access import alerts_for_monitor
from amparo.accounts.models import Organization
from amparo.accounts.roles import Role
from amparo.accounts.tests.http import Browser
from amparo.audit.models import AuditEntry
from amparo.cases import services
from amparo.cases.models import TraffickingAlert
from amparo.cases.monitoring import one_way, threshold
from amparo.directory.models import Place
from amparo.safechannel.tests.conftest import make_staff, place, staff_login

pytestmark = pytest.mark.django_db(transaction=True)


def alert(where: Place, *, on: date, indicators: list[str], code: str = "", stats: bool = True) -> TraffickingAlert:
    return TraffickingAlert.objects.create(
        place=where, gbv_type="rape", indicators=indicators, raised_on=on, detail_consented=bool(code), case_code=code,
        statistics_consented=stats,
    )  # fmt: skip


def test_suppression_hides_small_cells_and_their_complement() -> None:
    with translation.override("en"):
        # The 3 is small; the total would give it away, so the smallest other count (17) is hidden with it: a
        # complement may be large, so both read "hidden" (never "fewer than 11" for a 17).
        cells, total, table = one_way([30, 3, 17, 0], 11)
        assert cells == ["30", "hidden", "hidden", "0"] and total == "50" and table.complementary == 1
        # Both small, and the total small too: only small counts hidden, so they read "fewer than 11".
        cells, total, _t = one_way([2, 1], 11)
        assert cells == ["fewer than 11", "fewer than 11"] and total == "fewer than 11"
        cells, total, _t = one_way([19, 16], 11)
        assert cells == ["19", "16"] and total == "35"
        cells, total, _t = one_way([], 11)
        assert cells == [] and total == "0"
    assert threshold() == 11  # a regional output (DESIGN.md rule 6), the insights' public threshold


def test_monitor_sees_alerts_of_her_area_only_and_no_identity(live_server: Any) -> None:
    co = place("CO", "Colombia", Place.Level.COUNTRY, None, 4.6, -74.1)
    ns = place("CO54", "Norte de Santander", Place.Level.ADMIN1, co, 7.9, -72.5)
    cucuta = place("CO54001", "Cúcuta", Place.Level.ADMIN2, ns, 7.89, -72.5)
    villa = place("CO54874", "Villa del Rosario", Place.Level.ADMIN2, ns, 7.83, -72.47)
    guajira = place("CO44", "La Guajira", Place.Level.ADMIN1, co, 11.5, -72.9)
    maicao = place("CO44430", "Maicao", Place.Level.ADMIN2, guajira, 11.38, -72.24)
    defensoria = Organization.objects.create(name="Defensoría regional (test)", kind="ombudsman")
    defensoria.areas.add(ns)
    monitor = make_staff("monitora@defensoria.example.org", defensoria, Role.MONITOR, with_key=False)
    ngo = Organization.objects.create(name="Red (monitoring test)")
    ngo.areas.add(ns)
    caseworker = make_staff("gestora@red-monitoring.example.org", ngo, Role.CASEWORKER, with_key=False)

    # A real alert from a case: no identity, no case code without consent.
    intake = services.Intake(full_name="Nombre-Oculto-Ámbar", place=cucuta, consents=["services"])
    case = services.case_open(actor=caseworker, organization=ngo, intake=intake)
    services.risk_assess(
        actor=caseworker, case=case, persecution="yes", indicators=["debt_bondage", "retained_documents"],
        safety_plan="Plan-Secreto",
    )  # fmt: skip
    consented = services.case_open(
        actor=caseworker,
        organization=ngo,
        intake=services.Intake(place=villa, consents=["services", "monitor_details"]),
    )
    services.risk_assess(actor=caseworker, case=consented, persecution="no", indicators=["deception"], safety_plan="")
    this_month = timezone.localdate()
    for _ in range(12):
        alert(cucuta, on=this_month, indicators=["coercion"])
    for _ in range(3):
        alert(villa, on=this_month, indicators=["coercion"])
    alert(maicao, on=this_month, indicators=["coercion"], code="C-MAIC-AOOO")  # outside her area

    assert set(alerts_for_monitor(monitor).values_list("place__pcode", flat=True)) == {"CO54001", "CO54874"}
    browser = Browser(live_server.url)
    staff_login(browser, monitor)
    page = browser.get("/staff/monitoring/")
    assert page.status == 200
    text = page.text
    assert "Maicao" not in text and "C-MAIC-AOOO" not in text
    assert case.code not in text and "Nombre-Oculto" not in text and "Plan-Secreto" not in text
    assert consented.code in text  # she consented to give the Ombudsman her case code
    with translation.override("es"):
        debt_bondage = gettext("Debt bondage")
    assert debt_bondage in text and "Villa del Rosario" in text
    # Trends count only alerts with statistics consent (not the two real cases'): Cúcuta 12, Villa del Rosario 3
    # (under 11, and Cúcuta is hidden with it: the total would tell; both then read "hidden", as a 12 is not
    # "fewer than 11").
    by_place = text.split('id="by-place"')[1].split("</table>")[0]
    with translation.override("es"):
        hidden = gettext("hidden")
    assert by_place.count(f"<td>{hidden}</td>") == 2 and "<td>12</td>" not in by_place and "<td>15</td>" in by_place
    by_month = text.split('id="by-month"')[1].split("</table>")[0]
    assert this_month.strftime("%Y-%m") in by_month and "<td>15</td>" in by_month
    assert AuditEntry.objects.filter(action="monitoring.alerts.read", actor_id=monitor.pk).exists()

    # Her later consents reach the alert at once: statistics counts it; withdrawing "more for the Ombudsman"
    # takes her case code away.
    services.consent_record(actor=caseworker, case=case, kind="statistics", method="verbal")
    services.consent_withdraw(actor=caseworker, case=consented, kind="monitor_details")
    text = browser.get("/staff/monitoring/").text
    assert "<td>16</td>" in text.split('id="by-month"')[1].split("</table>")[0]
    assert consented.code not in text

    # A caseworker is not a monitor: 404; an area that is a whole country includes its municipalities.
    other = Browser(live_server.url)
    staff_login(other, caseworker)
    assert other.get("/staff/monitoring/").status == 404
    defensoria.areas.set([co])
    assert alerts_for_monitor(monitor).count() == 18
    old = alert(maicao, on=this_month - timedelta(days=70), indicators=["minors_involved"])
    assert alerts_for_monitor(monitor).filter(pk=old.pk).exists()
