"""Production: everything from the environment, and refuse to start when unsafe.

Required: SECRET_KEY (random, 50+ characters), ALLOWED_HOSTS (comma-separated, no '*'),
DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis or RabbitMQ). Optional:
CSRF_TRUSTED_ORIGINS, ATRIUM_BASE_URL (links in emails; https://<first of ALLOWED_HOSTS> by
default), AWS_STORAGE_BUCKET_NAME (+ AWS_* below) for files and artifacts in
S3-compatible object storage, SECURE_SSL_REDIRECT, SECURE_HSTS_SECONDS, DB_CONN_MAX_AGE.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_str
from portal.settings.base import *  # noqa: F401,F403
from portal.settings.base import (
    ALLOWED_HOSTS,
    ATRIUM_ENCRYPTION_KEYS,
    DATABASES,
    DEFAULT_SECRET_KEY,
    SECRET_KEY,
)

DEBUG = env_bool("DEBUG", False)


def refuse_unsafe_configuration() -> None:
    """Raise ImproperlyConfigured for DEBUG on, a default or weak SECRET_KEY, test hashing or open hosts."""
    if DEBUG:
        raise ImproperlyConfigured("Production settings refuse DEBUG=1; unset DEBUG or set DEBUG=0.")
    if (
        SECRET_KEY == DEFAULT_SECRET_KEY
        or len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
        or SECRET_KEY.startswith("django-insecure")
    ):
        raise ImproperlyConfigured(
            "Set SECRET_KEY to a random value of at least 50 characters, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(64))"`.'
        )
    if env_bool("ATRIUM_FAST_PASSWORDS", False):
        raise ImproperlyConfigured("ATRIUM_FAST_PASSWORDS is for tests only; unset it in production.")
    if "ALLOWED_HOSTS" not in os.environ or not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Set ALLOWED_HOSTS to the portal's host names, comma-separated.")
    if any(host.strip() in {"*", ".*", "."} for host in ALLOWED_HOSTS):
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the portal's hosts; '*' accepts any Host header.")
    if not ATRIUM_ENCRYPTION_KEYS:
        raise ImproperlyConfigured(
            "Set ATRIUM_ENCRYPTION_KEYS to one or more Fernet keys (newest first) to encrypt source "
            "credentials, e.g. "
            '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'
        )


refuse_unsafe_configuration()

ATRIUM_BASE_URL = env_str("ATRIUM_BASE_URL", f"https://{ALLOWED_HOSTS[0].strip().lstrip('.')}").rstrip("/")

# --- HTTPS behind a proxy that sets X-Forwarded-Proto -----------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers and Prometheus probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# --- Database: reuse connections, fail fast when PostgreSQL is unreachable ---
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5)
    )

# --- Static files (whitenoise, after collectstatic) and uploaded files -------
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    # Files and model artifacts in S3-compatible object storage (AWS S3, MinIO, Ceph …).
    # Credentials come from the usual AWS variables or the instance role, never from here.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
            "location": env_str("AWS_LOCATION", "media"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
