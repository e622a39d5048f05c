"""Shared helpers for bench modules: load generation, percentiles, logged-in clients, SMS codes.

A bench module (bench/<name>.py) defines NAME and run(ctx) -> dict. Typical use:

    from bench import common

    def run(ctx):
        # seed with the ORM first (Django is set up against the bench database), then:
        async def one(client, worker, i):
            r = await client.get("/plates/", headers={"Host": ctx.host("has")})
            return r.status_code == 200

        result = common.run_load(ctx, one, duration=ctx.duration)
        return {"rps": result.rps, "p50_ms": result.p(50), "p99_ms": result.p(99), "errors": result.errors}

run_load drives `concurrency` asyncio clients (one httpx.AsyncClient each, so each keeps its
own cookies) for a duration or a total number of iterations; run_threads does the same with
blocking httpx clients in threads, for flows that are easier to write synchronously.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

DEFAULT_CONCURRENCY = 64
TIMEOUT = httpx.Timeout(30.0)
_CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def percentile(values, p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation; 0.0 for no values."""
    data = sorted(values)
    if not data:
        return 0.0
    if len(data) == 1:
        return float(data[0])
    rank = (len(data) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return float(data[low] + (data[high] - data[low]) * (rank - low))


@dataclass
class LoadResult:
    count: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, successful operations only
    error_samples: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        """Successful operations per second over the whole run."""
        return round(self.count / self.elapsed, 1) if self.elapsed else 0.0

    def p(self, pct: float) -> float:
        """Latency percentile in milliseconds."""
        return round(percentile(self.latencies, pct) * 1000, 2)

    def summary(self, prefix: str = "") -> dict:
        return {
            f"{prefix}rps": self.rps,
            f"{prefix}p50_ms": self.p(50),
            f"{prefix}p99_ms": self.p(99),
            f"{prefix}ok": self.count,
            f"{prefix}errors": self.errors,
        }

    def _record(self, ok, started, error=None):
        if ok is False or error is not None:
            self.errors += 1
            if error is not None and len(self.error_samples) < 5:
                self.error_samples.append(repr(error)[:200])
        else:
            self.count += 1
            self.latencies.append(time.perf_counter() - started)


def _limits(concurrency, iterations):
    if iterations is not None and concurrency > iterations:
        concurrency = max(1, iterations)
    return concurrency


def run_load(
    ctx,
    operation: Callable[[httpx.AsyncClient, int, int], Awaitable[bool | None]],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    duration: float | None = None,
    iterations: int | None = None,
    setup: Callable[[httpx.AsyncClient, int], Awaitable[None]] | None = None,
) -> LoadResult:
    """Run `operation(client, worker, i)` from `concurrency` asyncio clients.

    Stops after `duration` seconds or after `iterations` operations in total (one of them;
    duration defaults to ctx.duration). An operation returning False or raising counts as an
    error; anything else is a success whose latency is recorded. `setup(client, worker)` runs
    once per client before the clock starts (log in, fetch a form).
    """
    if duration is None and iterations is None:
        duration = ctx.duration
    concurrency = _limits(concurrency, iterations)
    return asyncio.run(_run_async(ctx, operation, concurrency, duration, iterations, setup))


async def _run_async(ctx, operation, concurrency, duration, iterations, setup):
    result = LoadResult()
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    clients = [httpx.AsyncClient(base_url=ctx.base_url, timeout=TIMEOUT, limits=limits) for _ in range(concurrency)]
    counter = iter(range(10**12))
    try:
        if setup is not None:
            await asyncio.gather(*(setup(client, n) for n, client in enumerate(clients)))
        started = time.perf_counter()
        deadline = started + duration if duration is not None else None

        async def worker(n, client):
            while True:
                i = next(counter)
                if iterations is not None and i >= iterations:
                    return
                if deadline is not None and time.perf_counter() >= deadline:
                    return
                t0 = time.perf_counter()
                try:
                    ok = await operation(client, n, i)
                except Exception as exc:  # a failed request is a measurement, not a crash
                    result._record(False, t0, exc)
                else:
                    result._record(ok, t0)

        await asyncio.gather(*(worker(n, c) for n, c in enumerate(clients)))
        result.elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return result


def run_threads(
    ctx,
    operation: Callable[[httpx.Client, int, int], bool | None],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    duration: float | None = None,
    iterations: int | None = None,
    setup: Callable[[httpx.Client, int], None] | None = None,
) -> LoadResult:
    """Like run_load, with blocking httpx clients, one thread per client."""
    if duration is None and iterations is None:
        duration = ctx.duration
    concurrency = _limits(concurrency, iterations)
    result = LoadResult()
    lock = threading.Lock()
    counter = iter(range(10**12))
    clients = [httpx.Client(base_url=ctx.base_url, timeout=TIMEOUT) for _ in range(concurrency)]
    try:
        if setup is not None:
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(lambda pair: setup(pair[1], pair[0]), enumerate(clients)))
        started = time.perf_counter()
        deadline = started + duration if duration is not None else None

        def worker(n):
            client = clients[n]
            while True:
                with lock:
                    i = next(counter)
                if iterations is not None and i >= iterations:
                    return
                if deadline is not None and time.perf_counter() >= deadline:
                    return
                t0 = time.perf_counter()
                try:
                    ok, error = operation(client, n, i), None
                except Exception as exc:
                    ok, error = False, exc
                with lock:
                    result._record(ok, t0, error)

        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(worker, range(concurrency)))
        result.elapsed = time.perf_counter() - started
    finally:
        for client in clients:
            client.close()
    return result


