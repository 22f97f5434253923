"""Demo surveys (`make demo`, step 70): the demo organisation's survey key, the shipped risk-characterisation
instrument published, the demo enumerator assigned to it with a phone credential, and synthetic interviews across
border, urban and rural municipalities so that the characterisation shows numbers. Everything here is fictional.

The interviews go through `receive_submission`, the path every phone, web entry and import takes (the same checks,
extraction of closed answers and facets, encryption at rest and audit). They are drawn from a fixed seed, with more
risk where the field reports put it (border and rural zones, trans women, migrants in irregular status), so the demo
looks like a characterisation without pretending to be one.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, tostring

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Organization, User
from amparo.audit.services import audit_record
from amparo.core.registry import DemoRun
from amparo.directory.demo_places import ADMIN2

from .extract import instance_identity, parse_instance
from .keys import survey_key_create
from .models import EnumeratorCredential, FormVersion, Submission, SurveyKey
from .services import apply_extracted, publish_xlsform

CONTENT = Path(__file__).resolve().parent / "content"
INSTRUMENT = CONTENT / "risk-characterisation.xlsx"
INSTRUMENT_FORM_ID = "amparo_risk_characterisation"
DEMO_ORGANIZATION = "Red Violeta (demo)"
DEMO_COORDINATOR = "coordinadora@demo.example.org"
DEMO_ENUMERATOR = "encuestadora@demo.example.org"
# Printed by `make demo` like the demo password: the demo runs on a laptop's SQLite.
DEMO_KEY_PASSPHRASE = "amparo-demo-clave-encuestas-2026"  # noqa: S105
DEMO_PHONE_USERNAME = "enc-demo"
DEMO_PHONE_SECRET = "amparo-demo-telefono-2026"  # noqa: S105
DEMO_INTERVIEWS = 300
SEED = 14  # the number: the same interviews every run
DEMO_NAMESPACE = uuid.UUID("6f0b6a1e-4c1d-4e5a-9b8e-140000000000")


# --- The XML an instance of a published version is -----------------------------------------------------------


def instance_for(version: FormVersion, answers: dict[str, str], instance_id: str) -> bytes:
    """An instance of `version` as ODK Collect writes it: every node of the form in order (empty when not answered
    or not relevant), answers by question name (select_multiple space separated), meta/instanceID."""
    root_name = version.schema[0]["path"].split("/")[1] if version.schema else "data"
    root = Element(root_name, {"id": version.form.form_id, "version": version.version})
    nodes: dict[str, Element] = {f"/{root_name}": root}
    for question in version.schema:
        parent_path, _, name = question["path"].rpartition("/")
        parent = nodes.get(parent_path)
        if parent is None:
            continue
        node = SubElement(parent, name)
        nodes[question["path"]] = node
        if name in answers and question["type"] not in {"group", "repeat"}:
            node.text = answers[name]
    meta = nodes.get(f"/{root_name}/meta")
    if meta is None:
        meta = SubElement(root, "meta")
    instance_node = meta.find("instanceID")
    if instance_node is None:
        instance_node = SubElement(meta, "instanceID")
    instance_node.text = instance_id
    return b'<?xml version="1.0"?>' + tostring(root, encoding="unicode").encode()


# --- Synthetic interviews ------------------------------------------------------------------------------------

MUNICIPALITIES = [(pcode, zone) for pcode, _name, _parent, zone, _lat, _lon in ADMIN2]
PERPETRATORS = (
    "client",
    "intimate_partner",
    "police",
    "military",
    "migration_official",
    "organised_crime",
    "exploiter",
)


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _some(rng: random.Random, chances: dict[str, float]) -> list[str]:
    return [code for code, chance in chances.items() if rng.random() < chance]


def _multi(picked: list[str], empty: str = "none") -> str:
    return " ".join(picked) if picked else empty


def synthetic_answers(rng: random.Random, today: date) -> dict[str, str]:
    """One interview, consistent with the instrument's skip logic."""
    day = today - timedelta(days=rng.randrange(0, 120))
    answers = {"interview_date": day.isoformat(), "consent": "yes"}
    if rng.random() < 0.03:
        answers["consent"] = "no"
        return answers
    answers["safe_now"] = "yes" if rng.random() > 0.02 else "no"
    if answers["safe_now"] == "no":
        return answers
    pcode, zone = rng.choice(MUNICIPALITIES)
    country = pcode[:2]
    answers |= {
        "statistics_consent": "yes" if rng.random() < 0.9 else "no",
        "health_rating": _pick(rng, {"very_good": 1, "good": 4, "fair": 4, "bad": 1.5, "pnr": 0.5}),
        "health_visit": _pick(rng, {"yes": 6, "no": 3.5, "pnr": 0.5}),
        "municipality": pcode,
        "zone_type": zone,
    }
    gender = _pick(rng, {"trans_woman": 3.5, "cis_woman": 5.5, "non_binary": 0.4, "other": 0.2, "not_said": 0.4})
    nationality = _pick(rng, {country: 4.5, "VE": 4.5, "CO" if country != "CO" else "EC": 0.6, "ZZ": 0.4})
    if nationality == country:
        status = "national"
    else:
        status = _pick(
            rng, {"regular": 2.5, "in_process": 1.5, "irregular": 4, "asylum_seeker": 0.5, "refugee": 0.5, "unknown": 1}
        )
    answers |= {
        "gender_identity": gender,
        "age_band": _pick(rng, {"18-25": 3, "26-40": 4.5, "41-60": 2, "61+": 0.3, "unknown": 0.2}),
        "nationality": nationality,
        "migratory_status": status,
        "has_children": _pick(rng, {"yes": 5.5, "no": 4, "pnr": 0.5}),
        "work_setting": _multi(
            _some(rng, {"street": 0.45, "venue": 0.4, "own_place": 0.15, "online": 0.2, "roads": 0.1}),
            empty="pnr",
        ),
    }
    # The quick switch to general health, now and then.
    if rng.random() < 0.04:
        answers |= {"pause_violence": "health", "gh_sleep": _pick(rng, {"well": 1, "so_so": 1, "badly": 1})}
        return answers
    answers["pause_violence"] = "continue"
    trans, irregular = gender == "trans_woman", status in {"irregular", "unknown"}
    risk = {"border": 1.3, "rural": 1.4, "urban": 1.0}[zone]
    chances = {
        "client": 0.35 * risk,
        "intimate_partner": 0.2,
        "police": (0.3 if trans else 0.12) * risk,
        "military": 0.08 * risk if zone != "urban" else 0.02,
        "migration_official": (0.2 if irregular else 0.05) * (1.5 if zone == "border" else 0.5),
        "organised_crime": 0.25 * risk if zone != "urban" else 0.1,
        "exploiter": 0.12 * risk,
    }
    perpetrators = _some(rng, chances)
    if rng.random() < 0.05:
        answers["violence_by"] = "pnr"
    else:
        answers["violence_by"] = _multi(perpetrators)
        for who in perpetrators:
            kinds = _some(
                rng,
                {
                    "rape": 0.2,
                    "sexual_assault": 0.25,
                    "physical_assault": 0.45,
                    "psychological_emotional_abuse": 0.6,
                    "denial_of_resources_opportunities_or_services": 0.35 if who in {"client", "exploiter"} else 0.15,
                },
            )
            answers[f"violence_type_{who}"] = _multi(kinds, empty="pnr")
        if perpetrators:
            answers["sexual_violence_recent"] = _pick(rng, {"yes": 0.4, "no": 9, "pnr": 0.6})
            answers["sought_help"] = _pick(rng, {"helped": 2, "not_helped": 3, "no": 4.5, "pnr": 0.5})
    answers["pause_control"] = "continue"
    armed = {"border": 0.55, "rural": 0.65, "urban": 0.2}[zone]
    answers |= {
        "group_rules": _pick(rng, {"yes": armed, "no": 1 - armed, "pnr": 0.1}),
        "extortion": _pick(rng, {"yes": armed * 0.7, "no": 1 - armed * 0.7, "pnr": 0.1}),
        "debt": _pick(rng, {"yes": 0.15 * risk, "no": 0.85, "pnr": 0.05}),
        "confinement": _pick(rng, {"yes": 0.06 * risk, "no": 0.9, "pnr": 0.05}),
        "child_recruitment": _pick(rng, {"yes": armed * 0.3, "no": 1 - armed * 0.3, "pnr": 0.15}),
        "pause_services": "continue",
    }
    barriers = _some(
        rng,
        {
            "no_id": 0.5 if irregular else 0.05,
            "cost": 0.35,
            "discrimination": 0.35,
            "transphobia": 0.55 if trans else 0.0,
            "xenophobia": 0.45 if nationality != country else 0.0,
            "fear": 0.3 if irregular else 0.15,
            "distance": 0.45 if zone == "rural" else 0.15,
        },
    )
    known = _some(
        rng,
        {
            "health": 0.75,
            "sti_hiv": 0.5,
            "mental_health": 0.2,
            "justice": 0.25,
            "protection": 0.2,
            "shelter": 0.05,
            "migration": 0.35 if nationality != country else 0.05,
            "sex_worker_org": 0.4 if zone != "rural" else 0.15,
        },
    )
    answers |= {"barriers": _multi(barriers), "services_known": _multi(known)}
    if known:
        answers["services_used"] = _multi([k for k in known if rng.random() < 0.5])
    needs = _some(
        rng,
        {
            "sti_hiv": 0.3,
            "sexual_health": 0.15,
            "mental_health": 0.3,
            "protection": 0.12 * risk,
            "shelter": 0.06,
            "complaint": 0.05,
            "legal_aid": 0.12,
            "children": 0.1,
            "migration": 0.4 if irregular else 0.05,
            "trafficking": 0.02,
            "eviction": 0.05,
            "peer_support": 0.15,
        },
    )
    if answers.get("sexual_violence_recent") == "yes":
        needs.insert(0, "urgent_medical")
    answers["needs"] = _multi(needs)
    answers["referral_wanted"] = _pick(rng, {"yes": 3, "later": 4, "no": 2.5, "pnr": 0.5}) if needs else "no"
    return answers


