"""open122 settings: one file, every deployment value from the environment.

`.env.example` lists the variables. Defaults suit a developer machine: PostgreSQL and Redis
on 127.0.0.1 (bin/devservices.py starts embedded ones when nothing answers there).
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me" if DEBUG else environ.Env.NOTSET)
# docs/rules.md §1 (PIPL art 28): ID numbers are encrypted at rest (portal.idfields) with
# ID_ENCRYPTION_KEY (Fernet keys, comma-separated: the first encrypts, all decrypt, for rotation)
# and found by an HMAC under ID_HASH_KEY, a separate key that cannot be rotated without
# recomputing every *_hash column. The defaults are public: portal.checks refuses them in production.
DEV_ID_ENCRYPTION_KEY = "Rrx5nviSxS3W639aW6a2fnu9TmWL-AlqOKJId8RilrQ="
DEV_ID_HASH_KEY = "dev-id-hash-key"
FIELD_ENCRYPTION_KEY = env.list("ID_ENCRYPTION_KEY", default=[DEV_ID_ENCRYPTION_KEY])
ID_HASH_KEY = env.str("ID_HASH_KEY", default=DEV_ID_HASH_KEY)
# Host names are <city code>.<PORTAL_DOMAIN>; the bare domain is the province page.
PORTAL_DOMAIN = env.str("PORTAL_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[PORTAL_DOMAIN, f".{PORTAL_DOMAIN}", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "portal",
    "notices",
    "plates",
    "exams",
    "violations",
    "certificates",
    "portal.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "csp",
]

MIDDLEWARE = [
    "log_request_id.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.CityMiddleware",
    "portal.middleware.ChineseByDefaultLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.portal",
                "notices.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/open122"),
}
# Persistent connections in production (gunicorn); 0 in development so runserver threads close them.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A streaming replica for reads that may lag a little (docs/operations.md "Reads from the
# replica"): public pages, statistics, the violations look-up and the clerk's search. Everything
# else, and every read of a visitor who has just written, goes to the primary (portal.replica).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["portal.replica.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "portal.replica.StickyPrimaryMiddleware",
    )
# Reads leave the replica while it lags more than this, or for STICKY seconds after the visitor's
# own write (a POST), so that nobody misses what they have just done.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
REPLICA_STICKY_SECONDS = env.int("REPLICA_STICKY_SECONDS", default=15)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "portal.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="open122"),
    }
}

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = ["portal.auth_backends.IdNumberOrMobileBackend"]
# User.id_number is encrypted (randomised ciphertext), so its uniqueness lives on
# id_number_hash; the backend and UserManager.get_by_natural_key look logins up by that hash.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
# Sessions are read from Redis on every request and written through to PostgreSQL, so a Redis
# restart logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Pages are Simplified Chinese by default, English on request.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Apps keep their own catalogues in <app>/locale; this one holds portal's shared services (payments, postal).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "portal.staticstorage.ManifestStaticStorage"
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# A task whose worker dies is redelivered; tasks are idempotent so a duplicate is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Second line of defence only (docs/operations.md "Workers and beat"): a worker process whose
# resident memory passed this many KiB after a task is replaced by a fresh one. Sweeps read and
# write in bounded batches (e.g. exams' decision notices), so a process stays near 150 MB; this
# catches a task that does not, before it takes the machine's memory.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=512_000)
# Celery's Django fix-up closes every database connection before and after each task unless this
# is set, so each task paid for a new PostgreSQL backend and prepared its statements again.
# Connections now live by CONN_MAX_AGE, checked around each task as Django checks them around
# each request (portal.celery), and the fix-up recycles them every 1,000 tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_TIMEZONE = TIME_ZONE
# Apps add their periodic sweeps here; each entry names a task in that app's tasks.py.
CELERY_BEAT_SCHEDULE = {
    "plates-sweep": {"task": "plates.tasks.sweep", "schedule": timedelta(seconds=60)},
    "exams-sweep": {"task": "exams.tasks.sweep", "schedule": timedelta(minutes=5)},
    "notices-sweep": {"task": "notices.tasks.sweep", "schedule": crontab(minute=15)},
    "notices-deliver": {"task": "notices.tasks.deliver_pending", "schedule": timedelta(minutes=1)},
    "portal-reconcile-payments": {"task": "portal.tasks.reconcile_payments", "schedule": timedelta(minutes=10)},
    "portal-sms-outbox-sweep": {"task": "portal.tasks.sms_outbox_sweep", "schedule": timedelta(seconds=15)},
    "violations-sweep": {"task": "violations.tasks.sweep", "schedule": crontab(minute=40, hour=1)},
    # Accident cases the other party never confirmed lapse, and unsent insurer reports are retried.
    "violations-accidents-sweep": {"task": "violations.tasks.accidents_sweep", "schedule": timedelta(minutes=10)},
    "notices-unit-summaries": {
        "task": "notices.tasks.unit_summaries",
        "schedule": crontab(minute=0, hour=8, day_of_month=1),
    },
    "certificates-sweep": {"task": "certificates.tasks.sweep", "schedule": crontab(minute=10, hour=0)},
    "portal-beat-heartbeat": {"task": "portal.tasks.beat_heartbeat", "schedule": timedelta(seconds=30)},
}
# Exactly one effective beat however many are started (docs/operations.md, "Celery beat"): the
# schedule lives in Redis and a beat sends only while it holds RedBeat's lock there. The lock
# lapses LOCK_TIMEOUT seconds after its holder dies, and a waiting beat retries every
# MAX_LOOP_INTERVAL seconds, so another beat takes over within about 35 s.
CELERY_BEAT_SCHEDULER = "portal.beat.RedBeatScheduler"
CELERY_REDBEAT_REDIS_URL = env.str("CELERY_REDBEAT_REDIS_URL", default=REDIS_URL)
CELERY_REDBEAT_KEY_PREFIX = env.str("CELERY_REDBEAT_KEY_PREFIX", default="open122:redbeat")
CELERY_REDBEAT_LOCK_TIMEOUT = env.int("CELERY_REDBEAT_LOCK_TIMEOUT", default=30)
CELERY_BEAT_MAX_LOOP_INTERVAL = env.int("CELERY_BEAT_MAX_LOOP_INTERVAL", default=5)
# The beat heartbeat is stale (GET /healthz/celery answers 503) after this many seconds.
BEAT_HEARTBEAT_MAX_AGE = env.int("BEAT_HEARTBEAT_MAX_AGE", default=120)
# A message taken by a worker that dies is handed out again after this long (Redis broker). The
# default is an hour, while a verification code lives 5 minutes: 2 minutes leaves a redelivered
# SMS time to arrive. Tasks must finish well within it (the longest, a sweep batch, takes
# seconds); a redelivery of a task still running is harmless because each claims its rows.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=120)}
# A notice delivery claimed by a worker that died is claimed again after this long
# (notices.services.delivery; the SMS reference keeps the second send from doubling).
NOTICES_CLAIM_LEASE_SECONDS = env.int("NOTICES_CLAIM_LEASE_SECONDS", default=300)
# Redis through Sentinel (docs/deploy.md "Redis"): with REDIS_SENTINELS ("host:port,...") the
# cache, the Celery broker and the beat lock ask the sentinels for the current master, so a
# failover needs no change of configuration. REDIS_URL then only names the database number.
REDIS_SENTINELS = [(h, int(p)) for h, _, p in (a.rpartition(":") for a in env.list("REDIS_SENTINELS", default=[]))]
REDIS_SENTINEL_MASTER = env.str("REDIS_SENTINEL_MASTER", default="open122")
if REDIS_SENTINELS:
    CELERY_BROKER_URL = ";".join(f"sentinel://{host}:{port}" for host, port in REDIS_SENTINELS)
    CELERY_BROKER_TRANSPORT_OPTIONS["master_name"] = REDIS_SENTINEL_MASTER
    CELERY_REDBEAT_REDIS_URL = f"redis-sentinel://{REDIS_SENTINELS[0][0]}:{REDIS_SENTINELS[0][1]}/0"
    CELERY_REDBEAT_REDIS_OPTIONS = {
        "sentinels": REDIS_SENTINELS,
        "service_name": REDIS_SENTINEL_MASTER,
        "socket_timeout": 1,
    }

# --- External parties behind backends ------------------------------------------------------
SMS_BACKEND = env.str("SMS_BACKEND", default="portal.sms.ConsoleBackend")
SMS_HTTP_GATEWAY_URL = env.str("SMS_HTTP_GATEWAY_URL", default="")
SMS_HTTP_APP_ID = env.str("SMS_HTTP_APP_ID", default="open122")
SMS_HTTP_SECRET = env.str("SMS_HTTP_SECRET", default="dev-sms-secret")
PUSH_BACKEND = env.str("PUSH_BACKEND", default="notices.push.SandboxPushBackend")
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="portal.payments.gateways.SandboxGateway")
PAYMENT_SANDBOX_SECRET = env.str("PAYMENT_SANDBOX_SECRET", default="dev-payment-secret")
POSTAL_CARRIER = env.str("POSTAL_CARRIER", default="portal.postal.carriers.SandboxCarrier")
POSTAL_SANDBOX_SECRET = env.str("POSTAL_SANDBOX_SECRET", default="dev-postal-secret")
PUSH_SANDBOX_SECRET = env.str("PUSH_SANDBOX_SECRET", default="dev-push-secret")
# Reports of settled accidents to the parties' insurers (violations.insurers, docs/rules.md §5.7).
ACCIDENT_INSURER_BACKEND = env.str("ACCIDENT_INSURER_BACKEND", default="violations.insurers.SandboxInsurer")
ACCIDENT_INSURER_URL = env.str("ACCIDENT_INSURER_URL", default="")
ACCIDENT_INSURER_SECRET = env.str("ACCIDENT_INSURER_SECRET", default="dev-insurer-secret")
# With DEBUG off the sandboxes above and the default secrets are a system check error
# (portal.checks, open122.E001/E002) unless this says the deployment is a demo.
ALLOW_SANDBOX_BACKENDS = env.bool("ALLOW_SANDBOX_BACKENDS", default=False)

# SMS verification codes (docs/rules.md §1 and §0: validity, resend wait, daily caps).
SMS_CODE_TTL = timedelta(minutes=5)
SMS_CODE_MAX_ATTEMPTS = 5
SMS_RESEND_INTERVAL = timedelta(seconds=60)
SMS_DAILY_CAP_PER_MOBILE = env.int("SMS_DAILY_CAP_PER_MOBILE", default=10)
SMS_DAILY_CAP_PER_IP = env.int("SMS_DAILY_CAP_PER_IP", default=30)

# Behind a reverse proxy the client address comes from this header (set by the proxy only).
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
RATELIMIT_USE_CACHE = "default"
# Rush paths (portal.ratelimits): group -> (per account, per address). docs/operations.md.
RUSH_LIMITS = {
    # Starting a plate selection: one per new vehicle; a fleet's accounts share few addresses.
    "plates.start": (env.str("RUSH_PLATES_START_USER", default="5/h"), env.str("RUSH_PLATES_START_IP", default="5/h")),
    # Draws, claims, composed rounds and the confirmation of a selection.
    "plates.claim": (
        env.str("RUSH_PLATES_CLAIM_USER", default="30/m"),
        env.str("RUSH_PLATES_CLAIM_IP", default="120/m"),
    ),
    # Exam seat requests and withdrawals.
    "exams.request": (env.str("RUSH_EXAMS_USER", default="10/m"), env.str("RUSH_EXAMS_IP", default="60/m")),
    # Typing an accident case's join code (docs/rules.md §5.7): a code must not be guessable.
    "violations.accident_join": (
        env.str("RUSH_ACCIDENT_JOIN_USER", default="10/h"),
        env.str("RUSH_ACCIDENT_JOIN_IP", default="30/h"),
    ),
    # Inspection slot bookings and moves (exams.views_inspection).
    "exams.inspection": (
        env.str("RUSH_INSPECTION_USER", default="10/m"),
        env.str("RUSH_INSPECTION_IP", default="60/m"),
    ),
    # Attempts at the "I am not a robot" check.
    "antibot.check": ("20/m", "120/m"),
}
# Proof of work before a rush entry (portal.antibot, self-hosted ALTCHA): PBKDF2 iterations per
# derivation (about 256 derivations per solution), how long a challenge and an earned pass last,
# and how long a no-JavaScript ticket must wait before it is accepted.
ANTIBOT_ENABLED = env.bool("ANTIBOT_ENABLED", default=True)
ANTIBOT_COST = env.int("ANTIBOT_COST", default=5000)
ANTIBOT_CHALLENGE_SECONDS = env.int("ANTIBOT_CHALLENGE_SECONDS", default=600)
ANTIBOT_PASS_SECONDS = env.int("ANTIBOT_PASS_SECONDS", default=900)
ANTIBOT_NOSCRIPT_WAIT_SECONDS = env.int("ANTIBOT_NOSCRIPT_WAIT_SECONDS", default=30)

# --- Transport and browser security ----------------------------------------------------------
# Behind a proxy that terminates TLS: SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https (the
# proxy must set that header itself and drop any the client sent; docs/deploy.md).
_proxy_ssl = env.list("SECURE_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = (_proxy_ssl[0], _proxy_ssl[1]) if len(_proxy_ssl) == 2 else None
# Every cookie the portal sets is Secure in production: session, CSRF, language and the plate
# selection's device cookie (plates.views reads SESSION_COOKIE_SECURE).
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe the web processes over plain HTTP behind the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz"]
# HSTS over the city sub-domains too (every site is <city>.<PORTAL_DOMAIN>).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) in every environment, so development meets it first: no
# inline script or style anywhere (templates load static/js/*.js). A real payment gateway's
# cashier on another origin is added with CSP_FORM_ACTION_EXTRA (a form posting there).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *env.list("CSP_FORM_ACTION_EXTRA", default=[])],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# Uploads are checked by content and size in the portal (portal.uploads), not only at the proxy.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)

# Every log record carries the request's id (X-Request-ID from the proxy, else a new one, sent
# back in the response); LOG_FORMAT=json writes one JSON object per line for a log collector.
LOG_REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
GENERATE_REQUEST_ID_IF_NOT_IN_HEADER = True
REQUEST_ID_RESPONSE_HEADER = "X-Request-ID"
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "log_request_id.filters.RequestIDFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SITE_NAME = _("Internet Traffic Safety Service Platform")
