"""`make bench`: run the portal under gunicorn with production settings and measure it.

Steps: find PostgreSQL and Redis (bin/devservices.py), recreate the bench database from a
migrated template (migrating the template first when the migrations changed), collect static files, set up Django in this process (portal.bench_settings, so modules can
seed with the ORM; its own tasks run inline), start gunicorn on 127.0.0.1:8765 and a Celery worker
on the bench's own queue (tasks queued by requests run there, as in production), measure the baseline (a view without the
database and one with one indexed query) at the benchmarks' concurrency, run every bench/<name>.py
(or only --only NAME), print one `RESULT <name> k=v ...` line each, stop gunicorn and the worker.

--quick uses tiny durations and sizes (tests/test_bench_quick.py runs it inside `make test`).
The database is never the development one: a DATABASE_URL in the environment keeps its server
but gets the bench database's name (<its name>_bench, or _benchq for --quick).
"""

import argparse
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from devservices import ROOT, admin_connection, services  # noqa: E402

sys.path.insert(0, str(ROOT))
PY = sys.executable
SETTINGS = "portal.bench_settings"
# Two cores: 4 gthread workers x 8 threads. Sync workers cannot keep connections alive and
# reached about two thirds of gthread's hello_rps under 64 keep-alive clients; 2x16 and 3x4
# measured within noise of 4x8 (docs/benchmarks.md).
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
# --quick (inside `make test`, beside other test runs on the same PostgreSQL) keeps fewer
# persistent connections: 2 x 4 instead of 32.
QUICK_WORKERS, QUICK_THREADS = int(os.environ.get("BENCH_WORKERS", "2")), int(os.environ.get("BENCH_THREADS", "4"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "gthread")
# Two worker processes, as `make run` starts: SMS, push and payment notifications after requests.
CELERY_CONCURRENCY = int(os.environ.get("BENCH_CELERY_CONCURRENCY", "2"))


@dataclass
class Context:
    base_url: str
    quick: bool
    domain: str
    concurrency: int
    duration: float
    baseline: dict = field(default_factory=dict)
    # The served processes (gunicorn's master, the Celery worker) and their environment, for
    # modules that watch them or start more (bench/soak.py: memory, a beat).
    processes: dict = field(default_factory=dict)
    served_env: dict = field(default_factory=dict)

    def host(self, code: str) -> str:
        """Host header of a city's site, e.g. host("has") -> "has.localhost"."""
        return f"{code}.{self.domain}"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def migrations_fingerprint() -> str:
    """Hash of every migration file: a template database is reused only while they are unchanged."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def recreate_database(url: str, manage: list[str]) -> None:
    """A fresh bench database on every run: migrations and their seed data only.

    Migrating from nothing takes long with every app's migrations, so the first run keeps a
    migrated template (<name>_tpl, its fingerprint in the database comment) and later runs
    copy it, which takes a second.
    """
    conn, name = admin_connection(url)
    template = f"{name}_tpl"
    fingerprint = migrations_fingerprint()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template])
        row = cur.fetchone()
        if row is None or row[0] != fingerprint:
            cur.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{template}"')
            env = {**os.environ, "DATABASE_URL": with_database(url, template)}
            subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
            cur.execute(f'COMMENT ON DATABASE "{template}" IS %s', [fingerprint])
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    conn.close()


def bench_modules(only: str | None) -> list[str]:
    names = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in ("__init__", "common"))
    if only:
        if only not in names and only != "baseline":
            raise SystemExit(f"no bench module named {only!r}; have: {', '.join(names) or 'none'}")
        names = [n for n in names if n == only]
    return names


def format_result(name: str, values: dict) -> str:
    parts = []
    for key, value in values.items():
        if isinstance(value, float):
            value = round(value, 3)
        parts.append(f"{key}={str(value).replace(' ', '_')}")
    return f"RESULT {name} " + " ".join(parts)


def free_port(preferred: int) -> int:
    """The preferred port when nobody listens there, else any free one: two harnesses run at
    once (several developers, or the quick test) must never measure each other's gunicorn."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            pass
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    print(f"[bench] port {preferred} is busy; using {port}", file=sys.stderr, flush=True)
    return port


def wait_until_up(base_url: str, proc, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            if httpx.get(base_url + "/__bench__/hello/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def wait_for_worker(name: str, proc, timeout: float = 60) -> None:
    """Until the bench's Celery worker answers a ping (it has connected to the broker)."""
    from portal.celery import app

    hostname = name.replace("%h", socket.gethostname())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the Celery worker exited during start-up")
        if app.control.ping(destination=[hostname], timeout=0.5):
            return
    raise RuntimeError("the Celery worker did not answer within a minute")


def measure_baseline(ctx: Context) -> dict:
    from bench import common

    async def hello(client, worker, i):
        response = await client.get("/__bench__/hello/")
        return response.status_code == 200

    # A short warm-up fills every worker's connection and import caches.
    common.run_load(ctx, common.one_query, concurrency=ctx.concurrency, iterations=ctx.concurrency * 4)
    hello_result = common.run_load(ctx, hello, concurrency=ctx.concurrency, duration=ctx.duration)
    db_result = common.db_baseline(ctx)
    for sample in hello_result.error_samples + db_result.error_samples:
        print(f"[bench baseline] error sample: {sample}", file=sys.stderr, flush=True)
    return {
        "hello_rps": hello_result.rps,
        "db_rps": db_result.rps,
        "hello_p50_ms": hello_result.p(50),
        "hello_p99_ms": hello_result.p(99),
        "db_p50_ms": db_result.p(50),
        "db_p99_ms": db_result.p(99),
        "errors": hello_result.errors + db_result.errors,
        "concurrency": ctx.concurrency,
        "workers": f"{QUICK_WORKERS}x{QUICK_THREADS}" if ctx.quick else f"{WORKERS}x{THREADS}",
    }


STARTED = time.monotonic()


def _stage(label):
    print(f"[bench {time.monotonic() - STARTED:6.1f}s] {label}", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and durations (the test suite's variant)")
    parser.add_argument("--only", help="run only this bench module (the baseline always runs)")
    parser.add_argument(
        "--database", help="bench database name (default <DATABASE_URL's name or open122>_bench, _benchq with --quick)"
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8765")))
    parser.add_argument("--duration", type=float, help="seconds per measurement (default 10, quick 1)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--no-guards",
        action="store_true",
        help="the control run: rush limits (portal.ratelimits) and the proof of work (portal.antibot) off",
    )
    args = parser.parse_args(argv)
    if args.no_guards:
        os.environ["BENCH_NO_GUARDS"] = "1"  # read by portal.bench_settings, in gunicorn and here

    # Named after the database in DATABASE_URL (open122 when unset): developers who each have
    # their own database get their own bench database, and one run never drops another's.
    base = urlsplit(os.environ.get("DATABASE_URL", "")).path.strip("/") or "open122"
    database = args.database or (f"{base}_benchq" if args.quick else f"{base}_bench")
    if os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = with_database(os.environ["DATABASE_URL"], database)
    names = bench_modules(args.only)

    with services(database=database) as env:
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
        # A fresh cache key space per run (no FLUSHDB: Redis may be shared): stale rate-limit
        # counters of an earlier run must not skew this one.
        os.environ["CACHE_KEY_PREFIX"] = f"open122-bench-{os.getpid()}-{int(time.time())}"
        _stage("services ready")
        manage = [PY, str(ROOT / "manage.py")]
        recreate_database(env["DATABASE_URL"], manage)
        subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], env=os.environ, check=True, cwd=ROOT)

        _stage("migrated, static collected")
        # gunicorn and the worker queue tasks as in production; this process runs its own inline.
        served_env = {**os.environ, "BENCH_EAGER": "0"}
        os.environ["BENCH_EAGER"] = "1"
        import django

        django.setup()
        from django.conf import settings

        port = free_port(args.port)
        ctx = Context(
            base_url=f"http://127.0.0.1:{port}",
            quick=args.quick,
            domain=settings.PORTAL_DOMAIN,
            concurrency=args.concurrency if not args.quick else min(args.concurrency, 8),
            duration=args.duration or (1.0 if args.quick else 10.0),
        )
        gunicorn = subprocess.Popen(
            [
                PY,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(QUICK_WORKERS if args.quick else WORKERS),
                "--worker-class",
                WORKER_CLASS,
                "--threads",
                str(QUICK_THREADS if args.quick else THREADS),
                "--keep-alive",
                "30",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            env=served_env,
            cwd=ROOT,
        )
        worker_name = f"bench-{os.getpid()}@%h"
        worker = subprocess.Popen(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "-n",
                worker_name,
                "--concurrency",
                str(CELERY_CONCURRENCY),
                "--purge",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            env=served_env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,  # its start-up banner; only RESULT lines go to stdout
        )
        ctx.processes = {"gunicorn": gunicorn.pid, "worker": worker.pid}
        ctx.served_env = served_env
        failed = 0
        try:
            wait_until_up(ctx.base_url, gunicorn)
            wait_for_worker(worker_name, worker)
            _stage("gunicorn and the Celery worker up")
            ctx.baseline = measure_baseline(ctx)
            print(format_result("baseline", ctx.baseline), flush=True)
            for name in names:
                try:
                    _stage(f"running {name}")
                    module = importlib.import_module(f"bench.{name}")
                    values = module.run(ctx)
                except Exception:
                    failed += 1
                    traceback.print_exc()
                    print(format_result(name, {"error": 1}), flush=True)
                    continue
                print(format_result(getattr(module, "NAME", name), values or {}), flush=True)
        finally:
            from django.db import connections

            connections.close_all()
            for proc in (gunicorn, worker):
                proc.send_signal(signal.SIGTERM)
            for proc in (gunicorn, worker):
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
