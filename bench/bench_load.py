"""Load and fault benchmark: nothing acknowledged is lost, under load and while PostGIS restarts.

    .venv/bin/python bench/bench_load.py [--clients 50] [--duration 60] [--threads 16]
                                         [--stop-at 20] [--start-at 30] [--only load|fault]

Run by hand (about three minutes). Everything stays on loopback and is thrown away afterwards:

* a private embedded PostGIS cluster (``EmbeddedCluster`` in a temporary folder, so stopping
  it disturbs nobody else's databases) with the sample community loaded;
* the app (``create_app``) served by waitress (``--threads`` worker threads) in a subprocess,
  with the anonymous-report rate limit off: the clients are many phones, but all of them come
  from 127.0.0.1;
* ``--clients`` client threads, each with its own keep-alive HTTP connection, looping for
  ``--duration`` seconds: post a report (a fresh idempotency key, a random point inside the
  community, a random category, ``confirm_duplicate`` so no 409), then read
  ``/api/collections/hazards/items`` for a random box of 100-400 m.

A report counts as acknowledged when answered 201 (or 200, replayed); afterwards the stored rows
are counted by the acknowledged keys and by the run's key prefix: both must equal the
acknowledged count. Errors are any other answer, a 503 without Retry-After, a connection error
or a timeout.

Load run: as above; it must end with 0 errors and stored == acknowledged. Fault run: the same
load, and the cluster is stopped (``pg_ctl -m fast``) at ``--stop-at`` seconds and started again
at ``--start-at``. While it is down the service answers 503 with Retry-After; a client then
waits Retry-After seconds and sends the same report again with the same key, as a phone would
(a report in flight at the end of the run is finished first). A prober asks
``/api/collections/hazards/items?limit=1`` every 50 ms; the recovery time is from the moment the
database accepts connections again to the prober's first 200 and must be at most 10 s. Every
acknowledged report must be stored, with 0 errors.

Latencies (p50, p99) are of the successful requests, in milliseconds.
``tests/test_postgis_restart_under_load.py`` runs a short version of the fault run with the same
code.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CATEGORIES = ("dirty_alley", "parking", "dim_lighting", "peeling_wall", "leaking_drain",
              "fire_risk", "dispute", "other")
RECOVERY_LIMIT_S = 10.0
FINISH_GRACE_S = 30.0  # a report still being retried at the end may take this long
REQUEST_TIMEOUT_S = 30.0


# -- the database and the server --------------------------------------------------------------
@dataclass
class Service:
    """A private cluster with the sample, and the app served on loopback."""

    cluster: object
    url: str
    base: str
    process: subprocess.Popen[bytes]
    folder: Path


def prepare_database(folder: Path, sample_dir: Path | None = None) -> tuple[object, str]:
    """A private embedded cluster under ``folder`` with the schema and the sample; its URL."""
    from geo_service.config import PROJECT_ROOT
    from geo_service.db.cluster import EmbeddedCluster
    from geo_service.db.engine import engine_for, migrate
    from geo_service.load import load_sample

    cluster = EmbeddedCluster(folder)
    url = cluster.start()
    migrate(url)
    load_sample(engine_for(url), sample_dir or PROJECT_ROOT / "data", community_name="白龙社区")
    engine_for(url).dispose()
    return cluster, url


def start_server(url: str, folder: Path, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    """The app under waitress in a subprocess; returns it and its base URL once it answers."""
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "serve", "--url", url,
         "--data-dir", str(folder), "--threads", str(threads)],
        stdout=subprocess.PIPE, stderr=log, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError(f"the server did not start; see {folder / 'server.log'}")
    base = f"http://127.0.0.1:{int(line.split()[1])}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get_status(base, "/healthz") == 200:
                return process, base
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server never answered /healthz")


def serve(url: str, data_dir: Path, threads: int) -> None:
    """Subprocess entry: the app on a free loopback port, printed as ``PORT n``."""
    import logging

    from waitress import create_server

    from geo_service.config import Settings
    from geo_service.db.engine import engine_for
    from geo_service.web.app import create_app

    logging.basicConfig(level=logging.ERROR)
    settings = Settings(database_url=url, data_dir=data_dir, report_rate_per_minute=0)
    app = create_app(settings, engine=engine_for(url))
    server = create_server(app, host="127.0.0.1", port=0, threads=threads,
                           connection_limit=500, channel_timeout=120)
    print(f"PORT {server.effective_port}", flush=True)
    server.run()


@contextmanager
def service(threads: int = 16, folder: Path | None = None) -> Iterator[Service]:
    """The whole set-up, torn down (server stopped, cluster stopped, folder removed) after."""
    own = folder is None
    folder = folder or Path(tempfile.mkdtemp(prefix="geo_bench_load_"))
    cluster, url = prepare_database(folder)
    process = None
    try:
        process, base = start_server(url, folder, threads)
        yield Service(cluster, url, base, process, folder)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        try:
            from geo_service.db.engine import engine_for

            engine_for(url).dispose()
        finally:
            cluster.stop()  # type: ignore[attr-defined]
            if own:
                shutil.rmtree(folder, ignore_errors=True)


# -- HTTP ------------------------------------------------------------------------------------------
def get_status(base: str, path: str) -> int:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


class Connection:
    """One client's keep-alive connection; reopened after a connection error."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port,
                                                   timeout=REQUEST_TIMEOUT_S)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            answer = self.conn.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if answer.getheader("Connection", "").lower() == "close":
            self.close()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# -- the community ---------------------------------------------------------------------------------
