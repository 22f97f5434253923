"""Django settings for Amparo, read from the environment.

Every value comes from an environment variable with a safe development default, except in production
(`AMPARO_ENV=production`), where SECRET_KEY and ALLOWED_HOSTS are required. Bad values fail loudly at start-up.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("AMPARO_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

AMPARO_ENV = env.str("AMPARO_ENV", default="development")
if AMPARO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"AMPARO_ENV must be development, test or production, not {AMPARO_ENV!r}")
PRODUCTION = AMPARO_ENV == "production"


def _bool(name: str, default: bool) -> bool:
    """Parse a boolean variable strictly: a typo must not silently mean False."""
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def _generated_secret(name: str, file_name: str, min_length: int) -> str:
    """A secret from the environment; in development, generated once into var/ (never committed)."""
    value = env.str(name, default="")
    if value:
        if PRODUCTION and len(value) < min_length:
            raise ImproperlyConfigured(f"{name} must be at least {min_length} characters in production")
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} is required when AMPARO_ENV=production")
    key_file = VAR_DIR / file_name
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _generated_secret("SECRET_KEY", "secret_key", 50)


def _field_encryption_keys() -> list[str]:
    """Fernet keys for identifying data at rest (DESIGN rule 3); the first encrypts, all decrypt (rotation)."""
    keys = env.list("FIELD_ENCRYPTION_KEYS", default=[])
    if keys:
        return keys
    if PRODUCTION:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is required when AMPARO_ENV=production "
            "(generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())')"
        )
    key_file = VAR_DIR / "field_encryption_key"
    if not key_file.exists():
        import base64

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        key_file.chmod(0o600)
    return [key_file.read_text().strip()]


FIELD_ENCRYPTION_KEYS = _field_encryption_keys()
DEBUG = _bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when AMPARO_ENV=production")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when AMPARO_ENV=production")

INSTALLED_APPS = [
    "amparo.core.admin_site.AmparoAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_countries",
    "amparo.core",
    "amparo.accounts",
    "amparo.audit",
    "amparo.directory",
    "amparo.pathways",
    "amparo.safechannel",
    "amparo.cases",
    "amparo.referrals",
    "amparo.surveys",
    "amparo.networks",
    "amparo.insights",
    "amparo.campaigns",
    "amparo.today",
    "amparo.operations",
    "amparo.backup",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "amparo.core.observability.RequestObservabilityMiddleware",  # one log line and the metrics per request
    "amparo.core.middleware.ProxyClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "amparo.core.middleware.PublicPageMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "amparo.safechannel.keyring.KeyringCookieMiddleware",
    "amparo.accounts.middleware.Require2FAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "amparo.urls"
WSGI_APPLICATION = "amparo.wsgi.application"
ASGI_APPLICATION = "amparo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "amparo.core.context_processors.public",
                "amparo.today.views.staff_menu",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
_default_db = f"sqlite:///{VAR_DIR / 'amparo.sqlite3'}"


def _database(name: str, default: str) -> dict[str, Any]:
    """A database from a URL variable (django-environ), SQLite or PostgreSQL, with the options Amparo runs with."""
    try:
        database: dict[str, Any] = dict(env.db_url(name, default=default))
    except Exception as exc:  # environ raises several kinds of errors for a bad URL
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {exc}") from exc
    if database["ENGINE"] not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
        raise ImproperlyConfigured(f"{name} must point at SQLite or PostgreSQL")
    if database["ENGINE"] == "django.db.backends.sqlite3":
        if database["NAME"] not in {"", ":memory:"}:
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        database.setdefault("OPTIONS", {})
        # WAL lets readers and a writer work at once; IMMEDIATE avoids "database is locked" on upgrade.
        database["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
        database["OPTIONS"].setdefault(
            "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        )
    else:
        database.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
        database.setdefault("CONN_HEALTH_CHECKS", True)
    return database


DATABASES = {"default": _database("DATABASE_URL", _default_db)}
# A read replica for analytics (docs/architecture.md, "Scale"): the `replica` alias. amparo.core.db_router sends
# nothing there by default and never writes there; the analytics selectors read it through
# `amparo.core.db_router.analytics_db()`. In a test run it is Django's test mirror of default: no test database of
# its own, the same data read through a second connection.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = _database("DATABASE_REPLICA_URL", "")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["amparo.core.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------------------
try:
    CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://amparo")}
except Exception as exc:
    raise ImproperlyConfigured(f"CACHE_URL is not a valid cache URL: {exc}") from exc
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A Redis that is down or hangs must cost a request a fraction of a second, not hang it (docs/faults.md).
    _redis_options = CACHES["default"].setdefault("OPTIONS", {})
    _redis_options.setdefault("socket_connect_timeout", env.float("CACHE_CONNECT_TIMEOUT", default=0.5))
    _redis_options.setdefault("socket_timeout", env.float("CACHE_TIMEOUT", default=1.0))

# --- Staff accounts: e-mail sign-in, lockout per account, TOTP (DESIGN rule 9) ----------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # counts failures and refuses locked accounts
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "today:home"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]  # per account, so one attacker cannot lock out a whole office's IP
AXES_USERNAME_CALLABLE = "amparo.accounts.lockout.attempted_account"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
# axes.W006 warns that locking per account alone lets an attacker rotate addresses; that is the point here: the
# account, not the office's shared address, is what gets locked (issue: "counted per account").
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Sign-in logs (docs/security.md): axes keeps the account name and the browser's user agent of each sign-in and
# failure, never the address (lockout is per account, so the address serves nothing); purge_signin_logs deletes them
# after SIGNIN_LOG_RETENTION_DAYS.
AXES_CLIENT_IP_CALLABLE = "amparo.accounts.lockout.no_address"
# axes writes "New login failure by {username: ...}" to the log: the account stays out of the log lines.
AXES_CLIENT_STR_CALLABLE = "amparo.accounts.lockout.client_str_for_logs"
SIGNIN_LOG_RETENTION_DAYS = env.int("SIGNIN_LOG_RETENTION_DAYS", default=30)
# Password-reset e-mails: at most this many per account, and overall, in each window of seconds.
PASSWORD_RESET_LIMITS = (
    env.int("PASSWORD_RESET_PER_ACCOUNT", default=3),
    env.int("PASSWORD_RESET_OVERALL", default=100),
    60 * 60,
)
OTP_TOTP_ISSUER = "Amparo"
OTP_TOTP_THROTTLE_FACTOR = 1  # each failed code doubles the wait before the next one is checked
OTP_STATIC_THROTTLE_FACTOR = 1

try:
    vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
except Exception as exc:
    raise ImproperlyConfigured(f"EMAIL_URL is not a valid e-mail URL: {exc}") from exc
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Amparo <no-reply@amparo.invalid>")
# Background tasks: django-tasks (the backport of Django 6's task framework) with the database backend of
# django-tasks-db; `manage.py db_worker` runs them (docs/notifications.md). One task library for the project.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Scheme and host of the staff site, for links in e-mails sent by periodic commands (which have no request).
BASE_URL = env.str("BASE_URL", default="").rstrip("/")
if BASE_URL and not BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"BASE_URL must start with https:// (or http://), not {BASE_URL!r}")

# --- Passwords: Argon2 first (DESIGN rule 9) ------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n: Spanish first (URL prefix, never a cookie on public pages) -----------------------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English")), ("pt", _("Portuguese"))]
LOCALE_PATHS = [BASE_DIR / "amparo" / "locale"]
# The language switch of staff pages (Django's set_language, under /staff/) keeps her choice in a cookie that lasts
# the browser session; public pages never read it (their language is in the URL and they drop every cookie).
LANGUAGE_COOKIE_AGE = None
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "America/Bogota"

# --- Static files: one small CSS file, compressed and cache-busted by WhiteNoise -------------------------
STATIC_URL = "/static/"
# STATIC_ROOT apart from VAR_DIR: a container image bakes the static files in while VAR_DIR is a volume (Dockerfile).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 7

# --- Security (DESIGN rule 9) ---------------------------------------------------------------------------
SESSION_COOKIE_AGE = 60 * 30
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: invitation and password-reset links arrive from a mail client (another site); their views move
# the token into the session and redirect, and a Strict cookie would not come back on that redirect.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Staff pages: same-origin, so browsers send a real Origin on our own POSTs (with no-referrer they send
# "Origin: null" and Django's CSRF check refuses every staff form). Public pages get no-referrer from
# PublicPageMiddleware: nothing about a survivor's visit leaves the site.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Behind a reverse proxy every request comes from the proxy: the header (as in request.META, e.g. HTTP_X_REAL_IP)
# where the proxy puts the client's address, for the keyed per-client rate-limit buckets only (never stored or
# logged). Set it only when the proxy overwrites that header (deploy/nginx.conf.template does); empty: REMOTE_ADDR.
CLIENT_ADDRESS_HEADER = env.str("CLIENT_ADDRESS_HEADER", default="")
if CLIENT_ADDRESS_HEADER and not CLIENT_ADDRESS_HEADER.startswith("HTTP_"):
    raise ImproperlyConfigured(
        f"CLIENT_ADDRESS_HEADER must be a request.META name, HTTP_...: {CLIENT_ADDRESS_HEADER!r}"
    )

# Content-Security-Policy without 'unsafe-inline' (django-csp 4).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# The neutral site the quick-exit button sends people to.
QUICK_EXIT_URL = env.str("QUICK_EXIT_URL", default="https://www.google.com/search?q=clima")

# --- Logging: never IP addresses or query strings of public pages (DESIGN rule 8; docs/observability.md) -------
# Both formatters write only safe fields (amparo/core/logs.py): JSON lines in production, text in development.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "amparo.core.logs.JsonFormatter"},
        "text": {"()": "amparo.core.logs.TextFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers (its console in DEBUG, mail_admins with the whole request) are replaced: every
        # django.* record goes to the root's handler and its formatter.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # runserver's access log prints client addresses: silenced.
        "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # One line per request: view name, method, status, duration (amparo/core/observability.py).
        "amparo.request": {"level": env.str("REQUEST_LOG_LEVEL", default="INFO")},
    },
}
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it answers 404 (amparo/core/metrics.py).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if PRODUCTION and METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters in production")

# --- Insights: disclosure control of every published figure (DESIGN.md rule 6; docs/insights.md) ------------------
# Cells under the threshold are hidden: inside one organisation, and for anything national, regional or public.
INSIGHTS_ORGANISATION_THRESHOLD = env.int("INSIGHTS_ORGANISATION_THRESHOLD", default=5)
INSIGHTS_PUBLIC_THRESHOLD = env.int("INSIGHTS_PUBLIC_THRESHOLD", default=11)
# Round the counts shown to this base after suppression (0: off).
INSIGHTS_ROUNDING = env.int("INSIGHTS_ROUNDING", default=0)
if INSIGHTS_ORGANISATION_THRESHOLD < 1 or INSIGHTS_PUBLIC_THRESHOLD < INSIGHTS_ORGANISATION_THRESHOLD:
    raise ImproperlyConfigured(
        "INSIGHTS_ORGANISATION_THRESHOLD must be at least 1 and INSIGHTS_PUBLIC_THRESHOLD at least as high"
    )
if INSIGHTS_ROUNDING < 0:
    raise ImproperlyConfigured("INSIGHTS_ROUNDING must be 0 (off) or a positive base")

# Directory and pathways.
STALE_AFTER_DAYS = env.int("STALE_AFTER_DAYS", default=90)
SEARCH_PAGE_SIZE = 20

# --- Safe channel (DESIGN.md rule 4 and "safechannel"; docs/safechannel.md) -----------------------------------
# The pepper keys every receipt hash: without it a stolen database cannot even test a receipt guess. Keep it out
# of the database and of backups of the database; losing it makes every receipt useless.
SAFECHANNEL_PEPPER = _generated_secret("SAFECHANNEL_PEPPER", "safechannel_pepper", 32)
# Argon2id for receipts: RFC 9106's second recommended option (t=3, 64 MiB) with one lane, ~0.15 s on one core.
SAFECHANNEL_ARGON2 = {
    "time_cost": env.int("SAFECHANNEL_ARGON2_TIME_COST", default=3),
    "memory_kib": env.int("SAFECHANNEL_ARGON2_MEMORY_KIB", default=64 * 1024),
    "parallelism": 1,
}
if SAFECHANNEL_ARGON2["time_cost"] < 2 or SAFECHANNEL_ARGON2["memory_kib"] < 19 * 1024:
    raise ImproperlyConfigured("SAFECHANNEL_ARGON2_* must be at least t=2 and 19 MiB (OWASP's minimum)")
SAFECHANNEL_RETENTION_DAYS = env.int("SAFECHANNEL_RETENTION_DAYS", default=90)
SAFECHANNEL_STORAGE_DIR = Path(env.str("SAFECHANNEL_STORAGE_DIR", default=str(VAR_DIR / "safechannel")))
SAFECHANNEL_MAX_FILE_BYTES = env.int("SAFECHANNEL_MAX_FILE_BYTES", default=10 * 1024 * 1024)
SAFECHANNEL_MAX_FILES = 3
# A survivor's receipt session: idle minutes before it ends.
SAFECHANNEL_SESSION_SECONDS = env.int("SAFECHANNEL_SESSION_SECONDS", default=15 * 60)
# Availability under abuse (DESIGN.md rule 10; docs/safechannel.md "Availability under abuse"). Two lanes per
# action, counted in the shared cache for short windows, never keyed by a stored address:
# - the proof lane: requests carrying a solved proof-of-work challenge (the page's script). One budget per minute
#   for everyone; the required difficulty rises from SAFECHANNEL_POW_BITS to SAFECHANNEL_POW_MAX_BITS as the
#   minute's budget fills, so a flood pays more and more for each attempt while the survivor's phone pays seconds;
# - the no-JavaScript lane: requests without a proof. Its own budget per minute, and a per-client budget keyed by
#   an HMAC of the address under a key derived from SECRET_KEY and the window (the same in every process).
SAFECHANNEL_RATE_LIMITS = {
    # name: (requests allowed, per seconds)
    "report_proof": (env.int("SAFECHANNEL_REPORTS_PER_MINUTE", default=30), 60),
    "report_global": (env.int("SAFECHANNEL_NOJS_REPORTS_PER_MINUTE", default=10), 60),
    "report_client": (env.int("SAFECHANNEL_REPORTS_PER_CLIENT", default=5), 600),
    "receipt_proof": (env.int("SAFECHANNEL_RECEIPTS_PER_MINUTE", default=60), 60),
    "receipt_global": (env.int("SAFECHANNEL_NOJS_RECEIPTS_PER_MINUTE", default=20), 60),
    "receipt_client": (env.int("SAFECHANNEL_RECEIPTS_PER_CLIENT", default=10), 600),
}
# Proof of work: leading zero bits of SHA-256 (2^16 hashes is well under a second in a cheap phone's browser;
# 2^22 is tens of seconds to a minute or two), and how long a challenge may be used.
SAFECHANNEL_POW_BITS = env.int("SAFECHANNEL_POW_BITS", default=16)
SAFECHANNEL_POW_MAX_BITS = env.int("SAFECHANNEL_POW_MAX_BITS", default=22)
SAFECHANNEL_POW_SECONDS = env.int("SAFECHANNEL_POW_SECONDS", default=2 * 60 * 60)
if not 1 <= SAFECHANNEL_POW_BITS <= SAFECHANNEL_POW_MAX_BITS <= 32:
    raise ImproperlyConfigured("SAFECHANNEL_POW_BITS must be at least 1 and at most SAFECHANNEL_POW_MAX_BITS (<= 32)")

# --- Cases (docs/cases.md) -----------------------------------------------------------------------------------
# DESIGN rule 7: a closed case is hard-deleted this many days after its closure (`manage.py purge_cases`).
CASES_RETENTION_DAYS = env.int("CASES_RETENTION_DAYS", default=5 * 365)
# The key of the cases' blind search index (names and documents found without decrypting the table; see
# docs/security.md, "Case search"). Separate from FIELD_ENCRYPTION_KEYS: changing it needs
# `manage.py reindex_case_search`.
CASE_SEARCH_KEY = _generated_secret("CASE_SEARCH_KEY", "case_search_key", 32)
if CASE_SEARCH_KEY in FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("CASE_SEARCH_KEY must not be one of the FIELD_ENCRYPTION_KEYS: give it a key of its own")
# Encrypted files of legal matters (back it up with the database; useless without FIELD_ENCRYPTION_KEYS).
CASES_STORAGE_DIR = Path(env.str("CASES_STORAGE_DIR", default=str(VAR_DIR / "cases")))
# Files whose row never committed (a process killed mid-write) are swept by the purge commands once they are older
# than this: longer than any transaction, so a file about to be committed is never removed (docs/faults.md).
STORAGE_ORPHAN_GRACE_SECONDS = env.int("STORAGE_ORPHAN_GRACE_SECONDS", default=60 * 60)
# At most this many files on one case (each bounded by SAFECHANNEL_MAX_FILE_BYTES before it is read).
CASE_MAX_FILES = env.int("CASE_MAX_FILES", default=50)

# Surveys (issue 14, docs/surveys.md): bounds on what phones and coordinators upload, checked before decoding, and
# how long submissions are kept unless a form says otherwise (DESIGN rule 7).
SURVEYS_MAX_XLSFORM_BYTES = env.int("SURVEYS_MAX_XLSFORM_BYTES", default=5 * 1024 * 1024)
SURVEYS_MAX_XLSFORM_INFLATED_BYTES = env.int("SURVEYS_MAX_XLSFORM_INFLATED_BYTES", default=50 * 1024 * 1024)
SURVEYS_MAX_INSTANCE_BYTES = env.int("SURVEYS_MAX_INSTANCE_BYTES", default=2 * 1024 * 1024)
SURVEYS_MAX_ATTACHMENT_BYTES = env.int("SURVEYS_MAX_ATTACHMENT_BYTES", default=10 * 1024 * 1024)
SURVEYS_MAX_ATTACHMENTS = env.int("SURVEYS_MAX_ATTACHMENTS", default=20)
SURVEYS_RETENTION_DAYS = env.int("SURVEYS_RETENTION_DAYS", default=730)
# Phones' submission bodies (told to them as X-OpenRosa-Accept-Content-Length; refused unread past it) and the files
# a form version carries to the phones.
SURVEYS_MAX_SUBMISSION_BYTES = env.int("SURVEYS_MAX_SUBMISSION_BYTES", default=50 * 1024 * 1024)
SURVEYS_MAX_MEDIA_BYTES = env.int("SURVEYS_MAX_MEDIA_BYTES", default=10 * 1024 * 1024)
# Phones' wrong secrets: past this many for one user name in five minutes, the name is refused (429) without an
# Argon2 check, so a flood of guesses costs the server nothing (docs/surveys.md, "Why HTTP Basic over HTTPS").
SURVEYS_PHONE_FAILURES = env.int("SURVEYS_PHONE_FAILURES", default=10)
if not 1 <= SURVEYS_PHONE_FAILURES <= 1000:
    raise ImproperlyConfigured("SURVEYS_PHONE_FAILURES must be between 1 and 1000")
# Encrypted forms: at most this many submissions are decrypted per press of the button (a request stays short).
SURVEYS_DECRYPT_BATCH = env.int("SURVEYS_DECRYPT_BATCH", default=100)
if not 1 <= SURVEYS_DECRYPT_BATCH <= 10_000:
    raise ImproperlyConfigured("SURVEYS_DECRYPT_BATCH must be between 1 and 10000")
# Web entry (docs/surveys.md, "Web entry"): how long an interview may stay open in the browser; its answers travel
# encrypted and signed in the page, and a state older than this is refused (nothing of it was stored).
SURVEYS_WEB_ENTRY_MAX_AGE = env.int("SURVEYS_WEB_ENTRY_MAX_AGE", default=4 * 60 * 60)
# The largest export the import page takes, held in memory only (bigger files: manage.py import_survey_export).
SURVEYS_MAX_IMPORT_BYTES = env.int("SURVEYS_MAX_IMPORT_BYTES", default=20 * 1024 * 1024)

# Situation reports (issue 16, docs/insights-reports.md): kept this many days after they were requested, then
# hard-deleted by `manage.py purge_situation_reports` (DESIGN rule 7).
INSIGHTS_REPORTS_RETENTION_DAYS = env.int("INSIGHTS_REPORTS_RETENTION_DAYS", default=730)
if not 1 <= INSIGHTS_REPORTS_RETENTION_DAYS <= 36500:
    raise ImproperlyConfigured("INSIGHTS_REPORTS_RETENTION_DAYS must be between 1 and 36500")
# A build still "being built" after this many minutes was cut short (a worker restarted or ran out of memory): the
# pages say so at once, and `purge_situation_reports` records it as failed ("interrupted") so it can be asked again.
INSIGHTS_REPORT_BUILD_TIMEOUT_MINUTES = env.int("INSIGHTS_REPORT_BUILD_TIMEOUT_MINUTES", default=30)
if not 1 <= INSIGHTS_REPORT_BUILD_TIMEOUT_MINUTES <= 24 * 60:
    raise ImproperlyConfigured("INSIGHTS_REPORT_BUILD_TIMEOUT_MINUTES must be between 1 and 1440")

# --- Campaigns: community-led monitoring of services (issue 17, part 3; docs/campaigns-feedback.md) ---------------
# Anonymous answers about a service, limited like the safe channel's no-JavaScript lane (counters in the shared cache
# for one window, then gone; the per-client bucket is a keyed hash of the address under a key that changes every
# window, never stored): (limit, seconds). A third budget per service and day bounds how far one service's figures
# and alerts can be pushed by a flood.
FEEDBACK_RATE_LIMITS = {
    "feedback_global": (env.int("FEEDBACK_PER_MINUTE", default=30), 60),
    "feedback_client": (env.int("FEEDBACK_PER_CLIENT_PER_HOUR", default=6), 3600),
    "feedback_service": (env.int("FEEDBACK_PER_SERVICE_PER_DAY", default=40), 86400),
}
if any(limit < 1 for limit, _period in FEEDBACK_RATE_LIMITS.values()):
    raise ImproperlyConfigured("FEEDBACK_PER_* limits must be at least 1")
# The sending webhook (issue 17, part 5) is never called at an address inside the server's own network (loopback,
# private, link-local), unless its host is named here: a gateway in the organisation's own network.
CAMPAIGNS_WEBHOOK_INTERNAL_HOSTS = env.list("CAMPAIGNS_WEBHOOK_INTERNAL_HOSTS", default=[])
# The aggregates and the public signal count the visits of the last FEEDBACK_WINDOW_MONTHS whole months.
FEEDBACK_WINDOW_MONTHS = env.int("FEEDBACK_WINDOW_MONTHS", default=12)
# "Repeated": at least FEEDBACK_ALERT_MIN_REPORTS answers reporting discrimination about one service, for visits in
# the last FEEDBACK_ALERT_WINDOW_MONTHS months (this one included); one alert per service per window.
FEEDBACK_ALERT_MIN_REPORTS = env.int("FEEDBACK_ALERT_MIN_REPORTS", default=3)
FEEDBACK_ALERT_WINDOW_MONTHS = env.int("FEEDBACK_ALERT_WINDOW_MONTHS", default=3)
# Answers about visits older than this many months are hard-deleted by `manage.py purge_service_feedback` (rule 7).
FEEDBACK_RETENTION_MONTHS = env.int("FEEDBACK_RETENTION_MONTHS", default=24)
if not 1 <= FEEDBACK_WINDOW_MONTHS <= FEEDBACK_RETENTION_MONTHS <= 120:
    raise ImproperlyConfigured(
        "FEEDBACK_WINDOW_MONTHS must be at least 1 and at most FEEDBACK_RETENTION_MONTHS (<= 120)"
    )
if not 1 <= FEEDBACK_ALERT_WINDOW_MONTHS <= FEEDBACK_WINDOW_MONTHS or FEEDBACK_ALERT_MIN_REPORTS < 1:
    raise ImproperlyConfigured("FEEDBACK_ALERT_WINDOW_MONTHS must be 1..FEEDBACK_WINDOW_MONTHS, the minimum at least 1")

# --- Backups (issue 18, docs/operations.md) ------------------------------------------------------------------------
# `amparo backup` encrypts its archive to this age public key ("age1..."); the matching identity (private key) is kept
# OFF this server, so the machine that makes backups cannot read them. `amparo backup_keygen` makes a pair.
BACKUP_RECIPIENT = env.str("BACKUP_RECIPIENT", default="")
# The scheduled backup (`amparo backup --scheduled`, a job of the scheduler, daily at 01:30) writes into this folder
# and deletes its own archives there older than BACKUP_KEEP_DAYS; empty: no scheduled backup. Copy the archives off
# the machine (docs/operations.md).
BACKUP_DIR = env.str("BACKUP_DIR", default="")
BACKUP_KEEP_DAYS = env.int("BACKUP_KEEP_DAYS", default=14)
if BACKUP_KEEP_DAYS < 1:
    raise ImproperlyConfigured("BACKUP_KEEP_DAYS must be at least 1")
