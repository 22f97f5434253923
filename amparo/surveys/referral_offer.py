"""The end of an interview: the nearest services and care pathways for her municipality and the needs she named,
and an offer of referral with her consent (issue 14, item 6; docs/surveys.md).

Which answers mean which needs, and which needs mean which service types, pathways and referral types, is data
that partners review: `content/referral-needs.toml`; the needs' labels are the instrument's own (the list `need` of
`content/risk-characterisation.toml`), so the interview and the offer say the same words. The services come from the
directory's one search selector and the pathways from the pathways' selectors (never their views).

Nothing here stores anything: the offer is a page and a printable card. A referral is never automatic: when she
asks for one, a caseworker opens a case with her recorded consent and refers from it, through the existing
referrals (their consent checks and audit).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from amparo.audit.services import audit_record
from amparo.directory.models import Place
from amparo.directory.selectors import Hit, SearchCriteria, attach_public_focal_points, place_by_code, search_services
from amparo.directory.taxonomy import SERVICE_TYPE_BY_CODE
from amparo.pathways.models import Helpline, Pathway
from amparo.pathways.selectors import helplines_for, published_pathways

from .models import Submission

CONTENT = Path(__file__).resolve().parent / "content"
NEEDS_FILE = CONTENT / "referral-needs.toml"
INSTRUMENT_FILE = CONTENT / "risk-characterisation.toml"
# The referral types of amparo.referrals (ServiceType), by code with the same words: surveys do not import
# referrals (a referral is offered by link), and a test checks that both lists agree.
REFERRAL_TYPE_LABELS = {
    "health": _("Health (incl. PEP, emergency contraception, STI/HIV, COVID-19 vaccination)"),
    "psychosocial": _("Mental health and psychosocial support"),
    "legal": _("Legal aid and justice"),
    "protection": _("Protection"),
    "shelter": _("Safe shelter"),
    "children": _("Child protection and alternative care"),
    "other": _("Other"),
}
REFERRAL_TYPES = frozenset(REFERRAL_TYPE_LABELS)
SERVICES_PER_NEED = 3
CANDIDATES_PER_NEED = 12
SKIP_ANSWERS = frozenset({"none", "pnr", ""})
NEEDS_FIELD = "needs"
REFERRAL_FIELD = "referral_wanted"


class RulesError(ValueError):
    """referral-needs.toml names something that does not exist (a test loads it against the real lists)."""


@dataclass(frozen=True)
class NeedRule:
    code: str
    service_types: tuple[str, ...]
    pathways: tuple[str, ...]
    referral_type: str
    urgent: bool = False


@dataclass(frozen=True)
class AnswerRule:
    field: str
    values: frozenset[str]
    needs: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    needs: dict[str, NeedRule]
    answers: tuple[AnswerRule, ...]
    labels: dict[str, dict[str, str]]  # need code -> {es, en, pt}: the instrument's words


def parse_rules(needs_toml: str, instrument_toml: str) -> Rules:
    """Read and check the rules: every need is a choice of the instrument's list `need`, every service type is in
    the directory's taxonomy, every referral type exists, and every answer rule points to known needs."""
    data = tomllib.loads(needs_toml)
    instrument = tomllib.loads(instrument_toml)
    labels = {c["name"]: {lang: c[lang] for lang in ("es", "en", "pt")} for c in instrument["choices"]["need"]}
    needs: dict[str, NeedRule] = {}
    for code, spec in data.get("needs", {}).items():
        if code not in labels:
            raise RulesError(f"need {code!r} is not a choice of the instrument's list 'need'")
        unknown = [t for t in spec.get("service_types", []) if t not in SERVICE_TYPE_BY_CODE]
        if unknown:
            raise RulesError(f"need {code!r}: unknown service types {unknown}")
        if spec.get("referral_type") not in REFERRAL_TYPES:
            raise RulesError(f"need {code!r}: unknown referral type {spec.get('referral_type')!r}")
        needs[code] = NeedRule(
            code=code,
            service_types=tuple(spec.get("service_types", [])),
            pathways=tuple(spec.get("pathways", [])),
            referral_type=spec["referral_type"],
            urgent=bool(spec.get("urgent", False)),
        )
    answers = []
    for spec in data.get("answers", []):
        missing = [n for n in spec["needs"] if n not in needs]
        if missing:
            raise RulesError(f"answer rule on {spec['field']!r}: unknown needs {missing}")
        answers.append(AnswerRule(field=spec["field"], values=frozenset(spec["values"]), needs=tuple(spec["needs"])))
    return Rules(needs=needs, answers=tuple(answers), labels=labels)


@cache
def rules() -> Rules:
    return parse_rules(NEEDS_FILE.read_text(encoding="utf-8"), INSTRUMENT_FILE.read_text(encoding="utf-8"))


def asks_needs(schema: Iterable[Mapping[str, Any]], the_rules: Rules | None = None) -> bool:
    """Whether a form version asks what the offer is built on: the question `needs` offering at least one of the
    needs the rules know (the shipped instrument does). Only then does the end of an interview lead to an offer."""
    known = (the_rules or rules()).needs
    return any(
        str(question.get("name", "")) == NEEDS_FIELD
        and any(str(choice.get("name", "")) in known for choice in question.get("choices") or [])
        for question in schema
    )


def _selected(value: Any) -> set[str]:
    """An answer as a set of choice names: select_multiple arrives as a space-separated string or a list."""
    if value is None:
        return set()
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, Iterable):
        return {str(v) for v in value}
    return {str(value)}


