"""Production: everything from the environment, and refuse to start when unsafe."""

from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_str
from portal.settings.base import *  # noqa: F401,F403
from portal.settings.base import ALLOWED_HOSTS, DEFAULT_SECRET_KEY, SECRET_KEY

DEBUG = env_bool("DEBUG", False)


def _refuse_unsafe_configuration() -> None:
    if DEBUG:
        raise ImproperlyConfigured("Production settings refuse DEBUG=1.")
    if not SECRET_KEY or SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("Set SECRET_KEY to a random value of at least 50 characters.")
    if not ALLOWED_HOSTS or any(host in {"*", ".*"} for host in ALLOWED_HOSTS):
        raise ImproperlyConfigured("Set ALLOWED_HOSTS to the portal's host names (no '*').")


_refuse_unsafe_configuration()

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": env_str("DEFAULT_FILE_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
