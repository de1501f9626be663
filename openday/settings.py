"""Settings for OpenDay, driven by environment variables (see README)."""

import json
import os
import secrets
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OPENDAY_VAR_DIR", BASE_DIR / "var"))


def envbool(name, default="0"):
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name, default):
    return int(os.environ.get(name, default))


SECRET_NAMES = {"SECRET_KEY": 50, "FIELD_KEY": 32, "HASH_KEY": 32}


def _local_secrets():
    """Keys generated on first run into an ignored file, so nothing secret is committed.

    The first process to link its file into place wins; one started at the same moment
    (the worker beside the server) reads the winner's keys instead of writing its own.
    """
    if all(os.environ.get(f"OPENDAY_{name}") for name in SECRET_NAMES):
        return {}
    path = VAR_DIR / "secrets.json"
    for _ in range(2):
        try:
            data = json.loads(path.read_text())
            if all(name in data for name in SECRET_NAMES):
                return data
            raise SystemExit(f"{path} 缺少密钥，请从备份恢复（它保存着手机号的加密密钥）。")
        except FileNotFoundError:
            pass
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fresh = {name: secrets.token_urlsafe(size) for name, size in SECRET_NAMES.items()}
        tmp = path.with_name(f".secrets.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(fresh, indent=2))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return json.loads(path.read_text())


_secrets = _local_secrets()
SECRET_KEY = os.environ.get("OPENDAY_SECRET_KEY") or _secrets.get("SECRET_KEY")
# Key for encrypting personal data at rest (phone numbers) and for the keyed look-up hash.
FIELD_KEY = os.environ.get("OPENDAY_FIELD_KEY") or _secrets.get("FIELD_KEY")
HASH_KEY = os.environ.get("OPENDAY_HASH_KEY") or _secrets.get("HASH_KEY")

DEBUG = envbool("OPENDAY_DEBUG")
# Under pytest even when started by hand, so static files and hashers match the test setup.
TESTING = envbool("OPENDAY_TESTING") or "pytest" in sys.modules
HTTPS = envbool("OPENDAY_HTTPS")

_listen = os.environ.get("HOST", "")
# Listening on every interface without a list of names means "reachable by any address".
_default_hosts = "*" if _listen in ("0.0.0.0", "::") else "127.0.0.1,localhost,[::1]"  # noqa: S104
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("OPENDAY_ALLOWED_HOSTS", _default_hosts).split(",")
    if h.strip()
]
if _listen and _listen not in ("0.0.0.0", "::"):  # noqa: S104
    ALLOWED_HOSTS.append(_listen)
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("OPENDAY_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "openday.accounts",
    "openday.audit",
    "openday.orgs",
    "openday.workdays",
    "openday.messaging",
    "openday.ops",
    "openday.campaigns",
    "openday.events",
    "openday.surveys",
    "openday.opinions",
    "openday.triage",
    "openday.publicity",
    "openday.summaries",
    "openday.evaluation",
    "openday.control",
    "openday.portal",
    "openday.api",
    "openday.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # CSP with a nonce, Permissions-Policy, no-store (openday/lib/security_headers.py); before
    # CommonMiddleware, so the 400 answer to a bad Host gets them too.
    "openday.lib.security_headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "openday.orgs.access.AccessMiddleware",
    "openday.audit.context.AuditContextMiddleware",
    "openday.lib.request_limits.RequestSizeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The benchmarks' server (bench/_harness.py) sets bench.bench_urls: these URLs plus its own views.
ROOT_URLCONF = os.environ.get("OPENDAY_ROOT_URLCONF", "openday.urls")
WSGI_APPLICATION = "openday.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "openday" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "openday.portal.context.care_mode",
                "openday.lib.security_headers.csp_nonce",
            ],
        },
    },
]

# Database: SQLite with no setup; DATABASE_URL (postgres://…) switches to PostgreSQL.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    # One test database per test process, so two runs on one server never drop each other's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_openday_{os.getpid()}"}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool(
        "OPENDAY_DB_POOL", "1"
    ):
        # Django's own pool (psycopg 3); CONN_MAX_AGE must stay 0 with it.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": envint("OPENDAY_DB_POOL_SIZE", 8),
            "timeout": 10,
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("OPENDAY_SQLITE_PATH", str(VAR_DIR / "openday.sqlite3")),
            "OPTIONS": {
                # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at
                # BEGIN so two writers queue on the busy timeout instead of failing mid-way.
                "transaction_mode": "IMMEDIATE",
                "timeout": envint("OPENDAY_SQLITE_TIMEOUT", 20),
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not shared-cache memory, so concurrency tests see real SQLite locking.
            "TEST": {"NAME": str(VAR_DIR / f"test-openday-{os.getpid()}.sqlite3")},
            # Each server thread keeps its connection: opening one (and its PRAGMAs) cost more
            # than a cached public page's two queries (bench/read_path.py).
            "CONN_MAX_AGE": envint("OPENDAY_SQLITE_CONN_MAX_AGE", 600),
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests that check the hasher ask for it by name.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "email")},
    },
    {
        "NAME": "openday.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "openday.accounts.passwords.CharacterClassValidator"},
    {"NAME": "openday.accounts.passwords.HistoryValidator"},
]

