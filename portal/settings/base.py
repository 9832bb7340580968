"""Settings shared by every environment. Configuration comes from the environment only.

The embedded default (no variables set) runs on a SQLite file under var/ and a
filesystem broker, so `make run` needs nothing but Python.
"""

from pathlib import Path

import dj_database_url
import plotly
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("ATRIUM_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEFAULT_SECRET_KEY = "atrium-insecure-development-key-do-not-use-in-production"  # noqa: S105 - refused in production
SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The portal's public address, for links that leave it (emails): no request to take it from.
ATRIUM_BASE_URL = env_str("ATRIUM_BASE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")

INSTALLED_APPS = [
    "apps.core.admin_site.AtriumAdminConfig",  # Django's admin with the team-scoped site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "django_htmx",
    "django_celery_beat",
    "apps.core",
    "apps.teams",
    "apps.jobs",
    "apps.catalog",
    "apps.community",
    "apps.lineage",
    "apps.search",
    "apps.experiments",
    "apps.registry",
    "apps.mlflow_api",
    "apps.demo",
]

MIDDLEWARE = [
    "apps.core.middleware.PrometheusMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.mlflow_api.middleware.MlflowClientMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
                "apps.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "atrium.sqlite3"
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{SQLITE_PATH}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions let web, worker and beat write concurrently.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so a real worker process can open the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-atrium.sqlite3")}
# PostgreSQL prepares only the statements apps.core.db.prepared_cursor runs (the MLflow API's hot
# paths): Django's own cursors bind on the client and never prepare, and psycopg's automatic
# threshold is out of reach. Turn it off behind a pooler in transaction mode (PgBouncer < 1.21).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_PREPARED_STATEMENTS:
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
# A single logged metric point on PostgreSQL commits without waiting for its WAL flush unless this
# is on (apps.experiments.services.tracking._metrics_write_in_one_statement): a database crash
# may lose the last fraction of a second of points, as SQLite's WAL with synchronous=NORMAL may.
METRICS_SYNCHRONOUS_COMMIT = env_bool("METRICS_SYNCHRONOUS_COMMIT", False)
if env_bool("ATRIUM_FAST_PASSWORDS", False):
    # Tests only: hashing with PBKDF2 would dominate the suite's time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous sees nothing
GUARDIAN_USER_OBJ_PERMS_MODEL = "guardian.UserObjectPermission"
GUARDIAN_GROUP_OBJ_PERMS_MODEL = "guardian.GroupObjectPermission"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
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

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request cycle without it
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # plotly.js is served from the installed plotly package: no CDN, no copy.
    ("plotly", Path(plotly.__file__).parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.teams.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: errors are never HTML; /api/docs/ (Swagger UI) is the interactive browser.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.json_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Atrium API",
    "DESCRIPTION": "The portal where data teams take machine learning to production.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "apps.jobs.models.JobStatus",
        "TokenStatusEnum": "apps.teams.api.serializers.TOKEN_STATUSES",
        "RunStatusEnum": "apps.experiments.models.RunStatus",
        "LoggedModelStatusEnum": "apps.experiments.models.LoggedModelStatus",
        "IdeaStatusEnum": "apps.community.models.ideas.IdeaStatus",
        "ThreadKindEnum": "apps.community.models.discussions.ThreadKind",
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # tags operations by resource (teams, datasets …), not "v1"
}

# --- Cache ----------------------------------------------------------------
# Rate limits (e.g. posting in discussions) count in the default cache. The embedded default's
# local-memory cache counts per process; with several web processes set CACHE_URL to Redis.
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL:
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// or rediss:// URL, got {CACHE_URL!r}")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "atrium"}}

# --- Community --------------------------------------------------------------
# Posts (threads and replies) one person may write per window, "<count>/<second|minute|hour|day>",
# comma-separated; empty turns the limit off.
COMMUNITY_POST_RATE_LIMITS = env_str("COMMUNITY_POST_RATE_LIMITS", "10/minute,100/day")

# --- Celery ---------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost//")  # a host keeps kombu quiet
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # results live on the Job row
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 55 * 60)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# --- Jobs -----------------------------------------------------------------
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 60)
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 10)
JOB_SWEEP_SECONDS = env_int("JOB_SWEEP_SECONDS", 30)
JOB_QUEUED_GRACE_SECONDS = env_int("JOB_QUEUED_GRACE_SECONDS", 120)

# --- Secrets at rest -----------------------------------------------------
# Comma-separated Fernet keys, newest first (rotate by prepending a new key).
ATRIUM_ENCRYPTION_KEYS = env_list("ATRIUM_ENCRYPTION_KEYS", [])

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "atrium@localhost")

# --- Uploads --------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
# The largest file any multipart upload may carry; bytes past it are never stored (apps/core/uploads.py).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 512 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "apps.core.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Catalog sources: the largest file a person may upload, the server folders (and SQLite files)
# a folder source may read, and the object-storage prefixes of the default storage it may list.
CATALOG_UPLOAD_MAX_BYTES = env_int("CATALOG_UPLOAD_MAX_BYTES", UPLOAD_MAX_BYTES)
CATALOG_FOLDER_ROOTS = env_list("CATALOG_FOLDER_ROOTS", [str(VAR_DIR / "data")])
CATALOG_STORAGE_PREFIXES = env_list("CATALOG_STORAGE_PREFIXES", ["shared/"])

# --- Experiment artifacts (apps/experiments/services/artifacts.py) -------------------
# The largest single artifact (one upload: one PUT of the MLflow artifact proxy) and the most
# bytes the artifacts of one run or one logged model may hold together.
EXPERIMENTS_ARTIFACT_MAX_BYTES = env_int("EXPERIMENTS_ARTIFACT_MAX_BYTES", 1024 * 1024 * 1024)
EXPERIMENTS_ARTIFACT_ROOT_MAX_BYTES = env_int("EXPERIMENTS_ARTIFACT_ROOT_MAX_BYTES", 20 * 1024 * 1024 * 1024)

# --- Profiling and preview (apps/catalog/profiling) ---------------------------
PROFILING_MEMORY_LIMIT = env_str("PROFILING_MEMORY_LIMIT", "1GB")  # DuckDB's memory_limit per job
PROFILING_THREADS = env_int("PROFILING_THREADS", 0)  # 0: DuckDB's default (one per core)
PROFILING_EXACT_DISTINCT_MAX_ROWS = env_int("PROFILING_EXACT_DISTINCT_MAX_ROWS", 1_000_000)
PROFILING_SQL_TIMEOUT_SECONDS = env_int("PROFILING_SQL_TIMEOUT_SECONDS", 300)
PREVIEW_MAX_ROWS = env_int("PREVIEW_MAX_ROWS", 500)

# --- Training jobs (apps/experiments/training) ---------------------------------
TRAINING_MAX_ROWS = env_int("TRAINING_MAX_ROWS", 200_000)  # rows a training job reads at most
TRAINING_MAX_CANDIDATES = env_int("TRAINING_MAX_CANDIDATES", 50)  # grid/random search candidates
TRAINING_TIME_LIMIT_SECONDS = env_int("TRAINING_TIME_LIMIT_SECONDS", 3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SIMPLE_HISTORY_REVERT_DISABLED = False
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
