"""The environment helpers fail loudly on bad values instead of guessing."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_str


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("YES", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("ATRIUM_FLAG", raw)

    assert env_bool("ATRIUM_FLAG") is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("ATRIUM_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="ATRIUM_FLAG"):
        env_bool("ATRIUM_FLAG")


def test_env_int_refuses_a_non_number(monkeypatch):
    monkeypatch.setenv("ATRIUM_COUNT", "ten")

    with pytest.raises(ImproperlyConfigured, match="ATRIUM_COUNT"):
        env_int("ATRIUM_COUNT", 1)


def test_defaults_apply_when_a_variable_is_unset(monkeypatch):
    for name in ("ATRIUM_FLAG", "ATRIUM_COUNT", "ATRIUM_HOSTS", "ATRIUM_NAME"):
        monkeypatch.delenv(name, raising=False)

    assert env_bool("ATRIUM_FLAG", True) is True
    assert env_int("ATRIUM_COUNT", 7) == 7
    assert env_list("ATRIUM_HOSTS", ["a"]) == ["a"]
    assert env_str("ATRIUM_NAME", "x") == "x"


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("ATRIUM_HOSTS", " a.example.org, ,b.example.org ")

    assert env_list("ATRIUM_HOSTS") == ["a.example.org", "b.example.org"]
