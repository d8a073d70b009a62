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
# FHIR $export runs in a thread of the server process; False: only `handregen export-jobs` runs it (decision 0007).
FHIR_BULK_IN_PROCESS = env_bool("HANDREGEN_FHIR_BULK_IN_PROCESS", default=True)

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
    "handregen.safety",
    "handregen.signatures",
    "handregen.analytics",
    "handregen.interop",
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

AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Login throttling (requirement A2): 5 failures for one username from one address lock that pair for 15
# minutes; the locked-out answer is the same page as a wrong password, whether or not the user exists.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "handregen.web.lockout.locked_out"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "handregen"

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
TIME_ZONE = env_str("HANDREGEN_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("HANDREGEN_STATIC_ROOT", str(PROJECT_DIR / "staticfiles")))
# Static files are served by WhiteNoise (no separate web server). Collected (`handregen serve` and production
# collect them), they get hashed names, gzip and brotli copies and a year's cache lifetime; not collected (tests,
# a fresh checkout), they are served from the apps' folders under their plain names.
STATIC_HASHED = env_bool("HANDREGEN_STATIC_HASHED", default=PRODUCTION)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_HASHED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_HASHED
# Source maps are for developers' tools: not worth compressing (brotli on ninja's 5 MB of maps took half a minute).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
WHITENOISE_KEEP_ONLY_HASHED_FILES = STATIC_HASHED  # pages name the hashed copies only; half the work

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

EMAIL_BACKEND = env_str("HANDREGEN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# Clinic-level parameters that are not protocol data.
HANDREGEN_DEFAULT_PROTOCOL = env_str("HANDREGEN_DEFAULT_PROTOCOL", "hand-oa-autologous")
# A folder of clinic-edited consent documents (<version>.md); empty = the shipped ones only.
HANDREGEN_CONSENT_DOCUMENTS_DIR = env_str("HANDREGEN_CONSENT_DOCUMENTS_DIR", "")
# Patient questionnaire links and reminders (outcomes): days a link stays valid, days after the invitation
# before one reminder, the address patients' links start with, and a folder of licensed item wording files.
HANDREGEN_LINK_DAYS = env_int("HANDREGEN_LINK_DAYS", 14)
HANDREGEN_REMINDER_AFTER_DAYS = env_int("HANDREGEN_REMINDER_AFTER_DAYS", 7)
HANDREGEN_BASE_URL = env_str("HANDREGEN_BASE_URL", "http://127.0.0.1:8000")
HANDREGEN_WORDING_DIR = env_str("HANDREGEN_WORDING_DIR", "")
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
