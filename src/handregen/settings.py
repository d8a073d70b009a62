"""Django settings for handregen, read from the environment with safe development defaults.

Production runs with HANDREGEN_ENV=production, which refuses to start without its secrets
(see `handregen.settings_env`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from whitenoise.compress import Compressor

from handregen.settings_env import env_bool, env_int, env_list, env_str, local_secret_key

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(env_str("HANDREGEN_VAR_DIR", str(PROJECT_DIR / "var")))

PRODUCTION = env_str("HANDREGEN_ENV", "development") == "production"
# DEBUG only when asked for (HANDREGEN_DEBUG=1): its 404 page lists every URL and its 500 page shows local values,
# patient data among them (issue 19, finding 5).
DEBUG = env_bool("HANDREGEN_DEBUG", default=False)
if PRODUCTION:
    SECRET_KEY = env_str("HANDREGEN_SECRET_KEY", required=True, min_length=50)
else:
    # The demo and development: a random key kept in var/ (like the demo password), unless one is given.
    SECRET_KEY = env_str("HANDREGEN_SECRET_KEY", "") or local_secret_key(VAR_DIR / "secret-key")
ALLOWED_HOSTS = env_list("HANDREGEN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # its own Swagger UI files, served by us (the CDN copy is blocked by our content security policy)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "handregen.accounts",
    "handregen.audit",
    "handregen.patients",
    "handregen.pathway",
    "handregen.evaluation",
    "handregen.consent",
    "handregen.preparation",
    "handregen.cellproducts",
    "handregen.procedures",
    "handregen.aftercare",
    "handregen.outcomes",
    "handregen.messaging",
    "handregen.safety",
    "handregen.signatures",
    "handregen.analytics",
    "handregen.interop",
    "handregen.operations",
    "handregen.jobs",
    "handregen.submissions",
    "handregen.scheduling",
    "handregen.web",
]

MIDDLEWARE = [
    # First, so that it compresses the final body; Django's GZip adds random bytes against BREACH-style guessing.
    "django.middleware.gzip.GZipMiddleware",
    "handregen.web.errors.CorrelationIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "handregen.web.static.StaticFilesMiddleware",
    "handregen.web.input_guard.ApiInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "handregen.web.security.SessionLifetimeMiddleware",
    "handregen.web.security.ContentSecurityPolicyMiddleware",
    "handregen.web.middleware.NoStoreForAuthenticatedMiddleware",
    "axes.middleware.AxesMiddleware",
    "handregen.submissions.middleware.SubmissionOnceMiddleware",  # last: it wraps the view in one transaction
]

ROOT_URLCONF = "handregen.urls"
WSGI_APPLICATION = "handregen.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "handregen.web.context.site_and_role",
            ],
            "builtins": ["handregen.submissions.templatetags.form_tokens"],
        },
    },
]

_default_sqlite = VAR_DIR / "handregen.sqlite3"
if "DATABASE_URL" not in __import__("os").environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{_default_sqlite}"), conn_max_age=env_int("HANDREGEN_DB_CONN_MAX_AGE", 0)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at BEGIN so
        # two writers queue instead of failing half-way (and keeps the audit hash chain serial).
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# axes first (its throttling, hashing even when it refuses: accounts/backends.py), then the password check
AUTHENTICATION_BACKENDS = [
    "handregen.accounts.backends.ThrottledSignInBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (requirement A2): 5 failures for one username from one address lock that pair for 15
# minutes; the locked-out answer is the same page as a wrong password, whether or not the user exists.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "handregen.web.lockout.locked_out"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "handregen"
# The audit chains' HMAC key, held outside the database (audit/keys.py, docs/security.md): "KEYID:SECRET", else the
# key file (created on first use outside production); the chain heads are appended to the anchor file after
# every commit that wrote audit or access events (audit/anchor.py). Ship the anchor file off the machine.
HANDREGEN_AUDIT_KEY = env_str("HANDREGEN_AUDIT_KEY", "")
HANDREGEN_AUDIT_OLD_KEYS = env_str("HANDREGEN_AUDIT_OLD_KEYS", "")
HANDREGEN_AUDIT_KEY_FILE = Path(env_str("HANDREGEN_AUDIT_KEY_FILE", str(VAR_DIR / "audit-keys")))
HANDREGEN_AUDIT_ANCHOR_FILE = env_str("HANDREGEN_AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit-anchor.log"))
# The longest an API token lives (A8); `handregen token create --days` may ask for less, never for "never".
HANDREGEN_TOKEN_MAX_DAYS = env_int("HANDREGEN_TOKEN_MAX_DAYS", 90)

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 15}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

LANGUAGE_CODE = "en-gb"
# Staff pages are English; a patient's pages speak the patient's preferred language (outcomes/locale).
LANGUAGES = [("en-gb", "English"), ("en", "English"), ("es", "Spanish")]
TIME_ZONE = env_str("HANDREGEN_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("HANDREGEN_STATIC_ROOT", str(PROJECT_DIR / "staticfiles")))
# Static files are served by WhiteNoise (no separate web server). Collected (`handregen serve` and production
# collect them), they get hashed names, gzip and brotli copies and a year's cache lifetime; not collected (tests,
# a fresh checkout), they are served from the apps' folders under their plain names.
STATIC_HASHED = env_bool("HANDREGEN_STATIC_HASHED", default=PRODUCTION)
# "files" holds what the app writes for people to download (FHIR bulk export files): every app server must see
# the same store, so several servers point HANDREGEN_FILES_DIR at one shared folder or set another backend
# (HANDREGEN_FILES_BACKEND, e.g. django-storages' S3 storage with its own settings); see docs/deployment.md.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_HASHED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    "files": {
        "BACKEND": env_str("HANDREGEN_FILES_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": {"location": env_str("HANDREGEN_FILES_DIR", str(VAR_DIR / "files"))},
    },
}
WHITENOISE_USE_FINDERS = not STATIC_HASHED
# Source maps are for developers' tools: not worth compressing (brotli on ninja's 5 MB of maps took half a minute).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
WHITENOISE_KEEP_ONLY_HASHED_FILES = STATIC_HASHED  # pages name the hashed copies only; half the work

# Background jobs (decision 0008): django-tasks with its database backend, run by `handregen worker`. A job is
# enqueued in the transaction of the request that asks for it, so it exists exactly when that request committed.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A worker writes a heartbeat every few seconds; a running job whose worker has been silent for this long is
# taken as interrupted (crash, SIGKILL, power cut) and queued again, at most HANDREGEN_JOB_MAX_ATTEMPTS times in
# all, then marked failed with a reason.
HANDREGEN_WORKER_BEAT_SECONDS = env_int("HANDREGEN_WORKER_BEAT_SECONDS", 5)
HANDREGEN_WORKER_LOST_AFTER_SECONDS = env_int("HANDREGEN_WORKER_LOST_AFTER_SECONDS", 60)
HANDREGEN_JOB_MAX_ATTEMPTS = env_int("HANDREGEN_JOB_MAX_ATTEMPTS", 3)
# Scheduled work, declared in code (handregen.jobs.schedule): how often each periodic job runs, in seconds.
HANDREGEN_REMIND_EVERY_SECONDS = env_int("HANDREGEN_REMIND_EVERY_SECONDS", 3600)
HANDREGEN_APPOINTMENT_REMIND_EVERY_SECONDS = env_int("HANDREGEN_APPOINTMENT_REMIND_EVERY_SECONDS", 3600)
HANDREGEN_EXPORT_CLEANUP_EVERY_SECONDS = env_int("HANDREGEN_EXPORT_CLEANUP_EVERY_SECONDS", 900)
# FHIR bulk export: files are deleted this many hours after the export finished; a user may have this many
# exports running at once and start this many in an hour (more is a 429).
HANDREGEN_BULK_RETENTION_HOURS = env_int("HANDREGEN_BULK_RETENTION_HOURS", 24)
HANDREGEN_BULK_MAX_RUNNING_PER_USER = env_int("HANDREGEN_BULK_MAX_RUNNING_PER_USER", 1)
HANDREGEN_BULK_MAX_PER_HOUR = env_int("HANDREGEN_BULK_MAX_PER_HOUR", 6)

# Staff sessions end after 15 idle minutes (the session age, renewed by activity at most once a minute; see
# web.security.SessionLifetimeMiddleware) and 12 hours in all.
SESSION_COOKIE_AGE = env_int("HANDREGEN_SESSION_IDLE_SECONDS", 15 * 60)
HANDREGEN_SESSION_ABSOLUTE_SECONDS = env_int("HANDREGEN_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# E-mail (questionnaire invitations and reminders, alerts): the console by default; `make run` writes each
# message to a file under var/mail/; production sets the SMTP backend and server below (docs in README).
EMAIL_BACKEND = env_str("HANDREGEN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env_str("HANDREGEN_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
# SMTP relay for the SMTP backend (docs/deployment.md); the password comes from the environment only.
EMAIL_HOST = env_str("HANDREGEN_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("HANDREGEN_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("HANDREGEN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("HANDREGEN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("HANDREGEN_EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("HANDREGEN_EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("HANDREGEN_EMAIL_TIMEOUT", 20)

# Clinic-level parameters that are not protocol data.
HANDREGEN_DEFAULT_PROTOCOL = env_str("HANDREGEN_DEFAULT_PROTOCOL", "hand-oa-autologous")
# A folder of clinic-edited consent documents (<version>.md); empty = the shipped ones only.
HANDREGEN_CONSENT_DOCUMENTS_DIR = env_str("HANDREGEN_CONSENT_DOCUMENTS_DIR", "")
# Patient questionnaire links and reminders (outcomes): days a link stays valid, days after the invitation
# before one reminder, the address patients' links start with, and a folder of licensed item wording files.
HANDREGEN_LINK_DAYS = env_int("HANDREGEN_LINK_DAYS", 14)
HANDREGEN_REMINDER_AFTER_DAYS = env_int("HANDREGEN_REMINDER_AFTER_DAYS", 7)
# `handregen serve` sets it from the address it binds when not given (see pathway/management/commands/serve.py).
HANDREGEN_BASE_URL = env_str("HANDREGEN_BASE_URL", "http://127.0.0.1:8000")
HANDREGEN_WORDING_DIR = env_str("HANDREGEN_WORDING_DIR", "")
# Channels messages to patients can go through (handregen.messaging); add an SMS gateway class here.
HANDREGEN_MESSAGE_CHANNELS = {"email": "handregen.messaging.channels.EmailChannel"}
# The number a patient is told to call when a link is wrong and its clinic unknown (else the only site's).
HANDREGEN_PATIENT_PHONE = env_str("HANDREGEN_PATIENT_PHONE", "")
DEFAULT_FROM_EMAIL = env_str("HANDREGEN_FROM_EMAIL", "handregen@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("HANDREGEN_LOG_LEVEL", "INFO")},
    # Request logs carry URLs and bodies; keep them at WARNING so no PHI reaches the log by default.
    # django.request would log the failing URL and a traceback with local values; our middleware logs the
    # exception type, the route pattern and a correlation id instead.
    # django.server (the development server's request lines) would log every 4xx/5xx with its query string, which
    # can carry a patient's name: silenced, as the CorrelationIdMiddleware logs the route name and status instead.
    "loggers": {"django.request": {"level": "CRITICAL"}, "django.server": {"level": "CRITICAL"}},
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