# --- Logging in -------------------------------------------------------------------------------
def csrf_token(html: str) -> str:
    """The csrfmiddlewaretoken of the first form in a page."""
    match = _CSRF_RE.search(html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def _login_ok(response) -> bool:
    # Django's LoginView answers a good login with a redirect; a bad one re-renders the form (200).
    return response.status_code in (301, 302, 303)


async def login(client: httpx.AsyncClient, host: str, username: str, password: str) -> None:
    """Log an async client in through /accounts/login/ on a host (e.g. ctx.host("has"))."""
    page = await client.get("/accounts/login/", headers={"Host": host})
    page.raise_for_status()
    response = await client.post(
        "/accounts/login/",
        data={"csrfmiddlewaretoken": csrf_token(page.text), "username": username, "password": password},
        headers={"Host": host, "Referer": f"http://{host}/accounts/login/"},
    )
    if not _login_ok(response):
        raise RuntimeError(f"login failed for a bench user ({response.status_code})")


def login_sync(client: httpx.Client, host: str, username: str, password: str) -> None:
    """Blocking twin of login()."""
    page = client.get("/accounts/login/", headers={"Host": host})
    page.raise_for_status()
    response = client.post(
        "/accounts/login/",
        data={"csrfmiddlewaretoken": csrf_token(page.text), "username": username, "password": password},
        headers={"Host": host, "Referer": f"http://{host}/accounts/login/"},
    )
    if not _login_ok(response):
        raise RuntimeError(f"login failed for a bench user ({response.status_code})")


def logged_in_client(ctx, code: str, username: str, password: str) -> httpx.Client:
    """A blocking client logged in on a city's site; close it when done."""
    client = httpx.Client(base_url=ctx.base_url, timeout=TIMEOUT)
    login_sync(client, ctx.host(code), username, password)
    return client


def form_post(client, url: str, host: str, data: dict, page_url: str | None = None):
    """GET a form page for its CSRF token, then POST `data` to `url` (blocking client)."""
    page = client.get(page_url or url, headers={"Host": host})
    page.raise_for_status()
    return client.post(
        url,
        data={"csrfmiddlewaretoken": csrf_token(page.text), **data},
        headers={"Host": host, "Referer": f"http://{host}{url}"},
    )


# --- SMS codes across processes -----------------------------------------------------------------
class RedisOutboxSmsBackend:
    """SMS backend of portal.bench_settings: keeps the last text per mobile in the cache (Redis),
    so that the harness process can read codes that a gunicorn worker sent."""

    def send(self, mobile: str, text: str, reference: str = "") -> str:
        from django.core.cache import cache

        cache.set(f"bench-sms:{mobile}", text, 600)
        return uuid.uuid4().hex


def last_sms_code(mobile: str, wait: float = 20.0) -> str:
    """The newest 6-digit code sent to a mobile during the bench run (needs Django set up).

    The bench's Celery worker sends it after the request: wait for it as a phone would.
    """
    from django.core.cache import cache

    deadline = time.monotonic() + wait
    while True:
        match = re.search(r"\d{6}", cache.get(f"bench-sms:{mobile}") or "")
        if match:
            return match.group(0)
        if time.monotonic() > deadline:
            raise RuntimeError("no SMS code sent to this bench mobile")
        time.sleep(0.05)


# --- The rush paths' proof of work and addresses (portal.antibot, portal.ratelimits) ---------------
IP_HEADER = "X-Bench-Client-IP"  # read by portal.bench_settings.CLIENT_IP_HEADER


def address(i: int, net: int = 10) -> str:
    """A distinct simulated client address for client number i."""
    return f"{net}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def solve_antibot(html: str) -> str:
    """What the ALTCHA widget posts for the challenge in a page (solved in Python, as a browser
    would in JavaScript); "" when the page asks for no check (a pass is still valid)."""
    import altcha

    from tests.antibot import _CHALLENGE, challenge_in

    if not _CHALLENGE.search(html):
        return ""
    challenge = altcha.Challenge.from_dict(challenge_in(html))
    return altcha.Payload(challenge, altcha.solve_challenge(challenge)).to_base64()


def unique_suffix() -> str:
    return uuid.uuid4().hex[:8]


# --- Sessions made in the store, rushes and one-at-a-time timings ------------------------------
def session_cookies(user, *, antibot_pass: bool = False) -> dict:
    """Cookies of a session made directly in the store the web workers read (cached_db: shared
    Redis + PostgreSQL), as a login through the page makes it (portal.auth_backends.remember_user).

    Logging in over HTTP would cost one PBKDF2 hash per simulated citizen before the clock, and
    logging in is not what a rush measures (bench/accounts.py measures it). With antibot_pass
    the session also holds a rush pass of portal.antibot (bench/plates.py and bench/fairness.py
    solve the proofs of work through the pages instead).
    """
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.utils.crypto import get_random_string

    from portal.auth_backends import remember_user

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if antibot_pass:
        from portal import antibot

        session[antibot.PASS_KEY] = int(time.time()) + 3600
    session.create()
    remember_user(user)
    return {settings.SESSION_COOKIE_NAME: session.session_key, "csrftoken": get_random_string(32)}


def session_headers(host: str, jar: dict, referer: str = "/") -> dict:
    """Headers of a request in the session `jar` (cookies, the CSRF header, a same-site Referer)."""
    return {
        "Host": host,
        "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        "X-CSRFToken": jar.get("csrftoken", ""),
        "Referer": f"http://{host}{referer}",
    }


@dataclass
class RushResult:
    latencies: list[float]  # seconds, accepted attempts only
    failures: list[str]  # a short repr of each refused attempt or transport error
    elapsed: float  # seconds from the common start to the last answer


def rush(
    ctx,
    jobs,
    attempt: Callable[[httpx.AsyncClient, object], Awaitable[httpx.Response]],
    accepted: Callable[[httpx.Response], bool],
    *,
    clients: int,
    warm: Callable[[httpx.AsyncClient, int], Awaitable[str | None]] | None = None,
) -> RushResult:
    """Every job attempted once by `clients` asyncio slots that start together.

    Slot n takes jobs n, n + clients, ... one after another on its own keep-alive connection.
    Before the common start each slot runs `warm(client, n)` (open the connection, let the
    worker thread open its database connection, one untimed request of its own: a portal in
    service has warm workers); a string it returns is recorded as a failure. Each attempt is
    timed; an answer `accepted` refuses, or a transport error, is a failure.
    """
    latencies: list[float] = []
    failures: list[str] = []
    clock: dict[str, float] = {}

    async def slot(n, start):
        async with httpx.AsyncClient(base_url=ctx.base_url, timeout=TIMEOUT) as client:
            if warm is not None:
                problem = await warm(client, n)
                if problem:
                    failures.append(f"warm-up: {problem}")
            await start.wait()
            for job in jobs[n::clients]:
                t0 = time.perf_counter()
                try:
                    response = await attempt(client, job)
                    ok = accepted(response)
                except httpx.HTTPError as exc:
                    ok, response = False, exc
                if ok:
                    latencies.append(time.perf_counter() - t0)
                else:
                    failures.append(repr(response)[:120])

    async def main():
        start = asyncio.Barrier(clients + 1)
        tasks = [asyncio.create_task(slot(n, start)) for n in range(clients)]
        await start.wait()
        clock["started"] = time.perf_counter()
        await asyncio.gather(*tasks)
        clock["elapsed"] = time.perf_counter() - clock["started"]

    asyncio.run(main())
    return RushResult(latencies, failures, clock.get("elapsed", 0.0))


def one_at_a_time(ctx, request, n: int, *, warm: int = 20) -> tuple[list[float], int]:
    """n GETs, one after another on one keep-alive connection; `request(k)` gives (path, headers)
    of the k-th. The first `warm` requests (repeated from the same list) are not timed: they warm
    the connection and the worker's caches. Returns latencies in seconds and the non-200 count."""
    latencies, errors = [], 0
    with httpx.Client(base_url=ctx.base_url, timeout=TIMEOUT) as client:
        for k in range(min(warm, n)):
            path, headers = request(k)
            client.get(path, headers=headers)
        for k in range(n):
            path, headers = request(k)
            t0 = time.perf_counter()
            response = client.get(path, headers=headers)
            if response.status_code == 200:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1
    return latencies, errors


# --- The baseline beside a module's rush -----------------------------------------------------------
async def one_query(client, worker, i):
    response = await client.get(f"/__bench__/db/?i={i}")
    return response.status_code == 200


def db_baseline(ctx, duration: float | None = None) -> LoadResult:
    """The baseline's one-query view (/__bench__/db/) at the benchmarks' concurrency."""
    return run_load(ctx, one_query, concurrency=ctx.concurrency, duration=duration)


def wait_for_notices(timeout: float = 60.0) -> None:
    """Until the worker has planned and sent every notice that is due, so that what a rush left
    for the worker does not fall inside the next measurement."""
    from django.utils import timezone

    from notices.models import Delivery, Notice

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        undispatched = Notice.objects.filter(dispatched_at__isnull=True).exists()
        due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now()).exists()
        if not (undispatched or due):
            return
        time.sleep(0.2)


