"""The issue's "Done when" for encrypted forms, end to end and over real HTTP: a pyxform-compiled form carrying the
organisation's key is listed and downloaded by a phone, answered and encrypted exactly as ODK Collect does, sent
as Collect sends it, stored unread, decrypted by an analyst with the passphrase, counted by zone and group in the
risk characterisation, and purged."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from django.db import connection
from django.urls import reverse

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.surveys import decryption, form_admin, phones, retention
from amparo.surveys.keys import survey_key_create
from amparo.surveys.models import Submission
from amparo.surveys.tests.crypto_envelopes import collect_envelope
from amparo.surveys.tests.factories import make_form

pytestmark = pytest.mark.django_db(transaction=True)

PASSPHRASE = "una frase de paso que solo sabe la red"


def member(org: Organization, email: str, role: str) -> User:
    user = User.objects.create_user(username=email, email=email, password="x" * 16)
    Membership.objects.create(user=user, organization=org, role=role)
    return user


def test_an_encrypted_form_from_the_phone_to_the_characterisation(
    live_server: Any, demo_directory: None, verified_client_for: Any
) -> None:
    org = Organization.objects.create(name="Red Violeta")
    coordinator = member(org, "coord@example.org", Role.COORDINATOR)
    enumerator = member(org, "enc@example.org", Role.ENUMERATOR)
    analyst = member(org, "analyst@example.org", Role.ANALYST)
    survey_key_create(organization=org, passphrase=PASSPHRASE, actor=coordinator)
    version = make_form(org, coordinator, form_id="amparo_cifrado", public_key="organization")
    form_admin.form_set_enumerators(actor=coordinator, form=version.form, users=[enumerator])
    credential, secret = phones.credential_create(actor=coordinator, organization=org, user=enumerator, label="1")

    with httpx.Client(
        base_url=f"{live_server.url}/openrosa",
        auth=httpx.BasicAuth(credential.username, secret),
        headers={"X-OpenRosa-Version": "1.0"},
        timeout=30,
    ) as phone:
        listing = phone.get("/formList")
        assert listing.status_code == 200 and "amparo_cifrado" in listing.text
        download_url = re.search(r"<downloadUrl>([^<]+)</downloadUrl>", listing.text)[1]  # type: ignore[index]
        downloaded = httpx.get(download_url, auth=httpx.BasicAuth(credential.username, secret), timeout=30)
        # The phone encrypts with the key the downloaded XForm carries: the organisation's.
        assert downloaded.status_code == 200 and downloaded.text == version.xform
        assert 'base64RsaPublicKey="' in downloaded.text
        sent = []
        for _ in range(5):
            instance_id, manifest, files = collect_envelope(version, {"comment": "Me siguen desde el puente"})
            parts = [("xml_submission_file", ("submission.xml", manifest, "text/xml"))]
            parts += [(f.name, (f.name, f.data, "application/octet-stream")) for f in files]
            assert phone.head("/submission").status_code == 204
            response = phone.post("/submission", files=parts)
            assert response.status_code == 201, response.text
            sent.append((instance_id, parts))
        again = phone.post("/submission", files=sent[0][1])
        assert again.status_code == 202

    stored = Submission.objects.filter(form=version.form)
    assert stored.count() == 5 and all(s.encrypted and not s.answers for s in stored)
    with connection.cursor() as cursor:
        cursor.execute("SELECT raw_instance FROM surveys_submission")
        assert not any("puente" in row[0] or "trans_woman" in row[0] for row in cursor.fetchall())

    result = decryption.decrypt_pending(form=version.form, passphrase=PASSPHRASE, actor=analyst)
    assert result.decrypted == 5
    counted = stored.filter(
        zone_type="border", gender_identity="trans_woman", statistics_consent=True, age_band="26-40"
    )
    assert counted.count() == 5
    assert stored.first().answers["violence"] == ["clients", "police"]  # type: ignore[union-attr]

    page = verified_client_for(analyst).get(reverse("surveys:characterisation", args=[version.form.uuid]))
    assert page.status_code == 200
    assert "Me siguen" not in page.content.decode()

    purged = retention.purge_form_now(form=version.form, actor=coordinator, everything=True)
    assert purged and not Submission.objects.filter(form=version.form).exists()
