"""The staff pages of encrypted forms: the coordinator's survey key page and the analyst's decryption page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.surveys import keys
from amparo.surveys.models import Form, Submission, SurveyKey
from amparo.surveys.services import receive_submission
from amparo.surveys.tests.crypto_envelopes import collect_envelope
from amparo.surveys.tests.factories import make_form

pytestmark = pytest.mark.django_db

PASSPHRASE = "la llave de la red violeta"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    cache.clear()  # the wrong-passphrase counters
    with translation.override("en"):
        yield


@pytest.fixture
def organization() -> Organization:
    return Organization.objects.create(name="Red Violeta")


def member(organization: Organization, role: str, client_for: Callable[..., Client]) -> tuple[User, Client]:
    email = f"{role}@example.org"
    user = User.objects.create_user(username=email, email=email, password="x" * 16)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user, client_for(user, HTTP_ACCEPT_LANGUAGE="en")


def test_a_coordinator_creates_and_rotates_the_key(
    organization: Organization, verified_client_for: Callable[..., Client]
) -> None:
    user, client = member(organization, Role.COORDINATOR, verified_client_for)
    url = reverse("surveys:survey_key", args=[organization.uuid])
    page = client.get(url)
    assert page.status_code == 200 and "no survey key yet" in page.content.decode()

    for data, problem in [
        ({"passphrase": "short", "passphrase_again": "short", "understood": "on"}, "at least 12 characters"),
        ({"passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE + "!", "understood": "on"}, "differ"),
        ({"passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE}, "required"),
    ]:
        refused = client.post(url, data)
        assert refused.status_code == 400 and problem in refused.content.decode()
        assert PASSPHRASE not in refused.content.decode()  # never echoed back
    assert not SurveyKey.objects.exists()

    created = client.post(url, {"passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE, "understood": "on"})
    assert created.status_code == 302
    key = SurveyKey.objects.get()
    assert key.created_by == user and key.active
    assert key.private_key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert PASSPHRASE not in key.private_key_pem and PASSPHRASE.encode() not in key.public_key_pem.encode()
    assert keys.unlock(key.private_key_pem, PASSPHRASE).key_size == keys.KEY_BITS
    with pytest.raises(keys.WrongPassphrase):
        keys.unlock(key.private_key_pem, "la llave de la red violetA")
    assert AuditEntry.objects.get(action="survey.key.create").detail["fingerprint"] == key.fingerprint[:16]
    assert not any(PASSPHRASE in str(e.detail) for e in AuditEntry.objects.all())

    shown = client.get(url).content.decode()
    public_key = re.search(r'<textarea id="public-key"[^>]*>([^<]+)</textarea>', shown)[1]  # type: ignore[index]
    assert public_key == keys.xlsform_public_key(key.public_key_pem)
    # what the page shows is what the upload accepts
    assert make_form(organization, user, public_key=public_key).encrypted

    client.post(url, {"passphrase": PASSPHRASE + " 2", "passphrase_again": PASSPHRASE + " 2", "understood": "on"})
    assert SurveyKey.objects.filter(organization=organization).count() == 2
    assert SurveyKey.objects.filter(organization=organization, active=True).count() == 1
    assert "Earlier keys" in client.get(url).content.decode()


def test_only_the_coordinators_of_the_organisation_reach_the_key_page(
    organization: Organization, verified_client_for: Callable[..., Client]
) -> None:
    url = reverse("surveys:survey_key", args=[organization.uuid])
    _analyst, analyst = member(organization, Role.ANALYST, verified_client_for)
    assert analyst.get(url).status_code == 404
    other = Organization.objects.create(name="Otra")
    _outsider, outsider = member(other, Role.COORDINATOR, verified_client_for)
    assert outsider.get(url).status_code == 404
    data = {"passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE, "understood": "on"}
    assert outsider.post(url, data).status_code == 404
    assert not SurveyKey.objects.exists()


def test_an_analyst_decrypts_on_the_page(
    organization: Organization, verified_client_for: Callable[..., Client], settings: object
) -> None:
    coordinator = User.objects.create_user(username="c@example.org", email="c@example.org", password="x" * 16)
    keys.survey_key_create(organization=organization, passphrase=PASSPHRASE, actor=coordinator)
    version = make_form(organization, coordinator, public_key="organization")
    settings.SURVEYS_DECRYPT_BATCH = 2  # type: ignore[attr-defined]
    for _n in range(3):
        _id, manifest, files = collect_envelope(version, {"gender": "trans_woman"}, photo=None)
        receive_submission(
            xml=manifest, attachments=files, source="openrosa", forms=Form.objects.filter(pk=version.form_id)
        )
    analyst_user, analyst = member(organization, Role.ANALYST, verified_client_for)
    url = reverse("surveys:decrypt", args=[version.form.uuid])
    page = analyst.get(url).content.decode()
    assert "3 submissions waiting to be decrypted" in page and "At most 2 submissions" in page

    wrong = analyst.post(url, {"passphrase": "not the passphrase at all"})
    assert wrong.status_code == 400
    assert "does not open any of the organisation" in wrong.content.decode()
    assert Submission.objects.filter(encrypted=True).count() == 3

    first = analyst.post(url, {"passphrase": PASSPHRASE}, follow=True)
    text = first.content.decode()
    assert "2 submissions decrypted." in text and "1 more is waiting: press Decrypt again." in text
    assert "1 submission waiting to be decrypted" in text
    assert PASSPHRASE not in text
    second = analyst.post(url, {"passphrase": PASSPHRASE}, follow=True).content.decode()
    assert "1 submission decrypted." in second and "more is waiting" not in second
    assert not Submission.objects.filter(encrypted=True).exists()
    assert Submission.objects.filter(gender_identity="trans_woman").count() == 3
    assert AuditEntry.objects.filter(action="survey.decrypt.batch", actor_id=analyst_user.pk).count() == 2
    # the passphrase was never put in the session
    assert PASSPHRASE not in str(dict(analyst.session.items()))


def test_wrong_passphrases_are_limited_per_organisation(
    organization: Organization, verified_client_for: Callable[..., Client]
) -> None:
    coordinator = User.objects.create_user(username="c@example.org", email="c@example.org", password="x" * 16)
    keys.survey_key_create(organization=organization, passphrase=PASSPHRASE, actor=coordinator)
    version = make_form(organization, coordinator, public_key="organization")
    _id, manifest, files = collect_envelope(version, photo=None)
    receive_submission(
        xml=manifest, attachments=files, source="openrosa", forms=Form.objects.filter(pk=version.form_id)
    )
    _user, analyst = member(organization, Role.ANALYST, verified_client_for)
    url = reverse("surveys:decrypt", args=[version.form.uuid])
    for _n in range(10):
        assert "does not open" in analyst.post(url, {"passphrase": "a wrong guess, again"}).content.decode()
    blocked = analyst.post(url, {"passphrase": PASSPHRASE})
    assert blocked.status_code == 400 and "Too many wrong passphrases" in blocked.content.decode()
    assert Submission.objects.get().encrypted


def test_other_roles_and_organisations_cannot_decrypt(
    organization: Organization, verified_client_for: Callable[..., Client]
) -> None:
    version = make_form(organization)
    url = reverse("surveys:decrypt", args=[version.form.uuid])
    for role in (Role.ENUMERATOR, Role.CASEWORKER, Role.MONITOR):
        _user, client = member(organization, role, verified_client_for)
        assert client.get(url).status_code == 404
    _user, outsider = member(Organization.objects.create(name="Otra"), Role.ANALYST, verified_client_for)
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, {"passphrase": PASSPHRASE}).status_code == 404


@pytest.mark.parametrize(
    ("language", "key_words", "decrypt_words", "retention_words"),
    [
        ("es", "Llave de encuestas para formularios cifrados", "Descifrar", "Borrar definitivamente"),
        ("pt", "Chave de pesquisas para formulários cifrados", "Decifrar", "Apagar definitivamente"),
    ],
)
def test_the_pages_speak_spanish_and_portuguese(
    organization: Organization,
    verified_client_for: Callable[..., Client],
    language: str,
    key_words: str,
    decrypt_words: str,
    retention_words: str,
) -> None:
    user = User.objects.create_user(username="c@example.org", email="c@example.org", password="x" * 16)
    Membership.objects.create(user=user, organization=organization, role=Role.COORDINATOR)
    client = verified_client_for(user, HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    keys.survey_key_create(organization=organization, passphrase=PASSPHRASE, actor=user)
    version = make_form(organization, user, public_key="organization")
    _id, manifest, files = collect_envelope(version, photo=None)
    receive_submission(
        xml=manifest, attachments=files, source="openrosa", forms=Form.objects.filter(pk=version.form_id)
    )
    with translation.override(language):
        pages = [
            (reverse("surveys:survey_key", args=[organization.uuid]), key_words),
            (reverse("surveys:decrypt", args=[version.form.uuid]), decrypt_words),
            (reverse("surveys:retention", args=[version.form.uuid]), retention_words),
        ]
    for url, words in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert words in response.content.decode(), url
