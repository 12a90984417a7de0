"""tests/citus: fcio on a Citus cluster (a coordinator and two workers the run starts on loopback).

These run only in a run on Citus (`make test-citus`, which sets FCIO_TEST_CITUS=1; `make test`
runs it too where Citus is installed); in a single-node run they skip. The cluster itself is
tests/conftest.py's `citus_cluster`: every database the run makes exists on all three nodes.
"""

import pytest

from tests.conftest import on_citus


def pytest_collection_modifyitems(config, items):
    if on_citus():
        return
    skip = pytest.mark.skip(reason="runs on a Citus cluster: `make test-citus` (or FCIO_TEST_CITUS=1)")
    for item in items:
        if "tests/citus/" in str(item.path):
            item.add_marker(skip)
