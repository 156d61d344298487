"""Settings, all read from the environment (twelve-factor); defaults give the embedded demo."""

import json
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HELPDESK_VAR_DIR", BASE_DIR / "var"))


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no variable; unset or empty gives the default, and anything but the usual words is refused
    (a typo such as SECURE_SSL_REDIRECT=ture must not quietly turn a protection off)."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"{name}={value!r} is not a yes/no value: use 1/0, true/false, yes/no or on/off")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_json(name: str, default: str = "{}"):
    value = os.environ.get(name, "").strip() or default
    try:
        return json.loads(value)
    except ValueError as exc:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} is not valid JSON: {exc}") from None


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("HELPDESK_INSECURE_DEV_KEY", False):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for a local run).")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # core.* (no models): on PostgreSQL, the cursors that prepare the SELECTs a connection repeats.
    "core",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "bootstrap",
    "axes",
    "accounts",
    # The audit log (docs/gdpr.md): low in the import graph, every app above accounts may record into it.
    "audit",
    "tickets",
    "sla",
    "escalation",
    "postmortem",
    "kb",
    "storms",
    "dashboard",
    "demo",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "webhooks",
    "privacy",
    # Last: its ticket_created receiver runs after every other app's (deadlines set, level rules applied).
    "dispatch",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # django-csp's, the header built once per policy setting (core.csp).
    "core.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's, the language chosen once per language cookie and Accept-Language header (core.i18n).
    "core.i18n.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who acts, from where, for the audit log's entries recorded during the request (audit.context).
    "audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tickets.middleware.ConflictMiddleware",
    # Turns a rate-limit refusal into accounts.views.rate_limited (HTTP 429).
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last: answers a locked-out login attempt (django-axes).
    "axes.middleware.AxesMiddleware",
]

# The directory backends (docs/sso.md) are listed only when configured, further down.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with the request's user loaded in one query (profile, organisation, group names), and
    # HELPDESK_LOCAL_LOGIN / break-glass (docs/sso.md).
    "accounts.backends.LocalBackend",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        # Django's, whose rendering leaves no reference cycle holding the page's objects (core.templates).
        "BACKEND": "core.templates.DjangoTemplates",
        "NAME": "django",  # the alias Django's own backend has (django.template.engines["django"])
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded demo runs web, worker and beat on one SQLite file: wait for locks instead of failing,
    # and take the write lock at BEGIN so two writers never deadlock on a lock upgrade.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # SQLite has no INCLUDE columns: ticket_open_priority, which includes the status and the level for the
    # dashboard's backlog on PostgreSQL, is there an index on its key columns alone, as intended.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A SELECT whose text (values included) a connection has run this many times is prepared: PostgreSQL keeps
    # its plan (core.postgres; the queue's page planned three times as long as it ran). "off" behind a
    # pooler in transaction mode that does not keep prepared statements (PgBouncer < 1.21).
    _prepare = os.environ.get("DB_PREPARE_THRESHOLD", "5").strip().lower()
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        None if _prepare in ("", "off", "none", "0") else int(_prepare))
DB_POOL_MAX_SIZE = int(os.environ.get("DB_POOL_MAX_SIZE", "0"))
if DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool (Django 5.1+): each process keeps up to DB_POOL_MAX_SIZE connections that its
    # threads borrow for a request and give back, instead of one persistent connection per thread. It
    # replaces persistent connections (Django refuses both at once). Off by default: with gthread's 2 × 4
    # threads, persistent connections are as fast (bench/RESULTS.md); a pool matters with more threads or
    # containers than the database accepts connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(int(os.environ.get("DB_POOL_MIN_SIZE", "1")), DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
    }
if os.environ.get("TEST_DATABASE_NAME") and DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Lets two test runs share one PostgreSQL server without dropping each other's database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Language and time: French first, English available; stored in UTC, shown in Europe/Paris.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads are never served by a public URL: tickets.views.attachment_download checks access first.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = None