def synthetic_interviews(count: int, today: date, seed: int = SEED) -> Iterable[tuple[str, dict[str, str]]]:
    """(instance id, answers) for `count` interviews; the same ones every run (their ids too, so a rerun adds none)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not a secret
    for index in range(count):
        yield f"uuid:{uuid.uuid5(DEMO_NAMESPACE, str(index))}", synthetic_answers(rng, today)


# --- The demo's key, form, enumerator and phone ---------------------------------------------------------------


def _demo_survey_key(organization: Organization, actor: User | None) -> SurveyKey:
    """The organisation's survey key under the printed demo passphrase, made as a coordinator makes it (keys.py)."""
    key = SurveyKey.objects.filter(organization=organization, active=True).first()
    if key is not None:
        return key
    return survey_key_create(organization=organization, passphrase=DEMO_KEY_PASSPHRASE, actor=actor)


def _demo_credential(organization: Organization, enumerator: User, actor: User | None) -> EnumeratorCredential:
    """The demo enumerator's phone, with the printed demo user name and secret (stored only as a hash)."""
    credential = EnumeratorCredential.objects.filter(username=DEMO_PHONE_USERNAME).first()
    if credential is not None:
        return credential
    with transaction.atomic():
        credential = EnumeratorCredential.objects.create(
            organization=organization,
            user=enumerator,
            label="Teléfono de demostración",
            username=DEMO_PHONE_USERNAME,
            secret_hash=make_password(DEMO_PHONE_SECRET),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="survey.credential.create",
            obj=credential,
            organization=organization,
            detail={"enumerator": enumerator.pk},
        )
    return credential