def beside_baseline(ctx, timed: Callable[[], object]) -> tuple[object, dict]:
    """`timed()` between two runs of the baseline's one-query view, right before it and right
    after it (once the worker has sent what the rush queued): a rush's ratio compares it with the
    machine it ran on.

    The baseline measured once at the start of `make bench` moved between 222 and 423 db_rps
    within one hour on the shared machine while the rushes' own rates moved little
    (docs/benchmarks.md, "The baseline beside each rush"). Returns timed()'s value and the
    baseline's figures: the mean of the two runs, each run's rate, and the run's start figure.
    """
    before = db_baseline(ctx)
    value = timed()
    wait_for_notices()
    after = db_baseline(ctx)
    return value, {
        "baseline_db_rps": round((before.rps + after.rps) / 2, 1),
        "baseline_db_p99_ms": round((before.p(99) + after.p(99)) / 2, 2),
        "baseline_db_rps_before": before.rps,
        "baseline_db_rps_after": after.rps,
        "baseline_errors": before.errors + after.errors,
        "start_db_rps": ctx.baseline.get("db_rps"),
    }


def ratio(value: float, baseline: float, digits: int = 3) -> float | None:
    """value / baseline to three places (two would print 0.2455 as 0.25, over a 0.25 target);
    None without a baseline."""
    return round(value / baseline, digits) if baseline else None


def ms(latencies, p: float) -> float:
    """Latency percentile in milliseconds, from seconds."""
    return round(percentile(latencies, p) * 1000, 2)
