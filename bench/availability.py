"""Availability of the safe channel under abuse (part of `make bench`; DESIGN.md rule 10).

Serves the channel with gunicorn on loopback only (127.0.0.1, one process with 4 threads, the real Argon2id and
proof-of-work settings, SQLite) and floods it from many client threads that all share one address, as every
visitor does behind a reverse proxy or a Tor onion service. Phases, each bounded in time and in requests:

1. no-JS flood: well-formed junk receipts (they pass the check digit) without a proof;
2. proof flood: the attacker first spends a hoard of cheap proofs collected while the channel was quiet, then
   solves each challenge at the difficulty asked (native hashlib: far faster than a phone's browser);
3. report flood: junk reports without a proof, some with a 6300 x 6300 PNG (a decompression bomb for its size).

Meanwhile a survivor, behind the same address, signs in every few seconds with her valid receipt, solving her
page's challenge in Python (as the page's script does), and files a real report. Measured: whether and how fast
she gets in (p50/p95 of the whole sign-in: solving plus the server), whether her report is accepted, the
difficulty reached, the refusals per lane, and what a no-JS survivor meets during the no-JS flood. Writes
var/bench/availability.json.

Environment: BENCH_AVAIL_SECONDS (per phase, default 20), BENCH_AVAIL_THREADS (flood threads, default 6),
BENCH_AVAIL_MAX_REQUESTS (per phase, default 3000).
"""

from __future__ import annotations

import hashlib
import html
import http.client
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from channel import PLACE, SETUP
from run import BENCH_VAR, PYTHON, ROOT, django_env, http_server, log, manage, multipart, summary

from amparo.safechannel.crypto import damm

SECONDS = float(os.environ.get("BENCH_AVAIL_SECONDS", "20"))
THREADS = int(os.environ.get("BENCH_AVAIL_THREADS", "6"))
MAX_REQUESTS = int(os.environ.get("BENCH_AVAIL_MAX_REQUESTS", "3000"))
SURVIVOR_EVERY = 2.0  # seconds between her attempts
DB = BENCH_VAR / "availability.sqlite3"


def junk_receipt(i: int) -> str:
    body = f"{(i * 7919 + 12345) % 10**15:015d}"
    return body + str(damm(body))


def solve(nonce: str, bits: int) -> str:
    counter = 0
    prefix = f"{nonce}:".encode()
    while True:
        digest = hashlib.sha256(prefix + str(counter).encode()).digest()
        if int.from_bytes(digest, "big") >> (256 - bits) == 0:
            return str(counter)
        counter += 1


def challenge_in(text: str) -> tuple[str, str, int]:
    token = re.search(r'data-pow="([^"]+)"', text)
    nonce = re.search(r'data-pow-nonce="([^"]+)"', text)
    bits = re.search(r'data-pow-bits="(\d+)"', text)
    if not (token and nonce and bits):
        raise RuntimeError("no challenge in the page")
    return html.unescape(token.group(1)), html.unescape(nonce.group(1)), int(bits.group(1))


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=180)
        try:
            headers = {"Sec-Fetch-Site": "same-origin"}
            if content_type:
                headers["Content-Type"] = content_type
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def challenge(self, path: str) -> tuple[str, str, int]:
        status, text = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"no challenge on {path} ({status})")
        return challenge_in(text)

    def sign_in(self, receipt: str, *, proof: bool, hoarded: tuple[str, str, int] | None = None) -> tuple[int, int]:
        """Returns (status, bits solved; 0 without a proof). With a proof, does what the page's script does: when
        the answer comes back with a fresh challenge to retry (the difficulty rose meanwhile), solve it and send
        again, at most 3 times. A hoarded proof is sent once, as an attacker would."""
        body = urlencode({"receipt": receipt}).encode()
        form = "application/x-www-form-urlencoded"
        if not proof and hoarded is None:
            return self.request("POST", "/es/channel/login/", body, form)[0], 0
        token, nonce, bits = hoarded or self.challenge("/es/channel/login/")
        for _ in range(4):
            path = f"/es/channel/login/?pow={quote(token)}&powc={solve(nonce, bits)}"
            status, text = self.request("POST", path, body, form)
            if hoarded or "data-pow-retry" not in text:
                return status, bits
            token, nonce, bits = challenge_in(text)
        return status, bits

    def report(self, *, proof: bool, image: bytes | None = None) -> int:
        status, text = self.request("GET", f"/es/channel/report/?place={PLACE}")
        token = re.search(r'name="form_token" value="([^"]+)"', text)
        if status != 200 or not token:
            return status
        path = "/es/channel/report/"
        if proof:
            ptoken, nonce, bits = self.challenge(f"/es/channel/report/?place={PLACE}")
            path += f"?pow={quote(ptoken)}&powc={solve(nonce, bits)}"
        fields = [
            ("place", PLACE),
            ("form_token", token.group(1)),
            ("what_happened", "Relato de prueba de disponibilidad."),
            ("persecuted", "no"),
            ("state_agent", "no"),
            ("organization", "auto"),
            ("contact_how", "channel"),
        ]
        files = [("attachments", "a.png", "image/png", image)] if image is not None else []
        body, content_type = multipart(fields, files)
        status, _ = self.request("POST", path, body, content_type)
        return status

    def receipt_from_report(self) -> str:
        status, text = self.request("GET", f"/es/channel/report/?place={PLACE}")
        token = re.search(r'name="form_token" value="([^"]+)"', text)
        ptoken, nonce, bits = self.challenge(f"/es/channel/report/?place={PLACE}")
        assert token
        body = urlencode(
            {
                "place": PLACE,
                "form_token": token.group(1),
                "what_happened": "Su reporte real.",
                "persecuted": "yes",
                "state_agent": "no",
                "organization": "auto",
                "contact_how": "channel",
            }
        ).encode()
        path = f"/es/channel/report/?pow={quote(ptoken)}&powc={solve(nonce, bits)}"
        status, text = self.request("POST", path, body, "application/x-www-form-urlencoded")
        match = re.search(r'<p class="receipt"[^>]*><strong>([\d ]{19})</strong>', text)
        if status != 200 or not match:
            raise SystemExit(f"the survivor's report failed ({status})")
        return match.group(1).replace(" ", "")