@dataclass
class Area:
    """Where reports fall and what boxes are read."""

    shape: object
    bounds: tuple[float, float, float, float]

    def point(self, rng: random.Random) -> tuple[float, float]:
        import shapely

        west, south, east, north = self.bounds
        while True:
            lon, lat = rng.uniform(west, east), rng.uniform(south, north)
            if self.shape.contains(shapely.Point(lon, lat)):  # type: ignore[attr-defined]
                return lon, lat

    def box(self, rng: random.Random) -> str:
        lon, lat = self.point(rng)
        half = rng.uniform(50, 200) / 111_320.0
        return ",".join(f"{v:.6f}" for v in (lon - half * 1.13, lat - half,
                                             lon + half * 1.13, lat + half))


def community(url: str) -> Area:
    """The union of the grids."""
    import shapely
    from sqlalchemy import text

    from geo_service.db.engine import engine_for

    with engine_for(url).connect() as conn:
        wkt = conn.execute(text("SELECT ST_AsText(ST_Union(geom)) FROM grids")).scalar_one()
    shape = shapely.from_wkt(wkt)
    return Area(shape, tuple(shape.bounds))


# -- the load --------------------------------------------------------------------------------------
@dataclass
class Tally:
    """What the clients saw (each client fills its own; merged at the end)."""

    acked: list[str] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    read_ms: list[float] = field(default_factory=list)
    unavailable: int = 0
    replayed: int = 0
    errors: list[str] = field(default_factory=list)
    first_ok_after: float | None = None  # monotonic time of the first success after `mark`

    def merge(self, other: Tally) -> None:
        self.acked += other.acked
        self.post_ms += other.post_ms
        self.read_ms += other.read_ms
        self.unavailable += other.unavailable
        self.replayed += other.replayed
        self.errors += other.errors


@dataclass
class Run:
    """One run's figures."""

    name: str
    clients: int
    seconds: float
    tally: Tally
    stored_by_key: int = 0
    stored_by_prefix: int = 0
    db_stopped: float | None = None  # seconds into the run
    db_back: float | None = None
    recovery_s: float | None = None  # database back -> first 200 from the service
    down_s: float | None = None


def client_loop(base: str, area: Area, prefix: str, seed: int, until: float,
                tally: Tally) -> None:
    """Post a report, read a box; again until ``until`` (a pending report is finished)."""
    rng = random.Random(seed)
    conn = Connection(base)

    def call(method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], float]:
        started = time.perf_counter()
        status, answer_headers, _ = conn.request(method, path, body, headers)
        return status, answer_headers, (time.perf_counter() - started) * 1000

    def with_retries(label: str, send: Callable[[], tuple[int, dict[str, str], float]],
                     ok: tuple[int, ...], finish_by: float) -> tuple[int, float] | None:
        """Send until answered ``ok``; 503 waits Retry-After. None after an error."""
        while True:
            try:
                status, headers, ms = send()
            except (OSError, http.client.HTTPException) as error:
                tally.errors.append(f"{label}: {type(error).__name__}: {error}")
                return None
            if status in ok:
                return status, ms
            if status == 503 and "retry-after" in headers:
                tally.unavailable += 1
                wait = float(headers["retry-after"])
                if time.monotonic() + wait > finish_by:
                    return None  # given up at the very end: not acknowledged, not an error
                time.sleep(wait)
                continue
            tally.errors.append(f"{label}: HTTP {status}")
            return None

    try:
        while time.monotonic() < until:
            key = f"{prefix}-{uuid.uuid4().hex}"
            lon, lat = area.point(rng)
            body = json.dumps({"lon": round(lon, 7), "lat": round(lat, 7),
                               "category": rng.choice(CATEGORIES),
                               "description": f"load test {key[-8:]}",
                               "severity": rng.choice(["low", "medium", "high"]),
                               "confirm_duplicate": True, "idempotency_key": key}).encode()
            headers = {"Content-Type": "application/json", "Idempotency-Key": key}
            posted = with_retries("POST /api/hazards",
                                  lambda b=body, h=headers: call("POST", "/api/hazards", b, h),
                                  (200, 201), until + FINISH_GRACE_S)
            if posted is not None:
                tally.acked.append(key)
                tally.post_ms.append(posted[1])
                tally.replayed += posted[0] == 200
            if time.monotonic() >= until:
                break
            path = f"/api/collections/hazards/items?bbox={area.box(rng)}&limit=100"
            read = with_retries("GET items", lambda p=path: call("GET", p), (200,), until)
            if read is not None:
                tally.read_ms.append(read[1])
    finally:
        conn.close()


