"""Soak: ten minutes of steady mixed traffic from all five services, with a worker and a beat.

`make bench ONLY=soak` (SOAK_MINUTES overrides; `--quick` runs 10 seconds). The demo's citizens
and the public browse every service at a steady rate through gunicorn (citizens: my vehicles,
plates, exams, violations, certificates, notices, and two small writes, the notice preferences
and the language switch; the public: home, announcements, the exam figures), while the bench's
Celery worker and a beat of its own (RedBeat) run every periodic sweep as in production.

Before it, the baseline's one-query view is driven at the same concurrency and the same pace
(`baseline_db_p99_ms`), so the latency target compares like with like. Sampled while it runs: the
resident memory of every gunicorn worker, Celery process and the beat (growth from the end of the
first minute to the end), and the database's connections.

    RESULT soak minutes=... requests=... errors=... p99_ms=... baseline_db_p99_ms=...
                rss_growth_mb=... db_connections_max=...

Targets: errors 0; p99_ms at most 4 x baseline_db_p99_ms; rss_growth_mb under 50 per process.
"""

import contextlib
import io
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench import common

NAME = "soak"
ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 16
PACE_S = 0.25  # each client's pause between requests: 16 clients ~ 60 req/s, a busy hour's rate
PASSWORD = "Demo-2026-pass"
CITIZENS = ["13812340001", "13812340002", "15861230004"]  # the demo's citizens of Huai'an
CITIZEN_PAGES = ["/my/vehicles/", "/plates/", "/exams/", "/violations/", "/certificates/", "/notices/"]
PUBLIC_PAGES = ["/", "/notices/announcements/", "/exams/public/"]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _watched(ctx, beat_pid: int) -> list[int]:
    pids = []
    for root in (ctx.processes.get("gunicorn"), ctx.processes.get("worker"), beat_pid):
        if root:
            pids += [root, *_children(root)]
    return pids


def _start_beat(ctx):
    env = {**ctx.served_env, "CELERY_REDBEAT_KEY_PREFIX": f"open122-bench-soak-{uuid.uuid4().hex[:8]}"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel", "WARNING"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class _ConnectionWatch(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.max = 0
        self.stopped = threading.Event()

    def run(self):
        from django.db import connection

        while not self.stopped.is_set():
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                self.max = max(self.max, cursor.fetchone()[0])
            self.stopped.wait(2)
        connection.close()


def run(ctx):
    from django.core.management import call_command

    from notices import catalogue

    with contextlib.redirect_stdout(io.StringIO()):  # its logins; only RESULT lines go to stdout
        call_command("demo", verbosity=0)
    # Every kind's SMS and push left on, as the form shows them to a citizen who changes nothing.
    keep_all = {f"{channel}:{code}": "on" for code in catalogue.all_kinds() for channel in ("sms", "push")}
    minutes = float(os.environ.get("SOAK_MINUTES", "0.17" if ctx.quick else "10"))
    concurrency = 4 if ctx.quick else CONCURRENCY
    host = ctx.host("has")
    clients = {}

    def sign_in(client, worker):
        client.headers["Host"] = host
        if worker % 4:  # three clients in four are citizens, one is the public
            common.login_sync(client, host, CITIZENS[worker % len(CITIZENS)], PASSWORD)
        clients[worker] = client

    def paced(operation):
        def wrapped(client, worker, i):
            started = time.perf_counter()
            ok = operation(client, worker, i)
            time.sleep(max(0.0, PACE_S - (time.perf_counter() - started)))
            return ok

        return wrapped

    def one_query(client, worker, i):
        return client.get(f"/__bench__/db/?i={i}", headers={"Host": ctx.domain}).status_code == 200

    def browse(client, worker, i):
        if worker % 4 == 0:
            return client.get(PUBLIC_PAGES[i % len(PUBLIC_PAGES)]).status_code == 200
        if i % 20 == 0:  # a small write: the notice preferences as the page has them
            page = client.get("/notices/preferences/")
            data = {"csrfmiddlewaretoken": common.csrf_token(page.text), **keep_all}
            return client.post("/notices/preferences/", data=data).status_code == 302
        if i % 20 == 10:
            data = {"csrfmiddlewaretoken": client.cookies.get("csrftoken", ""), "language": "zh-hans", "next": "/"}
            return client.post("/i18n/setlang/", data=data, headers={"Referer": f"http://{host}/"}).status_code == 302
        return client.get(CITIZEN_PAGES[i % len(CITIZEN_PAGES)]).status_code == 200

    baseline = common.run_threads(ctx, paced(one_query), concurrency=concurrency, duration=10.0 if ctx.quick else 60.0)
    beat = _start_beat(ctx)
    watch = _ConnectionWatch()
    watch.start()
    rss_start, rss_end = {}, {}

    def sample(into):
        for pid in _watched(ctx, beat.pid):
            rss = _rss_mb(pid)
            if rss is not None:
                into[pid] = rss

    sampler_stop = threading.Event()

    def sampler():
        # Memory after the first tenth of the run (workers warm), and again at its end.
        sampler_stop.wait(min(60.0, minutes * 6))
        sample(rss_start)

    sampler_thread = threading.Thread(target=sampler, daemon=True)
    sampler_thread.start()
    try:
        result = common.run_threads(ctx, paced(browse), concurrency=concurrency, duration=minutes * 60, setup=sign_in)
        sample(rss_end)
    finally:
        sampler_stop.set()
        watch.stopped.set()
        beat.terminate()
        try:
            beat.wait(timeout=20)
        except subprocess.TimeoutExpired:
            beat.kill()
    for sample_text in result.error_samples:
        print(f"[bench soak] error sample: {sample_text}", file=sys.stderr, flush=True)
    growth = [rss_end[pid] - rss_start[pid] for pid in rss_end if pid in rss_start]
    return {
        "minutes": round(minutes, 2),
        "requests": result.count + result.errors,
        "errors": result.errors,
        "p99_ms": result.p(99),
        "baseline_db_p99_ms": baseline.p(99),
        "rss_growth_mb": round(max(growth), 1) if growth else 0.0,
        "db_connections_max": watch.max,
        "rps": result.rps,
        "p50_ms": result.p(50),
        "processes_watched": len(growth),
        "p99_ratio": round(result.p(99) / baseline.p(99), 2) if baseline.p(99) else 0.0,
    }
