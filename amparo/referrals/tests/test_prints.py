"""The case summary and the referral form are printed from one frame (core/print_base.html): the same head, no
script, and a bar with the way back and the envelope warning that is never printed."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from amparo.referrals import services
from amparo.referrals.models import Priority, ServiceType

from .conftest import World

pytestmark = pytest.mark.django_db


def test_the_summary_and_the_referral_form_share_one_printable_frame(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    referral = services.referral_send(
        actor=world.staff["caseworker"], case=world.case, service=world.hospital, focal_point=world.focal,
        service_type=ServiceType.HEALTH, shared_fields=["age_band"], priority=Priority.NORMAL, reason="",
    )  # fmt: skip
    client = verified_client_for(world.staff["caseworker"], HTTP_ACCEPT_LANGUAGE="en")
    pages = [
        client.get(f"/staff/cases/{world.case.uuid}/summary/").content.decode(),
        client.get(f"/staff/referrals/{referral.uuid}/print/").content.decode(),
    ]
    heads = [re.sub(r"<title>.*?</title>", "", page[: page.index("<main>")], flags=re.S) for page in pages]
    assert heads[0] == heads[1] and '<body class="staff print">' in heads[0]
    assert "<title>Case summary · " in pages[0] and "<title>Inter-agency referral form · " in pages[1]
    for page in pages:
        assert "<script" not in page
        bar = page[page.index('<div class="noprint">') : page.index("</div>", page.index('<div class="noprint">'))]
        assert "Use your browser's print command" in bar and "closed envelope" in bar
