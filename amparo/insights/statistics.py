# Placeholder of branch publish: replaced by branch stats at merge.
"""The statistics layer's public entry point, as the publication needs it (issue 16, parts 3 and 5).

Only `Scope` and `public_tables` are the contract with the statistics layer; this placeholder builds two small
tables from real records so that publication, the public page and the HXL exports can be built and tested: the
cases whose survivor consents to statistics (DESIGN.md rule 6), of the scope's organisation, opened in the period,
by zone type and month, and by department and gender identity, every table through `protect_table` at the public
threshold.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from amparo.cases.models import Case
from amparo.core.disclosure import PUBLIC_THRESHOLD, protect_table
from amparo.directory.models import Place
from amparo.vocab import ConsentKind, GenderIdentity

from .tables import Category, Dimension, StatTable


@dataclass(frozen=True)
class Scope:
    kind: str  # "organisation" | "country" | "region"
    organization_id: int | None = None
    country: str = ""  # ISO 3166-1 alpha-2, for kind == "country"


def _months(start: date, end: date) -> list[date]:
    months = []
    current = start.replace(day=1)
    while current <= end:
        months.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def public_tables(*, scope: Scope, start: date, end: date, language: str) -> list[StatTable]:
    cases = Case.objects.filter(
        consents__kind=ConsentKind.STATISTICS,
        consents__withdrawn_at__isnull=True,
        opened_at__date__gte=start,
        opened_at__date__lte=end,
        place__isnull=False,
    )
    if scope.organization_id is not None:
        cases = cases.filter(organization_id=scope.organization_id)
    if scope.kind == "country":
        cases = cases.filter(place__pcode__startswith=scope.country)
    found = cases.distinct().values_list("pk", "opened_at", "place__zone", "place__parent__pcode", "gender_identity")
    rows = [row[1:] for row in found]
    months = _months(start, end)
    zones = list(Place.Zone)
    with translation.override(language):
        by_zone = Counter((zone, timezone_month(opened)) for opened, zone, _admin1, _gender in rows)
        zone_table = StatTable(
            key="cases.consented_by_zone_month",
            title=_("Survivors who agreed to be counted, by zone type and month"),
            description=_("People whose case was opened in the month, by the zone type of the municipality."),
            rows=Dimension("zone_type", _("Zone type")),
            columns=Dimension("month", _("Month")),
            row_categories=tuple(Category(z.value, str(z.label)) for z in zones),
            column_categories=tuple(Category(m.strftime("%Y-%m"), date_format(m, "YEAR_MONTH_FORMAT")) for m in months),
            protected=protect_table(
                [[by_zone[(z.value, m.strftime("%Y-%m"))] for m in months] for z in zones], PUBLIC_THRESHOLD
            ),
            threshold=PUBLIC_THRESHOLD,
            period_start=start,
            period_end=end,
            sources=("cases",),
        )
        admin1_codes = sorted({admin1 for _opened, _zone, admin1, _gender in rows if admin1})
        names = dict(Place.objects.filter(pcode__in=admin1_codes).values_list("pcode", "name"))
        genders = list(GenderIdentity)
        by_admin1 = Counter((admin1, gender) for _opened, _zone, admin1, gender in rows)
        tables = [zone_table]
        if admin1_codes:
            tables.append(
                StatTable(
                    key="cases.consented_by_admin1_gender",
                    title=_("Survivors who agreed to be counted, by department and gender identity"),
                    description=_("People whose case was opened in the period, by department and gender identity."),
                    rows=Dimension("admin1", _("Department")),
                    columns=Dimension("gender_identity", _("Gender identity")),
                    row_categories=tuple(Category(code, names.get(code, code)) for code in admin1_codes),
                    column_categories=tuple(Category(g.value, str(g.label)) for g in genders),
                    protected=protect_table(
                        [[by_admin1[(code, g.value)] for g in genders] for code in admin1_codes], PUBLIC_THRESHOLD
                    ),
                    threshold=PUBLIC_THRESHOLD,
                    period_start=start,
                    period_end=end,
                    sources=("cases",),
                )
            )
    return tables


def timezone_month(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m")
