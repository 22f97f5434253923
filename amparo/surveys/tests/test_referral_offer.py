"""The referral offer at the end of an interview: which answers mean which needs (content/referral-needs.toml), and
the nearest services and pathways for her municipality from the directory's and pathways' own selectors."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from amparo.directory.taxonomy import SERVICE_TYPE_BY_CODE
from amparo.referrals.models import ServiceType as ReferralType
from amparo.surveys import referral_offer
from amparo.surveys.referral_offer import RulesError, offer_for_answers, offer_for_card, parse_rules, read_needs

PATHWAYS = Path(referral_offer.__file__).resolve().parents[1] / "pathways" / "content"
AT = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("America/Bogota"))  # a Wednesday morning


def _instrument() -> str:
    return referral_offer.INSTRUMENT_FILE.read_text(encoding="utf-8")


def test_every_need_of_the_instrument_has_services_and_a_referral_type() -> None:
    rules = referral_offer.rules()
    instrument = tomllib.loads(_instrument())
    offered = {c["name"] for c in instrument["choices"]["need"]} - {"none", "pnr"}
    assert set(rules.needs) == offered
    files = [p for p in PATHWAYS.glob("*.json") if p.stem != "helplines"]
    slugs = {json.loads(p.read_text(encoding="utf-8"))["slug"] for p in files}
    for rule in rules.needs.values():
        assert rule.service_types and set(rule.service_types) <= set(SERVICE_TYPE_BY_CODE), rule.code
        assert set(rule.pathways) <= slugs, rule.code
        assert rule.referral_type in ReferralType.values, rule.code
    assert [code for code, rule in rules.needs.items() if rule.urgent] == ["urgent_medical"]
    # The referral types' words are referrals' own (surveys do not import referrals).
    assert {code: str(label) for code, label in referral_offer.REFERRAL_TYPE_LABELS.items()} == {
        code: str(label) for code, label in ReferralType.choices
    }
    # Every answer rule reads a question the instrument asks, with answers it can give.
    questions = {row.get("name"): row.get("type", "") for row in instrument["survey"]}
    for answer_rule in rules.answers:
        assert answer_rule.field in questions, answer_rule.field
        list_name = questions[answer_rule.field].split()[1]
        names = {c["name"] for c in instrument["choices"][list_name]}
        assert answer_rule.values <= names, (answer_rule.field, answer_rule.values - names)


@pytest.mark.parametrize(
    ("needs_toml", "message"),
    [
        ('[needs.astrology]\nservice_types = ["hiv"]\nreferral_type = "health"\n', "not a choice"),
        ('[needs.sti_hiv]\nservice_types = ["tarot"]\nreferral_type = "health"\n', "unknown service types"),
        ('[needs.sti_hiv]\nservice_types = ["hiv"]\nreferral_type = "magic"\n', "unknown referral type"),
        (
            '[needs.sti_hiv]\nservice_types = ["hiv"]\nreferral_type = "health"\n'
            '[[answers]]\nfield = "debt"\nvalues = ["yes"]\nneeds = ["shelter"]\n',
            "unknown needs",
        ),
    ],
)
def test_rules_that_name_what_does_not_exist_are_refused(needs_toml: str, message: str) -> None:
    with pytest.raises(RulesError, match=message):
        parse_rules(needs_toml, _instrument())


def test_her_needs_are_what_she_named_urgent_first_and_skips_mean_nothing() -> None:
    read = read_needs({"needs": "protection sti_hiv urgent_medical", "debt": "no"})
    assert read.named == ("urgent_medical", "sti_hiv", "protection")
    assert read.suggested == ()
    assert read_needs({"needs": "pnr"}) == read_needs({"needs": ["none"]}) == read_needs({})
    assert read_needs({}).named == ()


def test_other_answers_point_to_needs_she_did_not_name_without_replacing_hers() -> None:
    read = read_needs(
        {
            "needs": ["mental_health"],
            "sexual_violence_recent": "yes",
            "confinement": "yes",
            "violence_by": "client police",
            "extortion": "pnr",
        }
    )
    assert read.named == ("mental_health",)
    assert read.suggested == ("urgent_medical", "protection", "legal_aid", "trafficking")
    assert read_needs({"needs": "protection", "confinement": "yes"}).suggested == ("trafficking",)


@pytest.mark.django_db
def test_the_offer_lists_the_nearest_services_of_each_need_and_its_pathways(demo_directory: None) -> None:
    offer = offer_for_answers(
        "CO54001", {"needs": "sti_hiv protection", "sexual_violence_recent": "yes", "referral_wanted": "yes"}, at=AT
    )
    assert offer.place is not None and offer.place.name == "Cúcuta"
    assert [n.code for n in offer.needs] == ["sti_hiv", "protection", "urgent_medical"]
    assert [n.named for n in offer.needs] == [True, True, False]
    assert offer.referral_wanted == "yes"
    assert offer.referral_types == ["health", "protection"]
    for need in offer.needs:
        rule = referral_offer.rules().needs[need.code]
        assert 0 < len(need.hits) <= referral_offer.SERVICES_PER_NEED, need.code
        for hit in need.hits:
            types = {t.code for t in hit.sal.service.types.all()}
            assert types & set(rule.service_types), (need.code, types)
            assert hit.distance_km is not None and hit.distance_km < 60  # Cúcuta and around it
        assert [p.slug for p in need.pathways] == list(rule.pathways)
    urgent = offer.needs[-1]
    assert urgent.urgent and urgent.pathways[0].slug == "sexual-violence-72h"
    assert offer.helplines and all(h.scope in {"CO", "CO54", "CO54001"} for h in offer.helplines)


@pytest.mark.django_db
def test_without_a_municipality_the_card_still_gives_pathways_and_national_lines(demo_directory: None) -> None:
    offer = offer_for_card("", ["children", "pnr"], at=AT)
    assert offer.place is None
    assert [n.code for n in offer.needs] == ["children"]
    assert offer.needs[0].hits == []
    assert [p.slug for p in offer.needs[0].pathways] == ["my-children"]
    assert {h.scope for h in offer.helplines} == {"CO"}
    assert offer.referral_wanted == ""


@pytest.mark.django_db
def test_a_municipality_we_do_not_know_gives_no_services_rather_than_an_error(demo_directory: None) -> None:
    offer = offer_for_card("CO99999", ["shelter"], at=AT)
    assert offer.place is None and offer.needs[0].hits == []
