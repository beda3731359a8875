"""veoportal settings: everything comes from environment variables with safe local defaults.

Every variable read here is listed once in the README's settings table.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=""):
    return os.environ.get(name, default)


def envbool(name, default):
    return env(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name, default):
    return int(env(name, str(default)))


def envfloat(name, default):
    return float(env(name, str(default)))


VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", "true")


def _secret_key():
    """Locally a key is generated once into var/; production refuses to start without one."""
    if key := env("SECRET_KEY"):
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env("SITE_NAME", "veoportal")
ALLOWED_HOSTS = [h for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "ninja",
    "veoportal",
    "accounts",
    "billing",
    "generations",
    "webhooks",
    "studio",
    "ops",
]

MIDDLEWARE = [
    "veoportal.requestlog.RequestLogMiddleware",
    "ops.middleware.RateLimitHeadersMiddleware",
    "veoportal.apishape.ApiErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "veoportal.urls"
WSGI_APPLICATION = "veoportal.wsgi.application"

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
                "veoportal.context_processors.site",
            ],
        },
    },
]

# Database: SQLite under var/ by default; PostgreSQL (or anything dj-database-url reads) in production.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share the file: WAL lets readers run beside one writer, and IMMEDIATE
    # transactions take the write lock up front, so a credit hold's check-then-write is atomic.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # The database cache is shared by every local process (web, worker, beat), unlike locmem.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "veoportal_cache",
        }
    }

# Celery: Redis in production; locally a broker on files under var/ that needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _celery_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Fails generations stuck past GENERATION_DEADLINE and revives lost pipeline tasks.
    "generations-sweep": {"task": "generations.tasks.generations_sweep", "schedule": 60.0},
    # Re-enqueues webhook deliveries whose countdown task was lost.
    "webhooks-deliveries-sweep": {"task": "webhooks.tasks.deliveries_sweep", "schedule": 60.0},
}
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "false")

# Storage: the local filesystem by default, S3-compatible object storage when a bucket is set.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL") or None
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME") or None
AWS_QUERYSTRING_EXPIRE = envint("VIDEO_URL_TTL", 86400)
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage"
        if AWS_STORAGE_BUCKET_NAME
        else "django.core.files.storage.FileSystemStorage"
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Mail: the console locally (the sign-up page says so), SMTP when EMAIL_HOST is set.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "true")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "veoportal <noreply@localhost>")

# Accounts (django-allauth): email is the login, verification is mandatory.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
LOGIN_REDIRECT_URL = "/keys/"
LOGIN_URL = "/accounts/login/"
ACCOUNT_CHANGE_EMAIL = True  # one address per account; a change is verified before it applies
ACCOUNT_EMAIL_NOTIFICATIONS = True  # mail the owner when the password or the address changes
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# allauth's own limits, counted in the shared cache so they hold across web processes.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "change_email": "1/m/user",
    "manage_email": "10/m/user",
}
GOOGLE_CLIENT_ID = env("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env("GOOGLE_CLIENT_SECRET")
GITHUB_CLIENT_ID = env("GITHUB_CLIENT_ID")
GITHUB_CLIENT_SECRET = env("GITHUB_CLIENT_SECRET")
SOCIALACCOUNT_PROVIDERS = {}
if GOOGLE_CLIENT_ID:
    INSTALLED_APPS.append("allauth.socialaccount.providers.google")
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET}]
    }
if GITHUB_CLIENT_ID:
    INSTALLED_APPS.append("allauth.socialaccount.providers.github")
    SOCIALACCOUNT_PROVIDERS["github"] = {
        "APPS": [{"client_id": GITHUB_CLIENT_ID, "secret": GITHUB_CLIENT_SECRET}]
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Billing.
CREDIT_VALUE_USD = env("CREDIT_VALUE_USD", "0.01")
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE")
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", "stripe" if STRIPE_SECRET_KEY else "sandbox")
# Bounds of the custom top-up amount, in US cents (the packs are edited in the admin).
TOP_UP_MIN_CENTS = envint("TOP_UP_MIN_CENTS", 500)
TOP_UP_MAX_CENTS = envint("TOP_UP_MAX_CENTS", 100000)

# Upstream: Google's Gemini API when a key is set, otherwise the built-in simulator.
GEMINI_API_KEY = env("GEMINI_API_KEY")
GEMINI_BASE_URL = env("GEMINI_BASE_URL", "https://generativelanguage.googleapis.com").rstrip("/")
# Keys replaced by GEMINI_API_KEY: an operation can only be read with the key that started it.
GEMINI_RETIRED_API_KEYS = [k for k in env("GEMINI_RETIRED_API_KEYS").split(",") if k.strip()]
# Google's per-project limits are low: beyond these, work waits in the queue instead of failing.
GEMINI_MAX_IN_FLIGHT = envint("GEMINI_MAX_IN_FLIGHT", 10)
GEMINI_RPM = envint("GEMINI_RPM", 10)
GEMINI_POLL_INTERVAL = envfloat("GEMINI_POLL_INTERVAL", 10)
GEMINI_DEADLINE = envfloat("GEMINI_DEADLINE", 900)
GEMINI_MAX_ATTEMPTS = envint("GEMINI_MAX_ATTEMPTS", 5)
GEMINI_RETRY_BACKOFF = envfloat("GEMINI_RETRY_BACKOFF", 5)
VIDEO_PROVIDER = env("VIDEO_PROVIDER", "gemini" if GEMINI_API_KEY else "simulator")
SIMULATOR_LATENCY = envfloat("SIMULATOR_LATENCY", 6)
SIMULATOR_FAILURE_RATE = envfloat("SIMULATOR_FAILURE_RATE", 0)
VIDEO_URL_TTL = envint("VIDEO_URL_TTL", 86400)
# A generation not settled this many seconds after creation is failed and its credits returned.
GENERATION_DEADLINE = envint("GENERATION_DEADLINE", 1800)
# A JSON body may carry a 10 MB image as a base64 data: URL (about 13.4 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 15 * 1024 * 1024

# Rate limits: per key and per plan (plans are edited in the admin); requests that authenticate
# as nobody (bad keys, public pages) are counted per client IP at this rate.
RATE_LIMIT_ANONYMOUS_RPM = envint("RATE_LIMIT_ANONYMOUS_RPM", 600)

# Outbound fetches (webhooks, image URLs) refuse private, loopback and link-local addresses
# unless this is on; tests switch it on explicitly.
OUTBOUND_ALLOW_LOOPBACK = envbool("OUTBOUND_ALLOW_LOOPBACK", "false")

# Outbound webhooks: seconds to wait before each attempt (8 attempts over about a day), the
# per-attempt time cap, and how long a rotated signing secret keeps signing beside the new one.
WEBHOOK_RETRY_SCHEDULE = [
    float(_s) for _s in env("WEBHOOK_RETRY_SCHEDULE", "0,30,120,600,1800,7200,21600,50400").split(",")
]
WEBHOOK_TIMEOUT = envfloat("WEBHOOK_TIMEOUT", 10)
WEBHOOK_SECRET_OVERLAP = envint("WEBHOOK_SECRET_OVERLAP", 86400)
# Empty: deliveries share the default queue (each attempt is capped at WEBHOOK_TIMEOUT). At scale,
# name a queue and run a worker of its own for it (`celery -A veoportal worker -Q webhooks`).
WEBHOOK_QUEUE = env("WEBHOOK_QUEUE")

# Production hardening; `manage.py check --deploy` passes with DEBUG off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Our request log replaces Django's and gunicorn's, which would print full query strings.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # httpx logs every outbound URL at INFO; customers' webhook and image URLs may carry tokens.
        "httpx": {"level": "WARNING"},
    },
}
