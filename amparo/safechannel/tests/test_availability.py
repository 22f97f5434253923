"""Availability of the channel under abuse (DESIGN.md rule 10), through the real view stack: Django's test client,
the configured cache, real Argon2 with the cheap test parameters, real puzzles at test-sized difficulty.

Every flood here comes from one address, which is also what "many clients behind one proxy or onion service"
looks like to the server. Time is fixed (`ratelimit.clock`) so that no window turns during a test.
"""

from __future__ import annotations

import html
import importlib
import io
import re
from collections import defaultdict
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from amparo.core import uploads
from amparo.safechannel import crypto, proofofwork, ratelimit
from amparo.safechannel.models import ReceiptSession, Report

from .conftest import CUCUTA, World, report_fields

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"  # what every onion visitor, or everyone behind the reverse proxy, looks like
NOW = 1_900_000_020.0  # 20 s into a minute window


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    real = uploads.decode

    def counting(image: Any) -> None:
        seen.append(image.size)
        real(image)

    monkeypatch.setattr(uploads, "decode", counting)
    return seen


def client(address: str = PROXY) -> Client:
    return Client(HTTP_HOST="localhost", REMOTE_ADDR=address, HTTP_SEC_FETCH_SITE="same-origin")


def challenge_of(page: Any) -> proofofwork.Challenge:
    text = page.content.decode()
    token = re.search(r'data-pow="([^"]+)"', text)
    nonce = re.search(r'data-pow-nonce="([^"]+)"', text)
    bits = re.search(r'data-pow-bits="(\d+)"', text)
    assert token and nonce and bits, text[:2000]
    return proofofwork.Challenge(html.unescape(token.group(1)), html.unescape(nonce.group(1)), int(bits.group(1)))


def with_proof(path: str, challenge: proofofwork.Challenge, counter: str | None = None) -> str:
    counter = proofofwork.solve(challenge) if counter is None else counter
    return f"{path}?pow={challenge.token}&powc={counter}"


def fields(page: Any, **overrides: Any) -> dict[str, Any]:
    token = re.search(r'name="form_token" value="([^"]+)"', page.content.decode())
    assert token, page.content.decode()[:2000]
    data: dict[str, Any] = defaultdict(list)
    for name, value in report_fields(token.group(1), **overrides):
        data[name].append(value)
    return dict(data)


def receipt_in(page: Any) -> str:
    match = re.search(r'<p class="receipt"[^>]*><strong>([\d ]{19})</strong>', page.content.decode())
    assert match, page.content.decode()[:3000]
    return match.group(1).replace(" ", "")


def a_report(world: World) -> str:
    """A report filed through the form with a proof (as a phone with JavaScript does); returns its receipt."""
    survivor = client("198.51.100.20")
    page = survivor.get(f"/es/channel/report/?place={CUCUTA}")
    sent = survivor.post(with_proof("/es/channel/report/", challenge_of(page)), fields(page))
    assert sent.status_code == 200, sent.content.decode()[:3000]
    return receipt_in(sent)


def junk_receipt(i: int) -> str:
    body = f"{i:015d}"
    return body + str(crypto.damm(body))  # well-formed, passes the check digit, opens nothing


def bomb_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6300, 6300)).save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- Malformed input costs nothing ---------------------------------------------------------------------------


def test_a_flood_of_malformed_receipts_does_not_lock_out_a_valid_receipt(world: World) -> None:
    receipt = a_report(world)
    flood = client()
    wrong_digit = receipt[:5] + str((int(receipt[5]) + 1) % 10) + receipt[6:]
    swapped = receipt[:7] + receipt[8] + receipt[7] + receipt[9:]
    malformed = ["123", "abcd" * 4, "1" * 17, "9" * 5000, wrong_digit, "1234567812345678"]
    if swapped != receipt:
        malformed.append(swapped)
    for _ in range(40):
        for bad in malformed:
            answer = flood.post("/es/channel/login/", {"receipt": bad})
            assert answer.status_code == 400 and "errorlist" in answer.content.decode(), bad
    # Nothing was counted in any lane: the survivor, behind the same address and without JavaScript, gets in.
    for name in ("receipt_global", "receipt_proof"):
        assert ratelimit.count(name) == 0
    signed_in = client().post("/es/channel/login/", {"receipt": receipt})
    assert signed_in.status_code == 302 and signed_in["Location"].endswith("/es/channel/inbox/")


