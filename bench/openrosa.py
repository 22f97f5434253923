"""OpenRosa benchmark (part of `make bench`): phones' submissions over real HTTP against gunicorn with one sync
worker (one core), on SQLite and on PostgreSQL, exactly as ODK Collect sends them: a multipart POST to
/openrosa/submission with HTTP Basic, `xml_submission_file` (an instance of a pyxform-compiled form: consent, facets,
a select_multiple, free text, a calculate) and one ~130 KB JPEG photo its image question names.

Prints p50/p95 of the client's wall time and of the server's time (Server-Timing from bench/timing_wsgi.py) per
submission (201), per resend (202), the first request's sign-in (one Argon2 check of the phone's secret), and how
many submissions per second one core takes (2 client threads). Writes var/bench/openrosa.json.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BENCH_VAR, DB_LABEL, PG_URL, PYTHON, ROOT, django_env, drop_database, http_server, log, manage, summary

SUBMISSIONS = int(os.environ.get("BENCH_OPENROSA_SUBMISSIONS", "60"))
THROUGHPUT_SECONDS = float(os.environ.get("BENCH_OPENROSA_SECONDS", "20"))
DATABASES = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if d.strip()]
PG_DB = "amparo_bench_openrosa"

SETUP = """
import json
from amparo.accounts.models import Membership, Organization, User
from amparo.directory.models import Place
from amparo.surveys import form_admin, phones
from amparo.surveys.tests.factories import make_form
co = Place.objects.create(pcode="CO", name="Colombia", level=0, latitude=4.6, longitude=-74.1)
ns = Place.objects.create(pcode="CO54", name="Norte de Santander", level=1, parent=co, latitude=7.9, longitude=-72.5)
Place.objects.create(pcode="CO54001", name="Cúcuta", level=2, parent=ns, zone="border", latitude=7.89, longitude=-72.5)
org = Organization.objects.create(name="Bench surveys")
coordinator = User.objects.create_user(username="c@bench.invalid", email="c@bench.invalid", password="bench-pass-0123")
Membership.objects.create(user=coordinator, organization=org, role="coordinator")
enumerator = User.objects.create_user(username="e@bench.invalid", email="e@bench.invalid", password="bench-pass-0123")
Membership.objects.create(user=enumerator, organization=org, role="enumerator")
version = make_form(org, coordinator, form_id="bench_form")
form_admin.form_set_enumerators(actor=coordinator, form=version.form, users=[enumerator])
credential, secret = phones.credential_create(actor=coordinator, organization=org, user=enumerator, label="bench")
print(json.dumps({"username": credential.username, "secret": secret}))
"""

INSTANCE = (
    '<?xml version="1.0"?><data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
    'id="bench_form" version="1"><consent>yes</consent><about><stats>yes</stats><municipality>CO54001</municipality>'
    "<gender>trans_woman</gender><age>{age}</age><violence>clients police</violence>"
    "<comment>Relato sintético de prueba de rendimiento, texto libre que queda cifrado. {pad}</comment>"
    "<photo>{photo}</photo></about><score>2</score><today>2026-12-01</today>"
    "<meta><instanceID>{instance_id}</instanceID></meta></data>"
)


def photo() -> bytes:
    from PIL import Image

    image = Image.effect_noise((460, 345), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


def setup(vendor: str, env: dict[str, str]) -> dict[str, str]:
    drop_database(vendor, BENCH_VAR / "openrosa.sqlite3", PG_DB)
    manage(env, "migrate", "--noinput", "-v0")
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    credentials: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return credentials


class Phone:
    def __init__(self, port: int, username: str, secret: str, image: bytes) -> None:
        self.port = port
        self.auth = "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()
        self.image = image

    def post(self, body: bytes, content_type: str) -> tuple[int, float, float]:
        """(status, client ms, server ms) of one POST to /openrosa/submission."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {
            "Authorization": self.auth,
            "X-OpenRosa-Version": "1.0",
            "Content-Type": content_type,
            "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
        }
        started = time.perf_counter()
        try:
            conn.request("POST", "/openrosa/submission", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            client_ms = (time.perf_counter() - started) * 1000
            match = re.search(r"app;dur=([0-9.]+)", response.getheader("Server-Timing") or "")
            return response.status, client_ms, float(match.group(1)) if match else float("nan")
        finally:
            conn.close()

    def body(self, instance_id: str | None = None) -> tuple[bytes, str, str]:
        instance_id = instance_id or f"uuid:{uuid.uuid4()}"
        name = f"{int(time.time() * 1000)}.jpg"
        xml = INSTANCE.format(age=29, pad="x" * 400, photo=name, instance_id=instance_id).encode()
        boundary = f"bench{uuid.uuid4().hex}"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; filename="submission.xml"\r\n'
            f"Content-Type: text/xml\r\n\r\n".encode()
            + xml
            + b"\r\n",
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n".encode()
            + self.image
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        return b"".join(parts), f"multipart/form-data; boundary={boundary}", instance_id

    def submit(
        self, expect: int = 201, resend: tuple[bytes, str] | None = None
    ) -> tuple[float, float, tuple[bytes, str]]:
        """Send a new submission, or `resend` one (the same body, as Collect does when it got no answer)."""
        body, content_type = resend or self.body()[:2]
        status, client_ms, server_ms = self.post(body, content_type)
        if status != expect:
            raise SystemExit(f"submission answered {status}, expected {expect}")
        return client_ms, server_ms, (body, content_type)


def per_second(phone: Phone, seconds: float) -> dict[str, float]:
    lock = threading.Lock()
    state = {"done": 0}
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        while time.perf_counter() < deadline:
            phone.submit()
            with lock:
                state["done"] += 1

    threads = [threading.Thread(target=worker) for _ in range(2)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"submissions": state["done"], "seconds": elapsed, "per_second": state["done"] / elapsed}


def bench(vendor: str, image: bytes) -> dict[str, Any]:
    url = f"sqlite:///{BENCH_VAR / 'openrosa.sqlite3'}" if vendor == "sqlite" else f"{PG_URL}/{PG_DB}"
    env = django_env(url)
    log(f"{DB_LABEL[vendor]}: fresh surveys database")
    credentials = setup(vendor, env)
    with http_server(env, f"openrosa-{vendor}") as port:
        phone = Phone(port, credentials["username"], credentials["secret"], image)
        first_client, first_server, _ = phone.submit()  # includes the one Argon2 check of the phone's secret
        for _ in range(3):
            phone.submit()
        client_ms: list[float] = []
        server_ms: list[float] = []
        sent: list[tuple[bytes, str]] = []
        for _ in range(SUBMISSIONS):
            wall, server, request = phone.submit()
            client_ms.append(wall)
            server_ms.append(server)
            sent.append(request)
        resend_client: list[float] = []
        resend_server: list[float] = []
        for request in sent[:20]:
            wall, server, _ = phone.submit(expect=202, resend=request)
            resend_client.append(wall)
            resend_server.append(server)
        log(f"{DB_LABEL[vendor]}: throughput for {THROUGHPUT_SECONDS:.0f} s")
        rate = per_second(phone, THROUGHPUT_SECONDS)
    return {
        "first_request_ms": {"client": first_client, "server": first_server},
        "submit_client_ms": summary(client_ms),
        "submit_server_ms": summary(server_ms),
        "resend_client_ms": summary(resend_client),
        "resend_server_ms": summary(resend_server),
        "throughput": rate,
    }


def main() -> int:
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    (BENCH_VAR / "static").mkdir(parents=True, exist_ok=True)
    image = photo()
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "photo_bytes": len(image),
    }
    for vendor in DATABASES:
        results[vendor] = bench(vendor, image)
    (BENCH_VAR / "openrosa.json").write_text(json.dumps(results, indent=2))
    print(
        f"\nOpenRosa submissions (gunicorn, 1 sync worker = one core; instance + one {len(image) // 1024} KB photo, "
        "HTTP Basic)"
    )
    print(
        f"{'':<12}{'201 client p50/p95':>20}{'server p50/p95':>18}{'202 resend p50/p95':>20}{'first':>9}{'subm./s':>9}"
    )
    for vendor in DATABASES:
        r = results[vendor]
        submit = f"{r['submit_client_ms']['p50']:.0f}/{r['submit_client_ms']['p95']:.0f} ms"
        server = f"{r['submit_server_ms']['p50']:.0f}/{r['submit_server_ms']['p95']:.0f} ms"
        resend = f"{r['resend_client_ms']['p50']:.0f}/{r['resend_client_ms']['p95']:.0f} ms"
        first = f"{r['first_request_ms']['client']:.0f} ms"
        print(
            f"{DB_LABEL[vendor]:<12}{submit:>20}{server:>18}{resend:>20}{first:>9}{r['throughput']['per_second']:>9.1f}"
        )
    print("Figures: var/bench/openrosa.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
