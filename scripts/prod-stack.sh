#!/usr/bin/env bash
# Amparo's production stack on one machine (docs/deploy.md): gunicorn (several workers) on a unix socket, the
# background-task worker (manage.py db_worker), the scheduler (manage.py run_scheduler, when the project has it),
# Debian's nginx in front with a self-signed HTTPS certificate, on the machine's PostgreSQL (a database of its own)
# and Redis (a db number of its own) as the shared cache. Everything lives in one state folder: pid files, logs,
# the configuration rendered from deploy/, the generated secrets, static files, the channel's and cases' storage.
#
#   scripts/prod-stack.sh up       start (or finish starting) everything; waits until /healthz answers over HTTPS
#   scripts/prod-stack.sh down     stop what this state folder started
#   scripts/prod-stack.sh status   what runs; exit 0 only when every part runs and /healthz answers
#   scripts/prod-stack.sh env      print the environment the app runs with (source it to run manage.py by hand)
#
# Environment (defaults in brackets):
#   AMPARO_PROD_DIR [var/prod]                 the state folder
#   AMPARO_PROD_DB [amparo_prod]               PostgreSQL database (created when missing)
#   AMPARO_PROD_PG [postgres://postgres@127.0.0.1:5432]   PostgreSQL server
#   AMPARO_PROD_CACHE_URL [redis://127.0.0.1:6379/7]      Redis (started privately in the state folder when
#                                              nothing answers on a 127.0.0.1 address)
#   AMPARO_PROD_HOST [localhost]               host name of the site (ALLOWED_HOSTS, certificate)
#   AMPARO_PROD_HTTPS_PORT [8443], AMPARO_PROD_HTTP_PORT [8080]  nginx's ports (HTTP only redirects)
#   AMPARO_PROD_WORKERS [4]                    gunicorn workers
#   AMPARO_PROD_STATIC [<state folder>/static] collected static files (collectstatic runs again only when the
#                                              sources or installed packages changed)
#   AMPARO_PYTHON [.venv/bin/python]           the Python with Amparo installed
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${AMPARO_PROD_DIR:-$ROOT/var/prod}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
DB_NAME=${AMPARO_PROD_DB:-amparo_prod}
PG=${AMPARO_PROD_PG:-postgres://postgres@127.0.0.1:5432}
PG=${PG%/}
CACHE_URL=${AMPARO_PROD_CACHE_URL:-redis://127.0.0.1:6379/7}
HOST=${AMPARO_PROD_HOST:-localhost}
HTTPS_PORT=${AMPARO_PROD_HTTPS_PORT:-8443}
HTTP_PORT=${AMPARO_PROD_HTTP_PORT:-8080}
WORKERS=${AMPARO_PROD_WORKERS:-4}
PYTHON=${AMPARO_PYTHON:-$ROOT/.venv/bin/python}
STATIC=${AMPARO_PROD_STATIC:-$STATE/static}
NGINX=${AMPARO_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
BASE="https://$HOST:$HTTPS_PORT"

RUN=$STATE/run
LOG=$STATE/log

say() { echo "[prod-stack] $*" >&2; }
die() { say "$*"; exit 1; }

# --- processes ------------------------------------------------------------------------------------------------
pid_of() {  # the pid in run/NAME.pid when that process still runs
  local file=$RUN/$1.pid pid
  [ -s "$file" ] || return 1
  pid=$(tr -dc 0-9 <"$file")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

stop_one() {  # stop_one NAME SIGNAL: signal the process of run/NAME.pid, wait up to 30 s, then SIGKILL
  local name=$1 signal=$2 pid
  if ! pid=$(pid_of "$name"); then rm -f "$RUN/$name.pid"; return 0; fi
  say "stopping $name (pid $pid)"
  kill "-$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name did not stop in 30 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid"
}

start_bg() {  # start_bg NAME COMMAND...: a long-running process in its own session, its output in log/NAME.log
  local name=$1; shift
  if pid_of "$name" >/dev/null; then return 0; fi
  say "starting $name"
  (
    set -a; . "$STATE/secrets.env"; . "$STATE/app.env"; set +a
    cd "$ROOT"
    exec setsid "$@" >>"$LOG/$name.log" 2>&1 </dev/null
  ) &
  echo $! >"$RUN/$name.pid"
}

# --- configuration --------------------------------------------------------------------------------------------
redis_answers() {  # redis_answers HOST PORT
  "$PYTHON" - "$1" "$2" <<'PY' >/dev/null 2>&1
import socket, sys
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2) as s:
    s.sendall(b"PING\r\n")
    assert s.recv(16).startswith(b"+PONG")
PY
}

write_secrets() {  # generated once: losing them makes the data unreadable (docs/deploy.md, "Secrets")
  [ -s "$STATE/secrets.env" ] && return 0
  say "generating secrets in $STATE/secrets.env"
  (umask 077 && "$PYTHON" - >"$STATE/secrets.env" <<'PY'
import base64, secrets
print(f"SECRET_KEY={secrets.token_urlsafe(64)}")
print(f"FIELD_ENCRYPTION_KEYS={base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}")
print(f"SAFECHANNEL_PEPPER={secrets.token_urlsafe(48)}")
print(f"CASE_SEARCH_KEY={secrets.token_urlsafe(48)}")
print(f"METRICS_TOKEN={secrets.token_urlsafe(32)}")  # /metrics, through run/gunicorn.sock only (nginx refuses it)
PY
  )
}

write_app_env() {  # the rest of the settings, rewritten on every start from the variables above
  local hosts=$HOST
  [ "$HOST" != localhost ] || hosts="localhost,127.0.0.1"
  cat >"$STATE/app.env" <<EOF
AMPARO_ENV=production
AMPARO_VAR_DIR=$STATE
STATIC_ROOT=$STATIC
DATABASE_URL=$PG/$DB_NAME
CACHE_URL=$CACHE_URL
ALLOWED_HOSTS=$hosts
CSRF_TRUSTED_ORIGINS=$BASE
BASE_URL=$BASE
CLIENT_ADDRESS_HEADER=HTTP_X_REAL_IP
GUNICORN_BIND=unix:$RUN/gunicorn.sock
GUNICORN_ERRORLOG=$LOG/gunicorn.log
WEB_CONCURRENCY=$WORKERS
PROMETHEUS_MULTIPROC_DIR=$RUN/prometheus
EOF
  chmod 600 "$STATE/app.env"
}

write_certificate() {
  [ -s "$STATE/tls/cert.pem" ] && return 0
  say "making a self-signed certificate for $HOST"
  mkdir -p "$STATE/tls" && chmod 700 "$STATE/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$HOST" \
    -addext "subjectAltName=DNS:$HOST,DNS:localhost,IP:127.0.0.1" \
    -keyout "$STATE/tls/key.pem" -out "$STATE/tls/cert.pem" 2>/dev/null
  chmod 600 "$STATE/tls/key.pem"
}

write_nginx_conf() {
  local upstream="unix:$RUN/gunicorn.sock" suffix=":$HTTPS_PORT"
  [ "$HTTPS_PORT" != 443 ] || suffix=""
  sed -e "s|@STATE@|$STATE|g" -e "s|@UPSTREAM@|$upstream|g" -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" \
    -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@HTTPS_SUFFIX@|$suffix|g" -e "s|@MAX_BODY@|60m|g" -e "s|@STATIC@|$STATIC|g" \
    "$ROOT/deploy/nginx.conf.template" >"$STATE/nginx.conf"
}

manage() {
  (set -a; . "$STATE/secrets.env"; . "$STATE/app.env"; set +a; cd "$ROOT" && "$PYTHON" manage.py "$@")
}

static_fingerprint() {  # what collectstatic's output depends on: the project's static files and the packages
  (cd "$ROOT" && "$PYTHON" - <<'PY'
import hashlib, importlib.metadata, os
digest = hashlib.sha256()
for dist in sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()):
    digest.update(dist.encode() + b"\n")
for top, dirs, files in sorted(os.walk("amparo")):
    dirs.sort()
    if "/static" in top or top.endswith("static"):
        for name in sorted(files):
            path = os.path.join(top, name)
            digest.update(f"{path} {os.path.getsize(path)} {os.stat(path).st_mtime_ns}\n".encode())
print(digest.hexdigest())
PY
  )
}

has_scheduler() { compgen -G "$ROOT/amparo/*/management/commands/run_scheduler.py" >/dev/null; }

healthz_code() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$STATE/tls/cert.pem" \
    --resolve "$HOST:$HTTPS_PORT:127.0.0.1" "$BASE/healthz" 2>/dev/null || true
}

# --- commands -------------------------------------------------------------------------------------------------
up() {
  "$ROOT/scripts/ensure-system-deps.sh" --prod
  [ -x "$PYTHON" ] || die "no Python at $PYTHON: run 'make .venv/.installed' first (or set AMPARO_PYTHON)"
  mkdir -p "$RUN" "$LOG" "$STATIC"
  chmod 755 "$STATE" "$RUN" "$STATIC"  # nginx's workers read the static files and reach run/gunicorn.sock
  chmod 750 "$LOG"
  mkdir -p "$STATE/safechannel" "$STATE/cases" && chmod 700 "$STATE/safechannel" "$STATE/cases"
  write_secrets
  write_app_env
  write_certificate
  write_nginx_conf

  # Redis: the machine's; a private one in the state folder only when nothing answers on a local address.
  local rhostport rhost rport
  rhostport=${CACHE_URL#redis://}; rhostport=${rhostport%%/*}; rhostport=${rhostport##*@}
  rhost=${rhostport%%:*}; rport=${rhostport##*:}; [ "$rport" != "$rhost" ] || rport=6379
  if ! redis_answers "$rhost" "$rport"; then
    case "$rhost" in
      127.0.0.1|localhost)
        say "no Redis on $rhost:$rport: starting one for this state folder"
        redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --daemonize yes \
          --pidfile "$RUN/redis.pid" --logfile "$LOG/redis.log" --dir "$RUN"
        for _ in $(seq 1 20); do redis_answers "$rhost" "$rport" && break; sleep 0.25; done ;;
      *) die "Redis at $rhost:$rport does not answer" ;;
    esac
  fi

  # PostgreSQL: the database of this stack, created when missing.
  "$PYTHON" - "$PG" "$DB_NAME" <<'PY'
import sys
import psycopg
from psycopg import sql
server, name = sys.argv[1], sys.argv[2]
with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"[prod-stack] created database {name}", file=sys.stderr)
PY

  say "migrating"
  manage migrate --noinput -v0
  local fingerprint
  fingerprint=$(static_fingerprint)
  if [ "$(cat "$STATIC/.fingerprint" 2>/dev/null)" != "$fingerprint" ]; then
    say "collecting static files into $STATIC"
    manage collectstatic --noinput -v0
    echo "$fingerprint" >"$STATIC/.fingerprint"
  fi
  if command -v msgfmt >/dev/null; then manage compilemessages -v0 --ignore .venv; fi

  if ! pid_of gunicorn >/dev/null; then
    say "starting gunicorn ($WORKERS workers)"
    rm -f "$RUN/gunicorn.sock"
    rm -rf "$RUN/prometheus"  # the metrics of processes gone (docs/observability.md, "Several processes")
  fi
  mkdir -p "$RUN/prometheus" && chmod 700 "$RUN/prometheus"
  if ! pid_of gunicorn >/dev/null; then
    (set -a; . "$STATE/secrets.env"; . "$STATE/app.env"; set +a; cd "$ROOT" &&
      "$PYTHON" -m gunicorn -c "$ROOT/deploy/gunicorn.conf.py" --daemon --pid "$RUN/gunicorn.pid")
  fi
  start_bg worker "$PYTHON" manage.py db_worker --queue-name '*' --no-reload
  if has_scheduler; then start_bg scheduler "$PYTHON" manage.py run_scheduler; fi

  for _ in $(seq 1 60); do [ -S "$RUN/gunicorn.sock" ] && break; sleep 0.5; done
  [ -S "$RUN/gunicorn.sock" ] || die "gunicorn did not start: see $LOG/gunicorn.log"
  if ! pid_of nginx >/dev/null; then
    say "starting nginx on https://$HOST:$HTTPS_PORT/"
    "$NGINX" -t -q -p "$STATE/" -c "$STATE/nginx.conf" || die "nginx refused its configuration"
    "$NGINX" -p "$STATE/" -c "$STATE/nginx.conf"
  fi
  for _ in $(seq 1 60); do
    if [ "$(healthz_code)" = 200 ]; then
      say "up: $BASE/ (state in $STATE)"
      return 0
    fi
    sleep 0.5
  done
  die "the stack does not answer on $BASE/healthz: see $LOG/"
}

down() {
  [ -d "$RUN" ] || return 0
  stop_one nginx QUIT
  stop_one gunicorn TERM
  stop_one scheduler TERM
  stop_one worker TERM
  stop_one redis TERM
  rm -f "$RUN/gunicorn.sock"
}

status() {
  local ok=0 name pid
  for name in nginx gunicorn worker scheduler redis; do
    if pid=$(pid_of "$name"); then
      echo "$name: running (pid $pid)"
    else
      case "$name" in
        scheduler) if has_scheduler; then echo "$name: stopped"; ok=1; else echo "$name: (no run_scheduler command)"; fi ;;
        redis) echo "redis: the machine's ($CACHE_URL)" ;;
        *) echo "$name: stopped"; ok=1 ;;
      esac
    fi
  done
  local code
  code=$(healthz_code)
  echo "healthz: ${code:-no answer} ($BASE/healthz)"
  [ "$code" = 200 ] || ok=1
  return $ok
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) write_app_env; cat "$STATE/secrets.env" "$STATE/app.env" ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
