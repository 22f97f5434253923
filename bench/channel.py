"""Safe-channel benchmark (part of `make bench`): report submission and receipt sign-in with the real Argon2id
parameters, over real HTTP against gunicorn with one sync worker (one core), on SQLite and on PostgreSQL.

Prints p50/p95 server time (Server-Timing from bench/timing_wsgi.py) for:
- submitting a report (POST of the form: validation, one Argon2id for the receipt, sealing to each recipient,
  encryption, audit entry), without and with a 150 KB photo (re-encoded to strip its metadata);
- signing in with a receipt (one Argon2id, unsealing, a session row);
and how many reports per second one core accepts (2 client threads, form pages fetched beforehand).
Writes var/bench/channel.json.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (
    BENCH_VAR,
    DB_LABEL,
    PG_URL,
    PYTHON,
    ROOT,
    django_env,
    drop_database,
    http_server,
    log,
    manage,
    multipart,
    summary,
)

SUBMISSIONS = int(os.environ.get("BENCH_CHANNEL_SUBMISSIONS", "40"))
THROUGHPUT_SECONDS = float(os.environ.get("BENCH_CHANNEL_SECONDS", "20"))
DATABASES = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if d.strip()]
PG_DB = "amparo_bench_channel"
RECIPIENTS = 3
PLACE = "CO54001"

SETUP = f"""
from amparo.accounts.models import Membership, Organization, User
from amparo.directory.models import Place
from amparo.safechannel.services import channel_setup, recipient_key_unlock
co = Place.objects.create(pcode="CO", name="Colombia", level=0, latitude=4.6, longitude=-74.1)
ns = Place.objects.create(pcode="CO54", name="Norte de Santander", level=1, parent=co, latitude=7.9, longitude=-72.5)
Place.objects.create(pcode="{PLACE}", name="Cúcuta", level=2, parent=ns, latitude=7.89, longitude=-72.5)
org = Organization.objects.create(name="Bench receiver")
org.areas.add(ns)
users = []
for i in range({RECIPIENTS}):
    email = f"r{{i}}@bench.invalid"
    user = User.objects.create_user(username=email, email=email, password="bench-pass-0123")
    Membership.objects.create(user=user, organization=org, role="caseworker")
    recipient_key_unlock(user, "bench-pass-0123")
    users.append(user)
