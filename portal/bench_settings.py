"""Settings for `make bench`: production-like (DEBUG off, persistent connections, real Redis cache,
manifest static files) plus the two baseline views, reachable only because BENCH_VIEWS is on.

Environment values are set before portal.settings reads them, so DEBUG-dependent defaults
(SECRET_KEY required, secure cookies, WhiteNoise manifest storage) follow production.
"""

import os

os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-only-key-not-secret-0123456789abcdef")
os.environ.setdefault("CONN_MAX_AGE", "600")
os.environ.setdefault("CACHE_KEY_PREFIX", "open122-bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The bench is a demo: sandbox gateway, carrier and push on purpose (portal.checks).
os.environ.setdefault("ALLOW_SANDBOX_BACKENDS", "true")

from portal.settings import *  # noqa: E402,F403
from portal.settings import PORTAL_DOMAIN  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = [PORTAL_DOMAIN, f".{PORTAL_DOMAIN}", "127.0.0.1"]
# The load generator speaks plain HTTP over loopback.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
# Routes portal.bench_urls (hello and one-query views). Never set in portal/settings.py.
BENCH_VIEWS = True
# As in production, gunicorn queues tasks in Redis and the bench's own Celery worker runs them
# (on the same two cores, so their cost still weighs on the measurement); a confirmation's SMS
# and push are not part of its request. The harness process (bin/bench.py: seeding, in-process
# timings such as the exam draw) sets BENCH_EAGER=1 and runs them inline.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("BENCH_EAGER") == "1"
# The bench's queue: a developer's `make run` worker on the same Redis never takes its tasks.
CELERY_TASK_DEFAULT_QUEUE = "open122-bench"
# The sandbox gateway's notification reaches the payment service inside the worker, not over HTTP.
PAYMENT_SANDBOX_NOTIFY_IN_PROCESS = True
# Codes land in Redis so that bench modules (another process) can read them: bench.common.last_sms_code().
SMS_BACKEND = "bench.common.RedisOutboxSmsBackend"
# Every simulated citizen comes from 127.0.0.1; the per-address daily caps would stop the run.
SMS_DAILY_CAP_PER_IP = 10**9
SMS_DAILY_CAP_PER_MOBILE = 10**6
# Likewise the account pages' per-address limits (portal.account_services, portal.login_throttle).
ACCOUNT_SEND_PER_IP = ACCOUNT_SUBMIT_PER_IP = LOGIN_FAILURES_PER_IP = "1000000/h"
# Simulated citizens come from distinct addresses: the load generator names each one's address in
# this header (as a proxy would in X-Forwarded-For), so the per-address limits of the rush paths
# (portal.ratelimits) apply per simulated citizen, and bench/fairness.py can put a fleet behind
# one address. Never set from a client in production: there only the proxy sets the header.
CLIENT_IP_HEADER = "HTTP_X_BENCH_CLIENT_IP"
# The proof of work (portal.antibot) is solved by the bench clients like a browser would, in
# Python; its cost is lowered from 5,000 to 200 PBKDF2 iterations per derivation so that solving
# for 128 simulated citizens does not take the harness's share of the two cores. Same protocol.
ANTIBOT_COST = int(os.environ.get("BENCH_ANTIBOT_COST", "200"))
# The fairness control (bin/bench.py --no-guards, docs/benchmarks.md): the same rush with the
# per-account and per-address limits and the proof of work off, to show what they prevent.
BENCH_NO_GUARDS = os.environ.get("BENCH_NO_GUARDS") == "1"
if BENCH_NO_GUARDS:
    ANTIBOT_ENABLED = False
    RUSH_LIMITS = {group: ("1000000/m", "1000000/m") for group in RUSH_LIMITS}  # noqa: F405
