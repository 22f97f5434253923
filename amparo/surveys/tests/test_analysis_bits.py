"""The characterisation's two ways of counting agree (surveys/codebook.py): from each submission's analysis bits
(three pairs a sum, or one sum per pair above 2**21 rows) and from the JSON answers (stale submissions, pairs
beyond the bits' capacity). Counted on the shipped instrument with the demo's interviews, and on answers of every
shape a pair can meet; a version that adds choices makes the stored submissions stale, they are still counted
right, and `refresh_analysis` brings them up to date."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command

from amparo.accounts.models import Organization
from amparo.surveys import codebook
from amparo.surveys.analysis_store import fill_analysis, refresh_analysis
from amparo.surveys.demo import load_interviews, publish_instrument
from amparo.surveys.models import Form, FormVersion, Submission
from amparo.surveys.selectors import Filters, characterisation_counts, indicators_for_form
from amparo.surveys.tests.factories import make_form, make_submission

pytestmark = pytest.mark.django_db

Cube = dict[tuple[str, ...], tuple[int, dict[tuple[str, str], int]]]


def _cube(form: Form, filters: Filters | None = None) -> Cube:
    form.refresh_from_db()
    counts = characterisation_counts(form, indicators_for_form(form, "en"), filters or Filters())
    return {row.groups: (row.respondents, row.counts) for row in counts.cube}


def _make_stale(form: Form) -> None:
    Submission.objects.filter(form=form).update(analysis_size=0, analysis_0=0, analysis_1=0, analysis_2=0)


@pytest.fixture
def instrument(demo_directory: None) -> FormVersion:
    version = publish_instrument(Organization.objects.create(name="Red Violeta"), None)
    load_interviews(version, None, None, 160)
    return version


def test_the_instrument_counts_the_same_from_bits_and_from_answers(instrument: FormVersion, monkeypatch) -> None:
    form = instrument.form
    form.refresh_from_db()
    assert len(form.codebook) > 150  # every choice of every indicator has its bit
    size = len(form.codebook)
    assert not Submission.objects.filter(form=form).exclude(analysis_size=size).exists()
    from_bits = _cube(form)
    assert sum(respondents for respondents, _counts in from_bits.values()) > 100
    assert sum(sum(counts.values()) for _r, counts in from_bits.values()) > 1000
    monkeypatch.setattr(codebook, "LANE_LIMIT", 1)  # as above 2**21 submissions: one sum per pair
    assert _cube(form) == from_bits
    monkeypatch.undo()
    monkeypatch.setattr(codebook, "CAPACITY", 40)  # pairs beyond the bits are read from the answers
    assert _cube(form) == from_bits
    monkeypatch.undo()
    _make_stale(form)
    assert _cube(form) == from_bits  # every submission stale: all from the answers
    assert refresh_analysis(form) == Submission.objects.filter(form=form).count()
    assert _cube(form) == from_bits
    filters = Filters(municipality="CO54001")
    from_bits_filtered = _cube(form, filters)
    _make_stale(form)
    assert _cube(form, filters) == from_bits_filtered


NUMBERS = (
    ["integer", "children", "Hijos", "Children", "Filhos", "", "", "", "", ""],
    ["decimal", "income", "Ingreso", "Income", "Renda", "", "", "", "", ""],
)
ANSWERS: list[dict[str, Any]] = [
    {"consent": "yes", "violence": ["clients", "police"], "children": 0, "income": 0.5},
    {"consent": "yes", "violence": "clients armed_groups", "children": 1, "income": "9.99"},
    {"consent": "no", "violence": [], "children": 3, "income": 12.0},
    {"consent": "yes", "violence": "", "children": 7, "income": "abc"},
    {"consent": "yes", "violence": "[]", "children": 12, "income": -1.5},
    {"consent": "yes", "violence": None, "children": -2, "income": None},
    {"consent": None, "violence": ["police"], "children": "4", "income": 4},
    {"violence": ["armed_groups", "clients", "police"]},
    {},
]


def test_answers_of_every_shape_count_the_same_both_ways(demo_directory: None) -> None:
    org = Organization.objects.create(name="Red Violeta")
    version = make_form(org, extra_rows=NUMBERS)
    form = version.form
    form.refresh_from_db()
    kinds = {kind for _question, kind, _code in form.codebook}
    assert kinds == {"select_one", "select_multiple", "number"}
    for index, answers in enumerate(ANSWERS * 3):
        submission = Submission(
            form=form,
            version=version,
            organization=org,
            instance_id=f"uuid:{uuid.uuid4()}",
            source=Submission.Source.IMPORT,
            raw_instance="<data/>",
            answers=answers,
            gender_identity=("trans_woman", "cis_woman")[index % 2],
            zone_type="border",
            statistics_consent=True,
        )
        fill_analysis(submission, form.codebook)
        submission.save()
    from_bits = _cube(form)
    counts: Counter[tuple[str, str]] = Counter()
    for _respondents, row in from_bits.values():
        counts.update(row)
    assert counts[("children", "0")] == 3 and counts[("children", "2-4")] == 6 and counts[("children", "<0")] == 3
    assert counts[("income", "0")] == 3 and counts[("income", "5-9")] == 3 and counts[("income", "10+")] == 3
    assert counts[("violence", "__no_answer__")] == 15  # "", [], "[]", missing and None: 5 shapes x 3
    assert counts[("violence", "clients")] == 9
    _make_stale(form)
    assert _cube(form) == from_bits


def test_a_version_that_adds_choices_makes_old_submissions_stale_not_wrong(demo_directory: None) -> None:
    org = Organization.objects.create(name="Red Violeta")
    version = make_form(org)
    for violence in ("clients police", "police", "armed_groups"):
        make_submission(version, {"violence": violence})
    form = version.form
    before = _cube(form)
    make_form(org, version="2", extra_choices=(["viol", "migration", "Migración", "Migration", "Migração"],))
    form.refresh_from_db()
    assert ["violence", "select_multiple", "migration"] in form.codebook
    assert not Submission.objects.filter(form=form, analysis_size=len(form.codebook)).exists()
    assert _cube(form) == before  # stale: counted from the answers, the same figures
    call_command("refresh_survey_analysis", verbosity=0)
    assert Submission.objects.filter(form=form, analysis_size=len(form.codebook)).count() == 3
    assert _cube(form) == before
