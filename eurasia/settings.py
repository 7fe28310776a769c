"""Settings for the Eurasia project, read from the environment with safe local defaults."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


# EURASIA_ENV=production switches on every safeguard (and refuses to start without a real
# SECRET_KEY); the default, "local", is for a developer's machine and the test suite.
ENVIRONMENT = os.environ.get("EURASIA_ENV", "local").strip().lower()
if ENVIRONMENT not in {"local", "production"}:
    raise ImproperlyConfigured("EURASIA_ENV must be 'local' or 'production'.")
LOCAL = ENVIRONMENT == "local"
DEBUG = env_bool("DEBUG", LOCAL)

_DEV_SECRET = "insecure-local-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not LOCAL:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (EURASIA_ENV=production) needs a long random value."
        )
    SECRET_KEY = _DEV_SECRET

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost" if LOCAL else "").split(",") if h.strip()
]
if not ALLOWED_HOSTS and not LOCAL:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set. Production needs the site's host names, comma-separated.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "import_export",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "jobs",
    "blocs",
    "events",
    "public",
    "exchange",
    "corrections",
    "ninja",
    "api",
    "releases",
]
# Development tooling (the synthetic world, benchmarks) is installed locally only; the image leaves it out.
if LOCAL:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "eurasia.middleware.ContentSecurityPolicyMiddleware",
    "eurasia.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of a page is its address's: /ru/... in Russian, everything else in English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # /api/v1/ only: its rate limit, ETags and CORS (api/middleware.py).
    "api.middleware.ApiMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it runs the view itself: ?as_recorded= on public pages (public/as_recorded.py).
    "public.as_recorded.AsRecordedMiddleware",
]

ROOT_URLCONF = "eurasia.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "eurasia.languages.alternates",
                "releases.citation.cite_this",
            ],
        },
    },
]

WSGI_APPLICATION = "eurasia.wsgi.application"

# PostgreSQL only. Without DATABASE_URL the project starts its own embedded server.
if os.environ.get("DATABASE_URL"):
    _db_url = os.environ["DATABASE_URL"]
else:
    from eurasia.embedded import database_url

    _db_url = database_url(os.environ.get("EURASIA_DB_NAME", "eurasia"))
DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60, conn_health_checks=True)}
# An unreachable server fails a request (and /healthz) in seconds instead of hanging a worker.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Eurasia runs on PostgreSQL only; DATABASE_URL must be postgres://…")


def replica_databases(urls):
    """The aliases replica1..N for a comma-separated list of read-replica URLs (docs/scaling.md)."""
    replicas = {}
    for n, url in enumerate(filter(None, (u.strip() for u in urls.split(","))), start=1):
        replica = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if replica["ENGINE"] != "django.db.backends.postgresql":
            raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS: replica {n} must be a postgres:// URL.")
        # The test suite has no replicas of its own: a replica alias reads the test database.
        replica["TEST"] = {"MIRROR": "default"}
        # A replica that is down is found out in a second, and its readers go to the primary.
        replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
        replicas[f"replica{n}"] = replica
    return replicas


# Public pages and downloads read from replicas; writes, the admin and recent writers use the primary.
DATABASES.update(replica_databases(os.environ.get("DATABASE_REPLICA_URLS", "")))
DATABASE_REPLICAS = [alias for alias in DATABASES if alias != "default"]
DATABASE_ROUTERS = ["eurasia.routers.ReplicaRouter"]
# How long after a write a browser keeps reading from the primary: longer than replicas usually lag.
DATABASE_REPLICA_PIN_SECONDS = int(os.environ.get("DATABASE_REPLICA_PIN_SECONDS", "10"))
# How long a process leaves out a replica it could not reach before trying it again.
DATABASE_REPLICA_RETRY_SECONDS = float(os.environ.get("DATABASE_REPLICA_RETRY_SECONDS", "5"))
MIDDLEWARE = ["eurasia.routers.ReplicaMiddleware", *MIDDLEWARE]
# No statement of a page may run longer than this; downloads and imports are exempt (eurasia/timeouts.py).
STATEMENT_TIMEOUT_SECONDS = float(os.environ.get("STATEMENT_TIMEOUT_SECONDS", "5"))
MIDDLEWARE = ["eurasia.timeouts.StatementTimeoutMiddleware", *MIDDLEWARE]

# Fields with an explicit `through` model are edited directly in the admin: our relationship
# models only add PROTECT to the link (see blocs.admin.CuratedAdmin.formfield_for_manytomany).
SILENCED_SYSTEM_CHECKS = ["admin.E013"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Widgets drawn with Django's Jinja2 templates, the admin's own with the template language (eurasia/form_rendering.py).
FORM_RENDERER = "eurasia.form_rendering.CompiledFormRenderer"

LANGUAGE_CODE = "en-gb"
# English at the plain addresses, Russian under /ru/ (eurasia/urls.py, docs/translation.md).
LANGUAGES = [("en-gb", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and published files. Releases (releases/) are written once into the storage alias
# "releases": local files under MEDIA_ROOT/releases by default; any Django storage backend in
# production, named by RELEASES_STORAGE_BACKEND with its options (docs/releases.md).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "releases": {
        "BACKEND": os.environ.get("RELEASES_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": {"location": str(MEDIA_ROOT / "releases")} if "RELEASES_STORAGE_BACKEND" not in os.environ else {},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if LOCAL
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security headers, in local use too, so that a page that breaks them breaks on a developer's machine.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Sent by eurasia.middleware: no inline scripts or styles, nothing loaded from other sites.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# docker-compose's local stack serves production settings over plain HTTP on localhost only.
INSECURE_HTTP = env_bool("EURASIA_INSECURE_HTTP", False)
if not LOCAL and not INSECURE_HTTP:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (see docs/operations.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Admin forms with many inline rows (a bloc's memberships) exceed Django's default of 1,000.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Uploads (spreadsheet imports) are capped while they stream in, before anything is kept
# (docs/operations.md lists every limit). Form fields other than files stay under Django's 2.5 MB.
FILE_UPLOAD_MAX_BYTES = 32 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "eurasia.upload_handlers.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# django-import-export: who may import and export is decided by model permissions.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True

# Failed admin logins are counted in PostgreSQL (eurasia/throttle.py) so that every server process
# sees the same counts; its table is made by `migrate`.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "logins": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "eurasia_login_failures"},
}
# Rendered public pages are kept until the records change or the day turns (eurasia/page_cache.py):
# in each worker's memory by default, or in Redis shared by every app server when PAGE_CACHE_URL
# names one (redis://host:6379/0; give that Redis a maxmemory and the allkeys-lru policy).
PAGE_CACHE = env_bool("PAGE_CACHE", True)
PAGE_CACHE_BYTES = int(os.environ.get("PAGE_CACHE_MEGABYTES", "64")) * 1024 * 1024
PAGE_CACHE_URL = os.environ.get("PAGE_CACHE_URL", "").strip()
if PAGE_CACHE_URL and not PAGE_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("PAGE_CACHE_URL must be a redis:// URL (or unset, to keep pages in memory).")
CACHES["pages"] = (
    {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": PAGE_CACHE_URL,
        "KEY_PREFIX": "eurasia",
        # A page's key says when it stops being right; the timeout only lets unused pages go.
        "TIMEOUT": 24 * 60 * 60,
        # A Redis that stops answering costs a request a second at most: the page is then drawn.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    if PAGE_CACHE_URL
    else {"BACKEND": "eurasia.page_cache.MemoryPages", "OPTIONS": {"MAX_BYTES": PAGE_CACHE_BYTES}}
)
# Logging in happens in the admin: a login whose ?next= points off the site lands on its index.
LOGIN_REDIRECT_URL = "admin:index"
LOGIN_THROTTLE = {
    "per_account": 5,
    "per_address": 20,
    "window": 15 * 60,
    # Behind a reverse proxy every request comes from the proxy: name the header it sets instead,
    # or every curator shares one address and its pauses (docs/operations.md, "Failed logins").
    "address_header": os.environ.get("CLIENT_ADDRESS_HEADER", "REMOTE_ADDR"),
}

# Readers' suggestions each address may send in a window of seconds (corrections/views.py); every
# attempt counts, sent or refused.
SUGGESTION_RATE_LIMIT = {
    "suggestions": int(os.environ.get("SUGGESTION_RATE_LIMIT", "5")),
    "window": int(os.environ.get("SUGGESTION_RATE_LIMIT_SECONDS", "3600")),
}

# The read API's requests per address and window (api/middleware.py, docs/api.md).
API_RATE_LIMIT = {
    "requests": int(os.environ.get("API_RATE_LIMIT_REQUESTS", "600")),
    "window": int(os.environ.get("API_RATE_LIMIT_SECONDS", "60")),
}

# Addresses whose errors, even those answered before their views, are problem documents (RFC 9457).
PROBLEM_JSON_PATHS = ["/api/v1/"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Python's logging knows only upper-case level names; gunicorn accepts any case, and so do we.
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING").strip().upper()},
}

# Long work (large admin imports and exports, loads) runs as background jobs, queued
# in PostgreSQL and run by `manage.py db_worker` (jobs/; docs/operations.md, "Background jobs").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A running job's worker writes a sign of life this often; a job silent for JOB_TIMEOUT_SECONDS
# (its worker was killed, or its machine lost) is shown as failed, with nothing of it stored.
JOB_HEARTBEAT_SECONDS = float(os.environ.get("JOB_HEARTBEAT_SECONDS", "2"))
JOB_TIMEOUT_SECONDS = float(os.environ.get("JOB_TIMEOUT_SECONDS", "60"))
# Admin imports of more rows than this are previewed and imported in the background.
BACKGROUND_IMPORT_ROWS = int(os.environ.get("BACKGROUND_IMPORT_ROWS", "10000"))
# Admin exports of more rows than this are written by a worker and kept for their owner to download.
BACKGROUND_EXPORT_ROWS = int(os.environ.get("BACKGROUND_EXPORT_ROWS", "50000"))
