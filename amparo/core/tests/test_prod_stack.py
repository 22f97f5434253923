"""The production stack of scripts/prod-stack.sh, brought up for real: nginx with its self-signed certificate in
front of gunicorn, the task worker, PostgreSQL and Redis. Real HTTPS requests: a public page sets no cookie, /healthz
answers, a staff member signs in over HTTPS (CSRF with the proxy's X-Forwarded-Proto), static files come from nginx;
then the logs are read: no client address, no query string of a public page (DESIGN rule 8).

Skipped when nginx or PostgreSQL is missing; CI installs nginx (`scripts/ensure-system-deps.sh --prod` in .ci/run).
It uses its own state folder (var/prodtest), database and free ports, so a stack started by hand keeps running.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from amparo.core.tests.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "prod-stack.sh"
STATE = ROOT / "var" / "prodtest"
PG = os.environ.get("AMPARO_PROD_PG", "postgres://postgres@127.0.0.1:5432")


def _postgres_answers() -> bool:
    parts = urlsplit(PG)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.prodstack,
    pytest.mark.skipif(
        shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
        reason="nginx is not installed (scripts/ensure-system-deps.sh --prod)",
    ),
    pytest.mark.skipif(not _postgres_answers(), reason="no PostgreSQL for the production stack"),
    # The stack always runs on PostgreSQL, whatever the suite's database: CI runs it once, in the PostgreSQL suite.
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the production stack runs on PostgreSQL: tested in the PostgreSQL run of the suite",
    ),
]


def _database_name() -> str:
    """A database of its own, per worktree (several checkouts share one PostgreSQL server)."""
    base = urlsplit(os.environ.get("DATABASE_URL", "")).path.strip("/") or "amparo"
    return re.sub(r"[^a-z0-9_]", "_", f"{base}_prodtest".lower())[:60]


class Stack:
    def __init__(self) -> None:
        self.https_port = free_port()
        self.env = {
            **os.environ,
            "AMPARO_PROD_DIR": str(STATE),
            "AMPARO_PROD_DB": _database_name(),
            "AMPARO_PROD_PG": PG,
            "AMPARO_PROD_CACHE_URL": os.environ.get("AMPARO_PROD_TEST_CACHE_URL", "redis://127.0.0.1:6379/8"),
            "AMPARO_PROD_HTTPS_PORT": str(self.https_port),
            "AMPARO_PROD_HTTP_PORT": str(free_port()),
            "AMPARO_PROD_WORKERS": "2",
            # Shared between runs: collectstatic is slow and runs again only when the sources change.
            "AMPARO_PROD_STATIC": str(ROOT / "var" / "prodtest-static"),
            "AMPARO_PYTHON": os.environ.get("AMPARO_PYTHON", sys.executable),
        }
        self.env.pop("DATABASE_URL", None)
        self.base = f"https://localhost:{self.https_port}"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=check
        )

    def manage(self, *args: str) -> str:
        app_env = dict(
            line.split("=", 1) for line in self.run("env").stdout.splitlines() if "=" in line and line[0] != "#"
        )
        done = subprocess.run(
            [self.env["AMPARO_PYTHON"], "manage.py", *args],
            env={**self.env, **app_env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    def client(self) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(STATE / "tls" / "cert.pem"))
        return httpx.Client(base_url=self.base, verify=context, follow_redirects=False, timeout=30)

    def log(self, name: str) -> str:
        path = STATE / "log" / name
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    stack = Stack()
    stack.run("down")  # a stack left by an interrupted run
    for name in ("nginx-access.log", "nginx-error.log", "gunicorn.log", "worker.log"):
        (STATE / "log" / name).unlink(missing_ok=True)
    up = stack.run("up", check=False)
    try:
        assert up.returncode == 0, f"prod-stack.sh up failed:\n{up.stderr}\n{stack.log('gunicorn.log')[-3000:]}"
        yield stack
    finally:
        stack.run("down", check=False)


def test_the_stack_serves_over_https_and_keeps_no_trace_of_a_visitor(stack: Stack) -> None:
    marker = f"marcador{uuid.uuid4().hex[:12]}"
    status = stack.run("status", check=False)
    assert status.returncode == 0, status.stdout
    assert re.search(r"^gunicorn: running", status.stdout, re.M) and re.search(r"^worker: running", status.stdout, re.M)
    if list((ROOT / "amparo").glob("*/management/commands/run_scheduler.py")):
        assert re.search(r"^scheduler: running", status.stdout, re.M), status.stdout

    with stack.client() as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"

        # A public page with a search term: no cookie, not kept by any cache, HSTS from the app behind the proxy.
        page = client.get(f"/es/services/?q={marker}")
        assert page.status_code == 200, page.text[:500]
        assert "set-cookie" not in page.headers
        assert page.headers["cache-control"] == "no-store"
        assert "max-age=" in page.headers["strict-transport-security"]
        assert len(client.cookies.jar) == 0

        # Its stylesheet is served by nginx from the collected files, compressed and cached for good.
        css = re.search(r'href="(/static/[^"]+\.css)"', page.text)
        assert css, page.text[:500]
        sheet = client.get(css.group(1), headers={"Accept-Encoding": "gzip"})
        assert sheet.status_code == 200 and "immutable" in sheet.headers["cache-control"]
        assert sheet.headers.get("content-encoding") == "gzip"

        # Staff sign in over HTTPS: the CSRF cookie is Secure, the POST passes the origin check behind the proxy.
        name = f"staff{uuid.uuid4().hex[:12]}"
        email, password = f"{name}@example.org", f"Clave-larga-{uuid.uuid4().hex}"
        stack.manage(
            "shell",
            "-c",
            "from amparo.accounts.models import User; "
            f"User.objects.create_superuser(username={name!r}, email={email!r}, password={password!r})",
        )
        form = client.get("/staff/login/")
        assert form.status_code == 200
        cookie = form.headers["set-cookie"]
        assert "csrftoken=" in cookie and "Secure" in cookie
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token
        signed_in = client.post(
            "/staff/login/",
            data={"csrfmiddlewaretoken": token.group(1), "email": email, "password": password},
            headers={"Origin": stack.base, "Referer": f"{stack.base}/staff/login/"},
        )
        assert signed_in.status_code == 302, signed_in.text[:800]
        assert "sessionid=" in signed_in.headers.get("set-cookie", "")
        assert "Secure" in signed_in.headers["set-cookie"]
        next_page = client.get(signed_in.headers["location"])
        assert next_page.status_code == 200  # 2FA set-up (a superuser must): the session came back over HTTPS

    # Plain HTTP redirects to HTTPS and drops the query string.
    http_port = stack.env["AMPARO_PROD_HTTP_PORT"]
    redirect = httpx.get(f"http://localhost:{http_port}/es/services/?q={marker}", follow_redirects=False)
    assert redirect.status_code == 301
    assert redirect.headers["location"] == f"https://localhost:{stack.https_port}/es/services/"

    access = stack.log("nginx-access.log")
    assert "GET /es/services/ " in access and "GET /healthz " in access and "POST /staff/login/ " in access
    everything = access + stack.log("nginx-error.log") + stack.log("gunicorn.log")
    assert marker not in everything  # the search term of a public page is nowhere
    for address in ("127.0.0.1", "::1"):
        assert address not in access
    assert "127.0.0.1" not in stack.log("gunicorn.log")


def test_down_stops_every_process(stack: Stack) -> None:
    pids = {p.stem: int(p.read_text().strip()) for p in (STATE / "run").glob("*.pid")}
    assert {"nginx", "gunicorn", "worker"} <= set(pids)
    stack.run("down")
    for name, pid in pids.items():
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text(), name
    assert stack.run("status", check=False).returncode != 0


def _substitutions(text: str) -> dict[str, str]:
    """The placeholders a file fills in deploy/nginx.conf.template (sed expressions `s|@NAME@|value|g`)."""
    return dict(re.findall(r"s\|@([A-Z_]+)@\|([^|]*)\|g", text))


def test_the_script_and_the_container_fill_the_same_nginx_template(tmp_path: Path) -> None:
    """compose.yaml's proxy cannot be built here: at least its configuration is the template the script tests."""
    template = (ROOT / "deploy" / "nginx.conf.template").read_text()
    placeholders = set(re.findall(r"@([A-Z_]+)@", template))
    script = _substitutions(SCRIPT.read_text())
    container = _substitutions((ROOT / "Dockerfile").read_text())
    assert set(script) == placeholders
    assert set(container) == placeholders
    # The container's rendering is a configuration nginx accepts ("app" resolves only inside compose).
    state = tmp_path / "proxy"
    for folder in ("run", "log", "tls", "static"):
        (state / folder).mkdir(parents=True)
    key, cert = str(state / "tls" / "key.pem"), str(state / "tls" / "cert.pem")
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    subprocess.run(["openssl", *request, "-keyout", key, "-out", cert], capture_output=True, check=True)
    values = {**container, "STATE": str(state), "STATIC": str(state / "static"), "UPSTREAM": "127.0.0.1:8000"}
    values |= {"HTTPS_PORT": str(free_port()), "HTTP_PORT": str(free_port())}
    rendered = re.sub(r"@([A-Z_]+)@", lambda m: values[m.group(1)], template)
    (state / "nginx.conf").write_text(rendered)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    checked = subprocess.run(
        [nginx, "-t", "-p", f"{state}/", "-c", str(state / "nginx.conf")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