def test_the_check_digit_catches_single_digit_errors_and_adjacent_swaps() -> None:
    for _ in range(50):
        receipt = crypto.new_receipt()
        assert len(receipt) == 16 and crypto.receipt_checks(receipt)
        for i in range(16):
            for digit in "0123456789":
                if digit != receipt[i]:
                    assert not crypto.receipt_checks(receipt[:i] + digit + receipt[i + 1 :])
            if i < 15 and receipt[i] != receipt[i + 1]:
                assert not crypto.receipt_checks(receipt[:i] + receipt[i + 1] + receipt[i] + receipt[i + 2 :])


def test_receipts_from_before_the_check_digit_keep_working(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # A report filed by the previous version (16 random digits), marked legacy as migration 0003 does.
    old = "4444444444444444"
    assert not crypto.receipt_checks(old)
    with monkeypatch.context() as before:
        before.setattr(crypto, "new_receipt", lambda: old)
        a_report(world)
    Report.objects.update(legacy_receipt=True)
    assert client().post("/es/channel/login/", {"receipt": old}).status_code == 302
    # Once no legacy report is left, a receipt failing the check is refused before any counter.
    Report.objects.all().delete()
    refused = client().post("/es/channel/login/", {"receipt": old})
    assert refused.status_code == 400 and ratelimit.count("receipt_global") == 1  # only the legacy sign-in above


# --- Floods from one address do not reach the proof lane -----------------------------------------------------


def test_a_flood_of_well_formed_receipts_does_not_stop_a_survivor_with_a_proof(world: World) -> None:
    receipt = a_report(world)
    flood = client()
    statuses = [flood.post("/es/channel/login/", {"receipt": junk_receipt(i)}).status_code for i in range(60)]
    assert statuses.count(400) == 10 and statuses.count(429) == 50  # the no-JavaScript lane is full for this window
    assert ReceiptSession.objects.count() == 0
    # She is behind the same address; her page's script solved the challenge: she gets in at once.
    survivor = client()
    page = survivor.get("/es/channel/login/")
    signed_in = survivor.post(with_proof("/es/channel/login/", challenge_of(page)), {"receipt": receipt})
    assert signed_in.status_code == 302 and signed_in["Location"].endswith("/es/channel/inbox/")


def test_an_attacker_with_proofs_pays_more_as_the_budget_fills_and_she_still_gets_in(
    world: World, settings: Any
) -> None:
    receipt = a_report(world)
    budget = settings.SAFECHANNEL_RATE_LIMITS["receipt_proof"][0]
    flood = client()
    # The attacker collects cheap challenges while the channel is quiet, solves them, then sends them at once.
    hoard = [ratelimit.new_challenge("receipt") for _ in range(budget)]
    assert {c.bits for c in hoard} == {settings.SAFECHANNEL_POW_BITS}
    statuses = [
        flood.post(with_proof("/es/channel/login/", c), {"receipt": junk_receipt(i)}).status_code
        for i, c in enumerate(hoard)
    ]
    admitted = statuses.count(400)  # admitted, Argon2 ran, no such receipt
    assert statuses.count(429) == budget - admitted  # refused: their proofs are now too weak
    assert admitted < budget // 2 and ratelimit.required_bits("receipt") > settings.SAFECHANNEL_POW_BITS
    # A solved proof works once: a replay is refused before Argon2 and before any counter.
    current = proofofwork.issue("receipt", ratelimit.required_bits("receipt") + 2, NOW)  # more than asked
    url = with_proof("/es/channel/login/", current)
    assert flood.post(url, {"receipt": junk_receipt(1000)}).status_code == 400
    used = ratelimit.count("receipt_proof")
    replay = flood.post(url, {"receipt": junk_receipt(1001)})
    assert replay.status_code == 400 and "data-pow-retry" in replay.content.decode()
    assert ratelimit.count("receipt_proof") == used
    # Slots remain: she solves today's (harder) challenge and gets in.
    survivor = client()
    page = survivor.get("/es/channel/login/")
    assert challenge_of(page).bits > settings.SAFECHANNEL_POW_BITS
    signed_in = survivor.post(with_proof("/es/channel/login/", challenge_of(page)), {"receipt": receipt})
    assert signed_in.status_code == 302


def test_a_weak_proof_comes_back_with_a_harder_challenge_and_her_text(world: World, settings: Any) -> None:
    survivor = client()
    page = survivor.get(f"/es/channel/report/?place={CUCUTA}")
    stale = challenge_of(page)
    # While she writes, a flood of solved reports fills half the minute's budget (the real counter).
    for _ in range(settings.SAFECHANNEL_RATE_LIMITS["report_proof"][0] // 2):
        ratelimit._hit("report_proof", "all", NOW)
    assert ratelimit.required_bits("report") > stale.bits
    refused = survivor.post(with_proof("/es/channel/report/", stale), fields(page))
    text = refused.content.decode()
    assert refused.status_code == 429 and "Marfil-4471" in text and "data-pow-retry" in text
    fresh = challenge_of(refused)
    assert fresh.bits == ratelimit.required_bits("report") and fresh.token != stale.token
    # The script solves the fresh challenge and sends again by itself.
    sent = survivor.post(with_proof("/es/channel/report/", fresh), fields(refused))
    assert sent.status_code == 200 and receipt_in(sent)


def test_automatic_resending_stops_after_three_tries(world: World, settings: Any) -> None:
    """The script sends again by itself only while the server numbers the try (powr) under three: a page never
    loops, even if app servers disagree on the time; after that she presses the button herself."""
    survivor = client()
    page = survivor.get("/es/channel/login/")
    stale = challenge_of(page)
    for _ in range(settings.SAFECHANNEL_RATE_LIMITS["receipt_proof"][0] // 2):
        ratelimit._hit("receipt_proof", "all", NOW)
    tries = []
    for sent in ("", "&powr=1", "&powr=2", "&powr=3", "&powr=x"):
        refused = survivor.post(with_proof("/es/channel/login/", stale) + sent, {"receipt": junk_receipt(1)})
        assert refused.status_code == 429
        found = re.search(r'data-pow-retry="(\d+)"', refused.content.decode())
        tries.append(int(found.group(1)) if found else 0)
    assert tries == [1, 2, 3, 0, 0]


def test_a_flood_of_reports_does_not_stop_a_real_report(world: World) -> None:
    flood = client()
    statuses = []
    for _ in range(15):
        page = flood.get(f"/es/channel/report/?place={CUCUTA}")
        statuses.append(flood.post("/es/channel/report/", fields(page, what_happened="junk junk")).status_code)
    assert statuses.count(200) == 5 and statuses.count(429) == 10
    survivor = client()
    page = survivor.get(f"/es/channel/report/?place={CUCUTA}")
    sent = survivor.post(with_proof("/es/channel/report/", challenge_of(page)), fields(page))
    assert sent.status_code == 200 and receipt_in(sent)
    assert Report.objects.count() == 6


# --- Refused uploads are never read into memory or decoded, and her text comes back ---------------------------


def test_an_over_limit_upload_is_not_decoded_and_her_text_is_kept(world: World, decodes: list[Any]) -> None:
    flood = client()
    for _ in range(5):
        page = flood.get(f"/es/channel/report/?place={CUCUTA}")
        assert flood.post("/es/channel/report/", fields(page)).status_code == 200
    assert len(decodes) == 0  # no files so far
    page = flood.get(f"/es/channel/report/?place={CUCUTA}")
    data = fields(page)
    data["attachments"] = [SimpleUploadedFile("bomba.png", bomb_png(), "image/png")]
    refused = flood.post("/es/channel/report/", data)
    text = refused.content.decode()
    assert refused.status_code == 429
    assert decodes == []  # never opened, let alone decoded
    assert "Marfil-4471" in text and 'value="+57 300 555 0199"' in text  # her text is kept
    assert "elige los archivos de nuevo" in text.lower() or "choose the files again" in text.lower()
    # The same with a forged proof: refused from the query string, the file never read.
    page = flood.get(f"/es/channel/report/?place={CUCUTA}")
    data = fields(page)
    data["attachments"] = [SimpleUploadedFile("bomba.png", bomb_png(), "image/png")]
    forged = flood.post("/es/channel/report/?pow=forged&powc=1", data)
    assert forged.status_code == 400 and decodes == [] and "Marfil-4471" in forged.content.decode()
    assert Report.objects.count() == 5


def test_an_admitted_report_still_refuses_the_bomb_without_decoding_it(world: World, decodes: list[Any]) -> None:
    survivor = client()
    page = survivor.get(f"/es/channel/report/?place={CUCUTA}")
    data = fields(page)
    data["attachments"] = [SimpleUploadedFile("bomba.png", bomb_png(), "image/png")]
    sent = survivor.post(with_proof("/es/channel/report/", challenge_of(page)), data)
    assert sent.status_code == 400 and decodes == [] and "Marfil-4471" in sent.content.decode()


# --- Keys shared by every process; windows --------------------------------------------------------------------


def test_client_keys_are_the_same_in_every_process_and_change_with_the_window() -> None:
    first = ratelimit.client_id(PROXY, 600, NOW)
    again = importlib.reload(ratelimit)  # a second process derives its key the same way
    try:
        assert again.client_id(PROXY, 600, NOW) == first
        assert not hasattr(again, "_PROCESS_KEY")
        assert again.client_id(PROXY, 600, NOW + 600) != first  # rotated with the window
        assert again.client_id("127.0.0.2", 600, NOW) != first
        assert PROXY not in first
    finally:
        importlib.reload(ratelimit)


def test_difficulty_rises_with_the_minute_s_load_and_falls_with_the_next_window(settings: Any) -> None:
    budget = settings.SAFECHANNEL_RATE_LIMITS["receipt_proof"][0]
    base, top = settings.SAFECHANNEL_POW_BITS, settings.SAFECHANNEL_POW_MAX_BITS
    seen = []
    for _ in range(budget):
        seen.append(ratelimit.required_bits("receipt", NOW))
        ratelimit._hit("receipt_proof", "all", NOW)
    assert seen[0] == base and seen == sorted(seen) and ratelimit.required_bits("receipt", NOW) == top
    assert ratelimit.required_bits("receipt", NOW + 60) == base


# --- The sealed receipt of the confirmation form -------------------------------------------------------------


def test_the_sealed_receipt_works_once_and_for_fifteen_minutes(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    survivor = client()
    page = survivor.get(f"/es/channel/report/?place={CUCUTA}")
    sent = survivor.post(with_proof("/es/channel/report/", challenge_of(page)), fields(page))
    receipt = receipt_in(sent)
    sealed = re.search(r'name="sealed" value="([^"]+)"', sent.content.decode()).group(1)  # type: ignore[union-attr]
    wrong = survivor.post("/es/channel/receipt/", {"sealed": sealed, "receipt": "0" * 16})
    assert wrong.status_code == 400 and receipt_in(wrong) == receipt
    fresh = re.search(r'name="sealed" value="([^"]+)"', wrong.content.decode()).group(1)  # type: ignore[union-attr]
    assert fresh != sealed
    # The old value is spent, from this client or any other.
    assert client("192.0.2.9").post("/es/channel/receipt/", {"sealed": sealed, "receipt": receipt}).status_code == 400
    # Sixteen minutes later the new one has expired.
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW + 16 * 60)
    late = survivor.post("/es/channel/receipt/", {"sealed": fresh, "receipt": receipt})
    assert late.status_code == 400 and not Report.objects.get().receipt_confirmed
    # Within the fifteen minutes it confirms, once.
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW + 60)
    assert survivor.post("/es/channel/receipt/", {"sealed": fresh, "receipt": receipt}).status_code == 200
    assert Report.objects.get().receipt_confirmed
    assert survivor.post("/es/channel/receipt/", {"sealed": fresh, "receipt": receipt}).status_code == 400
