"""Production settings refuse unsafe configuration and pass `check --deploy` with good values.

Each case runs in a subprocess: settings are read once per process.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
GOOD_KEY = secrets.token_urlsafe(64)
UNSET = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "AWS_STORAGE_BUCKET_NAME",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the test conftest sets it for Playwright; deployment never does
    "ATRIUM_FAST_PASSWORDS",
    "ATRIUM_ENCRYPTION_KEYS",
    "ATRIUM_BASE_URL",
)


def run(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in UNSET}
    environment.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production", ATRIUM_VAR_DIR=str(tmp_path), **env
    )
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


def check(tmp_path, **env: str) -> subprocess.CompletedProcess:
    return run(tmp_path, "manage.py", "check", "--deploy", "--fail-level", "WARNING", **env)


GOOD = {
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "atrium.example.org",
    "ATRIUM_ENCRYPTION_KEYS": "kGSzLz1PqJ7Ou7Sb8QGXzMPoRCJiZP8CnnY4tYFcb6w=",
}


def test_check_deploy_is_clean_with_good_values(tmp_path):
    result = check(tmp_path, **GOOD, CSRF_TRUSTED_ORIGINS="https://atrium.example.org")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("debug", ["1", "true"])
def test_it_refuses_debug(tmp_path, debug):
    result = check(tmp_path, **GOOD, DEBUG=debug)

    assert result.returncode != 0
    assert "refuse DEBUG" in result.stderr


@pytest.mark.parametrize(
    "secret_key",
    [
        None,
        "atrium-insecure-development-key-do-not-use-in-production",
        "short-key",
        "a" * 60,
        "django-insecure-" + GOOD_KEY,
    ],
    ids=["missing", "default", "short", "repetitive", "django-insecure"],
)
def test_it_refuses_a_default_or_weak_secret_key(tmp_path, secret_key):
    env = {"ALLOWED_HOSTS": "atrium.example.org"}
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key

    result = check(tmp_path, **env)

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "hosts", [None, "", "*", "atrium.example.org,*"], ids=["missing", "empty", "star", "star-among-others"]
)
def test_it_refuses_missing_or_open_allowed_hosts(tmp_path, hosts):
    env = {"SECRET_KEY": GOOD_KEY}
    if hosts is not None:
        env["ALLOWED_HOSTS"] = hosts

    result = check(tmp_path, **env)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_it_refuses_to_start_without_encryption_keys_for_credentials(tmp_path):
    good = {key: value for key, value in GOOD.items() if key != "ATRIUM_ENCRYPTION_KEYS"}
    result = check(tmp_path, **good)

    assert result.returncode != 0
    assert "ATRIUM_ENCRYPTION_KEYS" in result.stderr


def test_it_refuses_the_tests_fast_password_hashing(tmp_path):
    result = check(tmp_path, **GOOD, ATRIUM_FAST_PASSWORDS="1")

    assert result.returncode != 0
    assert "ATRIUM_FAST_PASSWORDS" in result.stderr


def test_pages_redirect_to_https_but_health_and_metrics_probes_do_not(tmp_path):
    script = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(SERVER_NAME='atrium.example.org')\n"
        "print(json.dumps({path: client.get(path).status_code for path in ['/', '/healthz', '/metrics']}))\n"
    )
    result = run(tmp_path, "-c", script, **GOOD, DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}")

    assert result.returncode == 0, result.stderr
    statuses = json.loads(result.stdout.strip().splitlines()[-1])
    assert statuses["/"] == 301
    assert statuses["/healthz"] != 301
    assert statuses["/metrics"] != 301


def test_files_go_to_object_storage_when_a_bucket_is_configured(tmp_path):
    script = (
        "import django; django.setup()\n"
        "from django.core.files.storage import default_storage\n"
        "default_storage._setup()\n"
        "print(type(default_storage._wrapped).__module__, default_storage._wrapped.bucket_name)\n"
    )
    result = run(tmp_path, "-c", script, **GOOD, AWS_STORAGE_BUCKET_NAME="atrium-artifacts")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["storages.backends.s3", "atrium-artifacts"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "https://atrium.example.org"),
        ({"ATRIUM_BASE_URL": "https://data.example.org/"}, "https://data.example.org"),
    ],
    ids=["from-allowed-hosts", "explicit"],
)
def test_links_in_emails_use_the_portals_public_address(tmp_path, env, expected):
    script = (
        "import django; django.setup()\nfrom django.conf import settings\nprint(settings.ATRIUM_BASE_URL)\n"
    )
    result = run(tmp_path, "-c", script, **GOOD, **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