def prober(base: str, stop: threading.Event, successes: list[float]) -> None:
    """Ask a database-backed endpoint every 50 ms; note the time of every 200."""
    conn = Connection(base)
    while not stop.is_set():
        try:
            status, _, _ = conn.request("GET", "/api/collections/hazards/items?limit=1")
            if status == 200:
                successes.append(time.monotonic())
        except (OSError, http.client.HTTPException):
            pass
        stop.wait(0.05)
    conn.close()


def run_load(svc: Service, name: str, clients: int, seconds: float,
             stop_at: float | None = None, start_at: float | None = None,
             progress: Callable[[str], None] | None = None) -> Run:
    """``clients`` clients for ``seconds``; with ``stop_at``/``start_at`` the cluster is stopped
    and started again at those seconds into the run."""
    area = community(svc.url)
    prefix = f"{name}-{uuid.uuid4().hex[:6]}"
    t0 = time.monotonic()
    until = t0 + seconds
    tallies = [Tally() for _ in range(clients)]
    workers = [threading.Thread(target=client_loop, name=f"client-{i}",
                                args=(svc.base, area, prefix, i, until, tallies[i]), daemon=True)
               for i in range(clients)]
    stop_probe = threading.Event()
    probed: list[float] = []
    probe = threading.Thread(target=prober, args=(svc.base, stop_probe, probed), daemon=True)
    probe.start()
    for worker in workers:
        worker.start()
    run = Run(name, clients, seconds, Tally())
    back_at: float | None = None
    stopped_at: float | None = None
    try:
        if stop_at is not None and start_at is not None:
            time.sleep(max(0.0, t0 + stop_at - time.monotonic()))
            stopped_at = time.monotonic()
            svc.cluster.stop()  # type: ignore[attr-defined]
            if progress:
                progress(f"  PostGIS stopped at {stopped_at - t0:.1f} s")
            time.sleep(max(0.0, t0 + start_at - time.monotonic()))
            svc.cluster.start()  # type: ignore[attr-defined]
            back_at = time.monotonic()
            if progress:
                progress(f"  PostGIS started again at {back_at - t0:.1f} s")
    finally:
        if stopped_at is not None and back_at is None:  # never leave it stopped
            svc.cluster.start()  # type: ignore[attr-defined]
            back_at = time.monotonic()
        for worker in workers:
            worker.join(timeout=seconds + FINISH_GRACE_S + REQUEST_TIMEOUT_S + 30)
        stop_probe.set()
        probe.join(timeout=10)
    hung = [w.name for w in workers if w.is_alive()]
    for tally in tallies:
        run.tally.merge(tally)
    run.tally.errors += [f"{name}: still running" for name in hung]
    if back_at is not None and stopped_at is not None:
        run.db_stopped, run.db_back = stopped_at - t0, back_at - t0
        run.down_s = back_at - stopped_at
        first = next((t for t in probed if t >= back_at), None)
        run.recovery_s = None if first is None else first - back_at
    run.stored_by_key, run.stored_by_prefix = count_stored(svc.url, run.tally.acked, prefix)
    return run


def count_stored(url: str, keys: list[str], prefix: str) -> tuple[int, int]:
    """Rows stored under the acknowledged keys, and under the run's key prefix."""
    from sqlalchemy import text

    from geo_service.db.engine import engine_for

    engine = engine_for(url)
    for attempt in range(50):  # the database may have just come back
        try:
            with engine.connect() as conn:
                by_key = conn.execute(text(
                    "SELECT count(*) FROM hazards WHERE idempotency_key = ANY(:keys)"),
                    {"keys": keys}).scalar_one()
                by_prefix = conn.execute(text(
                    "SELECT count(*) FROM hazards WHERE idempotency_key LIKE :p"),
                    {"p": prefix + "-%"}).scalar_one()
            return int(by_key), int(by_prefix)
        except Exception:  # noqa: BLE001 - retried, then raised
            if attempt == 49:
                raise
            time.sleep(0.2)
    raise AssertionError("unreachable")


def server_errors(svc: Service) -> list[str]:
    """Unexpected errors (logged 500s) in the server's log."""
    log = svc.folder / "server.log"
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [line for line in lines if "unexpected error" in line]


