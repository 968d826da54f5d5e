"""Fault: PostGIS stopped in the middle of a load and started again (a short version of
``bench/bench_load.py``): no acknowledged report is lost, there are no errors (the service
answers 503 with Retry-After while the database is away and the clients send the same report
again), and the service answers again within 10 s of the database.

The database is a private embedded cluster in a temporary folder, so stopping it touches no
other test's database (and ``tests/conftest.py`` runs it last anyway); it is started again in a
``finally`` and removed afterwards. The server is waitress in a subprocess.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.last]  # a 15 s load; it stops a cluster, so last
BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_load.py"


@pytest.fixture(scope="module")
def bench():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("bench_load", BENCH)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules["bench_load"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_postgis_restart_under_load_loses_nothing(bench) -> None:  # noqa: ANN001
    with bench.service(threads=8) as svc:
        run = bench.run_load(svc, "fault", clients=10, seconds=15, stop_at=5, start_at=8)
        assert svc.cluster.status().running
        unexpected = bench.server_errors(svc)
    print("\n" + bench.table([run]))
    assert bench.verdict(run) == []
    assert not unexpected, unexpected[:3]
    assert run.tally.unavailable > 0  # the clients did meet the outage (and waited it out)
    assert run.down_s is not None and run.down_s >= 2.5
    assert run.recovery_s is not None and run.recovery_s <= bench.RECOVERY_LIMIT_S
    assert len(run.tally.acked) == run.stored_by_key == run.stored_by_prefix > 0