LOGIN_URL = "control:login"
LOGIN_REDIRECT_URL = "control:dashboard"

# Sign-in lock-out: this many failures in the window locks the account for LOCK_MINUTES.
LOGIN_FAILURE_LIMIT = envint("OPENDAY_LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_MINUTES = envint("OPENDAY_LOGIN_FAILURE_WINDOW_MINUTES", 15)
LOGIN_LOCK_MINUTES = envint("OPENDAY_LOGIN_LOCK_MINUTES", 15)
# The three limits above are per (username, client address): a stranger's failures elsewhere
# never lock a person out. Over all addresses, this many failures within the window pause
# sign-in with a password alone for ACCOUNT_LOCK_MINUTES; a password plus a second factor
# still passes. Failures per address over all names: rule "signin.address" of
# OPENDAY_RATE_LIMITS (default 20 per 10 minutes, then HTTP 429).
LOGIN_ACCOUNT_FAILURE_LIMIT = envint("OPENDAY_LOGIN_ACCOUNT_FAILURE_LIMIT", 50)
LOGIN_ACCOUNT_WINDOW_MINUTES = envint("OPENDAY_LOGIN_ACCOUNT_WINDOW_MINUTES", 60)
LOGIN_ACCOUNT_LOCK_MINUTES = envint("OPENDAY_LOGIN_ACCOUNT_LOCK_MINUTES", 60)

# Second factor (TOTP): "roles" requires it of operators and office admins, "all" of every
# staff member (accounts of `openday demo` are exempt). The issuer names the entry in the app.
OPENDAY_2FA_REQUIRED = os.environ.get("OPENDAY_2FA_REQUIRED", "roles").strip().lower()
if OPENDAY_2FA_REQUIRED not in ("roles", "all"):
    raise SystemExit("OPENDAY_2FA_REQUIRED 应为 roles 或 all。")
OPENDAY_2FA_ISSUER = os.environ.get("OPENDAY_2FA_ISSUER", "开放日")
# Passwords expire after this many days (0: never); the last HISTORY passwords cannot be reused.
OPENDAY_PASSWORD_MAX_AGE_DAYS = envint("OPENDAY_PASSWORD_MAX_AGE_DAYS", 0)
OPENDAY_PASSWORD_HISTORY = envint("OPENDAY_PASSWORD_HISTORY", 5)

# Sessions end after this much idle time (every request renews them) and at browser close.
SESSION_COOKIE_AGE = envint("OPENDAY_SESSION_IDLE_MINUTES", 60) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "openday_session"
CSRF_COOKIE_NAME = "openday_csrftoken"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
# Behind nginx set this and `proxy_set_header X-Forwarded-For $remote_addr;` so the audit
# log records the client's address (the last hop, the one nginx saw).
TRUST_X_FORWARDED_FOR = envbool("OPENDAY_TRUST_X_FORWARDED_FOR")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (openday/lib/security_headers.py): scripts and styles from this site
# and inline blocks with the request's nonce only. 1: report violations, block nothing
# (Content-Security-Policy-Report-Only), e.g. while checking a new page; REPORT_URI: where to.
OPENDAY_CSP_REPORT_ONLY = envbool("OPENDAY_CSP_REPORT_ONLY")
OPENDAY_CSP_REPORT_URI = os.environ.get("OPENDAY_CSP_REPORT_URI", "").strip()
# A form sent with a missing or stale CSRF token: a page in Chinese that shows what was typed.
CSRF_FAILURE_VIEW = "openday.portal.views.csrf_failure"

# Public pages are cached under versions bumped after each commit (openday/lib/pagecache.py).
# Only the test suite sets this: its tests run in one transaction that never commits, so the
# versions are bumped inside it.
OPENDAY_PAGECACHE_BUMP_AT_ONCE = False

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Past one machine: shared cache, and sessions that survive an app node going away.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Personal data of an event's registrants and invitees is anonymized this many days after it.
RETENTION_DAYS = envint("OPENDAY_RETENTION_DAYS", 365)

# Where email and SMS go (openday/messaging/senders.py): "log" (the default) writes them to the
# log with the recipient masked; "aliyun" or "tencent" for SMS, "smtp" for email, or a class path.
OPENDAY_SMS_SENDER = os.environ.get("OPENDAY_SMS_SENDER", "")
OPENDAY_EMAIL_SENDER = os.environ.get("OPENDAY_EMAIL_SENDER", "")
# Before 2026-12: one class for both channels, send(channel, to, subject, body); still honoured.
OPENDAY_SENDER = os.environ.get("OPENDAY_SENDER", "")
# Outbox delivery: tries per message, the backoff's first and longest wait, the claim's lease.
OPENDAY_DELIVERY_MAX_ATTEMPTS = envint("OPENDAY_DELIVERY_MAX_ATTEMPTS", 8)
OPENDAY_DELIVERY_BACKOFF_SECONDS = envint("OPENDAY_DELIVERY_BACKOFF_SECONDS", 30)
OPENDAY_DELIVERY_BACKOFF_MAX_SECONDS = envint("OPENDAY_DELIVERY_BACKOFF_MAX_SECONDS", 3600)
OPENDAY_DELIVERY_LEASE_SECONDS = envint("OPENDAY_DELIVERY_LEASE_SECONDS", 120)
# How often the worker's outbox loop looks for due messages when it found none last time.
OPENDAY_DELIVERY_POLL_SECONDS = float(os.environ.get("OPENDAY_DELIVERY_POLL_SECONDS", "1"))
# Messages one worker sends at once (each is one HTTP request to the gateway).
OPENDAY_DELIVERY_CONCURRENCY = envint("OPENDAY_DELIVERY_CONCURRENCY", 8)

# --- SMS and email gateways (openday/messaging/gateways.py) ---
# Alibaba Cloud SMS: an AccessKey of a RAM user allowed dysmsapi:SendSms.
OPENDAY_ALIYUN_ACCESS_KEY_ID = os.environ.get("OPENDAY_ALIYUN_ACCESS_KEY_ID", "")
OPENDAY_ALIYUN_ACCESS_KEY_SECRET = os.environ.get("OPENDAY_ALIYUN_ACCESS_KEY_SECRET", "")
OPENDAY_ALIYUN_SMS_REGION = os.environ.get("OPENDAY_ALIYUN_SMS_REGION", "cn-hangzhou")
OPENDAY_ALIYUN_SMS_ENDPOINT = os.environ.get(
    "OPENDAY_ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"
)
# Tencent Cloud SMS: a SecretId/SecretKey pair and the SMS application's SdkAppId (1400…).
OPENDAY_TENCENT_SECRET_ID = os.environ.get("OPENDAY_TENCENT_SECRET_ID", "")
OPENDAY_TENCENT_SECRET_KEY = os.environ.get("OPENDAY_TENCENT_SECRET_KEY", "")
OPENDAY_TENCENT_SMS_SDK_APP_ID = os.environ.get("OPENDAY_TENCENT_SMS_SDK_APP_ID", "")
OPENDAY_TENCENT_SMS_REGION = os.environ.get("OPENDAY_TENCENT_SMS_REGION", "ap-guangzhou")
OPENDAY_TENCENT_SMS_ENDPOINT = os.environ.get(
    "OPENDAY_TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com/"
)
# The approved sign (签名) and, per message kind, the approved template and its variables:
# {"default": {"code": "SMS_123", "params": ["content"]}, "<kind>": {...}}.
OPENDAY_SMS_SIGN_NAME = os.environ.get("OPENDAY_SMS_SIGN_NAME", "")
try:
    OPENDAY_SMS_TEMPLATES = json.loads(os.environ.get("OPENDAY_SMS_TEMPLATES", "") or "{}")
except ValueError:
    OPENDAY_SMS_TEMPLATES = None
if not isinstance(OPENDAY_SMS_TEMPLATES, dict):
    raise SystemExit('OPENDAY_SMS_TEMPLATES 应是一个 JSON 对象，如 {"default": {"code": …}}。')
# The longest text the "content" variable takes (0: the gateway's documented limit).
OPENDAY_SMS_CONTENT_MAX_CHARS = envint("OPENDAY_SMS_CONTENT_MAX_CHARS", 0)
OPENDAY_SMS_TIMEOUT_SECONDS = envint("OPENDAY_SMS_TIMEOUT_SECONDS", 10)
# The secret part of the delivery-receipt URLs (/hooks/sms/<gateway>/<token>/); empty: hooks off.
OPENDAY_SMS_RECEIPT_TOKEN = os.environ.get("OPENDAY_SMS_RECEIPT_TOKEN", "")
# Email through SMTP (OPENDAY_EMAIL_SENDER=smtp): Django's own setting names.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")

# Rate limits in the shared store (openday/ops/ratelimit.py): {"rule": "limit/seconds"} over the
# defaults, e.g. {"opinion.address": "300/60"}; OPENDAY_RATE_LIMITS_ENABLED=0 turns them all off.
try:
    OPENDAY_RATE_LIMITS = json.loads(os.environ.get("OPENDAY_RATE_LIMITS", "") or "{}")
except ValueError:
    OPENDAY_RATE_LIMITS = None
if not isinstance(OPENDAY_RATE_LIMITS, dict):
    raise SystemExit('OPENDAY_RATE_LIMITS 应是一个 JSON 对象，如 {"opinion.address": "300/60"}。')
OPENDAY_RATE_LIMITS_ENABLED = envbool("OPENDAY_RATE_LIMITS_ENABLED", "1")

# Figures too heavy to count on each request (a province's evaluation and opinion figures) are
# kept as roll-ups (openday.ops.rollups): a count that took at least HEAVY_MS is stored; the
# worker recounts a stored one within REFRESH_SECONDS of a change or of its last count, and a
# reader counts it again itself when it is older than STALE_SECONDS (no worker running).
OPENDAY_ROLLUP_HEAVY_MS = envint("OPENDAY_ROLLUP_HEAVY_MS", 250)
OPENDAY_ROLLUP_REFRESH_SECONDS = envint("OPENDAY_ROLLUP_REFRESH_SECONDS", 300)
OPENDAY_ROLLUP_STALE_SECONDS = envint("OPENDAY_ROLLUP_STALE_SECONDS", 1800)
# How often the worker's roll-up loop looks for due ones (seconds).
OPENDAY_ROLLUP_POLL_SECONDS = float(os.environ.get("OPENDAY_ROLLUP_POLL_SECONDS", "5"))

# The worker queues housekeeping this often (one worker per period; 0 turns the clock off).
OPENDAY_HOUSEKEEPING_MINUTES = envint("OPENDAY_HOUSEKEEPING_MINUTES", 60)
# A worker writes its heartbeat this often (seconds).
OPENDAY_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("OPENDAY_WORKER_HEARTBEAT_SECONDS", "5"))
# A worker whose heartbeat is this old is gone: the task it was running is queued again.
OPENDAY_WORKER_LOST_SECONDS = envint("OPENDAY_WORKER_LOST_SECONDS", 60)
# The same for a task run by a worker that writes no heartbeat (an old-style db_worker).
OPENDAY_TASK_TIMEOUT_MINUTES = envint("OPENDAY_TASK_TIMEOUT_MINUTES", 30)

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "OPENDAY_TASK_BACKEND", "django_tasks_db.backend.DatabaseBackend"
        ),
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "openday" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_MAX_BYTES = 5 * 1024 * 1024
# Request bodies over these caps are answered 413 before they are read (openday/lib/request_limits.py):
# DATA_UPLOAD_MAX_MEMORY_SIZE for forms and JSON, OPENDAY_UPLOAD_MAX_BYTES for multipart uploads.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("OPENDAY_DATA_MAX_BYTES", DATA_UPLOAD_MAX_MEMORY_SIZE)
OPENDAY_UPLOAD_MAX_BYTES = envint("OPENDAY_UPLOAD_MAX_BYTES", 100 * 1024 * 1024)
# What an xlsx import may hold (openday/lib/spreadsheet.py), checked before and while parsing.
OPENDAY_IMPORT_MAX_UNCOMPRESSED_BYTES = envint(
    "OPENDAY_IMPORT_MAX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024
)
OPENDAY_IMPORT_MAX_ROWS = envint("OPENDAY_IMPORT_MAX_ROWS", 20000)
OPENDAY_IMPORT_MAX_COLUMNS = envint("OPENDAY_IMPORT_MAX_COLUMNS", 100)
# Bad rows listed on an import's error page; the total is always given.
OPENDAY_IMPORT_ERRORS_SHOWN = envint("OPENDAY_IMPORT_ERRORS_SHOWN", 200)
# Pictures (article images, event photos), read from the header before anything decodes them.
OPENDAY_IMAGE_MAX_PIXELS = envint("OPENDAY_IMAGE_MAX_PIXELS", 40_000_000)
OPENDAY_IMAGE_MAX_SIDE = envint("OPENDAY_IMAGE_MAX_SIDE", 10000)
# The working-day calendar is shared by the whole deployment: operators keep it, and so do the
# office admins of the offices whose region codes (区划代码) are listed here, comma-separated.
OPENDAY_CALENDAR_AUTHORITY = [
    c.strip() for c in os.environ.get("OPENDAY_CALENDAR_AUTHORITY", "").split(",") if c.strip()
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Mobile and ID-card numbers are masked in every line (openday/lib/log_masking.py; the ops
    # app also wraps the record factory, which covers handlers configured elsewhere).
    "filters": {"mask_personal_numbers": {"()": "openday.lib.log_masking.MaskingFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_personal_numbers"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("OPENDAY_LOG_LEVEL", "INFO").upper()},
    # 4xx answers (409 full, 422 invalid …) are normal replies, not events worth a log line.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}
