"""Shouwang settings, read from the environment.

Every value has a safe default for the embedded set-up (SQLite under ``var/``); a value that is
set but cannot be understood stops the start-up with a message naming the variable, rather than
silently falling back.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("SHOUWANG_VAR_DIR", PROJECT_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """A rate as "N/second", "N/minute", "N/hour" or "N/day" (s, m, h, d suffice)."""
    raw = os.environ.get(name, default).strip()
    number, _, period = raw.partition("/")
    if not (number.isdigit() and period[:1] in ("s", "m", "h", "d")):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a rate such as 10/minute")
    return raw


def _kept_in_var(name: str, make: Callable[[], str]) -> str:
    """The content of var/<name>, written (mode 600) by ``make`` on first run."""
    path = VAR_DIR / name
    if not path.exists():
        VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()


def _secret_key() -> str:
    """SECRET_KEY from the environment, else the one generated into var/ on first run."""
    if key := os.environ.get("SECRET_KEY"):
        if len(key) < 32:
            raise ImproperlyConfigured("SECRET_KEY is set but shorter than 32 characters")
        return key
    return _kept_in_var("secret_key", lambda: secrets.token_urlsafe(50))


def _field_keys() -> tuple[list[str], Path | None]:
    """The keys of the encrypted columns (core.fieldcrypt), newest first, and the var/ file
    they came from (None when from the environment): SHOUWANG_FIELD_KEYS, comma-separated
    Fernet keys, else var/field_keys (one a line), generated on first run."""
    raw = os.environ.get("SHOUWANG_FIELD_KEYS")
    if raw is not None:
        keys, path = [k.strip() for k in raw.split(",") if k.strip()], None
    else:
        path = VAR_DIR / "field_keys"
        keys = _kept_in_var("field_keys", lambda: Fernet.generate_key().decode() + "\n").split()
    if not keys:
        raise ImproperlyConfigured("SHOUWANG_FIELD_KEYS is set but holds no key")
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"SHOUWANG_FIELD_KEYS: key {number} is not a Fernet key (32 bytes, url-safe "
                "base64: `shouwang rotate-keys --print-new-key` makes one)"
            ) from exc
    return keys, path


def _lookup_key(from_environment: bool) -> str:
    """The key of the look-up hashes (core.fieldcrypt.lookup_hash): SHOUWANG_LOOKUP_KEY, else
    var/lookup_key. With the field keys in the environment it must be there too: a lookup key
    generated afresh on a new machine would find no child by ID number, silently."""
    if key := os.environ.get("SHOUWANG_LOOKUP_KEY"):
        if len(key) < 32:
            raise ImproperlyConfigured("SHOUWANG_LOOKUP_KEY is set but shorter than 32 characters")
        return key
    if from_environment:
        raise ImproperlyConfigured(
            "SHOUWANG_FIELD_KEYS is set but SHOUWANG_LOOKUP_KEY is not: set both (the lookup "
            "key is the one in var/lookup_key where the data was written)"
        )
    return _kept_in_var("lookup_key", lambda: secrets.token_urlsafe(50))


# SQLite, the default file or a sqlite:// DATABASE_URL alike, is one file that many processes
# write (the web server's workers, the background worker). WAL lets readers go on while one
# writes. A write transaction takes the write lock when it begins (IMMEDIATE): two transactions
# that both read and then both try to write deadlock, and SQLite answers that at once with
# "database is locked", whatever the timeout. A writer that finds the lock taken waits its turn
# for up to `timeout` seconds (well inside the web server's own request timeout). NORMAL is
# crash-safe under WAL: a power cut may lose the last commits, never corrupt the file.
SQLITE_OPTIONS: dict[str, Any] = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if not url:
        VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        config: dict[str, Any] = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "shouwang.sqlite3",
            "CONN_MAX_AGE": 60,
        }
    else:
        try:
            config = dict(dj_database_url.parse(url, conn_max_age=60))
        except ValueError as exc:
            raise ImproperlyConfigured(f"DATABASE_URL cannot be understood: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # JIT off: PostgreSQL compiles any query it costs above 100,000, which a county's
        # grouped counts are — seconds of compiling for a query that runs in one (measured at a
        # province: the county dashboard 2.9 → 1.7 s; docs/scaling.md).
        options = dict(config.get("OPTIONS", {}))
        options["options"] = f"-c jit=off {options.get('options', '')}".strip()
        config["OPTIONS"] = options
    else:
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// or sqlite:// URL")
    return config


SECRET_KEY = _secret_key()
# Encrypted columns (issue 18, core.fieldcrypt): independent of SECRET_KEY, so rotating the
# session secret leaves the data readable; `shouwang rotate-keys` rotates these.
SHOUWANG_FIELD_KEYS, SHOUWANG_FIELD_KEYS_FILE = _field_keys()
SHOUWANG_LOOKUP_KEY = _lookup_key(SHOUWANG_FIELD_KEYS_FILE is None)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Behind a reverse proxy the client address is in X-Forwarded-For; only trust it when told to.
TRUST_X_FORWARDED_FOR = env_bool("SHOUWANG_TRUST_X_FORWARDED_FOR", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "shouwang.core",
    "shouwang.audit",
    "shouwang.orgs",
    "shouwang.accounts",
    "shouwang.units",
    "shouwang.children",
    "shouwang.ledger",
    "shouwang.care",
    "shouwang.stats",
    "shouwang.api",
    "shouwang.notices",
    "shouwang.safety",
    "shouwang.family",
    "shouwang.counseling",
    "shouwang.health",
    "shouwang.assistance",
    "shouwang.activities",
    "shouwang.homes",
    "shouwang.oversight",
    "shouwang.crosschecks",
    "shouwang.referrals",
    "shouwang.assessment",
    "shouwang.inspections",
    "shouwang.reports",
    "shouwang.web",
    "shouwang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shouwang.accounts.middleware.IdleTimeoutMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # What the gate answered over a row, kept for this request only (accounts.scope, issue 17).
    "shouwang.accounts.middleware.ScopeAnswersMiddleware",
    # Logins (the page and the API's token) counted per address and per username: above the
    # limit a 429 with the reason on the form, before the password is even checked.
    "shouwang.accounts.ratelimit.LoginRateLimitMiddleware",
    # Second factor (TOTP, recovery codes): marks request.user verified for this session.
    "django_otp.middleware.OTPMiddleware",
    "shouwang.accounts.middleware.RequestOriginMiddleware",
    "shouwang.accounts.middleware.LoginRequiredMiddleware",
    # A password a manager reset: every page leads to choosing a new one (accounts/reset.py).
    "shouwang.accounts.reset.PasswordChangeRequiredMiddleware",
    # Many 404s by one person in a short time: the sysadmins are told (notices/alerts.py).
    "shouwang.notices.alerts.NotFoundAlertMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shouwang.urls"
WSGI_APPLICATION = "shouwang.wsgi.application"

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
                "shouwang.web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "shouwang.accounts.validators.MixedCharacterClassesValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: 30 minutes without a page log out. A request renews the session, but a read
# writes it at most once a minute (accounts.middleware.IdleTimeoutMiddleware), not every time.
SESSION_COOKIE_AGE = env_int("SHOUWANG_IDLE_TIMEOUT_SECONDS", 30 * 60)
SHOUWANG_SESSION_RENEW_SECONDS = min(60, SESSION_COOKIE_AGE // 10)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Served over https (SHOUWANG_SITE_URL says where people open Shouwang): cookies only travel
# over TLS and browsers are told to use nothing else for a year (HSTS). SHOUWANG_SECURE_COOKIES
# still turns the cookies on by itself (a TLS proxy in front of an http:// address).
SHOUWANG_SITE_URL = os.environ.get("SHOUWANG_SITE_URL", "http://127.0.0.1:8000")
SERVED_OVER_HTTPS = SHOUWANG_SITE_URL.lower().startswith("https://")
SESSION_COOKIE_SECURE = SERVED_OVER_HTTPS or env_bool("SHOUWANG_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SHOUWANG_HSTS_SECONDS", 365 * 24 * 3600) if SERVED_OVER_HTTPS else 0
# Off unless asked: a county's other sites under the same domain may not all speak https.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SHOUWANG_HSTS_INCLUDE_SUBDOMAINS", False)
# Behind a TLS-terminating proxy the request reaches us as http; the proxy says it was https in
# X-Forwarded-Proto. Trusted only when told, since a client could send that header itself.
if env_bool("SHOUWANG_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Looks at personal data (a child's page, an API read) are on the audit log, written in batches
# by each server process this many seconds apart (audit/reads.py), so a page view does not write.
SHOUWANG_AUDIT_READS_SECONDS = env_int("SHOUWANG_AUDIT_READS_SECONDS", 2)

# django-axes, two locks of 15 minutes each (accounts/lockout.py):
# - 5 failed logins for one username from one address lock that pair. Not the username alone,
#   or anyone could lock anyone out, token logins included;
# - 30 failed logins from one address, whatever the usernames, lock the address (password
#   spraying). Well above 5: a whole village school often shares one address behind NAT.
AXES_HANDLER = "shouwang.accounts.lockout.PairAndAddressHandler"
AXES_FAILURE_LIMIT = env_int("SHOUWANG_LOCKOUT_FAILURES", 5)
SHOUWANG_ADDRESS_LOCKOUT_FAILURES = env_int("SHOUWANG_ADDRESS_LOCKOUT_FAILURES", 30)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SHOUWANG_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_LOCKOUT_CALLABLE = "shouwang.accounts.views.locked_out"
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# A success forgives the pair's own failures only (lockout.py), not the address's.
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUST_X_FORWARDED_FOR else ["REMOTE_ADDR"]
)

# The API (interfaces.md): token or session, logged in, filtered and paged; OpenAPI 3 schema.
# A token lasts 30 days from its issue (accounts/tokens.py), then /api/v1/token/ gives a new one.
SHOUWANG_TOKEN_DAYS = env_int("SHOUWANG_TOKEN_DAYS", 30)
if SHOUWANG_TOKEN_DAYS < 1:
    raise ImproperlyConfigured(f"SHOUWANG_TOKEN_DAYS={SHOUWANG_TOKEN_DAYS} must be 1 or more")
REST_FRAMEWORK = {
    # Token first, so an anonymous call is answered 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "shouwang.accounts.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Per user (a token is its user's) and per address for the anonymous; rates below.
    "DEFAULT_THROTTLE_CLASSES": [
        "shouwang.api.throttles.UserThrottle",
        "shouwang.api.throttles.AnonymousThrottle",
    ],
    # A throttled call is told in Chinese when it may try again (api/throttles.py).
    "EXCEPTION_HANDLER": "shouwang.api.throttles.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "守望 Shouwang API",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "kind": each choice set named after its own thing.
    "ENUM_NAME_OVERRIDES": {
        "CareRecordKindEnum": "shouwang.care.models.RecordKind",
        "IncidentKindEnum": "shouwang.safety.models.IncidentKind",
        "OrgKindEnum": "shouwang.orgs.models.OrgKind",
        "ActivityKindEnum": "shouwang.activities.models.ActivityKind",
        "AdultKindEnum": "shouwang.activities.models.ADULT_KINDS",
    },
}

# The background worker (django-q2, `shouwang qcluster`, started by `make run`): its queue is a
# table of our own database, so a county needs no Redis. Scheduled: safety's deadline check.
Q_CLUSTER = {
    "name": "shouwang",
    "orm": "default",
    "workers": 1,
    "timeout": 120,
    "retry": 300,
    "catch_up": False,
    "label": "Background tasks",
}
# Text messages go through this sender (a class with send(phone, text)); by default into
# var/outbox.log, until the county plugs in its gateway.
# E-mail goes through Django's mail backends: files in var/mail/ until a county sets SMTP
# (SHOUWANG_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and Django's EMAIL_* names).
EMAIL_BACKEND = os.environ.get(
    "SHOUWANG_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
# A hung mail server gives up well inside the outbox's claim on a message (5 minutes), so no
# second worker sends it while the first still waits (notices.services.CLAIM).
EMAIL_TIMEOUT = 30
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
# Where links in e-mails point: SHOUWANG_SITE_URL, read above with the cookies it secures.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "守望 <noreply@shouwang.invalid>")
SHOUWANG_SMS_SENDER = os.environ.get("SHOUWANG_SMS_SENDER", "shouwang.notices.services.FileSender")

# A child out of touch with a parent away for longer than this gives the class teacher a task.
SHOUWANG_FAMILY_CONTACT_DAYS = env_int("SHOUWANG_FAMILY_CONTACT_DAYS", 30)

# A 发现异常 follow-up still open after this many days is overdue: shown red and told to the
# school's leaders once (care/follow_ups.py).
SHOUWANG_FOLLOW_UP_DAYS = env_int("SHOUWANG_FOLLOW_UP_DAYS", 7)

# Archives of children who left the register more than this many whole years ago are anonymised
# by the worker (PIPL art. 19: kept no longer than the purpose needs). Three years: a child who
# left can come back (parents away again, a transfer back) and a three-year span covers the
# 三年 of a school stage and the look-backs of the yearly reports and inspections.
SHOUWANG_RETENTION_YEARS = env_int("SHOUWANG_RETENTION_YEARS", 3)

# Exports of figures above school level show counts under 5 children as "<5" (domain.md §7).
SHOUWANG_HIDE_SMALL_COUNTS_IN_EXPORTS = env_bool("SHOUWANG_HIDE_SMALL_COUNTS_IN_EXPORTS", True)

# Ledger exports (ledger/exports.py, issue 18). An unmasked export of a unit above a school
# (township, county…) waits for a second person who may make the same export (PIPL art. 28 and
# 31: minors' information is sensitive). Files are downloadable for this many hours, then
# removed by the worker; exports up to SHOUWANG_EXPORT_IN_REQUEST_ROWS children are written in
# the request, bigger ones by the worker with their progress on the exports page.
SHOUWANG_EXPORT_APPROVAL = env_bool("SHOUWANG_EXPORT_APPROVAL", True)
SHOUWANG_EXPORT_HOURS = env_int("SHOUWANG_EXPORT_HOURS", 24)
SHOUWANG_EXPORT_IN_REQUEST_ROWS = env_int("SHOUWANG_EXPORT_IN_REQUEST_ROWS", 2000)
# The sysadmins are told (once per person and window) of more exports, or more pages not found,
# than this by one person within this many minutes (notices/alerts.py).
SHOUWANG_ALERT_EXPORTS = env_int("SHOUWANG_ALERT_EXPORTS", 10)
SHOUWANG_ALERT_EXPORTS_MINUTES = env_int("SHOUWANG_ALERT_EXPORTS_MINUTES", 10)
SHOUWANG_ALERT_NOT_FOUND = env_int("SHOUWANG_ALERT_NOT_FOUND", 50)
SHOUWANG_ALERT_NOT_FOUND_MINUTES = env_int("SHOUWANG_ALERT_NOT_FOUND_MINUTES", 5)

# zh-Hans for everyone: no negotiation with the browser's language, so a teacher whose phone is
# set to English still gets the product in Chinese. English is the source language of the code.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise looks here at start-up
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders too, so a missing collectstatic never breaks a page.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# Files Shouwang writes under var/ are its owner's alone (600, directories 700): the process
# starts with umask 077 (cli.main, wsgi) and Django's uploads are chmodded to these.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Rate limits, as "N/second|minute|hour|day". Counted in a cache every server process shares
# (gunicorn runs several; a per-process cache would give each its own allowance): files under
# var/cache/ratelimit, so counting never writes to the database (SQLite has one writer).
SHOUWANG_LOGIN_RATE_PER_USERNAME = env_rate("SHOUWANG_LOGIN_RATE_PER_USERNAME", "10/minute")
# Higher per address: a whole village school often logs in from one address behind NAT.
SHOUWANG_LOGIN_RATE_PER_ADDRESS = env_rate("SHOUWANG_LOGIN_RATE_PER_ADDRESS", "30/minute")
SHOUWANG_API_RATE_USER = env_rate("SHOUWANG_API_RATE_USER", "120/minute")
SHOUWANG_API_RATE_ANONYMOUS = env_rate("SHOUWANG_API_RATE_ANONYMOUS", "20/minute")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": VAR_DIR / "cache" / "ratelimit",
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 20000},
    },
}

# Content-Security-Policy: scripts only from our own files (no inline script, no eval), so a
# name or a note that smuggles markup in cannot run. Chart data rides in data- attributes.
# Styles: our stylesheets, plus inline style *attributes* (style-src-attr), because the vendored
# ECharts writes them into the SVG it draws and its tooltips (some 80 refusals on the dashboard
# without it, tests/e2e/test_content_security_policy.py). A style attribute runs no script; no
# <style> element is allowed but our files' (htmx's own is turned off in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