def flood(attack: Any, seconds: float) -> dict[str, Any]:
    """Run `attack(i) -> label` from THREADS threads until the time or the request budget is used."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    state = {"n": 0}
    deadline = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if state["n"] >= MAX_REQUESTS:
                    return
                state["n"] += 1
                i = state["n"]
            try:
                label = attack(i)
            except (OSError, RuntimeError) as exc:
                label = f"error {type(exc).__name__}"
            with lock:
                counts[label] += 1

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    return {"threads": threads, "counts": counts, "started": started, "deadline": deadline}


def join(run: dict[str, Any]) -> dict[str, Any]:
    for t in run["threads"]:
        t.join()
    elapsed = time.monotonic() - run["started"]
    total = sum(run["counts"].values())
    return {"requests": total, "seconds": elapsed, "per_second": total / elapsed, "outcomes": dict(run["counts"])}


def survivor_during(client: Client, receipt: str, run: dict[str, Any], *, proof: bool = True) -> dict[str, Any]:
    """She signs in every SURVIVOR_EVERY seconds while the flood lasts; each attempt is timed end to end."""
    times: list[float] = []
    outcomes: Counter[int] = Counter()
    bits: list[int] = []
    time.sleep(1.0)  # let the flood build up first
    while time.monotonic() < run["deadline"] - 1:
        started = time.perf_counter()
        status, solved = client.sign_in(receipt, proof=proof)
        elapsed = (time.perf_counter() - started) * 1000
        outcomes[status] += 1
        bits.append(solved)
        if status == 302:
            times.append(elapsed)
        time.sleep(SURVIVOR_EVERY)
    attempts = sum(outcomes.values())
    return {
        "attempts": attempts,
        "signed_in": outcomes.get(302, 0),
        "outcomes": {str(k): v for k, v in outcomes.items()},
        "sign_in_ms": summary(times) if times else None,
        "bits_solved": bits,
    }


def bomb() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (6300, 6300)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> int:
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    (BENCH_VAR / "static").mkdir(parents=True, exist_ok=True)
    env = django_env(f"sqlite:///{DB}")
    env["SAFECHANNEL_STORAGE_DIR"] = str(BENCH_VAR / "availability-files")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    log("Availability: fresh database, one receiving organisation")
    manage(env, "migrate", "--noinput", "-v0")
    subprocess.run([PYTHON, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True)
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "flood_threads": THREADS,
        "phase_seconds": SECONDS,
        "server": "gunicorn, 1 process x 4 threads, loopback; every client has the address 127.0.0.1",
    }
    png = bomb()
    with http_server(env, "availability", ("--workers=1", "--worker-class=gthread", "--threads=4")) as port:
        client = Client(port)
        receipt = client.receipt_from_report()
        baseline = []
        for _ in range(5):
            started = time.perf_counter()
            status, _ = client.sign_in(receipt, proof=True)
            baseline.append((time.perf_counter() - started) * 1000)
            assert status == 302, status
        results["quiet_sign_in_ms"] = summary(baseline)

        log(f"Phase 1: {THREADS} threads of well-formed junk sign-ins without proofs, {SECONDS:.0f} s")
        run = flood(lambda i: str(client.sign_in(junk_receipt(i), proof=False)[0]), SECONDS)
        her = survivor_during(client, receipt, run)
        nojs_status, _ = client.sign_in(receipt, proof=False)
        report_status = client.report(proof=True)
        results["nojs_flood"] = {
            "flood": join(run),
            "survivor_with_proof": her,
            "survivor_without_js_status": nojs_status,
            "real_report_with_proof_status": report_status,
        }
        time.sleep(max(0.0, 61 - (time.time() % 60)))  # a fresh minute window for the next phase

        log(
            f"Phase 2: {THREADS} threads spending hoarded proofs, then solving at the difficulty asked, {SECONDS:.0f} s"
        )
        hoard = [client.challenge("/es/channel/login/") for _ in range(200)]
        hoard_lock = threading.Lock()
        bits_seen: Counter[int] = Counter()

        def attacker(i: int) -> str:
            with hoard_lock:
                hoarded = hoard.pop() if hoard else None
            status, bits = client.sign_in(junk_receipt(i), proof=True, hoarded=hoarded)
            with hoard_lock:
                bits_seen[bits] += 1
            return f"{'hoarded' if hoarded else 'solved'} {status}"

        run = flood(attacker, SECONDS)
        her = survivor_during(client, receipt, run)
        report_status = client.report(proof=True)
        results["proof_flood"] = {
            "flood": join(run),
            "attacker_bits": {str(k): v for k, v in sorted(bits_seen.items())},
            "survivor_with_proof": her,
            "max_bits_reached": max([*bits_seen, *her["bits_solved"]]),
            "real_report_with_proof_status": report_status,
        }
        time.sleep(max(0.0, 61 - (time.time() % 60)))

        log(f"Phase 3: {THREADS} threads of junk reports without proofs (half with a 6300x6300 PNG), {SECONDS:.0f} s")
        run = flood(lambda i: str(client.report(proof=False, image=png if i % 2 else None)), SECONDS)
        time.sleep(2.0)
        started = time.perf_counter()
        report_status = client.report(proof=True)
        report_ms = (time.perf_counter() - started) * 1000
        her = survivor_during(client, receipt, run)
        results["report_flood"] = {
            "flood": join(run),
            "real_report_with_proof_status": report_status,
            "real_report_ms": report_ms,
            "survivor_with_proof": her,
        }
    (BENCH_VAR / "availability.json").write_text(json.dumps(results, indent=2))
    print_summary(results)
    return 0


def print_summary(r: dict[str, Any]) -> None:
    print(
        f"\nSafe channel under floods ({r['server']}; {r['flood_threads']} flood threads, {r['phase_seconds']:.0f} s)"
    )
    q = r["quiet_sign_in_ms"]
    print(f"  quiet: her sign-in with a proof p50 {q['p50']:.0f} ms, p95 {q['p95']:.0f} ms")
    for key, title in (
        ("nojs_flood", "1. no-JS flood of well-formed receipts"),
        ("proof_flood", "2. flood with proofs (hoarded, then solved)"),
        ("report_flood", "3. no-JS flood of reports (half with a PNG bomb)"),
    ):
        phase = r[key]
        f, her = phase["flood"], phase["survivor_with_proof"]
        print(f"  {title}: {f['requests']} requests, {f['per_second']:.1f}/s; outcomes {f['outcomes']}")
        ms = her["sign_in_ms"]
        timing = f"p50 {ms['p50']:.0f} ms, p95 {ms['p95']:.0f} ms" if ms else "never"
        ratio = f" ({ms['p50'] / q['p50']:.1f}x quiet p50)" if ms else ""
        print(
            f"     she signed in {her['signed_in']}/{her['attempts']} times, {timing}{ratio}; "
            f"outcomes {her['outcomes']}"
        )
        print(f"     her real report with a proof: HTTP {phase['real_report_with_proof_status']}")
        if key == "nojs_flood":
            print(f"     a survivor without JavaScript during this flood: HTTP {phase['survivor_without_js_status']}")
        if key == "proof_flood":
            print(
                f"     difficulty reached: {phase['max_bits_reached']} bits; "
                f"attacker's solves by bits {phase['attacker_bits']}"
            )
    print("Figures: var/bench/availability.json")


if __name__ == "__main__":
    sys.exit(main())
