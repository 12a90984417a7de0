"""The password hash's cost is a setting; production keeps the full one, and a change locks nobody out."""

import pytest
from argon2 import extract_parameters
from pydantic import ValidationError

from app.auth import passwords
from app.settings import Settings, get_settings

SECRET = "s" * 40


def test_production_refuses_the_cheapest_cost(monkeypatch):
    monkeypatch.delenv("FCIO_PASSWORD_HASH_PROFILE")  # the suite's own choice (tests/conftest.py)
    with pytest.raises(ValidationError, match="FCIO_PASSWORD_HASH_PROFILE"):
        Settings(env="production", secret_key=SECRET, password_hash_profile="cheapest")
    assert Settings(env="production", secret_key=SECRET).password_hash_profile == "rfc9106-low-memory"


def test_a_hash_made_at_one_cost_verifies_at_the_other(monkeypatch):
    made = {}
    for profile in passwords.PROFILES:
        monkeypatch.setattr(get_settings(), "password_hash_profile", profile)
        made[profile] = passwords.hash_password("correct horse battery")
    full = extract_parameters(made["rfc9106-low-memory"])
    assert (full.time_cost, full.memory_cost, full.parallelism) == (3, 65536, 4)
    for profile in passwords.PROFILES:
        monkeypatch.setattr(get_settings(), "password_hash_profile", profile)
        assert all(passwords.verify_password(h, "correct horse battery") for h in made.values())
        assert not any(passwords.verify_password(h, "wrong horse battery") for h in made.values())
        assert not passwords.verify_password(None, "not-a-real-password")  # the dummy never signs anyone in
