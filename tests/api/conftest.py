"""The API tests use the suite's fixtures (tests/conftest.py): `api`, `asgi_app`, `services`, `count_statements`."""

from tests.apitools import PASSWORD  # noqa: F401 -- imported from here by tests written against the old harness