channel_setup(actor=users[0], organization=org)
"""


def channel_env(vendor: str) -> dict[str, str]:
    url = f"sqlite:///{BENCH_VAR / 'channel.sqlite3'}" if vendor == "sqlite" else f"{PG_URL}/{PG_DB}"
    env = django_env(url)
    # Rate limits out of the way: this measures the work, not the limiter.
    env.update(
        SAFECHANNEL_REPORTS_PER_MINUTE="1000000",
        SAFECHANNEL_REPORTS_PER_CLIENT="1000000",
        SAFECHANNEL_RECEIPTS_PER_MINUTE="1000000",
        SAFECHANNEL_RECEIPTS_PER_CLIENT="1000000",
        SAFECHANNEL_NOJS_REPORTS_PER_MINUTE="1000000",
        SAFECHANNEL_NOJS_RECEIPTS_PER_MINUTE="1000000",
        SAFECHANNEL_STORAGE_DIR=str(BENCH_VAR / f"channel-files-{vendor}"),
    )
    return env


def fresh_database(vendor: str, env: dict[str, str]) -> None:
    drop_database(vendor, BENCH_VAR / "channel.sqlite3", PG_DB)
    manage(env, "migrate", "--noinput", "-v0")
    subprocess.run([PYTHON, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True)


def photo() -> bytes:
    from PIL import Image

    image = Image.effect_noise((480, 360), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, dict[str, str], str, float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            headers = {"Sec-Fetch-Site": "same-origin"}
            if content_type:
                headers["Content-Type"] = content_type
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            found = {k.lower(): v for k, v in response.getheaders()}
            match = re.search(r"app;dur=([0-9.]+)", found.get("server-timing", ""))
            return response.status, found, text, float(match.group(1)) if match else float("nan")
        finally:
            conn.close()

    def form_token(self) -> str:
        status, _, text, _ = self.request("GET", f"/es/channel/report/?place={PLACE}")
        match = re.search(r'name="form_token" value="([^"]+)"', text)
        if status != 200 or not match:
            raise SystemExit(f"no report form ({status})")
        return match.group(1)

    def submit(self, token: str, image: bytes | None = None) -> tuple[str, float]:
        fields = [
            ("place", PLACE),
            ("form_token", token),
            ("what_happened", "Relato sintético de prueba de rendimiento. " * 20),
            ("happened", "physical_assault"),
            ("persecuted", "yes"),
            ("state_agent", "no"),
            ("wants", "protection"),
            ("organization", "auto"),
            ("contact_how", "channel"),
        ]
        files = [("attachments", "foto.jpg", "image/jpeg", image)] if image is not None else []
        body, content_type = multipart(fields, files)
        status, _, text, ms = self.request("POST", "/es/channel/report/", body, content_type)
        match = re.search(r'<p class="receipt"[^>]*><strong>([\d ]{19})</strong>', text)
        if status != 200 or not match:
            raise SystemExit(f"report submission failed ({status})")
        return match.group(1).replace(" ", ""), ms

    def sign_in(self, receipt: str) -> float:
        body = urlencode({"receipt": receipt}).encode()
        status, headers, _, ms = self.request("POST", "/es/channel/login/", body, "application/x-www-form-urlencoded")
        if status != 302 or "amparo_channel=" not in headers.get("set-cookie", ""):
            raise SystemExit(f"receipt sign-in failed ({status})")
        return ms


def reports_per_second(client: Client, seconds: float) -> dict[str, float]:
    tokens = [client.form_token() for _ in range(int(seconds * 12))]
    lock = threading.Lock()
    state = {"done": 0}
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        while time.perf_counter() < deadline:
            with lock:
                if not tokens:
                    return
                token = tokens.pop()
            client.submit(token)
            with lock:
                state["done"] += 1

    threads = [threading.Thread(target=worker) for _ in range(2)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"reports": state["done"], "seconds": elapsed, "reports_per_second": state["done"] / elapsed}


def bench(vendor: str) -> dict[str, Any]:
    env = channel_env(vendor)
    log(f"{DB_LABEL[vendor]}: fresh channel database")
    fresh_database(vendor, env)
    image = photo()
    with http_server(env, f"channel-{vendor}") as port:
        client = Client(port)
        for _ in range(3):  # warm-up
            client.sign_in(client.submit(client.form_token())[0])
        plain: list[float] = []
        with_photo: list[float] = []
        sign_in: list[float] = []
        receipts: list[str] = []
        for i in range(SUBMISSIONS):
            receipt, ms = client.submit(client.form_token(), image if i % 4 == 3 else None)
            (with_photo if i % 4 == 3 else plain).append(ms)
            receipts.append(receipt)
        for receipt in receipts:
            sign_in.append(client.sign_in(receipt))
        log(f"{DB_LABEL[vendor]}: throughput for {THROUGHPUT_SECONDS:.0f} s")
        rate = reports_per_second(client, THROUGHPUT_SECONDS)
    return {
        "submit_ms": summary(plain),
        "submit_with_photo_ms": summary(with_photo),
        "receipt_sign_in_ms": summary(sign_in),
        "throughput": rate,
        "photo_bytes": len(image),
    }


def argon2_ms() -> float:
    code = (
        "import time;from amparo.safechannel import crypto;t=time.perf_counter();"
        "[crypto.receipt_secrets('1234567812345678') for _ in range(10)];"
        "print((time.perf_counter()-t)*100)"
    )
    env = channel_env("sqlite")
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    (BENCH_VAR / "static").mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count()}
    results["argon2id_receipt_ms"] = argon2_ms()
    for vendor in DATABASES:
        results[vendor] = bench(vendor)
    (BENCH_VAR / "channel.json").write_text(json.dumps(results, indent=2))
    print(
        f"\nSafe channel (gunicorn, 1 sync worker = one core; Argon2id t=3, 64 MiB, p=1: "
        f"{results['argon2id_receipt_ms']:.0f} ms per receipt in-process)"
    )
    print(f"{'':<12}{'submit p50/p95':>18}{'+photo p50/p95':>18}{'receipt p50/p95':>18}{'reports/s':>11}")
    for vendor in DATABASES:
        r = results[vendor]
        cells = [
            f"{r[key]['p50']:.0f}/{r[key]['p95']:.0f} ms"
            for key in ("submit_ms", "submit_with_photo_ms", "receipt_sign_in_ms")
        ]
        print(
            f"{DB_LABEL[vendor]:<12}{cells[0]:>18}{cells[1]:>18}{cells[2]:>18}"
            f"{r['throughput']['reports_per_second']:>11.2f}"
        )
    print("Figures: var/bench/channel.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