# -- report ----------------------------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def table(runs: list[Run]) -> str:
    """The figures, one column per run."""
    rows: list[tuple[str, ...]] = [("", *[r.name for r in runs])]

    def add(label: str, values: list[str]) -> None:
        rows.append((label, *values))

    add("clients x seconds", [f"{r.clients} x {r.seconds:g}" for r in runs])
    add("reports acknowledged", [str(len(r.tally.acked)) for r in runs])
    add("  stored (by key)", [str(r.stored_by_key) for r in runs])
    add("  stored (by run prefix)", [str(r.stored_by_prefix) for r in runs])
    add("  lost", [str(len(r.tally.acked) - r.stored_by_key) for r in runs])
    add("  replayed (200)", [str(r.tally.replayed) for r in runs])
    add("bbox reads", [str(len(r.tally.read_ms)) for r in runs])
    add("requests / s", [f"{(len(r.tally.acked) + len(r.tally.read_ms)) / r.seconds:.0f}"
                         for r in runs])
    add("errors", [str(len(r.tally.errors)) for r in runs])
    add("503 + Retry-After", [str(r.tally.unavailable) for r in runs])
    add("post p50 / p99 ms", [f"{statistics.median(r.tally.post_ms) if r.tally.post_ms else 0:.0f}"
                              f" / {percentile(r.tally.post_ms, 0.99):.0f}" for r in runs])
    add("read p50 / p99 ms", [f"{statistics.median(r.tally.read_ms) if r.tally.read_ms else 0:.0f}"
                              f" / {percentile(r.tally.read_ms, 0.99):.0f}" for r in runs])
    add("PostGIS down (s into run)", [
        "-" if r.db_stopped is None else f"{r.db_stopped:.1f} -> {r.db_back:.1f}" for r in runs])
    add("answering again after", [
        "-" if r.db_back is None else
        ("never" if r.recovery_s is None else f"{r.recovery_s:.2f} s") for r in runs])
    width = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width[i]) if i == 0 else cell.rjust(width[i])
                       for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def verdict(run: Run) -> list[str]:
    """What is wrong with a run (empty: it passed)."""
    problems = []
    if run.tally.errors:
        problems.append(f"{run.name}: {len(run.tally.errors)} errors, e.g. "
                        f"{sorted(set(run.tally.errors))[:3]}")
    if run.stored_by_key != len(run.tally.acked):
        problems.append(f"{run.name}: {len(run.tally.acked) - run.stored_by_key} acknowledged "
                        "reports not stored")
    if run.stored_by_prefix != run.stored_by_key:
        problems.append(f"{run.name}: {run.stored_by_prefix - run.stored_by_key} stored reports "
                        "never acknowledged")
    if not run.tally.acked:
        problems.append(f"{run.name}: nothing acknowledged")
    if run.db_back is not None and (run.recovery_s is None or run.recovery_s > RECOVERY_LIMIT_S):
        problems.append(f"{run.name}: not answering within {RECOVERY_LIMIT_S:g} s of the "
                        f"database ({run.recovery_s})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    serve_cmd = sub.add_parser("serve", help="(internal) run the server")
    serve_cmd.add_argument("--url", required=True)
    serve_cmd.add_argument("--data-dir", type=Path, required=True)
    serve_cmd.add_argument("--threads", type=int, default=16)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--stop-at", type=float, default=20.0)
    parser.add_argument("--start-at", type=float, default=30.0)
    parser.add_argument("--only", choices=["load", "fault"])
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.url, args.data_dir, args.threads)
        return 0

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    runs: list[Run] = []
    say("preparing a private PostGIS with the sample and the server ...")
    with service(threads=args.threads) as svc:
        say(f"serving on {svc.base} (waitress, {args.threads} threads)")
        if args.only in (None, "load"):
            say(f"load: {args.clients} clients for {args.duration:g} s ...")
            runs.append(run_load(svc, "load", args.clients, args.duration, progress=say))
        if args.only in (None, "fault"):
            say(f"fault: {args.clients} clients for {args.duration:g} s, PostGIS stopped at "
                f"{args.stop_at:g} s and started at {args.start_at:g} s ...")
            runs.append(run_load(svc, "fault", args.clients, args.duration,
                                 stop_at=args.stop_at, start_at=args.start_at, progress=say))
        unexpected = server_errors(svc)
    print(table(runs))
    problems = [p for run in runs for p in verdict(run)]
    if unexpected:
        problems.append(f"the server logged {len(unexpected)} unexpected errors, e.g. "
                        f"{unexpected[0]}")
    for problem in problems:
        print("FAIL", problem)
    if not problems:
        print("OK: 0 errors, every acknowledged report stored"
              + (f", answering again within {RECOVERY_LIMIT_S:g} s of the database"
                 if any(r.db_back is not None for r in runs) else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