# The cache holds short-lived state shared by web workers (who is viewing a ticket, rate-limit
# counters): Redis when configured, else memory (fine for the one-process demo). The cache is an
# optimisation: when Redis is down every cache call answers "nothing" within the socket timeouts
# (django-redis IGNORE_EXCEPTIONS), the rate limits fail open, and one warning a minute says so
# (helpdesk.logging.OncePerInterval on the "helpdesk.cache" logger).
REDIS_CACHE_URL = os.environ.get("CACHE_URL", os.environ.get("REDIS_URL", ""))
CACHES = {
    "default": (
        {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_CACHE_URL,
         "KEY_PREFIX": "helpdesk", "TIMEOUT": 300,
         "OPTIONS": {"IGNORE_EXCEPTIONS": True,
                     "SOCKET_CONNECT_TIMEOUT": float(os.environ.get("CACHE_CONNECT_TIMEOUT", "0.25")),
                     "SOCKET_TIMEOUT": float(os.environ.get("CACHE_TIMEOUT", "0.5"))}}
        if REDIS_CACHE_URL.startswith("redis")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Reference data (SLA policies and calendars, escalation rules, categories, organisations, agents by
# level) read from the cache with a version that every change renews (core.cache). On by default with
# Redis, which every process shares; off with the per-process memory cache (the embedded demo), where a
# change made in one process would not reach the others.
HELPDESK_REFERENCE_CACHE = env_bool("HELPDESK_REFERENCE_CACHE", REDIS_CACHE_URL.startswith("redis"))
# Sessions read from Redis (the database on a miss, written through to both): no session query per
# request. Not with the per-process memory cache, where a logout in one process would leave the session
# cached in the others.
SESSION_ENGINE = ("django.contrib.sessions.backends.cached_db" if REDIS_CACHE_URL.startswith("redis")
                  else "django.contrib.sessions.backends.db")
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "helpdesk.cache"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: console in the demo, SMTP (or anything else) by environment.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # for the file backend
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Helpdesk <support@helpdesk.localhost>")
HELPDESK_BASE_URL = os.environ.get("HELPDESK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Celery: Redis in production and CI; the filesystem transport needs no server for the demo.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", os.environ.get("REDIS_URL", "filesystem://"))
# max_retries 0: a publish connects once and does not retry (see CELERY_BROKER_CONNECTION_TIMEOUT).
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
if CELERY_BROKER_URL.startswith("redis://"):
    # Kombu's Redis transport, one client per channel instead of one per message (core.redis_transport).
    CELERY_BROKER_TRANSPORT = "core.redis_transport:Transport"
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request must not wait for a dead broker: its publish connects once (max_retries 0), within
# CELERY_BROKER_CONNECTION_TIMEOUT, and is not retried (tickets.tasks.enqueue_*: retry=False); the
# outbox row (tickets.Notification) is sent later by tickets.tasks.send_pending_notifications. The
# worker's own connection keeps retrying (broker_connection_retry), which these options do not touch.
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECTION_TIMEOUT", "1"))
# A web process's messages for the same task (a new ticket's notifications) wait this long for the others of
# the moment and go out as one (core.broker.publish_ids); 0 sends each at once. Storm detection waits
# STORM_DETECTION_WAIT_MS (storms/conf.py). 250 ms: an email a quarter of a second later, and under load the
# worker sends tens of emails per task instead of a few (bench/RESULTS.md, session 24).
HELPDESK_BROKER_COALESCE_MS = int(os.environ.get("HELPDESK_BROKER_COALESCE_MS", "250"))
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "check-sla-deadlines": {
        "task": "sla.tasks.check_sla_deadlines",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "escalate-stalled-tickets": {
        "task": "escalation.tasks.escalate_stalled_tickets",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "auto-close-resolved-tickets": {
        "task": "tickets.tasks.auto_close_resolved_tickets",
        "schedule": crontab(minute="*/15"),
    },
    "poll-inbound-mailbox": {
        "task": "tickets.tasks.poll_inbound_mailbox",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "send-pending-notifications": {
        "task": "tickets.tasks.send_pending_notifications",
        "schedule": crontab(minute="*"),
    },
    "send-pending-deadline-recomputes": {
        "task": "sla.tasks.send_pending_recomputes",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "remind-postmortems": {
        "task": "postmortem.tasks.remind_postmortems",
        "schedule": crontab(minute="*/15"),
    },
    "check-action-recurrences": {
        "task": "postmortem.tasks.check_action_recurrences",
        "schedule": crontab(minute=20),
    },
    "refresh-dashboard-rollups": {
        "task": "dashboard.tasks.refresh_daily_rollups",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 240},
    },
    "rebuild-dashboard-rollups": {
        "task": "dashboard.tasks.rebuild_daily_rollups",
        "schedule": crontab(hour=3, minute=30),
    },
    "scan-ticket-storms": {
        "task": "storms.tasks.scan_storms",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "refresh-storm-baselines": {
        "task": "storms.tasks.refresh_storm_baselines",
        "schedule": crontab(hour=3, minute=10),
    },
    "run-retention": {
        "task": "privacy.tasks.run_retention",
        "schedule": crontab(hour=2, minute=45),
    },
    "send-pending-exports": {
        "task": "privacy.tasks.send_pending_exports",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 240},
    },
}

# Product settings.
HELPDESK_AUTO_CLOSE_DAYS = int(os.environ.get("HELPDESK_AUTO_CLOSE_DAYS", "7"))
# Inbound email: a signed webhook (POST /inbound/email/, header X-Helpdesk-Signature = hex HMAC-SHA256
# of the raw message with this secret) and/or an IMAP mailbox polled every minute.
HELPDESK_INBOUND_SECRET = os.environ.get("HELPDESK_INBOUND_SECRET", "")
HELPDESK_IMAP_HOST = os.environ.get("HELPDESK_IMAP_HOST", "")
HELPDESK_IMAP_PORT = int(os.environ.get("HELPDESK_IMAP_PORT", "993"))
HELPDESK_IMAP_USER = os.environ.get("HELPDESK_IMAP_USER", "")
HELPDESK_IMAP_PASSWORD = os.environ.get("HELPDESK_IMAP_PASSWORD", "")
HELPDESK_IMAP_FOLDER = os.environ.get("HELPDESK_IMAP_FOLDER", "INBOX")
HELPDESK_SURVEY_LINK_DAYS = int(os.environ.get("HELPDESK_SURVEY_LINK_DAYS", "30"))
HELPDESK_ATTACHMENT_MAX_BYTES = int(os.environ.get("HELPDESK_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
HELPDESK_ATTACHMENT_MAX_FILES = int(os.environ.get("HELPDESK_ATTACHMENT_MAX_FILES", "5"))
HELPDESK_ATTACHMENT_EXTENSIONS = env_list(
    "HELPDESK_ATTACHMENT_EXTENSIONS", "pdf,png,jpg,jpeg,gif,txt,log,csv,docx,xlsx,odt,ods,zip"
)
HELPDESK_PAGE_SIZE = int(os.environ.get("HELPDESK_PAGE_SIZE", "25"))
# Card numbers (13 to 19 digits passing the Luhn check) in a ticket's title and description, a followup or
# an incoming mail are replaced by "[numéro de carte]" before they are stored (privacy, docs/gdpr.md).
HELPDESK_REDACT_CARDS_ON_ARRIVAL = env_bool("HELPDESK_REDACT_CARDS_ON_ARRIVAL", False)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# Content-Security-Policy (django-csp): scripts and styles from our own static files only; no inline
# script anywhere (htmx's inline indicator style is switched off in base.html's htmx-config meta).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# How many reverse proxies we trust in front of the app: each appends to X-Forwarded-For the address it
# got the request from, so the client is the PROXY_COUNT-th entry from the right (accounts.client_ip).
# 0, without a proxy, ignores the header, which anyone can forge; 1 behind one nginx or load balancer.
# Set it wrong behind a proxy and every user shares the proxy's address for the lockout and the limits.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

# Login lockout (django-axes): 5 failures for a username from an IP lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"

# Rate limits (django-ratelimit) on what anonymous or hostile users can hammer; key="ip" is client_ip().
# HELPDESK_RATE_LOGIN and HELPDESK_RATE_SURVEY count failures only (accounts.views.FailureLimit): wrong
# passwords per username and IP, forged or expired survey links per IP; whoever gets it right spends nothing.
RATELIMIT_VIEW = "accounts.views.rate_limited"
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
# A cache outage lifts the limits rather than refusing everybody (the warning above says so).
RATELIMIT_FAIL_OPEN = True
RATELIMIT_IP_META_KEY = "accounts.client_ip.client_ip"
HELPDESK_RATE_TICKET_CREATE = os.environ.get("HELPDESK_RATE_TICKET_CREATE", "10/h")
HELPDESK_RATE_SURVEY = os.environ.get("HELPDESK_RATE_SURVEY", "20/h")
HELPDESK_RATE_LOGIN = os.environ.get("HELPDESK_RATE_LOGIN", "30/h")
# Exports of one's own personal data asked for from /privacy/me/ (besides one in flight at a time).
HELPDESK_RATE_PERSONAL_DATA_EXPORT = os.environ.get("HELPDESK_RATE_PERSONAL_DATA_EXPORT", "5/d")
# Days the audit log keeps an entry; the retention run (privacy.services.retention_run) purges older ones,
# the only deletion of the log (docs/gdpr.md, "Audit log"). 0 keeps every entry.
HELPDESK_AUDIT_RETENTION_DAYS = int(os.environ.get("HELPDESK_AUDIT_RETENTION_DAYS", "365"))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs: one JSON object per line in production (LOG_FORMAT=json), plain text for humans otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {"cache_down": {"()": "helpdesk.logging.OncePerInterval", "seconds": 60,
                               "message": "Cache unavailable, working without it"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "helpdesk.cache": {"filters": ["cache_down"]},
    },
}
if CELERY_BROKER_URL == "filesystem://":
    # kombu warns on every start that the URL names no host, which the filesystem broker has no use for.
    LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}

# --- REST API (app `api`, docs/api.md) and outbound webhooks (app `webhooks`) ---------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerTokenRateLimit"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Tickets, followups, transitions, attachments, knowledge base and figures. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Status",
        "ArticleStatusEnum": "kb.models.ArticleStatus",
        "ScaleEnum": "tickets.models.Scale",
    },
}
# Requests per API token (per user for the browser's session), as django-ratelimit's count/period; the
# project's cache counts them and a cache outage lifts the limit (RATELIMIT_FAIL_OPEN).
HELPDESK_RATE_API = os.environ.get("HELPDESK_RATE_API", "600/m")
# Outbound webhooks: never to a private, loopback or link-local address unless this is set (a test
# receiver on 127.0.0.1, an intranet); seconds to connect and to wait for the answer.
HELPDESK_WEBHOOK_ALLOW_PRIVATE = env_bool("HELPDESK_WEBHOOK_ALLOW_PRIVATE", False)
HELPDESK_WEBHOOK_TIMEOUT = float(os.environ.get("HELPDESK_WEBHOOK_TIMEOUT", "5"))
CELERY_BEAT_SCHEDULE["dispatch-sweep"] = {
    "task": "dispatch.tasks.dispatch_unassigned",
    "schedule": crontab(minute="*"),
    "options": {"expires": 55},
}
CELERY_BEAT_SCHEDULE["refresh-forecasts"] = {
    "task": "dispatch.tasks.refresh_forecasts",
    "schedule": crontab(minute="*/5"),
    "options": {"expires": 290},
}
CELERY_BEAT_SCHEDULE["recompute-handling-stats"] = {
    "task": "dispatch.tasks.recompute_handling_stats",
    "schedule": crontab(minute=17, hour=3),
}
CELERY_BEAT_SCHEDULE["send-pending-webhooks"] = {
    "task": "webhooks.tasks.send_pending_webhooks",
    "schedule": crontab(minute="*"),
    "options": {"expires": 55},
}

# --- Sign-in with the organisation's directory: OpenID Connect and LDAP / Active Directory (docs/sso.md) ---
# 0 hides the username/password form when only OpenID Connect signs people in (with LDAP the form stays,
# for directory passwords only); superusers keep a break-glass form at /accounts/login/local/.
HELPDESK_LOCAL_LOGIN = env_bool("HELPDESK_LOCAL_LOGIN", True)
# Directory groups or token claim values -> our roles (requester, N1, N2, N3, N4, manager, admin), JSON.
HELPDESK_SSO_ROLE_MAP = env_json("HELPDESK_SSO_ROLE_MAP")
# The role of a directory user in no mapped group ("" refuses them, "requester" lets everyone in).
HELPDESK_SSO_DEFAULT_ROLE = os.environ.get("HELPDESK_SSO_DEFAULT_ROLE", "")
# Email domains -> organisation names, JSON; or the attribute / claim holding the organisation's name.
HELPDESK_SSO_ORGANISATION_MAP = env_json("HELPDESK_SSO_ORGANISATION_MAP")
HELPDESK_SSO_ORGANISATION_ATTRIBUTE = os.environ.get("HELPDESK_SSO_ORGANISATION_ATTRIBUTE", "")
# Who a refused person should contact ("le service informatique, poste 1234"), shown on the refusal page.
HELPDESK_SSO_CONTACT = os.environ.get("HELPDESK_SSO_CONTACT", "")

# OpenID Connect (mozilla-django-oidc): the provider's endpoints come from its discovery document,
# fetched on first use and kept for HELPDESK_OIDC_DISCOVERY_TTL seconds (accounts.oidc.provider).
HELPDESK_OIDC_ISSUER = os.environ.get("HELPDESK_OIDC_ISSUER", "")
OIDC_RP_CLIENT_ID = os.environ.get("HELPDESK_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("HELPDESK_OIDC_CLIENT_SECRET", "")
OIDC_RP_SCOPES = os.environ.get("HELPDESK_OIDC_SCOPES", "openid email profile")
HELPDESK_OIDC_BUTTON_LABEL = os.environ.get("HELPDESK_OIDC_BUTTON_LABEL", "")
HELPDESK_OIDC_GROUPS_CLAIM = os.environ.get("HELPDESK_OIDC_GROUPS_CLAIM", "groups")
HELPDESK_OIDC_CLOCK_SKEW = int(os.environ.get("HELPDESK_OIDC_CLOCK_SKEW", "60"))
HELPDESK_OIDC_DISCOVERY_TTL = int(os.environ.get("HELPDESK_OIDC_DISCOVERY_TTL", "3600"))
OIDC_TIMEOUT = float(os.environ.get("HELPDESK_OIDC_TIMEOUT", "5"))
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's end-session endpoint
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_callback"

# LDAP / Active Directory (django-auth-ldap, built by accounts.ldap from these; python-ldap is the
# optional extra [ldap], imported only when HELPDESK_LDAP_SERVER_URI is set).
HELPDESK_LDAP_SERVER_URI = os.environ.get("HELPDESK_LDAP_SERVER_URI", "")
HELPDESK_LDAP_START_TLS = env_bool("HELPDESK_LDAP_START_TLS", False)
HELPDESK_LDAP_CA_CERT_FILE = os.environ.get("HELPDESK_LDAP_CA_CERT_FILE", "")
HELPDESK_LDAP_BIND_DN = os.environ.get("HELPDESK_LDAP_BIND_DN", "")
HELPDESK_LDAP_BIND_PASSWORD = os.environ.get("HELPDESK_LDAP_BIND_PASSWORD", "")
HELPDESK_LDAP_USER_SEARCH_BASE = os.environ.get("HELPDESK_LDAP_USER_SEARCH_BASE", "")
HELPDESK_LDAP_USER_FILTER = os.environ.get("HELPDESK_LDAP_USER_FILTER", "(|(uid=%(user)s)(mail=%(user)s))")
HELPDESK_LDAP_USERNAME_ATTRIBUTE = os.environ.get("HELPDESK_LDAP_USERNAME_ATTRIBUTE", "uid")
HELPDESK_LDAP_GROUP_SEARCH_BASE = os.environ.get("HELPDESK_LDAP_GROUP_SEARCH_BASE", "")
HELPDESK_LDAP_GROUP_TYPE = os.environ.get("HELPDESK_LDAP_GROUP_TYPE", "groupOfNames")
HELPDESK_LDAP_DENY_GROUP = os.environ.get("HELPDESK_LDAP_DENY_GROUP", "")
HELPDESK_LDAP_TIMEOUT = float(os.environ.get("HELPDESK_LDAP_TIMEOUT", "5"))

if HELPDESK_LDAP_SERVER_URI:
    AUTHENTICATION_BACKENDS.insert(1, "accounts.ldap.DirectoryLDAPBackend")
if HELPDESK_OIDC_ISSUER:
    AUTHENTICATION_BACKENDS.append("accounts.oidc.DirectoryOIDCBackend")
# An OpenID Connect sign-in is a redirect, not a typed password: django-axes neither counts nor locks it.
AXES_WHITELIST_CALLABLE = "accounts.backends.is_oidc_attempt"
