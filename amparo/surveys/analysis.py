"""The risk characterisation of a form, read and audited in one transaction (DESIGN rule 5), for the page and its
CSV and XLSX exports: the indicators by zone type and by group, with disclosure control (characterisation.py).

Only submissions with statistics consent count (DESIGN rule 6); the page says how many were left out, and how many
ODK-encrypted submissions are still waiting to be decrypted. Nationalities with few respondents are counted together
as "other nationalities" so that one rare nationality does not empty a whole block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from amparo.audit.services import audit_record
from amparo.core.countries import country_name
from amparo.core.disclosure import ORGANISATION_THRESHOLD
from amparo.directory.models import Place
from amparo.vocab import AgeBand, GenderIdentity, MigratoryStatus

from . import characterisation as ch
from .models import Form
from .selectors import Filters, characterisation_counts, indicators_for_form

OTHER_NATIONALITY = "__other__"


@dataclass
class Reading:
    form: Form
    filters: Filters
    page: ch.Characterisation
    left_out_no_consent: int
    left_out_encrypted: int


def dimension_labels() -> dict[str, str]:
    return {
        "zone_type": _("Zone type"),
        "gender_identity": _("Gender identity"),
        "migratory_status": _("Migratory status"),
        "nationality": _("Nationality"),
        "age_band": _("Age band"),
    }


def _group_labels(nationalities: list[str]) -> dict[str, dict[str, str]]:
    not_recorded = _("Not recorded")
    labels: dict[str, dict[str, str]] = {
        "zone_type": {str(v): str(label) for v, label in Place.Zone.choices},
        "gender_identity": {str(v): str(label) for v, label in GenderIdentity.choices},
        "migratory_status": {str(v): str(label) for v, label in MigratoryStatus.choices},
        "age_band": {str(v): str(label) for v, label in AgeBand.choices},
        "nationality": {code: country_name(code) for code in nationalities if code != OTHER_NATIONALITY},
    }
    labels["nationality"][OTHER_NATIONALITY] = _("Other nationalities")
    for table in labels.values():
        table[ch.NOT_RECORDED] = not_recorded
    return labels


GROUP_ORDER = {
    "zone_type": ["border", "urban", "rural"],
    "gender_identity": list(GenderIdentity.values),  # trans women first
    "migratory_status": list(MigratoryStatus.values),
    "age_band": list(AgeBand.values),
    "nationality": [],
}


def _fold_rare_nationalities(cube: list[ch.CubeRow], threshold: int) -> list[ch.CubeRow]:
    d = ch.DIMENSIONS.index("nationality")
    totals: dict[str, int] = {}
    for row in cube:
        totals[row.groups[d]] = totals.get(row.groups[d], 0) + row.respondents
    rare = {code for code, n in totals.items() if code != ch.NOT_RECORDED and n < 2 * threshold}
    if len(rare) < 2:
        return cube
    folded = []
    for row in cube:
        if row.groups[d] in rare:
            groups = (*row.groups[:d], OTHER_NATIONALITY, *row.groups[d + 1 :])
            folded.append(ch.CubeRow(groups, row.respondents, row.counts))
        else:
            folded.append(row)
    return ch.merge(folded)


def read_characterisation(
    *,
    actor: Any,
    form: Form,
    filters: Filters,
    language: str,
    export: str = "",
    threshold: int = ORGANISATION_THRESHOLD,
) -> Reading:
    """The page's tables, and the audit entry of this reading (or export) in the same transaction."""
    with transaction.atomic():
        indicators = indicators_for_form(form, language)
        counts = characterisation_counts(form, indicators, filters)
        cube = _fold_rare_nationalities(counts.cube, threshold)
        d = ch.DIMENSIONS.index("nationality")
        nationalities = sorted({row.groups[d] for row in cube})
        order = dict(GROUP_ORDER)
        order["nationality"] = [c for c in nationalities if c not in (ch.NOT_RECORDED, OTHER_NATIONALITY)] + (
            [OTHER_NATIONALITY] if OTHER_NATIONALITY in nationalities else []
        )
        page = ch.build(
            cube,
            indicators,
            _group_labels(nationalities),
            dimension_labels(),
            threshold=threshold,
            group_order=order,
        )
        audit_record(
            actor=actor,
            action="survey.export" if export else "survey.characterisation.read",
            obj=form,
            organization=form.organization,
            detail={
                "format": export or "page",
                "counted": sum(row.respondents for row in counts.cube),
                "left_out_no_consent": counts.left_out_no_consent,
                "left_out_encrypted": counts.left_out_encrypted,
                "indicators": len(indicators),
                "hidden_cells": sum(t.hidden for t in page.tables),
                "filters": {
                    "start": filters.start.isoformat() if filters.start else "",
                    "end": filters.end.isoformat() if filters.end else "",
                    "municipality": filters.municipality,
                },
            },
        )
    return Reading(form, filters, page, counts.left_out_no_consent, counts.left_out_encrypted)