@dataclass(frozen=True)
class NeedsRead:
    named: tuple[str, ...]  # what she said she needs, in the instrument's order, urgent first
    suggested: tuple[str, ...]  # what her other answers point to and she did not name, urgent first


def read_needs(answers: Mapping[str, Any], the_rules: Rules | None = None) -> NeedsRead:
    """Her needs from the interview's answers (keyed by question name). Skip answers ("pnr", "none") mean none."""
    the_rules = the_rules or rules()
    order = list(the_rules.labels)
    named = [n for n in _selected(answers.get(NEEDS_FIELD)) - SKIP_ANSWERS if n in the_rules.needs]
    suggested: set[str] = set()
    for rule in the_rules.answers:
        if _selected(answers.get(rule.field)) & rule.values:
            suggested.update(rule.needs)

    def ordered(codes: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(set(codes), key=lambda c: (not the_rules.needs[c].urgent, order.index(c))))

    return NeedsRead(named=ordered(named), suggested=ordered(suggested - set(named)))


@dataclass
class OfferedNeed:
    code: str
    label: str
    urgent: bool
    named: bool  # she named it (else her answers point to it)
    referral_type: str
    service_types: list[str] = field(default_factory=list)  # the directory's names, for the card's headings
    hits: list[Hit] = field(default_factory=list)
    pathways: list[Pathway] = field(default_factory=list)


@dataclass
class Offer:
    place: Place | None
    needs: list[OfferedNeed]
    helplines: list[Helpline]
    referral_wanted: str = ""  # yes | later | no | pnr | "" (not asked, e.g. the card)

    @property
    def named(self) -> list[OfferedNeed]:
        return [n for n in self.needs if n.named]

    @property
    def suggested(self) -> list[OfferedNeed]:
        return [n for n in self.needs if not n.named]

    @property
    def referral_types(self) -> list[str]:
        """The referral types a caseworker would open for what she named, in order, once each."""
        return list(dict.fromkeys(n.referral_type for n in self.named))

    @property
    def referral_type_labels(self) -> list[str]:
        return [str(REFERRAL_TYPE_LABELS[code]) for code in self.referral_types]


def label_of(code: str, the_rules: Rules | None = None) -> str:
    labels = (the_rules or rules()).labels[code]
    language = (get_language() or "es").split("-")[0]
    return labels.get(language, labels["es"])


def build_offer(
    place: Place | None,
    needs: NeedsRead,
    *,
    referral_wanted: str = "",
    at: datetime | None = None,
    the_rules: Rules | None = None,
) -> Offer:
    """The nearest services (open ones first) of each need's service types around her municipality, each need's
    published pathways, and the helplines that apply there. Without a municipality: pathways and national lines."""
    the_rules = the_rules or rules()
    at = at or timezone.now()
    country = place.pcode[:2] if place is not None else "CO"
    slugs = {slug for code in (*needs.named, *needs.suggested) for slug in the_rules.needs[code].pathways}
    pathways = {p.slug: p for p in published_pathways().filter(slug__in=slugs)}
    offered = []
    for code, named in [*((c, True) for c in needs.named), *((c, False) for c in needs.suggested)]:
        rule = the_rules.needs[code]
        hits: list[Hit] = []
        if place is not None and rule.service_types:
            criteria = SearchCriteria(needs=rule.service_types, place=place, page_size=CANDIDATES_PER_NEED, at=at)
            found = [hit for hit in search_services(criteria).hits if hit.complete]  # of her need's types only
            hits = sorted(found, key=lambda h: (not h.is_open, h.distance_km or 0.0))[:SERVICES_PER_NEED]
        offered.append(
            OfferedNeed(
                code=code,
                label=label_of(code, the_rules),
                urgent=rule.urgent,
                named=named,
                referral_type=rule.referral_type,
                service_types=[str(SERVICE_TYPE_BY_CODE[t].name) for t in rule.service_types],
                hits=hits,
                pathways=[pathways[s] for s in rule.pathways if s in pathways],
            )
        )
    attach_public_focal_points(hit.sal.service for need in offered for hit in need.hits)
    return Offer(
        place=place,
        needs=offered,
        helplines=list(helplines_for(place, country)),
        referral_wanted=referral_wanted,
    )


def offer_for_answers(
    municipality: str, answers: Mapping[str, Any], *, at: datetime | None = None, the_rules: Rules | None = None
) -> Offer:
    """The offer at the end of an interview: her municipality (a P-code) and her answers (keyed by question name)."""
    place = place_by_code(municipality) if municipality else None
    wanted = sorted(_selected(answers.get(REFERRAL_FIELD)))
    return build_offer(
        place,
        read_needs(answers, the_rules),
        referral_wanted=wanted[0] if wanted else "",
        at=at,
        the_rules=the_rules,
    )


def offer_for_card(
    municipality: str, needs: Iterable[str], *, at: datetime | None = None, the_rules: Rules | None = None
) -> Offer:
    """The printable card for a phone interview: a municipality and the needs she named, nothing else."""
    return offer_for_answers(municipality, {NEEDS_FIELD: list(needs)}, at=at, the_rules=the_rules)


def submission_offer(*, actor: Any, submission: Submission, at: datetime | None = None) -> Offer:
    """The offer at the end of one stored interview, for the staff who may see it (the view decides who). Reading
    her answers is audited in the same transaction (ids and counts only, never answers)."""
    with transaction.atomic():
        offer = offer_for_answers(submission.municipality_pcode, submission.answers, at=at)
        audit_record(
            actor=actor,
            action="survey.submission.read",
            obj=submission,
            organization=submission.organization,
            detail={"purpose": "referral_offer", "needs": len(offer.named), "suggested": len(offer.suggested)},
        )
    return offer
