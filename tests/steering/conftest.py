"""The area tests run GraphQL operations through the shared harness."""

from tests.apitools import api, scene  # noqa: F401