def publish_instrument(organization: Organization, actor: User | None) -> FormVersion:
    """The shipped instrument's current version for the organisation, published if it is not yet."""
    data = INSTRUMENT.read_bytes()
    for version in FormVersion.objects.filter(
        form__organization=organization, form__form_id=INSTRUMENT_FORM_ID
    ).select_related("form"):
        if version.xlsform_name == INSTRUMENT.name and bytes(version.xlsform) == data:
            return version
    return publish_xlsform(organization=organization, filename=INSTRUMENT.name, data=data, user=actor)


def load_interviews(
    version: FormVersion, enumerator: User | None, credential: EnumeratorCredential | None, count: int
) -> int:
    """Store the synthetic interviews the form does not have yet, in one transaction and one audit entry; returns
    how many were added. The bulk twin of `receive_submission` (300 interviews one by one take about 10 s on a busy
    laptop): each instance is parsed and identified by the same functions, its closed answers and facets come from
    the same `apply_extracted`, and the raw instance is encrypted at rest by the same field. A test checks that both
    paths store the same thing."""
    have = set(Submission.objects.filter(form_id=version.form_id).values_list("instance_id", flat=True))
    received_at = timezone.now()
    new = []
    for instance_id, answers in synthetic_interviews(count, timezone.localdate()):
        if instance_id in have:
            continue
        xml = instance_for(version, answers, instance_id)
        root = parse_instance(xml)
        form_id, version_name, found_id = instance_identity(root)
        if (form_id, version_name, found_id) != (version.form.form_id, version.version, instance_id):
            raise ValueError(f"the demo instance {instance_id} does not identify itself")
        submission = Submission(
            form_id=version.form_id,
            version=version,
            organization_id=version.form.organization_id,
            instance_id=instance_id,
            source=Submission.Source.OPENROSA,
            enumerator=enumerator,
            credential=credential,
            received_at=received_at,
            raw_instance=xml.decode("utf-8"),
        )
        apply_extracted(submission, version, root)
        new.append(submission)
    if new:
        with transaction.atomic():
            Submission.objects.bulk_create(new, batch_size=500)
            audit_record(
                actor=None,
                action="survey.import",
                obj=version.form,
                organization=version.form.organization,
                detail={"source": "demo", "version": version.version, "submissions": len(new)},
            )
    return len(new)


