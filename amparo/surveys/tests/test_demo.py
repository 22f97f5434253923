"""The surveys' demo (make demo, step 70): key, instrument, enumerator and phone, and synthetic interviews that go
through the one receiving path and fill the characterisation's facets across zones and groups."""

from __future__ import annotations

import io
import random
import time
from collections import Counter
from datetime import date

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management.base import OutputWrapper
from django.db import connection
from django.utils import timezone

from amparo.accounts.demo import load_demo_staff
from amparo.accounts.models import Organization
from amparo.audit.models import AuditEntry
from amparo.core.registry import DemoRun
from amparo.surveys import demo
from amparo.surveys.models import EnumeratorCredential, Form, Submission, SurveyKey
from amparo.surveys.referral_offer import read_needs
from amparo.surveys.services import FACET_FIELDS, receive_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(demo_directory: None) -> Organization:
    load_demo_staff()
    return Organization.objects.get(name=demo.DEMO_ORGANIZATION)


def _run() -> tuple[DemoRun, io.StringIO]:
    out = io.StringIO()
    return DemoRun(reset=False, stdout=OutputWrapper(out)), out


def test_the_demo_publishes_the_instrument_with_interviews_across_zones_and_groups(demo_world: Organization) -> None:
    run, out = _run()
    started = time.perf_counter()
    demo.load_demo_surveys(run)
    elapsed = time.perf_counter() - started
    print(f"surveys demo: {demo.DEMO_INTERVIEWS} interviews in {elapsed:.1f} s")
    form = Form.objects.get(organization=demo_world, form_id=demo.INSTRUMENT_FORM_ID)
    assert form.title == "Encuesta de salud y bienestar" and form.is_open
    assert list(form.enumerators.values_list("email", flat=True)) == [demo.DEMO_ENUMERATOR]
    submissions = Submission.objects.filter(form=form)
    assert submissions.count() == demo.DEMO_INTERVIEWS
    imports = AuditEntry.objects.filter(action="survey.import")
    assert [e.detail["submissions"] for e in imports] == [demo.DEMO_INTERVIEWS]
    assert elapsed < 10, elapsed
    interviewed = submissions.exclude(municipality_pcode="")
    # Every zone, trans women among the groups, and enough of each for the characterisation (cells of 5 or more).
    zones = Counter(interviewed.values_list("zone_type", flat=True))
    assert set(zones) == {"border", "urban", "rural"} and min(zones.values()) >= 40, zones
    genders = Counter(interviewed.values_list("gender_identity", flat=True))
    assert genders["trans_woman"] >= 60 and genders["cis_woman"] >= 100, genders
    assert interviewed.filter(statistics_consent=True).count() > 0.8 * interviewed.count()
    assert interviewed.filter(interview_date__isnull=True).count() == 0
    assert set(interviewed.values_list("nationality", flat=True)) >= {"CO", "VE"}
    # The answers arrived whole through the instrument's XML: closed answers kept, multiple choices as lists.
    with_violence = [s.answers for s in interviewed if "violence_by" in s.answers]
    assert with_violence and all(isinstance(a["violence_by"], list) for a in with_violence)
    assert sum(1 for a in with_violence if "violence_type_police" in a) > 10
    assert sum(1 for s in interviewed if read_needs(s.answers).named) > 100
    # Consent and safety are respected: an interview without them has no answers past them.
    refused = submissions.filter(answers__consent="no")
    assert refused.exists() and all(set(s.answers) <= {"consent", "interview_date"} for s in refused)
    # The key, under the printed passphrase, and the phone, whose secret is kept only as a hash.
    key = SurveyKey.objects.get(organization=demo_world)
    assert "ENCRYPTED PRIVATE KEY" in key.private_key_pem
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    load_pem_private_key(key.private_key_pem.encode(), demo.DEMO_KEY_PASSPHRASE.encode())
    credential = EnumeratorCredential.objects.get(username=demo.DEMO_PHONE_USERNAME)
    assert credential.user.email == demo.DEMO_ENUMERATOR and credential.revoked_at is None
    assert demo.DEMO_PHONE_SECRET not in credential.secret_hash
    assert check_password(demo.DEMO_PHONE_SECRET, credential.secret_hash)
    closing = "\n".join(run.closing)
    assert demo.DEMO_KEY_PASSPHRASE in closing and demo.DEMO_PHONE_SECRET in closing
    assert "300 interviews added" in out.getvalue()


def test_the_bulk_path_stores_what_receive_submission_stores(demo_world: Organization) -> None:
    demo.load_demo_surveys(_run()[0], count=40)
    form = Form.objects.get(form_id=demo.INSTRUMENT_FORM_ID)
    version = form.versions.get()
    for instance_id, answers in demo.synthetic_interviews(40, timezone.localdate()):
        bulk = Submission.objects.get(form=form, instance_id=instance_id)
        one, created = receive_submission(
            xml=demo.instance_for(version, answers, instance_id.replace("uuid:", "uuid:again-")),
            source=Submission.Source.OPENROSA,
            forms=Form.objects.filter(pk=form.pk),
        )
        assert created
        assert one.answers == bulk.answers, instance_id
        for name in FACET_FIELDS:
            assert getattr(one, name) == getattr(bulk, name), (instance_id, name)
        assert bulk.raw_instance == demo.instance_for(version, answers, instance_id).decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT raw_instance FROM surveys_submission")
        assert all("<consent>" not in row[0] for row in cursor.fetchall())  # encrypted at rest


def test_running_the_demo_again_adds_nothing(demo_world: Organization) -> None:
    demo.load_demo_surveys(_run()[0], count=20)
    receipts = AuditEntry.objects.count()
    run, out = _run()
    demo.load_demo_surveys(run, count=20)
    assert Submission.objects.count() == 20 and Form.objects.count() == 1 and SurveyKey.objects.count() == 1
    assert EnumeratorCredential.objects.count() == 1
    assert AuditEntry.objects.count() == receipts  # nothing received, published or created again
    assert "0 interviews added (20 in all)" in out.getvalue()


def test_without_the_demo_organisation_nothing_is_loaded(db: None) -> None:
    run, out = _run()
    demo.load_demo_surveys(run)
    assert Form.objects.count() == 0 and "nothing loaded" in out.getvalue()


def test_synthetic_interviews_follow_the_skip_logic() -> None:
    rng = random.Random(1)
    for _ in range(500):
        answers = demo.synthetic_answers(rng, date(2026, 12, 4))
        if answers["consent"] != "yes" or answers.get("safe_now") != "yes":
            assert "municipality" not in answers
            continue
        if answers.get("pause_violence") == "health":
            assert "violence_by" not in answers and "needs" not in answers and "gh_sleep" in answers
            continue
        by = answers["violence_by"].split()
        for who in demo.PERPETRATORS:
            assert (f"violence_type_{who}" in answers) == (who in by)
        assert ("sexual_violence_recent" in answers) == (by not in (["none"], ["pnr"]))