def load_demo_surveys(run: DemoRun, count: int = DEMO_INTERVIEWS) -> None:
    """load_demo's step 70 (after the accounts, 30, and the directory, 10)."""
    organization = Organization.objects.filter(name=DEMO_ORGANIZATION).first()
    if organization is None:
        run.say("Surveys: no demo organisation, nothing loaded.")
        return
    coordinator = User.objects.filter(email=DEMO_COORDINATOR).first()
    enumerator = User.objects.filter(email=DEMO_ENUMERATOR).first()
    _demo_survey_key(organization, coordinator)
    version = publish_instrument(organization, coordinator)
    credential = None
    if enumerator is not None:
        version.form.enumerators.add(enumerator)
        credential = _demo_credential(organization, enumerator, coordinator)
    added = load_interviews(version, enumerator, credential, count)
    total = Submission.objects.filter(form_id=version.form_id).count()
    run.say(f"Surveys: “{version.title}” v{version.version} published, {added} interviews added ({total} in all).")
    run.say_at_end(
        f"\nSurveys ({DEMO_ORGANIZATION}): the risk-characterisation instrument, with {total} synthetic interviews."
    )
    run.say_at_end(f"  Survey key passphrase (demo only): {DEMO_KEY_PASSPHRASE}")
    if credential is not None:
        run.say_at_end(
            f"  Phone of {DEMO_ENUMERATOR} for ODK Collect / KoboCollect: user {DEMO_PHONE_USERNAME}, "
            f"password {DEMO_PHONE_SECRET} (demo only)"
        )
